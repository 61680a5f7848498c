"""Writes of the annotation app: datasets, scans, polygons, assignments, imports and the bank.

Views, tasks and commands call these; these call the pure core.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation.core import bank as bank_core
from annotation.core.film import FILM_FORMATS, frame_size_mm
from annotation.core.geometry import PolygonError, validate_polygon
from annotation.core.types import CLASSES, Artefact, ScanArtefacts
from imaging import io as imio
from jobs import services as job_services
from webapp import storage

from .models import UNKNOWN_CLASS, AnnotationSet, Assignment, BankEntry, Polygon, Scan


class ConflictError(Exception):
    """An edit based on a stale version of a polygon."""


# ---------------------------------------------------------------- datasets and scans

def annotation_set_get_or_create(*, name: str, user=None, description: str = "") -> AnnotationSet:
    name = name.strip()
    if not name:
        raise ValueError("An annotation set needs a name.")
    dataset, _ = AnnotationSet.objects.get_or_create(name=name,
                                                     defaults={"created_by": user, "description": description})
    return dataset


def _frame_fields(*, film_format: str, frame_mm: tuple[float, float] | None) -> dict:
    if frame_mm is not None:
        long_mm, short_mm = max(frame_mm), min(frame_mm)
        known = FILM_FORMATS.get(film_format)
        if known is None or (known[1], known[2]) != (long_mm, short_mm):
            film_format = "custom"
    else:
        long_mm, short_mm = frame_size_mm(film_format)
    return {"film_format": film_format, "frame_long_mm": long_mm, "frame_short_mm": short_mm}


def scan_create(
    *,
    dataset: AnnotationSet,
    name: str,
    image: bytes | str | Path | None = None,
    filename: str | None = None,
    width: int | None = None,
    height: int | None = None,
    film_format: str = "35mm",
    frame_mm: tuple[float, float] | None = None,
    polarity: str = Scan.Polarity.NEGATIVE,
    emulsion: str = "",
    notes: str = "",
    source: str = "",
    user=None,
    build_tiles: bool = True,
) -> Scan:
    """Create a scan, with pixels (``image`` bytes) or without (``width`` x ``height``).

    ``image`` is the file's bytes or a path to it (large uploads stay on disk).
    The image is probed and fully decoded before anything is stored, so a
    corrupt, truncated or oversized file is refused with :class:`imaging.io.ImageError`.
    A scan with pixels gets a tile-pyramid job.
    """
    fields = _frame_fields(film_format=film_format, frame_mm=frame_mm)
    if polarity not in Scan.Polarity.values:
        raise ValueError(f"Polarity must be one of {', '.join(Scan.Polarity.values)}, got {polarity!r}.")
    if image is not None:
        info = imio.check_image(image, max_pixels=settings.MAX_IMAGE_PIXELS)
        width, height = info.width, info.height
        fields.update(channels=info.channels, bit_depth=info.bit_depth, image_format=info.format)
    elif not (width and height and width > 0 and height > 0):
        raise ValueError("A scan without pixels needs a positive width and height.")
    if Scan.objects.filter(dataset=dataset, name=name).exists():
        raise ValueError(f"Dataset {dataset.name!r} already has a scan named {name!r}.")
    with transaction.atomic():
        scan = Scan.objects.create(dataset=dataset, name=name, width=width, height=height, polarity=polarity,
                                   emulsion=emulsion, notes=notes, source=source, created_by=user, **fields)
        if image is not None:
            stored_name = Path(filename or f"{name}.{fields['image_format']}").name
            if isinstance(image, bytes):
                scan.image.save(stored_name, ContentFile(image), save=False)
            else:
                with open(image, "rb") as fh:
                    scan.image.save(stored_name, File(fh), save=False)
            scan.tiles_state = Scan.TilesState.PENDING
            scan.save(update_fields=["image", "tiles_state"])
    if build_tiles:
        scan_tiles_enqueue(scan=scan, user=user)
    return scan


def scan_upload(*, dataset_name: str, user=None, **scan_fields) -> Scan:
    """A scan uploaded into the dataset named ``dataset_name``, created with it when new.

    The dataset and the scan are made in one transaction: a refused upload (unreadable image, a
    taken name, a bad frame) leaves no new, empty dataset behind. ``scan_fields`` go to ``scan_create``.
    """
    with transaction.atomic():
        dataset = annotation_set_get_or_create(name=dataset_name, user=user)
        return scan_create(dataset=dataset, user=user, **scan_fields)


def scan_tiles_enqueue(*, scan: Scan, user=None):
    """Start the job that builds the scan's deep-zoom pyramid (a grey canvas when it has no pixels)."""
    return job_services.job_submit(kind="scan.tiles", user=user, params={"scan_id": scan.pk})


