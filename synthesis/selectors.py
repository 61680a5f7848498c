"""Reads of the synthesis app."""
from __future__ import annotations

from .models import DamageModel


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
