"""Demo content of the restoration app (idempotent): a damaged demo photograph restored with the default method
(a job, run by the worker once the site is up)."""
from __future__ import annotations

from django.contrib.auth import get_user_model

from imaging.io import encode_image
from restoration.core.methods import DEFAULT_METHOD, get_method

from . import services
from .models import Restoration

DEMO_NAME = "demo-chelsea-damaged.png"


def demo_damaged_image():
    """The synthesis demo's clean photograph with negative damage from the demo damage model (seeded)."""
    from synthesis.core.render import apply_overlay, render_overlay
    from synthesis.demo import demo_clean_image, demo_damage_model
    from synthesis.services import artefact_bank, damage_model_core

    record = demo_damage_model(log=lambda m: None)
    if record is None:
        return None
    clean = demo_clean_image()
    h, w = clean.shape[:2]
    overlay = render_overlay(damage_model_core(record), artefact_bank(), width=w, height=h, seed=7, damage_level=3.0,
                             polarity="negative", device="cpu")
    return apply_overlay(clean, overlay)


def load_demo(*, log) -> None:
    if Restoration.objects.filter(original_name=DEMO_NAME).exists():
        return
    method = get_method(DEFAULT_METHOD)
    if not method.available():
        log(f"  default method unavailable ({method.reason_unavailable}): skipping the restoration demo")
        return
    damaged = demo_damaged_image()
    if damaged is None:
        log("  no damage model: skipping the restoration demo")
        return
    owner = get_user_model().objects.filter(username="researcher").first()
    record = services.restoration_create(user=owner, image=encode_image(damaged, fmt="PNG"), filename=DEMO_NAME)
    log(f"  restoration of {DEMO_NAME} with {record.method}: job {record.job_id} queued (/restoration/{record.pk}/)")