def scan_build_tiles(*, scan: Scan, progress=None) -> str:
    """Store the deep-zoom pyramid of a scan as ``scans/<dataset>/scan-<id>/tiles/scan.dzi`` (and its tiles)."""
    if scan.has_pixels:
        with scan.image.open("rb") as fh:
            array = imio.read_image(fh.read(), max_pixels=settings.MAX_IMAGE_PIXELS)
        display = imio.to_display_8bit(array)
    else:
        display = np.full((scan.height, scan.width), 96, np.uint8)
    prefix = f"scans/{scan.dataset_id}/scan-{scan.pk}/tiles"
    scan.tiles_path = storage.save_dzi(prefix, display, name="scan", progress=progress)
    scan.tiles_state = Scan.TilesState.READY
    scan.save(update_fields=["tiles_path", "tiles_state"])
    return scan.tiles_path


def scan_assign(*, scan: Scan, annotator) -> Assignment:
    assignment, _ = Assignment.objects.get_or_create(scan=scan, annotator=annotator)
    return assignment


def scans_assign(*, scans: Iterable[Scan], annotators: Iterable) -> int:
    """Assign every scan to every annotator (one transaction); returns how many assignments are new.

    An existing assignment, and its done state, is kept as it is.
    """
    scans, annotators = list(scans), list(annotators)
    made = 0
    with transaction.atomic():
        for scan in scans:
            for annotator in annotators:
                made += Assignment.objects.get_or_create(scan=scan, annotator=annotator)[1]
    return made


def scan_unassign(*, scan: Scan, annotator) -> bool:
    """Take the scan away from the annotator (their assignment and its done state); False when it was not theirs.

    The polygons they drew stay on the scan.
    """
    deleted, _ = Assignment.objects.filter(scan=scan, annotator=annotator).delete()
    return deleted > 0


def scans_unassign(*, scans: Iterable[Scan], annotators: Iterable) -> int:
    """Take every scan away from every annotator; returns how many assignments were removed."""
    deleted, _ = Assignment.objects.filter(scan__in=list(scans), annotator__in=list(annotators)).delete()
    return deleted


def assignment_set_done(*, scan: Scan, annotator, done: bool) -> Assignment:
    assignment, _ = Assignment.objects.get_or_create(scan=scan, annotator=annotator)
    assignment.done = done
    assignment.done_at = timezone.now() if done else None
    assignment.save(update_fields=["done", "done_at"])
    return assignment


# ---------------------------------------------------------------- polygons

def _polygon_fields(*, scan: Scan, points) -> dict:
    vp = validate_polygon(points, width=scan.width, height=scan.height, frame=scan.frame)
    return _fields_from(vp.points, vp.area_px, vp.area_um2, vp.bbox, vp.centroid, vp.patch, vp.notes)


def _fields_from(points: np.ndarray, area_px, area_um2, bbox, centroid, patch, notes) -> dict:
    return {
        "points": np.asarray(points, dtype=float).round(3).tolist(),
        "area_px": float(area_px), "area_um2": float(area_um2),
        "bbox_xmin": bbox[0], "bbox_ymin": bbox[1], "bbox_xmax": bbox[2], "bbox_ymax": bbox[3],
        "centroid_x": centroid[0], "centroid_y": centroid[1],
        "patch_col": int(patch[0]), "patch_row": int(patch[1]),
        "notes": "; ".join(notes),
    }


def _check_class(cls: str) -> str:
    if cls not in CLASSES:
        raise PolygonError(f"Unknown class {cls!r}; allowed: {', '.join(CLASSES)}.")
    return cls


