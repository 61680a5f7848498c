"""Who may call what: the expected answer of every route of the site to each role (``test_permissions.py``).

One row per route name: the method it is called with (GET, or the write method of a route that takes only
writes, with an empty body, ``{}`` as JSON to an API), then the status for each of ``ROLES``.
200/201/202/204: done; 302: a page sends anonymous people to log in (or a form redirects back); 400: allowed,
the empty body refused; 401: an API asks to authenticate (``WWW-Authenticate: Token``); 403: refused; 404: not
found, or not one the role may know of; 405: the method is not taken; 415: the empty JSON body is not the form
upload the route takes. A new route fails the test until it has a row here.
"""
from __future__ import annotations

ROLES = ("anonymous", "participant", "annotator", "annotator2", "researcher", "administrator")

#: Django's admin site: staff only (the administrator), everyone else to its log-in page. An object's route
#: answers the administrator 200, or 302 (to its change page, or to the index when the world holds no such
#: object); routes with other answers have their own row below.
ADMIN_DEFAULT = ("GET", 302, 302, 302, 302, 302, (200, 302))

TABLE: dict[str, tuple] = {
    # Django's admin, where it differs from ADMIN_DEFAULT
    "admin:login": ("GET", 200, 200, 200, 200, 200, 302),
    "admin:logout": ("POST", 302, 302, 302, 302, 302, 302),
    "admin:autocomplete": ("GET", 302, 302, 302, 302, 302, 403),  # without its query: refused
    "admin:view_on_site": ("GET", 302, 302, 302, 302, 302, 404),  # a scan has no page of its own
    "admin:admin/(?P<url>.*)$": ("GET", 302, 302, 302, 302, 302, 404),
    # Site: home, health, log-in, API token and documentation (healthz: 503 while no worker answers)
      "home": ("GET", 200, 200, 200, 200, 200, 200),
    "healthz": ("GET", (200, 503), (200, 503), (200, 503), (200, 503), (200, 503), (200, 503)),
      "login": ("GET", 200, 200, 200, 200, 200, 200),
      "logout": ("POST", 302, 302, 302, 302, 302, 302),
      "api-token": ("POST", 400, 400, 400, 400, 400, 400),
      "api-schema": ("GET", 200, 200, 200, 200, 200, 200),
      "api-docs": ("GET", 200, 200, 200, 200, 200, 200),
    # Jobs: everyone follows their own (the job is the researcher's); administrators every job
      "jobs:list": ("GET", 302, 302, 200, 200, 200, 200),
      "jobs:detail": ("GET", 302, 302, 404, 404, 200, 200),
      "jobs:cancel": ("POST", 302, 302, 404, 404, 302, 302),
      "jobs:retry": ("POST", 302, 302, 404, 404, 302, 302),
      "jobs:api-list": ("GET", 401, 401, 200, 200, 200, 200),
      "jobs:api-diagnostic": ("POST", 401, 401, 201, 201, 201, 201),
      "jobs:api-detail": ("GET", 401, 401, 404, 404, 200, 200),
      "jobs:api-cancel": ("POST", 401, 401, 404, 404, 200, 200),
      "jobs:api-retry": ("POST", 401, 401, 404, 404, 202, 202),
    # Annotation: the scan is assigned to annotator, not to annotator2 (who learns nothing of it: 404)
      "annotation:index": ("GET", 302, 302, 200, 200, 200, 200),
      "annotation:upload": ("GET", 302, 302, 403, 403, 200, 200),
      "annotation:scan": ("GET", 302, 302, 200, 404, 200, 200),
    # the scan's image and tiles: whoever may open the scan in the editor (the same rule), others 404
      "annotation:scan-image": ("GET", 302, 302, 200, 404, 200, 200),
      "annotation:scan-tiles": ("GET", 302, 302, 200, 404, 200, 200),
      "annotation:set": ("GET", 302, 302, 200, 404, 200, 200),
      "annotation:assign": ("GET", 302, 302, 403, 403, 200, 200),
      "annotation:statistics": ("GET", 302, 302, 200, 404, 200, 200),
      "annotation:bank": ("GET", 302, 302, 403, 403, 200, 200),
      "annotation:bank-image": ("GET", 302, 302, 403, 403, 200, 200),
      "annotation-api-sets": ("GET", 401, 401, 200, 200, 200, 200),
      "annotation-api-set-stats": ("GET", 401, 401, 200, 404, 200, 200),
      "annotation-api-set-export": ("GET", 401, 401, 200, 404, 200, 200),
      "annotation-api-scans": ("GET", 401, 401, 200, 200, 200, 200),
      "annotation-api-scan": ("GET", 401, 401, 200, 404, 200, 200),
      "annotation-api-scan-polygons": ("GET", 401, 401, 200, 404, 200, 200),
      "annotation-api-scan-done": ("POST", 401, 401, 200, 404, 200, 200),
      "annotation-api-polygon": ("GET", 401, 401, 200, 404, 200, 200),
      "annotation-api-bank": ("GET", 401, 401, 403, 403, 200, 200),
    # Synthesis: any account reads the damage models; researchers fit, preview, build, delete and download
      "synthesis:index": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:fit": ("GET", 302, 302, 403, 403, 302, 302),
      "synthesis:compare": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:damage-model": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:preview-create": ("GET", 302, 302, 403, 403, 302, 302),
      "synthesis:preview": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:preview-file": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:preview-download": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:dataset-create": ("GET", 302, 302, 403, 403, 302, 302),
      "synthesis:dataset": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:dataset-file": ("GET", 302, 302, 200, 200, 200, 200),
      "synthesis:dataset-delete": ("POST", 302, 302, 403, 403, 302, 302),
      "synthesis:dataset-download": ("GET", 302, 302, 403, 403, 302, 302),  # after the delete: gone
      "synthesis-api-damage-models": ("GET", 401, 401, 200, 200, 200, 200),
      "synthesis-api-fit": ("POST", 401, 401, 403, 403, 400, 400),
      "synthesis-api-damage-model": ("GET", 401, 401, 200, 200, 200, 200),
      "synthesis-api-preview": ("POST", 401, 401, 403, 403, 202, 202),
      "synthesis-api-datasets": ("GET", 401, 401, 200, 200, 200, 200),
    # Restoration: any account restores; the restoration and the roll are the researcher's, seen by them and
    # administrators; researchers fine-tune and promote detectors (the world's detector is promoted)
      "restoration:index": ("GET", 302, 302, 200, 200, 200, 200),
      "restoration:networks": ("GET", 302, 302, 200, 200, 200, 200),
      "restoration:network-promote": ("POST", 302, 302, 403, 403, 302, 302),
      "restoration:rolls": ("GET", 302, 302, 200, 200, 200, 200),
      "restoration:roll": ("GET", 302, 302, 404, 404, 200, 200),
      "restoration:roll-download": ("GET", 302, 302, 404, 404, 302, 302),  # nothing finished: back to the roll
      "restoration:network-weights": ("GET", 302, 302, 403, 403, 200, 200),  # a registered network's weights
      "restoration:detail": ("GET", 302, 302, 404, 404, 200, 200),
      "restoration:download": ("GET", 302, 302, 404, 404, 200, 200),
    # the review editor of a restoration: the world's has not finished, so its creator is sent back to its page
      "restoration:review": ("GET", 302, 302, 404, 404, 302, 302),
      "restoration:viewer": ("GET", 302, 302, 404, 404, 404, 404),
      "restoration-api-methods": ("GET", 401, 401, 200, 200, 200, 200),
      "restoration-api-list": ("GET", 401, 401, 200, 200, 200, 200),
      "restoration-api-detail": ("GET", 401, 401, 404, 404, 200, 200),
      "restoration-api-components": ("GET", 401, 401, 404, 404, 400, 400),  # not finished: no list yet
      "restoration-api-repair": ("POST", 401, 401, 404, 404, 400, 400),
      "restoration-api-review": ("POST", 401, 401, 404, 404, 400, 400),  # not finished: nothing to review
      "restoration-api-rolls": ("GET", 401, 401, 200, 200, 200, 200),
      "restoration-api-roll": ("GET", 401, 401, 404, 404, 200, 200),
      "restoration-api-roll-download": ("GET", 401, 401, 404, 404, 400, 400),  # nothing finished yet
      "restoration-api-finetune": ("POST", 401, 401, 403, 403, 400, 400),  # no name, no reviewed scan
      "restoration-api-network-promote": ("POST", 401, 401, 403, 403, 200, 200),
    # Evaluation: reading is open to anyone; the ground truth is hidden (administrators only, not even the
    # researcher who imported the benchmark); the submission is the researcher's draft
      "evaluation:index": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation:import": ("POST", 302, 302, 403, 403, 302, 302),
      "evaluation:benchmark": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation:submit": ("POST", 302, 302, 403, 403, 302, 302),
      "evaluation:baselines": ("POST", 302, 302, 403, 403, 302, 302),
      "evaluation:image": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation:ground-truth": ("GET", 302, 302, 403, 403, 403, 200),
      "evaluation:submission": ("GET", 302, 302, 403, 403, 200, 200),
      "evaluation:submission-image": ("GET", 404, 404, 404, 404, 404, 404),  # a draft's preview: its submitter's
      "evaluation-api-benchmarks": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation-api-benchmark": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation-api-leaderboard": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation-api-scores": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation-api-baselines": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation-api-submissions": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation-api-input": ("GET", 200, 200, 200, 200, 200, 200),
      "evaluation-api-ground-truth": ("GET", 401, 401, 403, 403, 403, 200),
      "evaluation-api-submission": ("GET", 401, 401, 403, 403, 200, 200),
      "evaluation-api-submission-image": ("PUT", 401, 401, 403, 403, 415, 415),  # takes multipart only
      "evaluation-api-submission-finalise": ("POST", 401, 401, 403, 403, 400, 400),
    # Surveys: researchers design and read them; the public link and the participant's token open the participant's
    # own session, to whoever holds them (no account)
      "surveys:index": ("GET", 302, 302, 200, 200, 200, 200),
      "surveys:create": ("GET", 302, 302, 403, 403, 200, 200),
      "surveys:detail": ("GET", 302, 302, 403, 403, 200, 200),
      "surveys:build": ("POST", 302, 302, 403, 403, 302, 302),
      "surveys:publish": ("POST", 302, 302, 403, 403, 302, 302),
      "surveys:close": ("POST", 302, 302, 403, 403, 302, 302),
      "surveys:results": ("GET", 302, 302, 403, 403, 200, 200),
      "surveys:pair-image": ("GET", 302, 302, 403, 403, 200, 200),
      "surveys:take": ("GET", 200, 302, 200, 200, 200, 200),
      "surveys:participant": ("GET", 200, 200, 200, 200, 200, 200),
      "surveys:trial-image": ("GET", 200, 200, 200, 200, 200, 200),
      "surveys-api-list": ("GET", 401, 401, 403, 403, 200, 200),
      "surveys-api-answer": ("POST", 400, 400, 400, 400, 400, 400),
      "surveys-api-responses-csv": ("GET", 401, 401, 403, 403, 200, 200),
      "surveys-api-results": ("GET", 401, 401, 403, 403, 200, 200),
    # Stored files by name: the benchmarks' public inputs only (every other name is served by a view that checks)
      "stored-file": ("GET", 200, 200, 200, 200, 200, 200),
      "media": ("GET", 200, 200, 200, 200, 200, 200),
    # The addresses before issue 15's naming (webapp/legacy.py, kept for one release): permanent redirects to
    # everyone, pages 301 (308 for writes), the old API paths 308
      "legacy-annotate": ("GET", 301, 301, 301, 301, 301, 301),
      "legacy-models": ("GET", 301, 301, 301, 301, 301, 301),
      "legacy-restore": ("GET", 301, 301, 301, 301, 301, 301),
      "legacy-leaderboard": ("GET", 301, 301, 301, 301, 301, 301),
      "legacy-api-annotation-datasets": ("GET", 308, 308, 308, 308, 308, 308),
      "legacy-api-synthesis-models": ("GET", 308, 308, 308, 308, 308, 308),
      "legacy-api-restoration-jobs": ("GET", 308, 308, 308, 308, 308, 308),
}
