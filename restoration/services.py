"""Writes of the restoration app: submit a scan, run a method over it, train networks."""
from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction

from imaging import io as imio
from jobs import services as job_services
from restoration.core.methods import DEFAULT_METHOD, MethodError, get_method, get_methods
from webapp import storage

from .models import Network, Restoration, Roll

#: Extension of the restored file per input format (same format, same bit depth).
EXTENSIONS = {"TIFF": "tif", "PNG": "png", "JPEG": "jpg"}


def methods_describe() -> list[dict]:
    """Every registered method with its kind, needs and availability here."""
    return [m.describe() for m in get_methods().values()]


def restoration_create(*, user, image: bytes | str | Path, filename: str, method: str | None = None,
                       options: dict | None = None, enqueue: bool = True, roll=None) -> Restoration:
    """Check the scan and the method, store the scan and start the restoration job (``gpu`` queue).

    Raises ``imaging.io.ImageError`` for unreadable, truncated or oversized
    images and ``MethodError`` for an unknown, unavailable or misconfigured method.
    """
    chosen = get_method(method or DEFAULT_METHOD)
    if not chosen.available():
        raise MethodError(f"Method {chosen.name!r} is unavailable here: {chosen.reason_unavailable}")
    opts = chosen.options(options)
    info = imio.check_image(image, max_pixels=settings.MAX_IMAGE_PIXELS)
    record = Restoration(created_by=user, original_name=Path(filename).name[:300], image_format=info.format,
                         width=info.width, height=info.height, channels=info.channels, bit_depth=info.bit_depth,
                         method=chosen.name, options=opts, roll=roll)
    stored = f"input.{EXTENSIONS[info.format]}"
    if isinstance(image, bytes):
        record.input.save(stored, ContentFile(image), save=False)
    else:
        with open(image, "rb") as fh:
            record.input.save(stored, File(fh), save=False)
    record.save()
    if enqueue:
        restoration_enqueue(record=record)
    return record


def restoration_enqueue(*, record: Restoration):
    """Start the restoration job of a stored record (``gpu`` queue)."""
    return job_services.job_submit(kind="restoration.run", record=record, user=record.created_by,
                                   params={"restoration_id": record.pk})


def viewer_prefix(record: Restoration) -> str:
    """Where a restoration's viewer pyramids are stored: private, beside its files (its page's view serves them)."""
    return f"private/restorations/{record.created_by_id or 'anon'}/r{record.pk}/viewer"


def _input_image(record: Restoration):
    with record.input.open("rb") as fh:
        return imio.read_image(fh.read(), max_pixels=settings.MAX_IMAGE_PIXELS)


def _work_progress(progress):
    """The restoration's own progress as the first 90% of the job's (storing the results is the rest)."""
    def report(current: int, total: int, message: str | None = None) -> None:
        if progress:
            progress(int(current * 0.9), total, message)
    return report


def _store_result(record: Restoration, result, viewers: dict) -> dict:
    """Write the result (the input's format and depth) and its mask to the record (unsaved); return the stored
    viewer pyramids of ``viewers`` (name -> array), by name."""
    output = imio.encode_image(result.image, fmt=record.image_format)
    record.output.save(f"restored-{record.pk}.{EXTENSIONS[record.image_format]}", ContentFile(output), save=False)
    record.mask.save(f"mask-{record.pk}.png", ContentFile(imio.encode_image(result.mask, fmt="PNG")), save=False)
    return {name: storage.save_dzi(f"{viewer_prefix(record)}/{name}", imio.to_display_8bit(array), name=name)
            for name, array in viewers.items()}


def restoration_run(*, record: Restoration, progress=None) -> dict:
    """Run the record's method over its scan; write the result (same format and depth), mask and viewer tiles."""
    from restoration.core.methods import restore_image

    image = _input_image(record)
    result = restore_image(image, method=record.method, options=record.options, progress=_work_progress(progress))
    viewer = _store_result(record, result, {"before": image, "after": result.image, "mask": result.mask})
    info = dict(result.info)
    info["damaged_fraction"] = float((result.mask > 0).mean())
    info["changed_pixels"] = int(np.any(result.image != image, axis=-1).sum() if image.ndim == 3
                                 else (result.image != image).sum())
    record.viewer, record.info = viewer, json.loads(json.dumps(info, default=str))
    restoration_components_save(record=record, mask=result.mask, probability=result.probability,
                                dropped=result.dropped)
    record.save(update_fields=["output", "mask", "viewer", "info", "components"])
    _review_or_say_why(record)
    if progress:
        progress(1000, 1000, "done")
    return {"restoration_id": record.pk, "damaged_fraction": info["damaged_fraction"], "device": info.get("device")}