def polygon_create(*, scan: Scan, cls: str, points, user=None, client_key=None) -> Polygon:
    """Validate (and repair, with a note) a drawn polygon and store it with its measurements.

    With a ``client_key`` (a UUID the editor picks per drawn polygon) the call is
    idempotent: a repeat of a request whose reply was lost returns the polygon the
    first one stored (its ``created`` attribute is False) instead of a duplicate.
    """
    if client_key is not None:
        existing = Polygon.objects.filter(scan=scan, client_key=client_key).first()
        if existing is not None:
            existing.created = False
            return existing
    fields = _polygon_fields(scan=scan, points=points)
    try:
        with transaction.atomic():
            status = Polygon.Status.ADDED if scan.dataset.kind == AnnotationSet.Kind.REVIEW else ""
            polygon = Polygon.objects.create(scan=scan, cls=_check_class(cls), created_by=user, client_key=client_key,
                                             status=status, **fields)
    except IntegrityError:  # the same key arrived twice at once: the other request stored it
        if client_key is None:
            raise
        polygon = Polygon.objects.get(scan=scan, client_key=client_key)
        polygon.created = False
        return polygon
    polygon.created = True
    return polygon


def review_polygons_replace(*, scan: Scan, components: Iterable[dict], user=None) -> int:
    """Replace a review scan's polygons by ``components`` (records of ``restoration.core.components``).

    Each record gives ``points``, ``cls`` (a damage class, or ``unknown``: allowed in review datasets
    only), ``score`` and ``status``; polygons are validated (and repaired, with a note) as drawn ones.
    Returns how many were stored.
    """
    if scan.dataset.kind != AnnotationSet.Kind.REVIEW:
        raise PolygonError(f"{scan} is not in a review dataset: its polygons are annotations, not reviews.")
    rows = []
    for i, rec in enumerate(components):
        cls = rec.get("cls") or UNKNOWN_CLASS
        if cls != UNKNOWN_CLASS:
            _check_class(cls)
        status = rec.get("status") or Polygon.Status.PROPOSED
        if status not in Polygon.Status.values:
            raise PolygonError(f"component {i}: status must be one of {', '.join(Polygon.Status.values)}")
        try:
            fields = _polygon_fields(scan=scan, points=rec.get("points"))
        except PolygonError as exc:
            raise PolygonError(f"component {i}: {exc}") from None
        reason = (rec.get("facts") or {}).get("reason")
        if reason:  # dropped by the restoration's do-no-harm review
            fields["notes"] = "; ".join(filter(None, [f"dropped by the do-no-harm review: {reason}", fields["notes"]]))
        rows.append(Polygon(scan=scan, cls=cls, created_by=user, score=rec.get("score"), status=status, **fields))
    with transaction.atomic():
        scan.polygons.all().delete()
        Polygon.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def polygon_update(*, polygon: Polygon, version: int | None, cls: str | None = None, points=None,
                   status: str | None = None, user=None) -> Polygon:
    """Change the class, the points and/or (review sets only) the review status; ``version`` must match."""
    with transaction.atomic():
        current = Polygon.objects.select_for_update().select_related("scan__dataset").get(pk=polygon.pk)
        if version is not None and version != current.version:
            raise ConflictError(
                f"Polygon {current.pk} was changed by someone else (version {current.version}, yours {version})."
            )
        if cls is not None:
            current.cls = _check_class(cls)
        if status is not None:
            if current.scan.dataset.kind != AnnotationSet.Kind.REVIEW:
                raise PolygonError("Only the polygons of a review set have a review status.")
            if status not in Polygon.Status.values:
                raise PolygonError(f"status must be one of {', '.join(Polygon.Status.values)}, got {status!r}")
            current.status = status
        if points is not None:
            for key, value in _polygon_fields(scan=current.scan, points=points).items():
                setattr(current, key, value)
        current.version += 1
        current.save()
    return current


def polygon_delete(*, polygon: Polygon) -> None:
    polygon.delete()


def polygons_replace_imported(*, scan: Scan, artefacts: Iterable[Artefact], user=None) -> int:
    """Replace the scan's imported polygons by ``artefacts`` (validated already); drawn ones stay."""
    rows = [
        Polygon(scan=scan, cls=a.cls, created_by=user, source=Polygon.Source.IMPORTED, source_key=a.source_key or "",
                **_fields_from(a.polygon, a.area_px, a.area_um2, a.bbox, a.centroid,
                               _patch(scan, a.centroid), a.notes))
        for a in artefacts
    ]
    with transaction.atomic():
        scan.polygons.filter(source=Polygon.Source.IMPORTED).delete()
        Polygon.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _patch(scan: Scan, centroid) -> tuple[int, int]:
    from annotation.core.geometry import patch_of

    return patch_of(centroid[0], centroid[1], width=scan.width, height=scan.height)


