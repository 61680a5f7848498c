"""Fixtures for the synthesis core tests: the public annotations, a fitted model, banks.

The public annotations are read with the annotation app's importer
(``annotation.core.formats.load_public_dataset``: coordinate scales, canvases
from the manifest, degenerate polygons skipped, areas in square microns).
"""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir(public_data) -> Path:
    return public_data


@pytest.fixture(scope="session")
def public_scans(data_dir):
    from annotation.core.formats import load_public_dataset

    scans, _report = load_public_dataset(data_dir)
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
