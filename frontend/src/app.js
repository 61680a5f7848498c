// Site-wide behaviour: live job progress bars.
import { watchJobs } from "./lib/jobs.js";

document.addEventListener("DOMContentLoaded", () => watchJobs(document));
