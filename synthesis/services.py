"""Writes of the synthesis app: fit damage models, render previews, build synthetic datasets."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from annotation.core.types import FrameGeometry
from annotation.models import AnnotationSet
from annotation.selectors import annotation_set_scan_artefacts
from jobs import services as job_services
from synthesis.core.bank import ArtefactBank
from synthesis.core.fit import fit_damage_model
from synthesis.core.model import DamageModel as CoreDamageModel
from webapp import storage

from .models import DamageModel, OverlayPreview, SyntheticDataset

logger = logging.getLogger(__name__)

#: Procedural appearances added to the bank per class (seeded).
PROCEDURAL_PER_CLASS = 100


def damage_model_core(record: DamageModel) -> CoreDamageModel:
    """The pure-core damage model stored in a record."""
    return CoreDamageModel.from_dict(record.params)


def artefact_bank() -> ArtefactBank:
    """The bank the renderer draws from, cached per process until the stored cut-outs change.

    The public artefact images (``FILM_DAMAGE_DATA/synthetic``, cached as an
    ``.npz`` under ``var/cache``), seeded procedural appearances, and the
    cut-outs of annotated scans stored in the annotation app's bank.
    """
    from django.db.models import Count, Max

    from annotation.models import BankEntry

    stats = BankEntry.objects.filter(kind=BankEntry.Kind.CUTOUT).aggregate(n=Count("id"), last=Max("id"))
    return _artefact_bank(stats["n"], stats["last"])


@functools.lru_cache(maxsize=1)
def _artefact_bank(cutouts: int, last_cutout_id: int | None) -> ArtefactBank:
    bank = ArtefactBank()
    root = Path(settings.FILM_DAMAGE_DATA) / "synthetic"
    if root.is_dir():
        cache = Path(settings.VAR_DIR) / "cache" / "artefact-bank.npz"
        cache.parent.mkdir(parents=True, exist_ok=True)
        bank = ArtefactBank.from_synthetic_folder(root, cache_path=cache)
    else:
        logger.warning("No artefact images at %s: the bank holds procedural and cut-out appearances only.", root)
    bank.add_procedural(seed=0, per_class=PROCEDURAL_PER_CLASS)
    if cutouts:
        _add_cutouts(bank)
    return bank


def _add_cutouts(bank: ArtefactBank) -> int:
    from annotation.models import BankEntry
    from imaging.io import read_image

    added = 0
    for entry in BankEntry.objects.filter(kind=BankEntry.Kind.CUTOUT).select_related("source_scan"):
        with entry.image.open("rb") as fh:
            rgba = read_image(fh.read())
        alpha = rgba[..., 3]
        if alpha.dtype != "uint8":
            alpha = (alpha // 257).astype("uint8")
        um = entry.source_scan.frame.um2_per_px ** 0.5 if entry.source_scan else None
        added += bank.add(entry.cls, alpha, source=f"cutout:{entry.pk}", um_per_px=um)
    return added


def damage_model_fit(*, dataset: AnnotationSet, name: str, scan_names: list[str] | None = None, user=None,
                     min_samples: int = 3, seed: int = 0, progress=None) -> DamageModel:
    """Fit a damage model on a dataset (or the named scans of it) and store it as the next version."""
    scans = annotation_set_scan_artefacts(dataset=dataset)
    if scan_names:
        unknown = sorted(set(scan_names) - {s.name for s in scans})
        if unknown:
            raise ValueError(f"Dataset {dataset.name!r} has no scan(s) {', '.join(unknown)}.")
        scans = [s for s in scans if s.name in set(scan_names)]
    if not scans or not any(s.artefacts for s in scans):
        raise ValueError(f"Dataset {dataset.name!r} has no annotated artefacts to fit a damage model on.")
    core = fit_damage_model(scans, min_samples=min_samples, seed=seed,
                            description=f"dataset {dataset.name}", progress=progress)
    notes = [f"{cls}: {note}" for cls, m in core.classes.items() for note in getattr(m, "notes", [])]
    with transaction.atomic():
        latest = DamageModel.objects.select_for_update().filter(name=name).aggregate(v=Max("version"))["v"] or 0
        return DamageModel.objects.create(name=name, version=latest + 1, dataset=dataset,
                                          scan_names=sorted(scan_names or []), params=core.to_dict(),
                                          notes="\n".join(notes), created_by=user)


def damage_model_fit_enqueue(*, dataset: AnnotationSet, name: str, scan_names: list[str] | None = None, user=None):
    return job_services.job_submit(kind="damage_model.fit", user=user,
                                   params={"dataset_id": dataset.pk, "name": name, "scan_names": scan_names or []})


def frame_for(*, width: int, height: int, frame_mm: tuple[float, float] | None) -> FrameGeometry:
    if frame_mm is None:
        return FrameGeometry.for_35mm(width, height)
    return FrameGeometry.for_format(width, height, max(frame_mm), min(frame_mm))


def overlays_generate(*, record: DamageModel, width: int, height: int, count: int, seed: int, out_dir: Path,
                      polarity: str = "negative", frame_mm: tuple[float, float] | None = None,
                      damage_level: float = 1.0, device: str | None = None, progress=None) -> dict:
    """Render ``count`` overlays and masks into ``out_dir`` (see ``synthesis.core.overlays``)."""
    from synthesis.core.overlays import generate_overlays

    if width < 1 or height < 1:
        raise ValueError(f"Width and height must be positive, got {width} x {height}.")
    return generate_overlays(damage_model_core(record), artefact_bank(), width=width, height=height, count=count,
                             seed=seed, out_dir=out_dir, polarity=polarity,
                             frame=frame_for(width=width, height=height, frame_mm=frame_mm),
                             damage_level=damage_level, device=device, progress=progress)


def preview_render(*, preview: OverlayPreview, progress=None) -> dict:
    """Render a preview overlay in both polarities, applied to its source image (or a grey frame)."""
    import numpy as np

    from imaging.io import encode_image, read_image, to_display_8bit
    from synthesis.core.render import apply_overlay, render_overlay

    model = damage_model_core(preview.damage_model)
    if preview.source_image:
        with preview.source_image.open("rb") as fh:
            clean = read_image(fh.read(), max_pixels=settings.MAX_IMAGE_PIXELS)
        if clean.ndim == 3 and clean.shape[2] == 4:
            clean = clean[..., :3]
        height, width = clean.shape[:2]
    else:
        width, height = preview.width, preview.height
        clean = np.full((height, width, 3), 128, np.uint8)
    prefix = f"previews/preview-{preview.pk}"

    def store(key: str, image) -> None:
        storage.save_bytes(f"{prefix}/{key}.png", encode_image(image, fmt="PNG"))

    result: dict = {"width": width, "height": height}
    for i, polarity in enumerate(("negative", "positive")):
        overlay = render_overlay(model, artefact_bank(), width=width, height=height, seed=preview.seed,
                                 damage_level=preview.damage_level, polarity=polarity)
        damaged = to_display_8bit(apply_overlay(clean, overlay))
        store(polarity, damaged)
        if i == 0:
            store("mask", overlay.mask.astype(np.uint8) * np.uint8(255))
            store("clean", to_display_8bit(clean))
            result.update(counts=overlay.counts, damaged_fraction=overlay.damaged_fraction,
                          damaged_percent=100 * overlay.damaged_fraction)
        if progress:
            progress(i + 1, 2)
    result["files"] = {k: f"{prefix}/{k}.png" for k in ("negative", "positive", "mask", "clean")}
    preview.width, preview.height, preview.result = width, height, result
    preview.save(update_fields=["width", "height", "result"])
    return result


def preview_create(*, record: DamageModel, width: int, height: int, seed: int, damage_level: float = 1.0,
                   source_image=None, user=None) -> OverlayPreview:
    if source_image is None and not (16 <= width <= 20000 and 16 <= height <= 20000):
        raise ValueError("Preview size must be between 16 and 20000 px on each side.")
    if not 0 < damage_level <= 20:
        raise ValueError("Damage level must be in (0, 20].")
    data = None
    if source_image is not None:  # refused before any row is written
        from imaging.io import check_image

        data = source_image.read()
        check_image(data, max_pixels=settings.MAX_IMAGE_PIXELS)
    preview = OverlayPreview.objects.create(damage_model=record, width=width, height=height, seed=seed,
                                            damage_level=damage_level, created_by=user)
    if data is not None:
        from django.core.files.base import ContentFile

        preview.source_image.save(Path(source_image.name).name, ContentFile(data), save=True)
    job_services.job_submit(kind="overlay.preview", record=preview, user=user, params={"preview_id": preview.pk})
    return preview


def synthetic_dataset_build(*, dataset: SyntheticDataset, progress=None, max_items: int | None = None) -> dict:
    """Build (or resume) a synthetic dataset; returns the core builder's summary (without the manifest)."""
    from synthesis.core.dataset import build_synthetic_dataset

    opts = dataset.options or {}
    clean_set_fetch(dataset.clean_dir)
    summary = build_synthetic_dataset(
        damage_model_core(dataset.damage_model), artefact_bank(), clean_dir=dataset.clean_dir,
        out_dir=dataset.out_dir, count=dataset.count, seed=dataset.seed, grain=opts.get("grain", True),
        crop=tuple(opts["crop"]) if opts.get("crop") else None, damage_level=opts.get("damage_level", 1.0),
        px_per_mm=opts.get("px_per_mm"),
        model_label=dataset.damage_model.label, max_items=max_items, progress=progress,
    )
    manifest = summary.pop("manifest", None)
    if manifest is not None:
        splits = [item["split"] for item in manifest["items"]]
        summary.update(train=splits.count("train"), val=splits.count("val"))
        if synthetic_dataset_media_dir(dataset) is not None:  # a build from the pages: into the storage
            storage.save_tree(synthetic_dataset_prefix(dataset), dataset.out_dir)
    kept = {k: v for k, v in (dataset.summary or {}).items() if k == "expected_empty"}
    dataset.summary = {**kept, **summary}
    dataset.save(update_fields=["summary"])
    return summary


