"""Reading and writing annotation files: the public JSON format, its manifest, and COCO.

The public format (FilmDamageSimulator, one file per scan)::

    {"0": {"points": [{"x": 3108, "y": 803}, ...], "label": {"name": "Dust"}}, ...}

Reproducing the paper's Table 1 (what was found)
------------------------------------------------
Scans 08-10 were annotated on 2/3-scale copies and are scaled by 1.5. The
authors' loader scaled their int32 contour arrays in place, which truncates
the scaled coordinates to whole pixels, and measured areas with the shoelace
formula; pixel areas become square microns with each scan's own canvas
(1 px = 35000/width um by 24000/height um). Truncating the scaled coordinates
(``scaled_rounding="floor"``, the default here) and measuring the valid
geometry reproduces Table 1: counts exact, means within 0.25 % and population
standard deviations within 0.9 % for every class. With exact (unrounded)
scaling the scratch standard deviation is 1.1 % low, outside the 1 % bar;
the paper's numbers therefore decide for truncation. Using the paper's
nominal 4944 x 3396 canvas for every scan instead of each scan's own canvas
also stays within 1 %, but the manifest canvas is what the data describes.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from annotation.core.geometry import PolygonError, validate_polygon
from annotation.core.types import CLASSES, Artefact, FrameGeometry, ScanArtefacts
from imaging.progress import ProgressFn

#: Label names of the public format, per class.
LABEL_NAMES: dict[str, str] = {c: c.capitalize() for c in CLASSES}

class FormatError(ValueError):
    """A file that does not follow the expected annotation format."""


def public_data_root() -> Path:
    """The public data folder: ``$FILM_DAMAGE_DATA`` or ``<repo>/../shared/data/film-damage-simulator``."""
    env = os.environ.get("FILM_DAMAGE_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "data" / "film-damage-simulator"


def class_from_label(name: object) -> str:
    """The class for a label name (``"Short hair"``, ``"short_hair"`` -> ``"short hair"``)."""
    if not isinstance(name, str):
        raise FormatError(f"label name must be a string, got {name!r}")
    cls = " ".join(name.replace("_", " ").split()).lower()
    if cls not in CLASSES:
        raise FormatError(f"unknown class {name!r}; allowed: {', '.join(CLASSES)}")
    return cls


def parse_frame_mm(text: str) -> tuple[float, float]:
    """``"35x24"`` -> ``(35.0, 24.0)`` (long edge x short edge, millimetres)."""
    try:
        a, b = (float(v) for v in str(text).lower().replace("mm", "").split("x"))
    except ValueError:
        raise ValueError(f"frame size must look like '35x24' (mm, long x short), got {text!r}") from None
    if not (a > 0 and b > 0 and np.isfinite(a) and np.isfinite(b)):
        raise ValueError(f"frame size must be two positive numbers, got {text!r}")
    return max(a, b), min(a, b)


# --------------------------------------------------------------------------- public JSON

@dataclass(frozen=True)
class RawPolygon:
    """One polygon as read from a file, before validation."""

    key: str
    cls: str
    points: np.ndarray  # (N, 2) float64, full-resolution pixels


def _load_json(source) -> object:
    """``source`` is a path (str or PathLike), the file's bytes, or already-parsed data."""
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as fh:
                source = fh.read()
        except OSError as exc:
            raise FormatError(f"cannot read {source}: {exc.strerror}") from None
    if isinstance(source, (bytes, bytearray)):
        try:
            return json.loads(source)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"malformed JSON: {exc}") from None
    return source


def _point_xy(point: object, where: str) -> tuple[float, float]:
    if not isinstance(point, Mapping) or "x" not in point or "y" not in point:
        raise FormatError(f"{where}: each point must be an object with 'x' and 'y'")
    x, y = point["x"], point["y"]
    for v in (x, y):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise FormatError(f"{where}: coordinates must be numbers, got {v!r}")
    return float(x), float(y)