def restoration_components_save(*, record: Restoration, mask=None, probability=None, dropped=None,
                                components=None) -> int:
    """Store the component list of ``mask`` (or the reviewed ``components``) as the record's JSON; unsaved.

    ``dropped``: the do-no-harm review's (``RestorationResult.dropped``): its components follow the
    repaired ones, status ``rejected`` with the reason in ``facts``. Returns how many components it holds.
    Classes are guessed at the scale the detector ran at.
    """
    from restoration.core.components import components_document, dropped_components, mask_to_components

    scale = (record.info or {}).get("px_per_mm") or max(record.width, record.height) / 35.0
    if components is None:
        components = mask_to_components(mask, probability=probability, px_per_mm=scale)
        if dropped is not None:
            components += dropped_components(dropped[0], mask, dropped[1], probability=probability, px_per_mm=scale)
    doc = components_document(components, width=record.width, height=record.height, px_per_mm=scale)
    record.components.save(f"components-{record.pk}.json", ContentFile(json.dumps(doc).encode()), save=False)
    return len(components)


def restoration_review_create(*, record: Restoration):
    """The restoration's components as polygons of a review scan (score and status ``proposed`` each).

    One review dataset per owner (``Review: <username>``, kind ``review``), one scan per restoration
    (its input's pixels and size, the frame from the scale the detector ran at); calling it again
    replaces the scan's polygons by the current component list. Returns the scan.
    """
    from annotation import services as annotation_services
    from annotation.models import AnnotationSet, Scan

    if not record.components:
        raise ValueError("This restoration has not finished yet: it has no components to review.")
    with record.components.open("rb") as fh:
        doc = json.loads(fh.read())
    owner = record.created_by
    dataset, _ = AnnotationSet.objects.get_or_create(
        name=f"Review: {owner.username if owner else 'anonymous'}",
        defaults={"kind": AnnotationSet.Kind.REVIEW, "created_by": owner,
                  "description": "Detected damage of restorations, proposed for review."})
    if dataset.kind != AnnotationSet.Kind.REVIEW:
        raise ValueError(f"The dataset {dataset.name!r} exists and is not a review dataset.")
    scale = doc.get("px_per_mm") or max(record.width, record.height) / 35.0
    long_mm, short_mm = max(record.width, record.height) / scale, min(record.width, record.height) / scale
    scan, _ = Scan.objects.update_or_create(
        dataset=dataset, name=f"restoration {record.pk}: {record.original_name}"[:200],
        defaults={"width": record.width, "height": record.height, "channels": record.channels,
                  "bit_depth": record.bit_depth, "image_format": record.image_format, "film_format": "custom",
                  "frame_long_mm": long_mm, "frame_short_mm": short_mm, "created_by": owner,
                  "source": f"restoration {record.pk}"})
    scan.image.name = record.input.name  # the restoration's own (private) input: no copy
    scan.save(update_fields=["image"])
    annotation_services.review_polygons_replace(scan=scan, components=doc["components"])
    record.review_scan = scan
    record.save(update_fields=["review_scan"])
    return scan


def _review_or_say_why(record: Restoration) -> None:
    """Create the finished run's review scan; a component the annotation app refuses is recorded, not raised."""
    try:
        restoration_review_create(record=record)
    except ValueError as exc:  # annotation.core.geometry.PolygonError is one
        record.info = {**record.info, "review": f"not created: {exc}"}
        record.save(update_fields=["info"])


def restoration_review_components(*, record: Restoration) -> list[dict]:
    """The polygons of the restoration's review scan as component records (points, class, score, status)."""
    if record.review_scan_id is None:
        raise ValueError("This restoration has no review yet: create it (POST .../review/) or send the components.")
    return [{"points": p.points, "cls": p.cls, "score": p.score, "status": p.status or "added"}
            for p in record.review_scan.polygons.order_by("pk")]


