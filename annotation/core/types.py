"""Plain data types shared by the annotation and synthesis cores.

Nothing here imports Django: these are the values that the pure cores pass
between them (polygons in pixel coordinates, a scan's physical frame, the
artefacts of one scan).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: The artefact classes of the paper, in the order of the annotation keys 1-5.
CLASSES: tuple[str, ...] = ("dust", "dirt", "short hair", "long hair", "scratch")

#: Colours of the paper's Figure 4, as CSS hex strings.
CLASS_COLOURS: dict[str, str] = {
    "dust": "#00c853",
    "dirt": "#2962ff",
    "short hair": "#d500f9",
    "long hair": "#ffd600",
    "scratch": "#d50000",
}

#: Side of the square patches over which counts are taken (paper, Section 4.2).
PATCH_SIZE = 256


@dataclass(frozen=True)
class FrameGeometry:
    """Pixel size and physical size of a scanned frame.

    ``frame_w_mm`` is the physical extent along the image's x axis (its width),
    ``frame_h_mm`` along y. A 35 mm frame scanned in landscape is 35 x 24 mm.
    """

    width_px: int
    height_px: int
    frame_w_mm: float = 35.0
    frame_h_mm: float = 24.0

    @classmethod
    def for_35mm(cls, width_px: int, height_px: int) -> FrameGeometry:
        """A 35 mm x 24 mm frame with its long edge along the longer image axis."""
        if width_px >= height_px:
            return cls(width_px, height_px, 35.0, 24.0)
        return cls(width_px, height_px, 24.0, 35.0)

    @classmethod
    def for_format(
        cls, width_px: int, height_px: int, long_mm: float, short_mm: float
    ) -> FrameGeometry:
        """A ``long_mm`` x ``short_mm`` frame with its long edge along the longer image axis.

        ``for_format(w, h, 35, 24)`` equals ``for_35mm(w, h)``.
        """
        if width_px >= height_px:
            return cls(width_px, height_px, float(long_mm), float(short_mm))
        return cls(width_px, height_px, float(short_mm), float(long_mm))

    @property
    def um_per_px_x(self) -> float:
        return self.frame_w_mm * 1000.0 / self.width_px

    @property
    def um_per_px_y(self) -> float:
        return self.frame_h_mm * 1000.0 / self.height_px

    @property
    def um2_per_px(self) -> float:
        """Area of one pixel in square microns."""
        return self.um_per_px_x * self.um_per_px_y


@dataclass(frozen=True)
class Artefact:
    """One annotated artefact: its class and polygon (x, y in full-resolution pixels)."""

    cls: str
    polygon: np.ndarray  # (N, 2) float64, x then y
    area_px: float
    area_um2: float
    centroid: tuple[float, float]  # (x, y)
    bbox: tuple[float, float, float, float]  # (xmin, ymin, xmax, ymax)
    #: What validation changed or repaired (empty when the polygon was taken as drawn).
    notes: tuple[str, ...] = ()
    #: The artefact's key in the file it was imported from, when there was one.
    source_key: str | None = None


@dataclass
class ScanArtefacts:
    """The artefacts annotated on one scan, with the scan's frame geometry."""

    name: str
    frame: FrameGeometry
    artefacts: list[Artefact] = field(default_factory=list)