def parse_public_json(
    source,
    *,
    coordinate_scale: float = 1.0,
    scaled_rounding: Literal["floor", "none"] = "floor",
) -> list[RawPolygon]:
    """Read a public-format annotation file.

    Parameters
    ----------
    source : path, str, bytes or mapping
        The file, its text, or the already-parsed object.
    coordinate_scale : float
        Factor from file coordinates to full-resolution pixels (1.5 for scans 08-10).
    scaled_rounding : {"floor", "none"}
        With a scale other than 1, truncate scaled coordinates to whole pixels
        as the paper's pipeline did (see the module notes) or keep them exact.
        Coordinates are never rounded when the scale is 1.

    Returns
    -------
    list of RawPolygon, in file order. Degenerate polygons are returned too:
    :func:`build_scan` validates them.
    """
    if not (coordinate_scale > 0 and np.isfinite(coordinate_scale)):
        raise ValueError(f"coordinate_scale must be a positive number, got {coordinate_scale!r}")
    if scaled_rounding not in ("floor", "none"):
        raise ValueError(f"scaled_rounding must be 'floor' or 'none', got {scaled_rounding!r}")
    data = _load_json(source)
    if not isinstance(data, Mapping):
        raise FormatError("the file must hold a JSON object mapping keys to polygons")
    out = []
    for key, entry in data.items():
        where = f"polygon {key!r}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("points"), list) \
                or not isinstance(entry.get("label"), Mapping):
            raise FormatError(f"{where}: expected {{'points': [...], 'label': {{'name': ...}}}}")
        cls = class_from_label(entry["label"].get("name"))
        pts = np.array([_point_xy(p, where) for p in entry["points"]], dtype=np.float64)
        pts = pts.reshape(-1, 2)
        if coordinate_scale != 1.0:
            pts = pts * coordinate_scale
            if scaled_rounding == "floor":
                pts = np.floor(pts)
        out.append(RawPolygon(key=str(key), cls=cls, points=pts))
    return out


def _number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def export_public_json(scan: ScanArtefacts) -> dict:
    """The scan's artefacts in the public format, full-resolution coordinates (scale 1).

    Keys are the artefacts' source keys when all are present and distinct, else 0, 1, 2...
    """
    keys = [a.source_key for a in scan.artefacts]
    if None in keys or len(set(keys)) != len(keys):
        keys = [str(i) for i in range(len(scan.artefacts))]
    return {
        k: {"points": [{"x": _number(x), "y": _number(y)} for x, y in a.polygon],
            "label": {"name": LABEL_NAMES[a.cls]}}
        for k, a in zip(keys, scan.artefacts)
    }


# --------------------------------------------------------------------------- import report

@dataclass(frozen=True)
class SkippedPolygon:
    scan: str
    key: str
    cls: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: artefacts kept, polygons skipped (with why) and repairs made."""

    scans: int = 0
    imported: int = 0
    skipped: list[SkippedPolygon] = field(default_factory=list)
    repaired: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def merge(self, other: ImportReport) -> None:
        self.scans += other.scans
        self.imported += other.imported
        self.skipped.extend(other.skipped)
        self.repaired.extend(other.repaired)

    def summary(self) -> str:
        lines = [f"{self.scans} scan(s), {self.imported} artefact(s) imported, "
                 f"{len(self.skipped)} skipped, {len(self.repaired)} repaired"]
        lines += [f"skipped {s.scan} #{s.key} ({s.cls}): {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def build_scan(
    polygons: Iterable[RawPolygon],
    *,
    name: str,
    frame: FrameGeometry,
    **validate_options,
) -> tuple[ScanArtefacts, ImportReport]:
    """Validate raw polygons into a :class:`ScanArtefacts`; invalid ones are reported and skipped."""
    report = ImportReport(scans=1)
    scan = ScanArtefacts(name=name, frame=frame)
    for raw in polygons:
        try:
            vp = validate_polygon(raw.points, width=frame.width_px, height=frame.height_px,
                                  frame=frame, **validate_options)
        except PolygonError as exc:
            report.skipped.append(SkippedPolygon(name, raw.key, raw.cls, str(exc)))
            continue
        scan.artefacts.append(vp.to_artefact(raw.cls, source_key=raw.key))
        if vp.notes:
            report.repaired.append((name, raw.key, vp.notes))
    report.imported = len(scan.artefacts)
    return scan, report


def import_public_file(
    source,
    *,
    name: str,
    width: int,
    height: int,
    coordinate_scale: float = 1.0,
    frame_mm: tuple[float, float] = (35.0, 24.0),
    scaled_rounding: Literal["floor", "none"] = "floor",
) -> tuple[ScanArtefacts, ImportReport]:
    """Import one public-format file onto a ``width`` x ``height`` canvas.

    ``frame_mm`` is (long edge, short edge) in millimetres; the long edge lies
    along the longer image axis.
    """
    frame = FrameGeometry.for_format(int(width), int(height), *frame_mm)
    raw = parse_public_json(source, coordinate_scale=coordinate_scale,
                            scaled_rounding=scaled_rounding)
    return build_scan(raw, name=name, frame=frame)


# --------------------------------------------------------------------------- manifest

@dataclass(frozen=True)
class ManifestEntry:
    """One annotation file of the public data and how to read it."""

    file: str
    path: Path
    original_name: str
    coordinate_scale: float
    width: int
    height: int
    polygons: int
    frame_mm: tuple[float, float]

    @property
    def name(self) -> str:
        """Scan name: the file's stem (``scan_01``)."""
        return Path(self.file).stem


