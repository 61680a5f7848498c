"""A restoration's damage mask as editable geometry, and back.

:func:`mask_to_components` turns a binary mask into one :class:`Component` per 8-connected
component: its outline (and the outlines of its holes) as polygons in full-resolution pixel
coordinates, simplified by Douglas-Peucker with a bounded error (``tolerance`` px), with its
area, bbox, a class guessed from its shape where the shape tells (else ``"unknown"``) and its
score (the detector's peak and mean probability over it, when a probability map is given).
:func:`components_to_mask` rasterises them back exactly as the annotation app does
(:func:`annotation.core.bank.rasterise`, ``alpha="binary"``: a pixel is in when its centre is
inside), holes cleared.

Outlines are traced on the mask enlarged 2x (nearest), through the centres of the enlarged
pixels: they run a quarter pixel inside the pixel edges of the component (a quarter pixel into
the component around a hole), so every pixel centre of the component is a quarter pixel inside
its polygon and a 1 px hair keeps a strip of width 0.5 px round its centre line. Simplification
moves an outline by at most ``tolerance``; at the default 0.25 px it can at most reach a pixel
centre, so the round trip is exact up to the centres that fall on the boundary.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from annotation.core.bank import rasterise
from annotation.core.types import CLASSES

#: The class of a component whose shape does not tell (only allowed in review sets).
UNKNOWN = "unknown"
#: Default Douglas-Peucker tolerance, in full-resolution pixels (the most an outline moves).
DEFAULT_TOLERANCE = 0.25
#: Review statuses of a component: proposed by the detector, kept or rejected by a person, added by one.
STATUSES = ("proposed", "kept", "rejected", "added")
#: Statuses whose components are repaired.
REPAIRED_STATUSES = ("proposed", "kept", "added")
#: Shape rules of :func:`guess_class` (public annotations, Table 1 of the paper; see ``harm.py``):
#: elongated when length / thickness reaches ELONGATED; largest compact dust and dirt (square microns);
#: a hair longer than SHORT_HAIR_UM is long.
ELONGATED = 5.0
LARGEST_DUST_UM2, LARGEST_DIRT_UM2 = 19_862.0, 289_776.0
SHORT_HAIR_UM, LARGEST_HAIR_UM2 = 2_000.0, 310_062.0


@dataclass(frozen=True)
class Component:
    """One connected component of a mask as polygons (x, y in full-resolution pixels).

    ``exterior`` is the outline (N, 2), ``holes`` the outlines of its holes; ``area_px`` and
    ``bbox`` (x, y, w, h, inclusive of every pixel) are the component's own pixels, not the
    polygon's; ``score`` the detector's peak probability over it (None without a probability
    map), ``mean_score`` its mean; ``status`` one of :data:`STATUSES`.
    """

    exterior: np.ndarray
    holes: tuple[np.ndarray, ...] = ()
    area_px: int = 0
    bbox: tuple[int, int, int, int] = (0, 0, 0, 0)
    cls: str = UNKNOWN
    score: float | None = None
    mean_score: float | None = None
    status: str = "proposed"
    facts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready record (points rounded to 1/100 px)."""
        return {"points": np.round(self.exterior, 2).tolist(),
                "holes": [np.round(h, 2).tolist() for h in self.holes],
                "cls": self.cls, "score": self.score, "mean_score": self.mean_score, "area_px": self.area_px,
                "bbox": list(self.bbox), "status": self.status, **({"facts": self.facts} if self.facts else {})}

    @classmethod
    def from_json(cls, rec: dict[str, Any]) -> Component:
        """The inverse of :meth:`to_json`; refuses what is not a polygon or not a known status or class."""
        if not isinstance(rec, dict):
            raise ValueError(f"a component must be a JSON object, got {type(rec).__name__}")
        exterior = _ring(rec.get("points"), "points")
        holes = tuple(_ring(h, "a hole") for h in rec.get("holes") or ())
        status = rec.get("status", "proposed")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        klass = rec.get("cls", UNKNOWN)
        if klass not in (*CLASSES, UNKNOWN):
            raise ValueError(f"cls must be one of {', '.join((*CLASSES, UNKNOWN))}, got {klass!r}")
        x0, y0 = np.floor(exterior.min(axis=0)).astype(int)
        x1, y1 = np.ceil(exterior.max(axis=0)).astype(int)
        bbox = tuple(int(v) for v in rec.get("bbox") or (x0, y0, x1 - x0, y1 - y0))
        facts = rec.get("facts") if isinstance(rec.get("facts"), dict) else {}
        return cls(exterior, holes, int(rec.get("area_px") or 0), bbox, klass, rec.get("score"),
                   rec.get("mean_score"), status, facts)


