// Site-wide behaviour: live job progress bars, job pages that follow their job, "choose all" checkboxes.
import { watchCheckAll } from "./lib/checkall.js";
import { watchDetails } from "./lib/jobdetail.js";
import { watchJobs } from "./lib/jobs.js";

document.addEventListener("DOMContentLoaded", () => {
  watchDetails(document);
  watchJobs(document);
  watchCheckAll(document);
});