#: Above this share of items without any artefact a build from the pages is refused (unless allowed).
MAX_EMPTY_SHARE = 0.5
DATASET_OPTIONS = ("grain", "crop", "px_per_mm", "damage_level")


def synthetic_dataset_check(*, record: DamageModel, clean_dir: str, count: int | None = None, seed: int = 0,
                            options: dict | None = None):
    """What a build with these settings would make (``synthesis.core.dataset.BuildCheck``), or a clear error.

    Refuses a crop larger than a clean image, px per mm without a crop, a damage level outside (0, 20]
    and unknown options, before any row is written or job started.
    """
    from synthesis.core.dataset import check_build, clean_image_sizes

    options = options or {}
    unknown = sorted(set(options) - set(DATASET_OPTIONS))
    if unknown:
        raise ValueError(f"Unknown dataset option(s) {', '.join(unknown)}; the options are "
                         f"{', '.join(DATASET_OPTIONS)}.")
    if count is not None and count < 1:
        raise ValueError("Count must be at least 1.")
    crop = tuple(options["crop"]) if options.get("crop") else None
    return check_build(damage_model_core(record), clean_image_sizes(clean_dir), count=count, seed=seed, crop=crop,
                       px_per_mm=options.get("px_per_mm"), damage_level=float(options.get("damage_level", 1.0)))


