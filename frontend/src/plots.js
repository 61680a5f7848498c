// Draws every Plotly figure of a page: <script id="figures" type="application/json"> holds
// {key: {data, layout}}; each element with data-figure names its figure.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("figures");
  if (!source || !window.Plotly) return;
  const figures = JSON.parse(source.textContent);
  document.querySelectorAll("[data-figure]").forEach((el) => {
    const key = el.dataset.figure.replace(/ /g, "_");
    const fig = figures[key];
    if (!fig) return;
    const layout = Object.assign({ margin: { t: 40, r: 10, b: 50, l: 60 }, autosize: true }, fig.layout);
    window.Plotly.newPlot(el, fig.data, layout, { responsive: true, displaylogo: false }).then(() => {
      el.dataset.rendered = "true";
    });
  });
});
