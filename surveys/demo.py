"""Demo content of the surveys app (idempotent): two small published surveys.

The pair source is an image-pair set made from scikit-image's bundled photographs
(:mod:`surveys.core.samples`) under ``var/survey-sources/``. Its "authentic" damage
is a **stand-in**, rendered by the project's own generator with other seeds and a
higher damage level: the demo shows how a survey runs, not how real damage compares.
A real study points the survey at a benchmark of authentic damaged scans with expert
restorations in the same layout.
"""
from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from surveys.core.methods import ModelDamage
from surveys.core.samples import write_sample_pair_set

from . import services
from .models import Survey

#: Pixel pitch of the demo images: as if they were crops of 4968 px wide scans of 35 mm frames.
DEMO_UM_PER_PX = 7.0
DEMO_SOURCE_SEED = 2023
INSTRUCTIONS = ("A demonstration survey. Its 'real' damage is a stand-in drawn by this application's own damage "
                "generator (other seeds, denser), on scikit-image's sample photographs: answers here say nothing "
                "about real film damage.")

SURVEYS = (
    {"kind": Survey.Kind.REAL_OR_SYNTHETIC, "title": "Demo: real or synthetic damage?", "seed": 1},
    {"kind": Survey.Kind.MORE_REALISTIC, "title": "Demo: damage model or uniform overlay?", "seed": 2,
     "method_b": Survey.MethodB.UNIFORM},
)


def _damage_model(log):
    from synthesis.demo import demo_damage_model

    return demo_damage_model(log=log)


def demo_pair_set(*, record, root: Path) -> Path:
    """Write the demo image-pair set (same files every time) unless it is there."""
    from synthesis.services import artefact_bank, damage_model_core

    if not (root / "polarity.json").exists():
        stand_in = ModelDamage(damage_model_core(record), artefact_bank(), label="stand-in", damage_level=2.0,
                               device="cpu")
        write_sample_pair_set(root, damage=stand_in, seed=DEMO_SOURCE_SEED, um_per_px=DEMO_UM_PER_PX)
    return root


def load_demo(*, log, root: Path | None = None) -> None:
    """Create and publish the demo surveys (``root``: where the pair set goes, default ``var/survey-sources``)."""
    if all(Survey.objects.filter(title=s["title"], state=Survey.State.PUBLISHED).exists() for s in SURVEYS):
        return
    record = _damage_model(log)
    if record is None:
        log("  no damage model and no FilmDamageSimulator dataset: skipping survey demo content")
        return
    root = demo_pair_set(record=record, root=root or Path(settings.VAR_DIR) / "survey-sources" / "skimage-demo")
    for spec in SURVEYS:
        if Survey.objects.filter(title=spec["title"]).exists():
            continue
        started = time.monotonic()
        survey = services.survey_create(
            source_dir=str(root), damage_model=record, crop_sizes=[128, 256], pairs_per_size=4, catch_trials=2,
            um_per_px=DEMO_UM_PER_PX, instructions=INSTRUCTIONS, **spec)
        summary = services.survey_build_now(survey=survey, device="cpu")
        services.survey_publish(survey=survey, previewed=True)
        log(f"  survey {survey.title!r}: {summary['pairs']} pairs built in {time.monotonic() - started:.1f} s, "
            f"published at /surveys/take/{survey.token}/")
