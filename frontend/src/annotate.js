// Entry point of the scan annotation page: mounts the polygon editor on #annotator.
import css from "./annotate/annotate.css" with { type: "text" };
import { Editor } from "./annotate/editor.js";
import { editorHooks } from "./annotate/testhooks.js";

function start() {
  const root = document.getElementById("annotator");
  if (!root) return;
  if (!document.getElementById("annotator-style")) {
    const style = document.createElement("style");
    style.id = "annotator-style";
    style.textContent = css;
    document.head.appendChild(style);
  }
  try {
    const editor = new Editor(root);
    if (TEST_HOOKS) { // the test build's hooks (build.mjs)
      window.__annotator = editorHooks(editor);
      window.__annotatorStats = editor.stats;
    }
  } catch (e) {
    root.textContent = `The annotation editor could not start: ${e.message}`;
    root.classList.add("error");
    throw e;
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