def restoration_repair_start(*, record: Restoration, components, user=None):
    """Check a reviewed component list and queue its repair (``gpu`` queue): kept and added components only.

    ``components``: the restoration's component list (``GET`` its components download) with each
    ``status`` set to ``kept``, ``rejected`` or ``added`` (new polygons); ``proposed`` counts as kept.
    None: the polygons of its review scan (``restoration_review_create``), as reviewed there.
    Raises ``ValueError`` for a restoration that has not finished or a list that is not one.
    """
    from restoration.core.components import components_document, components_from_document

    if not record.output:
        raise ValueError("This restoration has not finished yet: repair its reviewed mask once it has.")
    if components is None:
        components = restoration_review_components(record=record)
    comps = components_from_document(components, width=record.width, height=record.height)
    name = storage.save_bytes(f"{viewer_prefix(record).rsplit('/', 1)[0]}/review-{uuid.uuid4().hex}.json",
                              json.dumps(components_document(comps, width=record.width,
                                                             height=record.height)).encode())
    return job_services.job_submit(kind="restoration.repair", record=record, user=user or record.created_by,
                                   params={"restoration_id": record.pk, "review": name})


def restoration_repair(*, record: Restoration, review: str, progress=None) -> dict:
    """Inpaint exactly the reviewed mask (kept and added components; no detection); write results as a run does."""
    from restoration.core.components import REPAIRED_STATUSES, components_from_document, components_to_mask
    from restoration.core.methods import repair_image

    comps = components_from_document(json.loads(storage.read_bytes(review)), width=record.width,
                                      height=record.height)
    image = _input_image(record)
    mask = components_to_mask(comps, image.shape[:2], statuses=REPAIRED_STATUSES)
    result = repair_image(image, mask, method=record.method, seed=int(record.options.get("seed", 0)),
                          progress=_work_progress(progress))
    record.viewer = {**record.viewer, **_store_result(record, result, {"after": result.image, "mask": result.mask})}
    counts = {s: sum(c.status == s for c in comps) for s in ("proposed", "kept", "rejected", "added")}
    record.info = {**record.info, "damaged_fraction": result.info["damaged_share"],
                   "repair": {"inpainting": result.info["inpainting"], "components": counts, "review": review}}
    restoration_components_save(record=record, components=comps)
    record.save(update_fields=["output", "mask", "viewer", "info", "components"])
    if record.review_scan_id is not None:  # the review scan shows what was repaired, where its polygons are valid
        from annotation import services as annotation_services

        try:
            annotation_services.review_polygons_replace(scan=record.review_scan,
                                                        components=[c.to_json() for c in comps])
        except ValueError as exc:
            record.info["repair"]["review_scan"] = f"not updated: {exc}"
            record.save(update_fields=["info"])
    if progress:
        progress(1000, 1000, "done")
    return {"restoration_id": record.pk, "damaged_fraction": result.info["damaged_share"], "components": counts}


def network_weights_name(record: Network, filename: str) -> str:
    """Where a registered network's weights are stored: ``networks/<id>/<file>`` (private: never served by name)."""
    return f"networks/{record.pk}/{Path(filename).name}"


def network_register(*, name: str, kind: str, weights_path: Path, user=None, job=None) -> Network:
    """Register the checkpoint at the local ``weights_path`` as ``name``: its weights are stored (``webapp.storage``,
    ``networks/<id>/``) and the record names them; the local file is left where it is (the caller's)."""
    import torch

    checkpoint = torch.load(weights_path, map_location="cpu", weights_only=False)
    card = checkpoint.get("card", {}) if isinstance(checkpoint, dict) else {}
    with transaction.atomic():
        record, _ = Network.objects.update_or_create(
            name=name, defaults={"kind": kind, "card": json.loads(json.dumps(card, default=str)), "created_by": user,
                                 "job": job})
        old = record.weights_path
        stored = storage.save_file(network_weights_name(record, Path(weights_path).name), weights_path)
        Network.objects.filter(pk=record.pk).update(weights_path=stored)
        record.weights_path = stored
    if old and old != stored and not Path(old).is_absolute():
        storage.delete(old)  # the weights it was registered with before
    return record


def network_weights(record: Network, *, cache_dir=None) -> Path:
    """A local path of a registered network's weights, for ``torch.load`` (``restoration.core.unet.load_model``):
    the stored file on a local folder, a cached copy on S3 (``webapp.storage.local_copy``). A record registered
    before the weights were stored (an absolute path of this machine) is read where it is."""
    if Path(record.weights_path).is_absolute():
        return Path(record.weights_path)
    return storage.local_copy(record.weights_path, cache_dir)


