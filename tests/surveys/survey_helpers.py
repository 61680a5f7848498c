"""Helpers of the survey tests: a damage-model record, a small bank, pair sets, published surveys."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile

from annotation.core.types import CLASSES
from imaging.io import encode_image, write_image
from synthesis.core.bank import ArtefactBank
from synthesis.core.model import ClassModel, DamageModel, GammaParams, PerlinSettings

FAMILIARITIES = ("not", "somewhat", "very")


def dust_model() -> DamageModel:
    """Dust only: any in a 256 px patch with p = 0.9, then Gamma(4, 2) of them, Gamma(2, 3000) square microns."""
    classes = {c: ClassModel(c, 0, 0.0, None, None, 0.0, None, PerlinSettings()) for c in CLASSES}
    classes["dust"] = ClassModel("dust", 100, 0.9, GammaParams(4.0, 2.0), GammaParams(2.0, 3000.0), 40000.0, None,
                                 PerlinSettings())
    return DamageModel(classes)


def damage_model_record(name: str = "test dust"):
    from synthesis.models import DamageModel as Record

    return Record.objects.create(name=name, version=1, params=dust_model().to_dict())


def small_bank() -> ArtefactBank:
    bank = ArtefactBank()
    bank.add_procedural(seed=1, per_class=15)
    return bank


def write_pair_set(root: Path, *, names=("n1", "n2", "p1", "p2"), size=(300, 260)) -> Path:
    """A tiny image-pair set: grey gradients with white (n*) or black (p*) squares as "authentic" damage.

    Polarities are not declared, so the build has to measure them from the pixels.
    """
    for sub in ("damaged", "restored"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    w, h = size
    for i, name in enumerate(names):
        rng = np.random.default_rng(i)
        restored = np.clip(np.linspace(60, 190, w)[None, :, None] + rng.normal(0, 4, (h, w, 3)), 0, 255).astype(
            np.uint8)
        damaged = restored.copy()
        for _ in range(12):
            x, y = rng.integers(0, w - 8), rng.integers(0, h - 8)
            damaged[y:y + 6, x:x + 6] = 250 if name.startswith("n") else 5
        write_image(root / "restored" / f"{name}.png", restored)
        write_image(root / "damaged" / f"{name}.png", damaged)
    return root


def write_image_set(root: Path, *, count: int = 3, size=(300, 260)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        image = np.full((size[1], size[0], 3), 40 + 50 * i, np.uint8)
        write_image(root / f"img{i}.png", image)
    return root


def png(value: int, size: int) -> bytes:
    return encode_image(np.full((size, size, 3), value, np.uint8), fmt="PNG")


def published_survey(*, kind: int = 1, sizes=(128, 256), per_size: int = 2, catch: int = 1, seed: int = 7,
                     record=None, title: str = "Test survey"):
    """A published survey whose pairs are stored directly (plain grey images: A light, B dark), no rendering."""
    from surveys.models import Survey

    record = record or damage_model_record()
    survey = Survey.objects.create(
        kind=kind, title=title, slug=f"test-{seed}-{kind}-{Survey.objects.count()}", source_dir="/nowhere",
        damage_model=record, crop_sizes=list(sizes), pairs_per_size=per_size, catch_trials=catch, seed=seed,
        state=Survey.State.PUBLISHED, method_b="uniform" if kind == 2 else "")
    index = 0
    for size in sizes:
        for j in range(per_size):
            _pair(survey, index, size, "negative" if j % 2 == 0 else "positive", catch=False)
            index += 1
    for j in range(catch):
        _pair(survey, index, sizes[j % len(sizes)], "negative", catch=True)
        index += 1
    return survey


def _pair(survey, index: int, size: int, polarity: str, *, catch: bool):
    from surveys.models import Pair

    pair = Pair(survey=survey, index=index, is_catch=catch, source="grey", crop_size=size, crop_x=0, crop_y=0,
                polarity=polarity, seed=index)
    pair.image_a.save(f"pair-{index}-a.png", ContentFile(png(200, size)), save=False)
    pair.image_b.save(f"pair-{index}-b.png", ContentFile(png(40, size)), save=False)
    pair.save()
    return pair


def answer_body(participant, position: int, choice: str, *, response_ms: int = 900, blur_count: int = 0) -> str:
    trial = participant.plan[position]
    return json.dumps({"participant": str(participant.token), "position": position, "pair": trial["pair"],
                       "choice": choice, "response_ms": response_ms, "blur_count": blur_count})


def choice_for(participant, position: int, *, pick_a: bool) -> str:
    """The side to click to pick A (or B) in a participant's trial."""
    a_left = participant.plan[position]["a_left"]
    return "left" if a_left == pick_a else "right"