def empty_items_refusal(check, options: dict | None = None) -> str:
    """Why a build that leaves most masks empty is refused, and what to change."""
    options = options or {}
    ways = ["larger clean images" if not options.get("crop") else "a larger crop", "a higher damage level"]
    if options.get("px_per_mm"):
        ways.append("no px per mm (with it a crop is a small part of a scan)")
    return (f"{check.empty} of {check.planned} items would hold no artefact at all (empty masks; "
            f"{check.mean_artefacts:.1f} artefacts per item on average). Use {', '.join(ways[:-1])} or {ways[-1]}, "
            "or allow items without damage.")


def synthetic_dataset_create(*, name: str, record: DamageModel, clean_dir: str, out_dir: str | None = None,
                             count: int | None = None, seed: int = 0, options: dict | None = None,
                             user=None, enqueue: bool = True, allow_empty: bool = True) -> SyntheticDataset:
    """Check the settings (``synthetic_dataset_check``), store the build and start its job.

    With ``allow_empty=False`` (the pages and the API unless asked otherwise) a build that would leave
    more than ``MAX_EMPTY_SHARE`` of its items without damage is refused, saying why.
    """
    from synthesis.core.dataset import clean_images

    name = (name or "").strip()
    if not name:
        raise ValueError("Give the dataset a name.")
    if SyntheticDataset.objects.filter(name=name).exists():
        raise ValueError(f"A synthetic dataset named {name!r} exists already.")
    sources = clean_images(clean_dir)  # raises a clear error for a missing or empty folder
    check = synthetic_dataset_check(record=record, clean_dir=clean_dir, count=count, seed=seed, options=options)
    if not allow_empty and check.empty_share > MAX_EMPTY_SHARE:
        raise ValueError(empty_items_refusal(check, options))
    out = out_dir or str(Path(settings.MEDIA_ROOT) / "synthetic" / name)
    dataset = SyntheticDataset.objects.create(
        name=name, damage_model=record, clean_dir=str(clean_dir), out_dir=out, count=count or len(sources),
        seed=seed, options=options or {}, summary={"expected_empty": check.empty}, created_by=user)
    if enqueue:
        job_services.job_submit(kind="dataset.build", record=dataset, user=user, params={"dataset_id": dataset.pk})
    return dataset