def training_work_dir(job) -> Path:
    """The local work folder of a training job (its checkpoints while it trains), removed once the network is
    stored; under ``MEDIA_ROOT/work/`` of the worker that runs it."""
    return Path(settings.MEDIA_ROOT) / "work" / "training" / f"job-{job.pk}"


def training_start(*, kind: str, name: str, dataset_dir: str, epochs: int = 20, seed: int = 0, user=None):
    """Queue a training job (``gpu`` queue) that registers the model as ``name`` when it finishes."""
    from restoration.core.dataset import load_manifest

    if kind not in Network.Kind.values:
        raise ValueError(f"Kind must be one of {', '.join(Network.Kind.values)}, got {kind!r}.")
    if not name.strip():
        raise ValueError("Give the model a name.")
    if Network.objects.filter(name=name).exists():
        raise ValueError(f"A model named {name!r} exists already.")
    if not 1 <= epochs <= 1000:
        raise ValueError("Epochs must be between 1 and 1000.")
    load_manifest(dataset_dir)  # a clear error now rather than in the worker
    return job_services.job_submit(kind=f"train.{kind}", user=user,
                                   params={"kind": kind, "name": name, "dataset_dir": str(dataset_dir),
                                           "epochs": epochs, "seed": seed})


def training_run(*, job, progress=None) -> dict:
    """Train as the job's parameters say; log each epoch on the job; register the model."""
    import torch

    from jobs.models import Job
    from restoration.core.training import train_restoration, train_segmentation

    p = job.params
    train = train_segmentation if p["kind"] == "segmentation" else train_restoration
    work = training_work_dir(job)
    out = work / f"{p['kind']}.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    history: list[dict] = []

    def on_epoch(log) -> None:
        history.append({"epoch": log.epoch, "loss": log.train_loss, **log.val})
        scores = ", ".join(f"{k} {v:.4f}" for k, v in log.val.items())
        Job.objects.filter(pk=job.pk).update(message=f"epoch {log.epoch}: {scores}"[:500],
                                             result={"history": history})

    result = train(dataset_dir=p["dataset_dir"], out=out, epochs=p["epochs"], seed=p["seed"],
                   device="cuda" if torch.cuda.is_available() else "cpu", on_epoch=on_epoch, progress=progress)
    record = network_register(name=p["name"], kind=p["kind"], weights_path=result.path, user=job.created_by, job=job)
    shutil.rmtree(work, ignore_errors=True)
    return {"network_id": record.pk, "weights": record.weights_path, "history": history}


def _damage_model(model_ref: str):
    from synthesis.selectors import damage_model_lookup

    record = damage_model_lookup(model_ref)
    if record is None:
        raise ValueError(f"No damage model {model_ref!r}: fit one first (fit_damage_model, or seed_demo).")
    return record


def detector_train(*, corpus_dir, out, model_ref: str = "FilmDamageSimulator", steps: int = 1500,
                   batch_size: int = 16, lr: float = 2e-3, crop: int = 192, base: int = 8, depth: int = 5,
                   eval_every: int = 100, seed: int = 0, device: str | None = None, init=None, on_eval=None,
                   progress=None, sample_workers: int = 0):
    """Train the damage detector from the training split of a clean corpus (see ``train_detector``)."""
    import torch

    from restoration.core.corpus import load_corpus
    from restoration.core.detector_training import DetectorRecipe, default_arch, train_detector, training_pictures
    from synthesis import services as synthesis_services

    record = _damage_model(model_ref)
    items = load_corpus(corpus_dir, split="train")
    train, val = training_pictures([i.path for i in items])
    settings_ = replace(DetectorRecipe().sample, size=crop)
    arch = default_arch(settings_.canonical_px_per_mm)
    arch = type(arch)(**{**arch.__dict__, "base": base, "depth": depth})
    recipe = DetectorRecipe(steps=steps, batch_size=batch_size, lr=lr, eval_every=eval_every, seed=seed,
                            sample=settings_)
    kinds = dict(Counter(f"{item.source}/{item.kind}" for item in items))
    return train_detector(photos=train, val_photos=val, model=synthesis_services.damage_model_core(record),
                          bank=synthesis_services.artefact_bank(), out=out, recipe=recipe, arch=arch,
                          device=device or ("cuda" if torch.cuda.is_available() else "cpu"), init=init,
                          data={"corpus": str(Path(corpus_dir).resolve()), "split": "train",
                                "pictures": {"train": len(train), "val": len(val)}, "by_source_kind": kinds,
                                "damage_model": f"{record.name} v{record.version}"},
                          on_eval=on_eval, progress=progress, sample_workers=sample_workers)


