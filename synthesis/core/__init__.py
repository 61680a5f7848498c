"""Pure core of the synthesis app: damage models, artefact banks, overlays and synthetic datasets.

Nothing here imports Django. Modules: ``model`` (the DamageModel and its JSON form), ``fit``
(fitting it to annotated scans), ``perlin`` (noise densities and point sampling), ``bank``
(appearances per class), ``procedural`` and ``scratches`` (generated appearances), ``render``
and ``render_torch`` (overlays on the CPU / a torch device), ``grain`` (film grain),
``overlays`` (batches of overlay PNGs) and ``dataset`` (resumable synthetic datasets).
"""