def synthetic_dataset_submit(*, name: str, record: DamageModel, clean_dir: str = "", clean_zip=None,
                             count: int | None = None, seed: int = 0, options: dict | None = None, user=None,
                             allow_empty: bool = False) -> SyntheticDataset:
    """A build from the pages or the API: clean images from a server folder or an uploaded zip.

    A refused build keeps nothing: an uploaded zip's images are removed again.
    """
    import shutil

    name = (name or "").strip()
    if SyntheticDataset.objects.filter(name=name).exists():  # before unpacking anything
        raise ValueError(f"A synthetic dataset named {name!r} exists already.")
    uploaded = None
    if clean_zip is not None:
        uploaded = clean_set_upload(name=name, archive=clean_zip)
        clean_dir = str(uploaded)
    if not clean_dir:
        raise ValueError("Give a folder of clean images on the server or a zip of clean images.")
    try:
        return synthetic_dataset_create(name=name, record=record, clean_dir=clean_dir, count=count, seed=seed,
                                        options=options, user=user, allow_empty=allow_empty)
    except ValueError:
        if uploaded is not None:
            shutil.rmtree(Path(settings.MEDIA_ROOT) / "private" / "clean" / name, ignore_errors=True)
            storage.delete_tree(_clean_prefix(name))
        raise


def synthetic_dataset_prefix(dataset: SyntheticDataset) -> str:
    """Where a finished build from the pages is stored (``synthetic/<name>``), for its download."""
    return f"synthetic/{dataset.name}"


def synthetic_dataset_media_dir(dataset: SyntheticDataset) -> Path | None:
    """The dataset's folder when it lies under ``MEDIA_ROOT/synthetic`` (the pages' builds), else None."""
    root = (Path(settings.MEDIA_ROOT) / "synthetic").resolve()
    out = Path(dataset.out_dir).resolve()
    return out if root in out.parents else None


def synthetic_dataset_delete(*, dataset: SyntheticDataset) -> None:
    """Delete the record and the files its build wrote under the media folder.

    A build still running is asked to stop and the dataset is kept until it has (its worker could
    write one more item after the files went); one not started yet is cancelled first. A dataset
    written elsewhere (by the command, to a folder of the user's choosing) keeps its files.
    """
    import shutil

    job = dataset.job
    if job is not None and not job.is_terminal:
        job = job_services.job_cancel(job=job)
        job.refresh_from_db()
        if not job.is_terminal:
            raise ValueError(f"The build of {dataset.name!r} is running: it has been asked to stop; delete the "
                             "dataset once its job has stopped.")
    folder = synthetic_dataset_media_dir(dataset)
    prefix = synthetic_dataset_prefix(dataset)
    dataset.delete()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        storage.delete_tree(prefix)


