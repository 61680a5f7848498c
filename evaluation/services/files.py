"""The evaluation services' use of ``webapp.storage``: names under public and private media, reading arrays."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile

from imaging import io as imio
from webapp import storage

from ..models import PRIVATE_PREFIX


def copy_upload(upload, target: Path) -> Path:
    """Write an uploaded file (or copy a path) to ``target``, in chunks."""
    if isinstance(upload, (str, Path)):
        shutil.copyfile(upload, target)
        return target
    with open(target, "wb") as out:
        if hasattr(upload, "chunks"):
            for chunk in upload.chunks():
                out.write(chunk)
        else:
            shutil.copyfileobj(upload, out)
    return target


def store_bytes(name: str, data: bytes) -> str:
    """Save ``data`` under ``name`` in the default storage; returns the name actually used."""
    return default_storage.save(name, ContentFile(data))


def store_file(name: str, path: Path) -> str:
    """Copy the file at ``path`` into the default storage as ``name``; returns the name used."""
    with open(path, "rb") as fh:
        return default_storage.save(name, File(fh))


def store_png(name: str, array: np.ndarray) -> str:
    return store_bytes(name, imio.encode_image(array, fmt="PNG"))


def store_display(name: str, array: np.ndarray) -> str:
    """An 8-bit PNG of ``array`` for the browser (16-bit scans mapped linearly, alpha dropped)."""
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    return store_png(name, imio.to_display_8bit(array))


def read_array(field: FieldFile | str) -> np.ndarray:
    """Decode a stored image (a file field or a storage name) at its own bit depth."""
    name = field.name if isinstance(field, FieldFile) else field
    return imio.read_image(storage.read_bytes(name), max_pixels=settings.MAX_IMAGE_PIXELS)


def delete_names(names) -> None:
    """Remove stored files, ignoring those already gone (cleanup after a refused import or upload)."""
    storage.delete_names(names)


def private(name: str) -> str:
    return f"{PRIVATE_PREFIX}{name}"


def submission_base(submission) -> str:
    """Where a submission's files are stored: private (a draft's are its submitter's), served by
    ``evaluation:submission-image`` to whoever may see the submission."""
    return private(f"leaderboard/submissions/{submission.pk}")
