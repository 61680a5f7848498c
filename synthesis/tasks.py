"""Celery tasks of the synthesis app: thin wrappers of services."""
from __future__ import annotations

from annotation.models import AnnotationSet
from jobs.tasking import job_task

from . import services
from .models import OverlayPreview, SyntheticDataset


@job_task(name="synthesis.damage_model_fit", kind="damage_model.fit", queue="cpu")
def damage_model_fit(*, job, progress) -> dict:
    dataset = AnnotationSet.objects.get(pk=job.params["dataset_id"])
    record = services.damage_model_fit(dataset=dataset, name=job.params["name"],
                                       scan_names=job.params.get("scan_names") or None, user=job.created_by,
                                       progress=progress)
    return {"damage_model_id": record.pk, "label": record.label, "url": f"/synthesis/damage-models/{record.pk}/"}


@job_task(name="synthesis.preview_render", kind="overlay.preview", queue="gpu", idempotent=True)
def preview_render(*, job, progress) -> dict:
    preview = OverlayPreview.objects.select_related("damage_model").get(pk=job.params["preview_id"])
    result = services.preview_render(preview=preview, progress=progress)
    return {"preview_id": preview.pk, "counts": result["counts"], "damaged_fraction": result["damaged_fraction"]}


@job_task(name="synthesis.synthetic_dataset_build", kind="dataset.build", queue="gpu", idempotent=True)
def synthetic_dataset_build(*, job, progress) -> dict:
    dataset = SyntheticDataset.objects.select_related("damage_model").get(pk=job.params["dataset_id"])
    summary = services.synthetic_dataset_build(dataset=dataset, progress=progress)
    return {"dataset_id": dataset.pk, **summary}
