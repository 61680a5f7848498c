// The job page follows its job live: the progress bar's poll (lib/jobs.js) sends "job:update" events, and
// this fills in state, device, attempts, times, result links and the cancel / retry buttons without a reload.
import { csrfToken } from "./csrf.js";
import { renderJob } from "./jobs.js";

/** "2026-12-03T06:40:01.5Z" as "2026-12-03 06:40:01" (UTC, the way the server writes it); "—" for none. */
export function formatTime(iso) {
  return iso ? String(iso).slice(0, 19).replace("T", " ") : "—";
}

function text(root, field, value) {
  const el = root.querySelector(`[data-field="${field}"]`);
  if (el) el.textContent = value;
}

function renderList(list, items, make) {
  list.replaceChildren(...items.map(make));
}

export function renderDetail(root, job) {
  text(root, "state_display", job.state_display || job.state);
  text(root, "device", job.device || "—");
  text(root, "attempts", String(job.attempts));
  text(root, "started_at", formatTime(job.started_at));
  text(root, "finished_at", formatTime(job.finished_at));
  text(root, "duration_seconds", job.duration_seconds == null ? "—" : `${job.duration_seconds.toFixed(1)} s`);
  const links = root.querySelector("[data-job-links]");
  if (links) {
    renderList(links, job.result_links || [], (link) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = link.url;
      a.textContent = link.label;
      li.append(a);
      return li;
    });
  }
  const facts = root.querySelector("[data-job-facts]");
  if (facts) {
    facts.replaceChildren(...(job.result_facts || []).flatMap((f) => {
      const dt = document.createElement("dt");
      dt.textContent = f.name;
      const dd = document.createElement("dd");
      dd.textContent = f.value;
      return [dt, dd];
    }));
  }
  const none = root.querySelector("[data-job-noresult]");
  if (none) {
    const empty = !(job.result_links || []).length && !(job.result_facts || []).length;
    none.hidden = !empty;
    none.textContent = job.is_terminal ? "No result." : "The result appears here when the job has finished.";
  }
  const cancel = root.querySelector("[data-job-cancel]");
  if (cancel) cancel.hidden = !job.can_cancel;
  const retry = root.querySelector("[data-job-retry]");
  if (retry) retry.hidden = !job.can_retry;
}

export function watchDetail(root) {
  root.addEventListener("job:update", (e) => renderDetail(root, e.detail));
  const form = root.querySelector("[data-job-cancel]");
  const bar = root.querySelector("[data-job-progress]");
  if (form && bar && root.dataset.cancelUrl) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = form.querySelector("button");
      if (button) button.disabled = true;
      try {
        const res = await fetch(root.dataset.cancelUrl, {
          method: "POST", credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        renderJob(bar, await res.json());
      } catch (err) {
        form.submit(); // the page's own form says what happened
      } finally {
        if (button) button.disabled = false;
      }
    });
  }
}

export function watchDetails(root) {
  root.querySelectorAll("[data-job-detail]").forEach((el) => watchDetail(el));
}
