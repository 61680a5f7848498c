"""Demo content of the synthesis app (idempotent): a model fitted on the public annotations and a preview (a job)."""
from __future__ import annotations

import cv2
import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from annotation.models import AnnotationSet
from imaging.io import encode_image

from . import services
from .models import DamageModel

DEMO_MODEL = "FilmDamageSimulator"


def demo_clean_image() -> np.ndarray:
    """A clean photograph for previews: scikit-image's bundled 'chelsea', enlarged, with film grain."""
    from skimage import data

    from synthesis.core.grain import add_film_grain

    image = cv2.resize(data.chelsea(), (1804, 1200), interpolation=cv2.INTER_CUBIC)
    return add_film_grain(image, seed=0)


def demo_damage_model(*, log) -> DamageModel | None:
    """The demo's damage model: the latest ``FilmDamageSimulator`` version, else any model, else one
    fitted now on the public annotations (None when those are not imported)."""
    record = (DamageModel.objects.filter(name=DEMO_MODEL).order_by("-version").first()
              or DamageModel.objects.order_by("-created_at").first())
    if record is not None:
        return record
    dataset = AnnotationSet.objects.filter(name="FilmDamageSimulator").first()
    if dataset is None:
        return None
    record = services.damage_model_fit(dataset=dataset, name=DEMO_MODEL)
    log(f"  fitted damage model {record.label}")
    return record


def load_demo(*, log) -> None:
    record = demo_damage_model(log=log)
    if record is None:
        log("  no FilmDamageSimulator dataset: skipping synthesis demo content")
        return
    if not record.previews.exists():  # rendered by a job, in the worker, once the site is up
        image = ContentFile(encode_image(demo_clean_image(), fmt="PNG"), name="chelsea-grain.png")
        owner = get_user_model().objects.filter(username="researcher").first()
        preview = services.preview_create(record=record, width=1804, height=1200, seed=1, damage_level=3.0,
                                          source_image=image, user=owner)
        log(f"  preview {preview.pk}: job {preview.job_id} queued (/synthesis/previews/{preview.pk}/)")
