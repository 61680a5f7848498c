"""Reads of the synthesis app."""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

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


def dataset_samples(*, dataset: SyntheticDataset, limit: int = 12) -> list[dict]:
    """The first items of a finished dataset written under the media folder, with the URL base of their files."""
    manifest = Path(dataset.out_dir) / "manifest.json"
    media = Path(settings.MEDIA_ROOT).resolve()
    out = Path(dataset.out_dir).resolve()
    if not manifest.is_file() or media not in out.parents:
        return []
    items = json.loads(manifest.read_text())["items"][:limit]
    base = settings.MEDIA_URL + str(out.relative_to(media)) + "/"
    return [{**item, "base": base} for item in items]