def detector_calibrate(*, weights, corpus_dir, model_ref: str = "FilmDamageSimulator", samples: int = 256,
                       max_clean_flagged: float = 5e-4, seed: int = 0, write: bool = False) -> dict:
    """The operating point of a detector on the corpus's calibration pictures (``corpus.calibration_items``).

    Those are held-out sources that neither training nor ``benchmarks/detection_proxy.py`` uses. With
    ``write`` the threshold (and how it was chosen) goes into the checkpoint's card, where the detecting
    methods read it (``threshold`` 0, their default). See ``calibrate_detector``.
    """
    from restoration.core.corpus import CALIBRATION_SOURCES, calibration_items
    from restoration.core.detector_training import calibrate_detector, read_pictures
    from restoration.core.unet import load_model, save_model
    from synthesis import services as synthesis_services

    record = _damage_model(model_ref)
    net, card = load_model(weights)
    items = calibration_items(corpus_dir)
    pictures = read_pictures([i.path for i in items])
    scores = calibrate_detector(net, pictures, synthesis_services.damage_model_core(record),
                                synthesis_services.artefact_bank(), samples=samples, seed=seed,
                                max_clean_flagged=max_clean_flagged)
    if write:
        kinds = dict(Counter(i.kind for i in items))
        card = {**card, "threshold": scores["threshold"],
                "calibration": {"scores": scores, "samples": samples, "seed": seed, "pictures": len(pictures),
                                "kinds": kinds, "corpus": str(Path(corpus_dir).resolve()),
                                "split": f"heldout, sources {', '.join(CALIBRATION_SOURCES)} (no text renders)",
                                "rule": f"best IoU with at most {max_clean_flagged:.2%} of undamaged pixels flagged"}}
        save_model(weights, net, card=card)
    return scores


def detector_training_start(*, name: str, corpus_dir: str, steps: int = 1500, seed: int = 0, user=None):
    """Queue detector training (``gpu`` queue) that registers the detector as ``name`` when it finishes."""
    from restoration.core.corpus import load_corpus

    if not name.strip():
        raise ValueError("Give the model a name.")
    if Network.objects.filter(name=name).exists():
        raise ValueError(f"A model named {name!r} exists already.")
    if not 1 <= steps <= 1_000_000:
        raise ValueError("Steps must be between 1 and 1,000,000.")
    load_corpus(corpus_dir, split="train")  # a clear error now rather than in the worker
    return job_services.job_submit(kind="train.detector", user=user,
                                   params={"name": name, "corpus_dir": str(corpus_dir), "steps": steps, "seed": seed})


