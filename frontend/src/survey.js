// Survey pages. Participant trial page: times the answer from the moment both images are shown to the
// click, counts window blurs, posts the answer as JSON, then loads the next trial (the server decides it).
// Researcher page: reloads when the pair-building job finishes.
import { csrfToken } from "./lib/csrf.js";

function nativeSize(img) {
  // One image pixel per screen pixel, also on high-density screens.
  const dpr = window.devicePixelRatio || 1;
  if (img.naturalWidth) {
    img.style.width = `${img.naturalWidth / dpr}px`;
    img.style.height = `${img.naturalHeight / dpr}px`;
  }
}

function loaded(img) {
  if (img.complete && img.naturalWidth) return Promise.resolve();
  return new Promise((resolve, reject) => {
    img.addEventListener("load", resolve, { once: true });
    img.addEventListener("error", reject, { once: true });
  });
}

function syncScroll(frames) {
  let busy = false;
  frames.forEach((frame) =>
    frame.addEventListener("scroll", () => {
      if (busy) return;
      busy = true;
      frames.forEach((other) => {
        if (other !== frame) {
          other.scrollLeft = frame.scrollLeft;
          other.scrollTop = frame.scrollTop;
        }
      });
      requestAnimationFrame(() => (busy = false));
    }),
  );
}

function startTrial(root) {
  const buttons = [...root.querySelectorAll("button[data-choice]")];
  const images = [...root.querySelectorAll(".stimulus img")];
  const message = root.querySelector(".trial-message");
  const say = (text, kind = "") => {
    message.textContent = text;
    message.className = `trial-message ${kind}`;
  };
  let blurs = 0;
  let shownAt = null;
  let sending = false;
  window.addEventListener("blur", () => {
    if (shownAt !== null) blurs += 1;
  });
  syncScroll([...root.querySelectorAll(".frame")]);

  Promise.all(images.map(loaded))
    .then(() => {
      images.forEach(nativeSize);
      requestAnimationFrame(() => {
        shownAt = performance.now();
        buttons.forEach((b) => (b.disabled = false));
        root.dataset.ready = "true";
      });
    })
    .catch(() => say("An image could not be loaded. Please reload the page.", "error"));

  async function answer(choice) {
    if (shownAt === null || sending) return;
    sending = true;
    buttons.forEach((b) => (b.disabled = true));
    const body = {
      participant: root.dataset.participant,
      position: Number(root.dataset.position),
      pair: Number(root.dataset.pair),
      choice,
      response_ms: Math.round(performance.now() - shownAt),
      blur_count: blurs,
    };
    let res;
    let data = {};
    try {
      res = await fetch(root.dataset.answerUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      data = await res.json().catch(() => ({}));
    } catch (e) {
      say("Your answer could not be sent (no connection?). Please try again.", "error");
      sending = false;
      buttons.forEach((b) => (b.disabled = false));
      return;
    }
    if (res.ok) {
      root.dataset.answered = choice;
      window.location.assign(data.next_url || root.dataset.nextUrl);
      return;
    }
    say(data.detail || `The answer was refused (HTTP ${res.status}).`, "error");
    if (["already_answered", "not_current", "wrong_pair"].includes(data.code)) {
      // Nothing is lost: the first answer is kept. Go on to the trial the server expects.
      setTimeout(() => window.location.assign(root.dataset.nextUrl), 1500);
      return;
    }
    sending = false;
    if (data.code !== "closed") buttons.forEach((b) => (b.disabled = false));
  }

  buttons.forEach((b) => b.addEventListener("click", () => answer(b.dataset.choice)));
  document.addEventListener("keydown", (e) => {
    if (e.key === "ArrowLeft") answer("left");
    else if (e.key === "ArrowRight") answer("right");
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const trial = document.getElementById("trial");
  if (trial) startTrial(trial);
  const job = document.querySelector(".build-job [data-job-progress]");
  if (job) job.addEventListener("job:done", () => window.location.reload());
});
