"""Fixtures of the restoration tests."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="session")
def toy_dataset(tmp_path_factory):
    """8 items (6 train, 2 val) of 48 x 56 px: smooth clean images with white or black specks."""
    root = tmp_path_factory.mktemp("toy")
    rng = np.random.default_rng(0)
    items = []
    for sub in ("clean", "damaged", "masks"):
        (root / sub).mkdir()
    for i in range(8):
        clean = np.clip(rng.normal(0.5, 0.05, (48, 56, 3)) + np.linspace(0, 0.3, 56)[None, :, None], 0, 1)
        clean = (clean * 65535).astype(np.uint16)
        mask = np.zeros((48, 56), np.uint8)
        for _ in range(6):
            y, x = rng.integers(2, 46), rng.integers(2, 54)
            mask[y - 1: y + 2, x - 1: x + 2] = 255
        polarity = "negative" if i % 2 == 0 else "positive"
        damaged = clean.copy()
        damaged[mask > 0] = 65535 if polarity == "negative" else 0
        name = f"{i:04d}.png"
        cv2.imwrite(str(root / "clean" / name), clean)
        cv2.imwrite(str(root / "damaged" / name), damaged)
        cv2.imwrite(str(root / "masks" / name), mask)
        items.append({"id": f"{i:04d}", "split": "val" if i >= 6 else "train", "polarity": polarity,
                      "damaged": f"damaged/{name}", "mask": f"masks/{name}", "clean": f"clean/{name}"})
    (root / "manifest.json").write_text(json.dumps({"items": items}))
    return root


@pytest.fixture(scope="module")
def damage_source():
    """The damage model fitted on the public annotations, and a small artefact bank (public cut-outs and procedural)."""
    from annotation.core.formats import load_public_dataset
    from synthesis.core.bank import ArtefactBank
    from synthesis.core.fit import fit_damage_model
    from tests.support import PUBLIC_DATA

    scans, _ = load_public_dataset(PUBLIC_DATA)
    bank = ArtefactBank.from_synthetic_folder(PUBLIC_DATA / "synthetic", max_per_folder=40, cache_path=None)
    bank.add_procedural(seed=0, per_class=20)
    return fit_damage_model(scans), bank
