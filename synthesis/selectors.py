"""Reads of the synthesis app."""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from webapp import storage

from .models import DamageModel, SyntheticDataset


def damage_model_lookup(ref: str) -> DamageModel | None:
    """A model by id, ``NAME:VERSION`` or ``NAME`` (its latest version)."""
    ref = str(ref).strip()
    if ref.isdigit():
        found = DamageModel.objects.filter(pk=int(ref)).first()
        if found:
            return found
    name, _, version = ref.rpartition(":")
    if name and version.isdigit():
        return DamageModel.objects.filter(name=name, version=int(version)).first()
    return DamageModel.objects.filter(name=ref).order_by("-version").first()


def dataset_stored(*, dataset: SyntheticDataset) -> bool:
    """Whether ``dataset`` is a build from the pages whose files are stored (as ``synthetic/<name>``, manifest last)."""
    media = (Path(settings.MEDIA_ROOT) / "synthetic").resolve()
    if media not in Path(dataset.out_dir).resolve().parents:
        return False
    return storage.exists(f"synthetic/{dataset.name}/manifest.json")


def dataset_samples(*, dataset: SyntheticDataset, limit: int = 12) -> list[dict]:
    """The first items of a finished build from the pages, with their images' addresses (``synthesis:dataset-file``,
    which checks who asks)."""
    if not dataset_stored(dataset=dataset):
        return []
    items = json.loads(storage.read_bytes(f"synthetic/{dataset.name}/manifest.json"))["items"][:limit]
    return [{**item, "damaged_url": reverse("synthesis:dataset-file", args=[dataset.pk, item["damaged"]]),
             "mask_url": reverse("synthesis:dataset-file", args=[dataset.pk, item["mask"]])} for item in items]