def detector_training_run(*, job, progress=None) -> dict:
    """Train the detector as the job's parameters say, logging each evaluation on the job; register it."""
    from jobs.models import Job

    p = job.params
    work = training_work_dir(job)
    out = work / "detector.pt"
    history: list[dict] = []

    def on_eval(ev) -> None:
        history.append({"step": ev.step, "loss": ev.train_loss, **ev.val})
        scores = ", ".join(f"{k} {v:.4f}" for k, v in ev.val.items())
        Job.objects.filter(pk=job.pk).update(message=f"step {ev.step}: {scores}"[:500], result={"history": history})

    result = detector_train(corpus_dir=p["corpus_dir"], out=out, steps=p["steps"], seed=p["seed"],
                            eval_every=max(1, min(100, p["steps"] // 5)), on_eval=on_eval, progress=progress)
    record = network_register(name=p["name"], kind="segmentation", weights_path=result.path, user=job.created_by,
                                    job=job)
    shutil.rmtree(work, ignore_errors=True)
    return {"network_id": record.pk, "weights": record.weights_path, "history": history}


# ----------------------------------------------------------------------------- rolls

#: The most scans one roll takes.
ROLL_MAX_SCANS = 500


def _roll_items(scans, archive, folder: Path) -> list[tuple[str, bytes | Path]]:
    """The roll's scans as (name, bytes or path): the files given, then the images of the zip (safely extracted)."""
    from imaging.archives import ArchiveError, safe_extract_zip

    items = [(Path(name).name, data) for name, data in scans]
    if archive is not None:
        root = folder / "zip"
        try:
            extracted = safe_extract_zip(archive, root, max_files=ROLL_MAX_SCANS)
        except ArchiveError as exc:
            raise exc.named("the zip of scans") from None
        names = sorted(str(p.relative_to(root.resolve())) for p in extracted)
        others = [n for n in names if Path(n).suffix.lower() not in imio.IMAGE_SUFFIXES]
        if others:
            raise ValueError(f"the zip of scans holds {len(others)} file{'s' if len(others) > 1 else ''} that "
                             f"{'are' if len(others) > 1 else 'is'} not an image (TIFF, PNG or JPEG): "
                             f"{', '.join(others[:5])}")
        items += [(n, root.resolve() / n) for n in names]
    if not items:
        raise ValueError("The roll is empty: choose scans (TIFF 8/16-bit, PNG or JPEG) or a zip of them.")
    if len(items) > ROLL_MAX_SCANS:
        raise ValueError(f"A roll takes at most {ROLL_MAX_SCANS} scans; {len(items)} were given.")
    return items


def roll_create(*, created_by, scans=(), archive: str | Path | None = None, name: str = "",
                method: str | None = None, polarity: str = "auto", film_format: str = "35mm",
                frame_long_mm: float | None = None, options: dict | None = None, enqueue: bool = True) -> Roll:
    """A roll of scans: one restoration per scan with the roll's method, polarity and frame size, one job each.

    ``scans``: ``(filename, bytes or path)`` pairs; ``archive``: a zip of scans (extracted by
    ``imaging.archives.safe_extract_zip``; a file in it that is not an image refuses the roll). The frame's
    long edge (``frame_long_mm``, else the film format's) gives each scan its scale (``px_per_mm``: its long
    side over it), for the methods that take one. Every scan is checked before anything is stored.
    Raises ``ValueError`` (``ImageError``, ``MethodError``, ``ArchiveError``) naming the scan at fault.
    """
    import tempfile

    from django.db import transaction

    from annotation.core.film import frame_size_mm
    from restoration.core.pipeline import POLARITIES

    chosen = get_method(method or DEFAULT_METHOD)
    if not chosen.available():
        raise MethodError(f"Method {chosen.name!r} is unavailable here: {chosen.reason_unavailable}")
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}, got {polarity!r}")
    long_mm = float(frame_long_mm) if frame_long_mm else frame_size_mm(film_format)[0]
    if not 1.0 <= long_mm <= 1000.0:
        raise ValueError(f"the frame's long edge must be between 1 and 1000 mm, got {long_mm}")
    base = dict(options or {})
    if "polarity" in chosen.defaults:
        base["polarity"] = polarity
    chosen.options(base)  # a clear error now
    with tempfile.TemporaryDirectory(prefix="roll-") as tmp:
        items = _roll_items(scans, archive, Path(tmp))
        infos = []
        for filename, data in items:
            try:
                infos.append(imio.check_image(data, max_pixels=settings.MAX_IMAGE_PIXELS))
            except imio.ImageError as exc:
                raise imio.ImageError(f"{filename}: {exc}") from None
        with transaction.atomic():
            roll = Roll.objects.create(name=(name.strip() or f"Roll of {len(items)} scans")[:200],
                                       created_by=created_by, method=chosen.name, polarity=polarity,
                                       film_format=film_format if not frame_long_mm else "custom",
                                       frame_long_mm=long_mm, options=base)
            for (filename, data), info in zip(items, infos):
                opts = dict(base)
                if "px_per_mm" in chosen.defaults:
                    opts["px_per_mm"] = round(max(info.width, info.height) / long_mm, 4)
                record = restoration_create(user=created_by, image=data, filename=filename, method=chosen.name,
                                            options=opts, enqueue=False, roll=roll)
                if enqueue:
                    restoration_enqueue(record=record)
    return roll


def roll_files(*, roll: Roll) -> list[tuple[str, object]]:
    """What a roll's zip holds: every finished scan's restored file and mask, and ``roll.json`` (statuses)."""
    import io
    from functools import partial

    from .selectors import roll_scans

    scans = roll_scans(roll=roll)
    done = [(r, status) for r, status in scans if r.output]
    if not done:
        raise ValueError("No scan of this roll has finished yet: there is nothing to download.")
    files, used = [], set()
    for r, _ in done:
        stem = Path(r.original_name).stem
        stem = stem if stem not in used else f"{stem}-{r.pk}"
        used.add(stem)
        files.append((f"restored/{stem}-restored{Path(r.output.name).suffix}",
                      partial(storage.open_file, r.output.name)))
        if r.mask:
            files.append((f"masks/{stem}-mask.png", partial(storage.open_file, r.mask.name)))
    doc = {"roll": roll.name, "method": roll.method, "polarity": roll.polarity, "frame_long_mm": roll.frame_long_mm,
           "scans": [{"id": r.pk, "name": r.original_name, "status": status} for r, status in scans]}
    files.append(("roll.json", lambda: io.BytesIO(json.dumps(doc, indent=1).encode())))
    return files


# ----------------------------------------------------------------------------- learning from corrections


def reviewed_scans_load() -> list:
    """Every reviewed review scan (a person kept, rejected or added a component) as a core ``ReviewedScan``.

    Its reviewed mask is the kept and added polygons rasterised; the rejected ones are negatives; those left
    ``proposed`` are neither. Scale from the scan's frame; polarity as the restoration's detection decided.
    """
    from annotation.models import Scan
    from restoration.core.components import Component, components_to_mask
    from restoration.core.finetune import ReviewedScan

    from .selectors import reviewed_review_scans

    ids = reviewed_review_scans()
    polarity = {r.review_scan_id: (r.info or {}).get("polarity")
                for r in Restoration.objects.filter(review_scan_id__in=ids)}
    out = []
    for scan in Scan.objects.filter(pk__in=ids).order_by("pk"):
        with scan.image.open("rb") as fh:
            image = imio.read_image(fh.read(), max_pixels=settings.MAX_IMAGE_PIXELS)
        shape = image.shape[:2]
        by_status = {}
        for p in scan.polygons.all():
            by_status.setdefault(p.status or "added", []).append(
                Component(np.asarray(p.points, np.float64), status=p.status or "added"))

        def mask(*statuses: str, by_status=by_status, shape=shape) -> np.ndarray:
            return components_to_mask([c for s in statuses for c in by_status.get(s, [])], shape)

        out.append(ReviewedScan(key=f"scan-{scan.pk}", image=image, damage=mask("kept", "added"),
                                rejected=mask("rejected"), unsure=mask("proposed"),
                                px_per_mm=max(scan.width, scan.height) / float(scan.frame_long_mm),
                                polarity=polarity.get(scan.pk) if polarity.get(scan.pk) == "positive" else "negative"))
    return out


def _networks_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "models"


def detector_finetune_start(*, name: str, steps: int = 300, lr: float = 2e-4, seed: int = 0, holdout: float = 0.2,
                            corpus_dir: str | None = None, crop: int = 192, batch_size: int = 8,
                            promote: bool = False, user=None):
    """Check the settings and queue fine-tuning of the default detector from every reviewed scan (``gpu``)."""
    from restoration.core.finetune import FinetuneRecipe, holdout_split

    from .selectors import reviewed_review_scans

    if not name.strip():
        raise ValueError("Give the fine-tuned detector a name.")
    if Network.objects.filter(name=name).exists():
        raise ValueError(f"A model named {name!r} exists already.")
    FinetuneRecipe(steps=steps, lr=lr, seed=seed, crop=crop, batch_size=batch_size)  # a clear error now
    n = len(reviewed_review_scans())
    train, _ = holdout_split([str(i) for i in range(n)], holdout, seed)
    if not train:
        raise ValueError("No reviewed scan yet: review the detected damage of some restorations first "
                         "(keep, reject or add components), then fine-tune.")
    if corpus_dir:
        from restoration.core.corpus import load_corpus

        load_corpus(corpus_dir, split="train")
    return job_services.job_submit(kind="train.finetune", user=user, params={
        "name": name, "steps": steps, "lr": lr, "seed": seed, "holdout": holdout, "corpus_dir": corpus_dir,
        "crop": crop, "batch_size": batch_size, "promote": promote})


def detector_finetune(*, name: str, steps: int = 300, lr: float = 2e-4, seed: int = 0, holdout: float = 0.2,
                      corpus_dir: str | None = None, model_ref: str = "FilmDamageSimulator", crop: int = 192,
                      batch_size: int = 8, init: str | Path | None = None, user=None, job=None, progress=None,
                      on_log=None) -> Network:
    """Fine-tune the default detector (or ``init``) from every reviewed scan, plus synthetic samples of the
    corpus's training pictures when ``corpus_dir`` is given; hold out ``holdout`` of the scans (by scan, seeded)
    and score the new detector and the current default on them; register it (not promoted)."""
    import torch

    from restoration.core.finetune import (
        FinetuneRecipe,
        SyntheticSource,
        card_markdown,
        finetune_detector,
        holdout_split,
    )
    from restoration.core.methods import default_segmentation_weights
    from restoration.core.realism import SampleSettings
    from restoration.core.unet import load_model

    if Network.objects.filter(name=name).exists():
        raise ValueError(f"A model named {name!r} exists already.")
    recipe = FinetuneRecipe(steps=steps, lr=lr, seed=seed, crop=crop, batch_size=batch_size)
    current = default_segmentation_weights()
    init = Path(init) if init else current
    scans = reviewed_scans_load()
    train_keys, held_keys = holdout_split([s.key for s in scans], holdout, seed)
    train = [s for s in scans if s.key in train_keys]
    held = [s for s in scans if s.key in held_keys]
    synthetic, data = None, {"reviewed_scans": len(scans)}
    if corpus_dir:
        from restoration.core.corpus import load_corpus
        from restoration.core.detector_training import read_pictures
        from synthesis import services as synthesis_services

        record = _damage_model(model_ref)
        net, _ = load_model(init)
        photos = read_pictures([i.path for i in load_corpus(corpus_dir, split="train")])
        synthetic = SyntheticSource(photos, synthesis_services.damage_model_core(record),
                                    synthesis_services.artefact_bank(),
                                    SampleSettings(size=crop, canonical_px_per_mm=net.config.canonical_px_per_mm,
                                                   damage_level=(1.0, 8.0)))
        data.update(corpus=str(Path(corpus_dir).resolve()), split="train",
                    damage_model=f"{record.name} v{record.version}")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)[:100]
    out = _networks_dir() / safe / "segmentation-default.pt"  # a weights folder: detection_proxy --weights-dir
    result = finetune_detector(init=init, train=train, held_out=held, baseline=current, out=out, recipe=recipe,
                               synthetic=synthetic, data=data, on_log=on_log, progress=progress,
                               device="cuda" if torch.cuda.is_available() else "cpu")
    out.with_suffix(".md").write_text(card_markdown(name, result.card))
    return network_register(name=name, kind="segmentation", weights_path=result.path, user=user, job=job)


def detector_finetune_run(*, job, progress=None) -> dict:
    """The ``train.finetune`` job: fine-tune as its parameters say, log the loss on the job, promote if asked."""
    from jobs.models import Job

    p = job.params
    history: list[dict] = []

    def on_log(step: int, loss: float) -> None:
        history.append({"step": step, "loss": loss})
        Job.objects.filter(pk=job.pk).update(message=f"step {step}: loss {loss:.4f}"[:500],
                                             result={"history": history})

    record = detector_finetune(name=p["name"], steps=p["steps"], lr=p["lr"], seed=p["seed"], holdout=p["holdout"],
                               corpus_dir=p.get("corpus_dir"), crop=p.get("crop", 192),
                               batch_size=p.get("batch_size", 8), user=job.created_by, job=job, progress=progress,
                               on_log=on_log)
    if p.get("promote"):
        network_promote(record=record)
    return {"network_id": record.pk, "weights": record.weights_path, "held_out": record.card.get("held_out"),
            "promoted": bool(p.get("promote")), "history": history}


def network_promote(*, record: Network | None) -> Network | None:
    """Make ``record`` (a detector) the one the detecting methods use by default; None: back to the shipped file.

    Only a row is written: the shipped weights are never touched.
    """
    from django.db import transaction

    from restoration.core.unet import CheckpointError, load_model

    if record is not None:
        if record.kind != Network.Kind.SEGMENTATION:
            raise ValueError(f"{record.name} is not a damage detector: only detectors are promoted to default.")
        try:
            net, _ = load_model(network_weights(record))
        except CheckpointError as exc:
            raise ValueError(f"{record.name} cannot be promoted: {exc}") from None
        if net.config.task != "segmentation" or net.config.out_channels != 1:
            raise ValueError(f"{record.name} is not a one-channel segmentation U-Net.")
    with transaction.atomic():
        Network.objects.filter(kind=Network.Kind.SEGMENTATION, is_default=True).update(is_default=False)
        if record is not None:
            Network.objects.filter(pk=record.pk).update(is_default=True)
            record.is_default = True
    return record


def default_corpus_dir() -> str | None:
    """The clean corpus (``make corpus``: ``var/corpus``) the synthetic samples come from, when it exists."""
    folder = Path(settings.VAR_DIR) / "corpus"
    return str(folder) if (folder / "manifest.json").is_file() else None