def _ring(points: Any, what: str) -> np.ndarray:
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a list of [x, y] pairs") from None
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
        raise ValueError(f"{what} must be at least 3 finite [x, y] pairs, got shape {pts.shape}")
    return pts


def _outline(contour: np.ndarray, x0: float, y0: float, tolerance: float) -> np.ndarray:
    """A contour traced on the padded 2x-enlarged crop as a ring in full-resolution pixels, simplified.

    Enlarged pixel ``p`` (padding included) has its centre at ``(p + 0.5) / 2`` crop pixels, less the
    padding's half pixel, which ``x0``/``y0`` carry.
    """
    if tolerance > 0 and len(contour) > 3:
        simple = cv2.approxPolyDP(contour, 2.0 * tolerance, True)
        contour = simple if len(simple) >= 3 else contour
    pts = contour.reshape(-1, 2).astype(np.float64)
    return (pts + 0.5) / 2.0 + [x0, y0]


def guess_class(*, area_px: int, thickness_px: float, px_per_mm: float | None) -> str:
    """The damage class the shape tells, else :data:`UNKNOWN` (always without a scale).

    Compact components are dust up to the largest annotated dust speck and dirt up to the largest
    annotated dirt; elongated ones (length over thickness at least :data:`ELONGATED`) are short hair
    up to :data:`SHORT_HAIR_UM` long and long hair beyond, up to the largest annotated hair. A
    detector that marks damage without a class cannot tell scratches from hairs: none is guessed.
    """
    if not px_per_mm or px_per_mm <= 0 or area_px <= 0:
        return UNKNOWN
    um = 1000.0 / px_per_mm
    area_um2 = area_px * um * um
    thickness = max(thickness_px, 1.0)
    length_px = area_px / thickness
    if length_px / thickness >= ELONGATED:
        if area_um2 > LARGEST_HAIR_UM2:
            return UNKNOWN
        return "short hair" if length_px * um <= SHORT_HAIR_UM else "long hair"
    if area_um2 <= LARGEST_DUST_UM2:
        return "dust"
    return "dirt" if area_um2 <= LARGEST_DIRT_UM2 else UNKNOWN


