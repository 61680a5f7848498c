"""Demo content of the annotation app (idempotent).

- the public annotations (10 scans, 12,135 artefacts, no pixels) as dataset ``FilmDamageSimulator``;
- a dataset ``Demo`` with one 16-bit scan with pixels: a grainy film-base frame on which the real
  polygons of public scan_01 are drawn as negative (white) damage, its polygons imported and the scan
  assigned to the demo annotators;
- a sample of the public artefact images in the artefact bank.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model

from annotation import services
from annotation.core.bank import DEFAULT_PUBLIC_MAPPING
from annotation.core.formats import load_manifest_dataset
from annotation.core.types import ScanArtefacts
from imaging.io import write_image

from .models import AnnotationSet, BankEntry, Scan

PUBLIC_DATASET = "FilmDamageSimulator"
DEMO_DATASET = "Demo"
DEMO_SCAN = "demo-frame-01"
BANK_SAMPLE_EVERY = 25


def render_demo_frame(scan: ScanArtefacts, *, seed: int = 0) -> np.ndarray:
    """A 16-bit RGB film-base frame with grain, the scan's polygons drawn on it in white."""
    rng = np.random.default_rng(seed)
    h, w = scan.frame.height_px, scan.frame.width_px
    base = (np.array([0.55, 0.42, 0.30]) * 65535).astype(np.float32)  # orange-brown colour negative base
    yy, xx = np.mgrid[0:h:8, 0:w:8]
    vignette = 1.0 - 0.15 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
    vignette = cv2.resize(vignette.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    grain = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 0.8) * 1800
    damage = np.zeros((h, w), np.uint8)
    for a in scan.artefacts:
        cv2.fillPoly(damage, [np.round(a.polygon).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    alpha = cv2.GaussianBlur(damage.astype(np.float32) / 255, (0, 0), 0.7)[..., None]
    rgb = vignette[..., None] * base[None, None, :] + grain[..., None]
    rgb = rgb * (1 - alpha) + 64000 * alpha
    return np.clip(rgb, 0, 65535).astype(np.uint16)


def load_demo(*, log) -> None:
    root = Path(settings.FILM_DAMAGE_DATA)
    manifest = root / "manifest.json"
    if not manifest.exists():
        log(f"  public data not found at {root}: skipping annotation demo content")
        return
    User = get_user_model()
    need_public = not AnnotationSet.objects.filter(name=PUBLIC_DATASET, scans__isnull=False).exists()
    need_demo = not Scan.objects.filter(dataset__name=DEMO_DATASET, name=DEMO_SCAN).exists()
    if need_public or need_demo:
        scans, report = load_manifest_dataset(manifest)  # read once, for both datasets
    if need_public:
        ds = services.annotation_set_get_or_create(
            name=PUBLIC_DATASET,
            description="The public annotations of Ivanova et al. (Eurographics 2023): 10 heavily damaged "
                        "empty 35 mm frames, polygons without pixels.")
        for s in scans:
            services.scan_import_artefacts(dataset=ds, scan_artefacts=s, source=str(manifest), build_tiles=False)
        log(f"  {PUBLIC_DATASET}: {report.imported} artefacts on {report.scans} scans, "
            f"{len(report.skipped)} degenerate polygons skipped")
    if need_demo:
        source = next(s for s in scans if s.name == "scan_01")
        demo = ScanArtefacts(name=DEMO_SCAN, frame=source.frame, artefacts=source.artefacts)
        ds = services.annotation_set_get_or_create(
            name=DEMO_DATASET, description="A 16-bit demo scan whose damage is drawn from real annotations.")
        with tempfile.TemporaryDirectory() as tmp:
            path = write_image(Path(tmp) / f"{DEMO_SCAN}.tif", render_demo_frame(demo))
            scan = services.scan_import_artefacts(dataset=ds, scan_artefacts=demo, image_path=path,
                                                  source="public scan_01 polygons drawn on a synthetic film base")
        for username in ("annotator", "annotator2"):
            user = User.objects.filter(username=username).first()
            if user:
                services.scan_assign(scan=scan, annotator=user)
        log(f"  {DEMO_DATASET}: scan {DEMO_SCAN} ({scan.width} x {scan.height}, 16-bit) with "
            f"{scan.polygons.count()} polygons; tile job queued")
    if not BankEntry.objects.exists() and (root / "synthetic").is_dir():
        counts = services.bank_import_folder(root=root / "synthetic", mapping=dict(DEFAULT_PUBLIC_MAPPING),
                                             every=BANK_SAMPLE_EVERY)
        log(f"  artefact bank: {counts['imported']} public artefact images (every {BANK_SAMPLE_EVERY}th)")