def scan_import_artefacts(*, dataset: AnnotationSet, scan_artefacts: ScanArtefacts, source: str = "",
                          image_path: Path | None = None, user=None, build_tiles: bool = True) -> Scan:
    """Create or update a scan from imported artefacts (idempotent: a re-import replaces them)."""
    frame = scan_artefacts.frame
    scan = Scan.objects.filter(dataset=dataset, name=scan_artefacts.name).first()
    if scan is None:
        scan = scan_create(
            dataset=dataset, name=scan_artefacts.name, image=Path(image_path) if image_path else None,
            filename=Path(image_path).name if image_path else None,
            width=frame.width_px, height=frame.height_px,
            frame_mm=(max(frame.frame_w_mm, frame.frame_h_mm), min(frame.frame_w_mm, frame.frame_h_mm)),
            source=source, user=user, build_tiles=build_tiles,
        )
        if (scan.width, scan.height) != (frame.width_px, frame.height_px):
            raise ValueError(
                f"Image {image_path} is {scan.width} x {scan.height} px but the annotations are for "
                f"{frame.width_px} x {frame.height_px}."
            )
    polygons_replace_imported(scan=scan, artefacts=scan_artefacts.artefacts, user=user)
    return scan


# ---------------------------------------------------------------- artefact bank

def _png_bytes(rgba: np.ndarray) -> bytes:
    return imio.encode_image(rgba, fmt="PNG")


def bank_cutout_scan(*, scan: Scan, progress=None) -> int:
    """Cut each polygon of a scan with pixels out into the bank (skips polygons already cut)."""
    if not scan.has_pixels:
        raise ValueError(f"Scan {scan} has no pixels to cut artefacts out of.")
    with scan.image.open("rb") as fh:
        image = imio.read_image(fh.read(), max_pixels=settings.MAX_IMAGE_PIXELS)
    todo = list(scan.polygons.filter(bank_entry__isnull=True))
    for i, polygon in enumerate(todo):
        rgba = bank_core.cut_out(image, np.asarray(polygon.points))
        entry = BankEntry(cls=polygon.cls, kind=BankEntry.Kind.CUTOUT, width=rgba.shape[1], height=rgba.shape[0],
                          area_px=polygon.area_px, area_um2=polygon.area_um2, source_scan=scan,
                          source_polygon=polygon)
        entry.image.save(f"scan{scan.pk}-polygon{polygon.pk}.png", ContentFile(_png_bytes(rgba)), save=False)
        entry.save()
        if progress:
            progress(i + 1, len(todo))
    return len(todo)


def bank_import_folder(*, root: Path, mapping: dict[str, str], every: int = 1, progress=None) -> dict:
    """Import RGBA artefact images from ``root/<folder>/*.png`` by folder -> class (idempotent).

    ``every`` > 1 takes every n-th image of each folder (a sample for demos).
    """
    root = Path(root)
    known = set(BankEntry.objects.exclude(source_path="").values_list("source_path", flat=True))
    sources = list(bank_core.iter_artefact_folder(root, mapping))
    items = [(src.path, src.cls) for i, src in enumerate(sources) if i % every == 0]
    counts: dict = {"imported": 0, "skipped_existing": 0, "skipped_invalid": 0}
    errors: list[str] = []
    for i, (path, cls) in enumerate(items):
        source_path = str(Path(path).relative_to(root.parent)) if root.parent in Path(path).parents else str(path)
        if source_path in known:
            counts["skipped_existing"] += 1
        else:
            try:
                rgba, area_px = bank_core.load_artefact_image(path)
            except ValueError as exc:  # ImageError is a ValueError too
                counts["skipped_invalid"] += 1
                errors.append(f"{path}: {exc}")
            else:
                entry = BankEntry(cls=cls, kind=BankEntry.Kind.IMPORTED, width=rgba.shape[1], height=rgba.shape[0],
                                  area_px=area_px, source_path=source_path)
                entry.image.save(Path(path).name, ContentFile(_png_bytes(rgba)), save=False)
                entry.save()
                counts["imported"] += 1
        if progress and (i % 50 == 0 or i + 1 == len(items)):
            progress(i + 1, len(items))
    counts["errors"] = errors
    return counts