def synthetic_dataset_files(dataset: SyntheticDataset) -> list[tuple[str, Path | Callable]]:
    """``[(name in the zip, path or opener)]`` of a finished dataset: the manifest, build settings and every item.

    A build from the pages is read from the storage; one the command wrote to a folder of its own, from there.
    """
    import json

    incomplete = ValueError(f"Dataset {dataset.name!r} is not complete yet: it downloads once its build has "
                            "finished.")
    if synthetic_dataset_media_dir(dataset) is not None:
        prefix = synthetic_dataset_prefix(dataset)
        if not storage.exists(f"{prefix}/manifest.json"):
            raise incomplete
        items = json.loads(storage.read_bytes(f"{prefix}/manifest.json"))["items"]
        names = ["manifest.json"] + (["build.json"] if storage.exists(f"{prefix}/build.json") else [])
        names += [item[k] for item in items for k in ("damaged", "mask", "clean")]
        return [(f"{dataset.name}/{arc}", partial(storage.open_file, f"{prefix}/{arc}")) for arc in names]
    out = Path(dataset.out_dir)
    manifest = out / "manifest.json"
    if not manifest.is_file():
        raise incomplete
    items = json.loads(manifest.read_text())["items"]
    files = [("manifest.json", manifest)] + ([("build.json", out / "build.json")] if (out / "build.json").is_file()
                                              else [])
    for item in items:
        files += [(item[k], out / item[k]) for k in ("damaged", "mask", "clean")]
    return [(f"{dataset.name}/{arc}", path) for arc, path in files]


def preview_files(preview: OverlayPreview) -> list[tuple[str, Callable]]:
    """``[(name in the zip, opener)]`` of a rendered preview: both polarities, the mask and the clean image."""
    files = (preview.result or {}).get("files")
    if not files:
        raise ValueError("The preview is not rendered yet: it downloads once its job has finished.")
    return [(f"preview-{preview.pk}/{key}.png", partial(storage.open_file, name))
            for key, name in sorted(files.items())]


def clean_set_upload(*, name: str, archive) -> Path:
    """Unpack an uploaded zip of clean images safely into ``MEDIA_ROOT/private/clean/<name>/``.

    Unsafe members (absolute paths, ``..``, links), zip bombs and archives with no
    image are refused with a clear error, and nothing is kept.
    """
    import shutil
    import tempfile

    from imaging.archives import ArchiveError, safe_extract_zip
    from imaging.io import IMAGE_SUFFIXES
    from synthesis.core.dataset import clean_images

    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"Invalid dataset name {name!r}.")
    dest = Path(settings.MEDIA_ROOT) / "private" / "clean" / name
    if dest.exists():
        raise ValueError(f"A clean set named {name!r} was uploaded already.")
    with tempfile.NamedTemporaryFile(suffix=".zip") as tmp:
        for chunk in archive.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            try:
                files = safe_extract_zip(tmp.name, dest, max_files=100_000)
            except ArchiveError as exc:
                raise exc.named("the zip of clean images") from exc
            if not files:
                raise ValueError("The archive holds no files.")
            # images may sit in one folder inside the archive
            folders = {f.parent for f in files if f.suffix.lower() in IMAGE_SUFFIXES}
            root = folders.pop() if len(folders) == 1 else dest
            clean_images(root)
        except ValueError:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    storage.save_tree(_clean_prefix(name), dest)  # for a worker on another machine (S3); nothing to do on disk
    return root


def _clean_prefix(name: str) -> str:
    return f"private/clean/{name}"


def clean_set_fetch(clean_dir: str | Path) -> None:
    """Bring an uploaded clean set (``MEDIA_ROOT/private/clean/<name>/...``) to this machine from the storage.

    A worker on another machine than the web server that unpacked the zip finds the folder missing: its
    files are stored under the same name (``clean_set_upload``). Any other folder is left as it is.
    """
    root = (Path(settings.MEDIA_ROOT) / "private" / "clean").resolve()
    folder = Path(clean_dir).resolve()
    if root not in folder.parents or folder.is_dir():
        return
    name = folder.relative_to(root).parts[0]
    for stored in storage.list_tree(_clean_prefix(name)):
        target = root / stored[len("private/clean/"):]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(storage.read_bytes(stored))
