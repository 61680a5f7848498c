"""Fixtures for the synthesis core tests: the public annotations as ScanArtefacts.

A small private loader (until ``annotation.core.formats`` exists): it reads
``annotations/*.json`` with ``manifest.json`` of the FilmDamageSimulator data
(see its README): coordinates times the manifest's ``coordinate_scale``,
canvas size from the manifest, area by the shoelace formula, polygons with
fewer than 3 distinct points or zero area skipped, areas in square microns
with a 35 mm x 24 mm frame.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from annotation.core.types import Artefact, FrameGeometry, ScanArtefacts

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("FILM_DAMAGE_DATA", REPO.parent / "shared" / "data" / "film-damage-simulator"))
LABELS = {"Dust": "dust", "Dirt": "dirt", "Short hair": "short hair", "Long hair": "long hair",
          "Scratch": "scratch"}


def _artefact(cls: str, poly: np.ndarray, frame: FrameGeometry) -> Artefact | None:
    if len(np.unique(poly, axis=0)) < 3:
        return None
    x, y = poly[:, 0], poly[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    signed = 0.5 * cross.sum()
    if abs(signed) < 1e-9:
        return None
    cx = ((x + xn) * cross).sum() / (6 * signed)
    cy = ((y + yn) * cross).sum() / (6 * signed)
    area = abs(signed)
    return Artefact(cls, poly, float(area), float(area * frame.um2_per_px), (float(cx), float(cy)),
                    (float(x.min()), float(y.min()), float(x.max()), float(y.max())))


def load_public_scans(root: Path = DATA) -> tuple[list[ScanArtefacts], int]:
    """All public scans as ScanArtefacts, and the number of skipped degenerate polygons."""
    manifest = json.loads((root / "manifest.json").read_text())
    scans, skipped = [], 0
    for entry in manifest["scans"]:
        frame = FrameGeometry.for_35mm(int(entry["width"]), int(entry["height"]))
        raw = json.loads((root / entry["file"]).read_text())
        arts = []
        for item in raw.values():
            poly = np.array([[p["x"], p["y"]] for p in item["points"]], dtype=np.float64)
            poly = poly.reshape(-1, 2) * float(entry["coordinate_scale"])
            art = _artefact(LABELS[item["label"]["name"]], poly, frame)
            if art is None:
                skipped += 1
            else:
                arts.append(art)
        scans.append(ScanArtefacts(Path(entry["file"]).stem, frame, arts))
    return scans, skipped


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "manifest.json").exists():
        pytest.skip(f"public FilmDamageSimulator data not found at {DATA}")
    return DATA


@pytest.fixture(scope="session")
def public_scans(data_dir) -> list[ScanArtefacts]:
    scans, _ = load_public_scans(data_dir)
    return scans


@pytest.fixture(scope="session")
def public_model(public_scans):
    from synthesis.core.fit import fit_damage_model

    return fit_damage_model(public_scans, description="public FilmDamageSimulator annotations")


@pytest.fixture(scope="session")
def public_bank(data_dir, public_scans):
    """A bank as the app builds it, with 10 images per synthetic folder to keep the tests fast."""
    from synthesis.core.bank import ArtefactBank

    bank = ArtefactBank.from_synthetic_folder(data_dir / "synthetic", max_per_folder=10)
    bank.add_polygons(public_scans)
    bank.add_procedural(seed=0, per_class=60)
    return bank


@pytest.fixture(scope="session")
def procedural_bank():
    """A small bank of procedural appearances only (no data needed)."""
    from synthesis.core.bank import ArtefactBank

    bank = ArtefactBank()
    bank.add_procedural(seed=1, per_class=15)
    return bank


def square(cls: str, x: float, y: float, side: float, frame: FrameGeometry) -> Artefact:
    """An axis-aligned square artefact centred at (x, y)."""
    h = side / 2.0
    poly = np.array([[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h]])
    art = _artefact(cls, poly, frame)
    assert art is not None
    return art


@pytest.fixture(scope="session")
def make_square():
    return square
