"""Writes of the evaluation app, one module per concern.

- ``benchmarks``: import a folder (or an uploaded zip) of damaged scans and expert restorations;
- ``submissions``: accept a method's restorations (a zip, or image by image), validated first;
- ``scoring``: score a submission against the ground truth, re-score after a metric-card change;
- ``baselines``: the site's own rows (its restoration methods and the do-nothing row).

Views, tasks and commands call these; these call the pure core in ``evaluation.core``.
"""