def load_manifest(path) -> list[ManifestEntry]:
    """Read ``manifest.json``: per file its canvas size, coordinate scale and polygon count."""
    path = Path(path)
    data = _load_json(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("scans"), list):
        raise FormatError(f"{path}: a manifest needs a 'scans' list")
    frame = data.get("frame_mm", [35, 24])
    try:
        frame_mm = parse_frame_mm(f"{frame[0]}x{frame[1]}")
    except (TypeError, IndexError, KeyError, ValueError):
        raise FormatError(f"{path}: 'frame_mm' must be [long, short] in mm, got {frame!r}") from None
    entries = []
    for i, s in enumerate(data["scans"]):
        try:
            entry = ManifestEntry(
                file=str(s["file"]), path=path.parent / str(s["file"]),
                original_name=str(s.get("original_name", s["file"])),
                coordinate_scale=float(s.get("coordinate_scale", 1.0)),
                width=int(s["width"]), height=int(s["height"]),
                polygons=int(s.get("polygons", -1)), frame_mm=frame_mm)
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{path}: scan {i} needs 'file', 'width' and 'height' ({exc})") from None
        if entry.width <= 0 or entry.height <= 0 or not entry.coordinate_scale > 0:
            raise FormatError(f"{path}: scan {i} has a non-positive size or scale")
        entries.append(entry)
    return entries


def load_manifest_dataset(
    manifest_path,
    *,
    progress: ProgressFn | None = None,
    scaled_rounding: Literal["floor", "none"] = "floor",
) -> tuple[list[ScanArtefacts], ImportReport]:
    """Import every file of a manifest, each with its own canvas and coordinate scale."""
    entries = load_manifest(manifest_path)
    scans, report = [], ImportReport()
    for i, e in enumerate(entries):
        raw = parse_public_json(e.path, coordinate_scale=e.coordinate_scale,
                                scaled_rounding=scaled_rounding)
        if e.polygons >= 0 and len(raw) != e.polygons:
            raise FormatError(f"{e.file} holds {len(raw)} polygons but the manifest says {e.polygons}")
        frame = FrameGeometry.for_format(e.width, e.height, *e.frame_mm)
        scan, r = build_scan(raw, name=e.name, frame=frame)
        scans.append(scan)
        report.merge(r)
        if progress is not None:
            progress(i + 1, len(entries))
    return scans, report


def load_public_dataset(
    root=None, *, progress: ProgressFn | None = None,
) -> tuple[list[ScanArtefacts], ImportReport]:
    """Import the public annotations (``root/manifest.json``; default :func:`public_data_root`)."""
    root = Path(root) if root is not None else public_data_root()
    return load_manifest_dataset(root / "manifest.json", progress=progress)


# --------------------------------------------------------------------------- COCO

