// Site-wide behaviour: live job progress bars, and job pages that follow their job.
import { watchDetails } from "./lib/jobdetail.js";
import { watchJobs } from "./lib/jobs.js";

document.addEventListener("DOMContentLoaded", () => {
  watchDetails(document);
  watchJobs(document);
});
