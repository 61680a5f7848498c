// A job progress bar polls /api/jobs/<id>/ until the job reaches a terminal state.
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

export function renderJob(el, job) {
  el.dataset.state = job.state;
  el.querySelector(".fill").style.width = `${job.progress}%`;
  el.querySelector(".pct").textContent = job.progress;
  el.querySelector(".state").textContent = job.state_display || job.state.charAt(0).toUpperCase() + job.state.slice(1);
  el.querySelector(".msg").textContent = job.message || "";
  const err = el.querySelector(".job-error");
  if (err) {
    err.hidden = !job.error;
    err.textContent = job.error || "";
  }
  el.dispatchEvent(new CustomEvent("job:update", { detail: job, bubbles: true }));
}

export function watchJob(el, { interval = 1000 } = {}) {
  const url = el.dataset.jobUrl;
  if (!url || TERMINAL.has(el.dataset.state)) return;
  let delay = interval;
  const tick = async () => {
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const job = await res.json();
      renderJob(el, job);
      if (job.is_terminal || TERMINAL.has(job.state)) {
        el.dispatchEvent(new CustomEvent("job:done", { detail: job, bubbles: true }));
        return;
      }
      delay = interval;
    } catch (e) {
      delay = Math.min(delay * 2, 15000); // back off while the server is unreachable
    }
    setTimeout(tick, delay);
  };
  setTimeout(tick, interval);
}

export function watchJobs(root) {
  root.querySelectorAll("[data-job-progress]").forEach((el) => watchJob(el));
}