def export_coco(scans: Iterable[ScanArtefacts], *, dataset: str) -> dict:
    """The scans as a COCO polygon dataset.

    Besides the standard fields, each image carries ``frame_mm`` ([width, height]
    in mm) and each annotation ``area_um2`` and ``source_key``, so that
    :func:`import_coco` loses nothing.
    """
    images, annotations = [], []
    cat_ids = {c: i + 1 for i, c in enumerate(CLASSES)}
    for image_id, scan in enumerate(scans, start=1):
        f = scan.frame
        images.append({"id": image_id, "file_name": scan.name, "width": f.width_px,
                       "height": f.height_px, "frame_mm": [f.frame_w_mm, f.frame_h_mm]})
        for a in scan.artefacts:
            x0, y0, x1, y1 = a.bbox
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": cat_ids[a.cls],
                "segmentation": [[_number(v) for v in a.polygon.reshape(-1)]],
                "area": a.area_px, "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0,
                "area_um2": a.area_um2, "source_key": a.source_key})
    return {"info": {"description": dataset}, "images": images, "annotations": annotations,
            "categories": [{"id": i, "name": c, "supercategory": "artefact"}
                           for c, i in cat_ids.items()]}


def _coco_frame(img: Mapping) -> FrameGeometry:
    try:
        w, h = int(img["width"]), int(img["height"])
    except (KeyError, TypeError, ValueError):
        raise FormatError(f"COCO image {img.get('id')!r} needs integer 'width' and 'height'") from None
    if w <= 0 or h <= 0:
        raise FormatError(f"COCO image {img.get('id')!r} has a non-positive size {w} x {h}")
    if "frame_mm" in img:
        try:
            fw, fh = (float(v) for v in img["frame_mm"])
        except (TypeError, ValueError):
            raise FormatError(f"COCO image {img.get('id')!r}: 'frame_mm' must be "
                              "[width_mm, height_mm]") from None
        if not (fw > 0 and fh > 0):
            raise FormatError(f"COCO image {img.get('id')!r}: 'frame_mm' must be positive")
        return FrameGeometry(w, h, fw, fh)
    return FrameGeometry.for_35mm(w, h)


def import_coco(source) -> tuple[list[ScanArtefacts], ImportReport]:
    """Read a COCO polygon dataset (as written by :func:`export_coco` or by other tools).

    Images without ``frame_mm`` get a 35 mm x 24 mm frame. RLE masks and
    annotations of several polygons are refused.
    """
    data = _load_json(source)
    if not isinstance(data, Mapping) or not all(
            isinstance(data.get(k), list) for k in ("images", "annotations", "categories")):
        raise FormatError("COCO data needs 'images', 'annotations' and 'categories' lists")
    cats = {c.get("id"): class_from_label(c.get("name")) for c in data["categories"]}
    raw: dict[object, list[RawPolygon]] = {img.get("id"): [] for img in data["images"]}
    for ann in data["annotations"]:
        aid = ann.get("id")
        if ann.get("image_id") not in raw or ann.get("category_id") not in cats:
            raise FormatError(f"COCO annotation {aid!r} refers to an unknown image or category")
        seg = ann.get("segmentation")
        if not isinstance(seg, list) or len(seg) != 1 or not isinstance(seg[0], list):
            raise FormatError(f"COCO annotation {aid!r}: only a single polygon ring is "
                              "supported (no RLE, no multi-polygon)")
        if len(seg[0]) % 2 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in seg[0]):
            raise FormatError(f"COCO annotation {aid!r}: a polygon is a flat list of x, y numbers")
        key = ann.get("source_key")
        raw[ann["image_id"]].append(RawPolygon(
            key=str(key if key is not None else aid), cls=cats[ann["category_id"]],
            points=np.asarray(seg[0], dtype=np.float64).reshape(-1, 2)))
    scans, report = [], ImportReport()
    for img in data["images"]:
        scan, r = build_scan(raw[img.get("id")], name=str(img.get("file_name", img.get("id"))),
                             frame=_coco_frame(img))
        scans.append(scan)
        report.merge(r)
    return scans, report


def artefacts_equal(a: Artefact, b: Artefact) -> bool:
    """Same class, polygon, areas, centroid and bounding box (used by round-trip checks)."""
    return (a.cls == b.cls and np.array_equal(a.polygon, b.polygon) and a.area_px == b.area_px
            and a.area_um2 == b.area_um2 and a.centroid == b.centroid and a.bbox == b.bbox)