def mask_to_components(mask: np.ndarray, *, probability: np.ndarray | None = None,
                       px_per_mm: float | None = None, tolerance: float = DEFAULT_TOLERANCE,
                       progress=None) -> list[Component]:
    """One :class:`Component` per 8-connected component of ``mask`` (bool or 0/non-zero, H x W).

    Parameters
    ----------
    mask : ndarray (H, W)
        Non-zero where damage was found (a restoration's mask: 255 there).
    probability : ndarray (H, W), optional
        The detector's probability map; gives each component's ``score`` (peak) and ``mean_score``.
    px_per_mm : float, optional
        The scan's scale; without it every class is ``"unknown"`` (see :func:`guess_class`).
    tolerance : float
        Douglas-Peucker tolerance in pixels: the most a simplified outline departs from the traced one.
    progress : callable, optional
        ``progress(done, total)`` every 256 components.

    Returns
    -------
    list of Component
        In label order (top to bottom, then left to right, of each component's first pixel).
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    if probability is not None and np.shape(probability) != mask.shape:
        raise ValueError(f"probability must have the mask's shape {mask.shape}, got {np.shape(probability)}")
    if not math.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number of pixels >= 0, got {tolerance}")
    binary = (mask != 0).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=cv2.CV_32S)
    out: list[Component] = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        comp = labels[y:y + h, x:x + w] == i
        big = np.pad(np.repeat(np.repeat(comp, 2, axis=0), 2, axis=1), 1).astype(np.uint8)
        contours, hierarchy = cv2.findContours(big, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
        outer, holes = None, []
        for c, (_, _, _, parent) in zip(contours, hierarchy[0]):
            ring = _outline(c, x - 0.5, y - 0.5, tolerance)
            if parent < 0 and (outer is None or len(c) > outer[1]):
                outer = (ring, len(c))
            elif parent >= 0:
                holes.append(ring)
        thickness = 2.0 * float(cv2.distanceTransform(np.pad(comp, 1).astype(np.uint8), cv2.DIST_L2, 3).max())
        score = mean = None
        if probability is not None:
            values = np.asarray(probability[y:y + h, x:x + w])[comp]
            score, mean = round(float(values.max()), 4), round(float(values.mean()), 4)
        out.append(Component(outer[0], tuple(holes), area, (x, y, w, h),
                             guess_class(area_px=area, thickness_px=thickness, px_per_mm=px_per_mm), score, mean))
        if progress and i % 256 == 0:
            progress(i, n - 1)
    return out


def dropped_components(detected: np.ndarray, kept: np.ndarray, reasons: list[dict[str, Any]], *,
                       probability: np.ndarray | None = None, px_per_mm: float | None = None,
                       tolerance: float = DEFAULT_TOLERANCE) -> list[Component]:
    """The components the do-no-harm review dropped (``detected`` and not ``kept``), status ``rejected``.

    ``reasons``: ``{"bbox": [x, y, w, h], "reason": ...}`` per dropped component or piece (the review's
    records); each component's ``facts["reason"]`` is that of the smallest record whose bbox holds it.
    """
    rest = np.asarray(detected, bool) & ~(np.asarray(kept) != 0)
    boxes = sorted(((r["bbox"], str(r["reason"])) for r in reasons if r.get("bbox") and r.get("reason")),
                   key=lambda br: br[0][2] * br[0][3])
    out = []
    for c in mask_to_components(rest, probability=probability, px_per_mm=px_per_mm, tolerance=tolerance):
        x, y, w, h = c.bbox
        reason = next((why for (bx, by, bw, bh), why in boxes
                       if bx <= x and by <= y and x + w <= bx + bw and y + h <= by + bh), "dropped")
        out.append(replace(c, status="rejected", facts={"reason": reason}))
    return out


def components_to_mask(components, shape: tuple[int, int], *,
                       statuses: tuple[str, ...] | None = None) -> np.ndarray:
    """The mask (bool, ``shape``) of ``components`` rasterised like the annotation app, holes cleared.

    ``statuses``: only components with one of these (e.g. :data:`REPAIRED_STATUSES`); default all.
    """
    h, w = shape
    out = np.zeros((h, w), bool)
    for c in components:
        if statuses is not None and c.status not in statuses:
            continue
        x0 = max(int(math.floor(c.exterior[:, 0].min())), 0)
        y0 = max(int(math.floor(c.exterior[:, 1].min())), 0)
        x1 = min(int(math.ceil(c.exterior[:, 0].max())) + 1, w)
        y1 = min(int(math.ceil(c.exterior[:, 1].max())) + 1, h)
        if x1 <= x0 or y1 <= y0:
            continue
        offset = np.array([x0, y0], dtype=np.float64)
        local = rasterise(c.exterior - offset, (y1 - y0, x1 - x0)) > 0
        for hole in c.holes:
            local &= ~(rasterise(hole - offset, (y1 - y0, x1 - x0)) > 0)
        out[y0:y1, x0:x1] |= local
    return out


def components_document(components, *, width: int, height: int, px_per_mm: float | None = None,
                        tolerance: float = DEFAULT_TOLERANCE) -> dict[str, Any]:
    """The component list as one JSON-ready document (``restore --review-out``, a restoration's download)."""
    return {"width": int(width), "height": int(height), "px_per_mm": px_per_mm, "tolerance_px": tolerance,
            "classes": [*CLASSES, UNKNOWN], "statuses": list(STATUSES),
            "components": [c.to_json() for c in components]}


def components_from_document(doc: Any, *, width: int, height: int) -> list[Component]:
    """The components of a reviewed document (or a bare list of records); refuses ones off the frame."""
    records = doc.get("components") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise ValueError('give the components as a list, or an object with a "components" list')
    out = []
    for i, rec in enumerate(records):
        try:
            comp = Component.from_json(rec)
        except ValueError as exc:
            raise ValueError(f"component {i}: {exc}") from None
        lo, hi = comp.exterior.min(axis=0), comp.exterior.max(axis=0)
        if hi[0] < 0 or hi[1] < 0 or lo[0] > width or lo[1] > height:
            raise ValueError(f"component {i} lies outside the {width} x {height} px scan")
        out.append(comp)
    return out
