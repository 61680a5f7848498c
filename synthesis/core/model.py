"""The damage model: what is fitted from annotated scans and what the renderer samples.

A :class:`DamageModel` holds, per artefact class, a hurdle model of the
artefact counts per 256 x 256 px patch (the probability that a patch holds any
artefact of the class, then a Gamma for the positive counts), a Gamma for the
artefact areas in square microns, a coarse spatial density map (a kernel
density estimate over the frame) and the Perlin-noise settings that
approximate it (paper, Sections 4.2 and 4.4). ``to_dict`` / ``from_dict`` give
the JSON form that a database stores; fitting lives in :mod:`.fit`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from annotation.core.types import CLASSES, PATCH_SIZE, FrameGeometry

#: Version of the serialised form; ``from_dict`` refuses other versions.
SCHEMA_VERSION = 1

#: How counts scale to a target: by its pixel area in 256 x 256 px patches
#: (the paper) or by its physical frame area (same damage per square mm).
COUNT_BASES = ("pixels", "frame")


class DamageModelError(ValueError):
    """A damage model cannot be fitted, read or used as asked."""


@dataclass(frozen=True)
class GammaParams:
    """A Gamma distribution with zero location: shape ``k`` and scale ``theta``."""

    shape: float
    scale: float

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    @property
    def std(self) -> float:
        return math.sqrt(self.shape) * self.scale


@dataclass(frozen=True)
class PerlinSettings:
    """Fractal Perlin noise turned into a density ``exp(contrast * z)``.

    ``frequency`` is the number of lattice cells of the first octave across
    the frame's width; ``z`` is the noise scaled to unit standard deviation.
    """

    frequency: float = 3.0
    octaves: int = 3
    persistence: float = 0.5
    contrast: float = 0.5


@dataclass
class ClassModel:
    """The fitted statistics of one artefact class.

    ``p_nonempty == 0`` means that the class is never generated (no samples);
    ``count_gamma`` / ``area_gamma`` are then ``None``. ``density`` is the
    coarse KDE map over the frame (rows x columns, mean 1), ``None`` when the
    class had no samples.
    """

    cls: str
    n_artefacts: int
    p_nonempty: float
    count_gamma: GammaParams | None
    area_gamma: GammaParams | None
    area_max_um2: float
    density: np.ndarray | None
    perlin: PerlinSettings
    notes: list[str] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def mean_patch_count(self) -> float:
        """Expected artefacts per (padded) patch: ``p_nonempty * E[count | > 0]``."""
        if self.count_gamma is None:
            return 0.0
        return self.p_nonempty * self.count_gamma.mean

    def to_dict(self) -> dict[str, Any]:
        return {
            "cls": self.cls,
            "n_artefacts": self.n_artefacts,
            "p_nonempty": self.p_nonempty,
            "count_gamma": None if self.count_gamma is None else asdict(self.count_gamma),
            "area_gamma": None if self.area_gamma is None else asdict(self.area_gamma),
            "area_max_um2": self.area_max_um2,
            "density": None if self.density is None else np.round(self.density, 6).tolist(),
            "perlin": asdict(self.perlin),
            "notes": list(self.notes),
            "diagnostics": self.diagnostics,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassModel:
        def gamma(value):
            return None if value is None else GammaParams(float(value["shape"]), float(value["scale"]))

        density = data.get("density")
        return cls(
            cls=str(data["cls"]),
            n_artefacts=int(data["n_artefacts"]),
            p_nonempty=float(data["p_nonempty"]),
            count_gamma=gamma(data.get("count_gamma")),
            area_gamma=gamma(data.get("area_gamma")),
            area_max_um2=float(data["area_max_um2"]),
            density=None if density is None else np.asarray(density, dtype=np.float64),
            perlin=PerlinSettings(**data["perlin"]),
            notes=list(data.get("notes", [])),
            diagnostics=dict(data.get("diagnostics", {})),
        )


@dataclass
class DamageModel:
    """A fitted, versioned damage model with its source and diagnostics.

    Attributes
    ----------
    classes : dict
        One :class:`ClassModel` per class of ``CLASSES``.
    patch_coverage : float
        Mean share of a padded patch that lies inside its frame: the fit's
        patches at the right and bottom edges are only partly inside, so the
        expected count per full 256 x 256 px of frame is
        ``mean_patch_count / patch_coverage``.
    reference_frame_um2 : float
        Mean physical frame area of the fitted scans (for ``count_basis="frame"``).
    source : dict
        What the model was fitted on (description, scan names, frame sizes).
    """

    classes: dict[str, ClassModel]
    patch_size: int = PATCH_SIZE
    patch_coverage: float = 1.0
    reference_frame_um2: float = 35000.0 * 24000.0
    source: dict[str, Any] = field(default_factory=dict)
    fitted_at: str = ""
    version: int = SCHEMA_VERSION
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def patch_equivalents(self, *, width: int, height: int, frame: FrameGeometry | None = None,
                          count_basis: str = "pixels") -> float:
        """Number of fitted (padded) patches whose counts make up a ``width`` x ``height`` target.

        With ``count_basis="pixels"`` (the paper) the target's pixel area is
        measured in 256 x 256 px patches; with ``"frame"`` its physical frame
        area is compared with the fitted frames', so that a frame carries as
        many artefacts whatever its scan resolution.
        """
        if count_basis not in COUNT_BASES:
            raise DamageModelError(f"count_basis {count_basis!r} is not one of {COUNT_BASES}")
        full_patches = width * height / float(self.patch_size ** 2)
        if count_basis == "frame":
            frame = frame or FrameGeometry.for_35mm(width, height)
            frame_um2 = frame.frame_w_mm * frame.frame_h_mm * 1e6
            fitted_patches = self.diagnostics.get("mean_patches_per_frame", full_patches)
            return fitted_patches * frame_um2 / self.reference_frame_um2
        return full_patches / self.patch_coverage

    def expected_counts(self, *, width: int, height: int, frame: FrameGeometry | None = None,
                        count_basis: str = "pixels", damage_level: float = 1.0) -> dict[str, float]:
        """Expected number of artefacts per class on one target frame."""
        n = self.patch_equivalents(width=width, height=height, frame=frame, count_basis=count_basis)
        return {c: n * damage_level * m.mean_patch_count for c, m in self.classes.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (plain lists, floats and strings only)."""
        return {
            "version": self.version,
            "patch_size": self.patch_size,
            "patch_coverage": self.patch_coverage,
            "reference_frame_um2": self.reference_frame_um2,
            "source": self.source,
            "fitted_at": self.fitted_at,
            "diagnostics": self.diagnostics,
            "classes": {c: m.to_dict() for c, m in self.classes.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DamageModel:
        """Read the form written by :meth:`to_dict`; refuses unknown versions and classes."""
        if not isinstance(data, dict) or "classes" not in data:
            raise DamageModelError("a damage model dict needs a 'classes' mapping")
        version = data.get("version")
        if version != SCHEMA_VERSION:
            raise DamageModelError(f"damage model version {version!r} is not supported "
                                   f"(this code reads version {SCHEMA_VERSION})")
        unknown = set(data["classes"]) - set(CLASSES)
        if unknown:
            raise DamageModelError(f"unknown artefact classes {sorted(unknown)}; allowed: {CLASSES}")
        try:
            classes = {c: ClassModel.from_dict(m) for c, m in data["classes"].items()}
            return cls(
                classes=classes,
                patch_size=int(data.get("patch_size", PATCH_SIZE)),
                patch_coverage=float(data.get("patch_coverage", 1.0)),
                reference_frame_um2=float(data.get("reference_frame_um2", 35000.0 * 24000.0)),
                source=dict(data.get("source", {})),
                fitted_at=str(data.get("fitted_at", "")),
                version=int(version),
                diagnostics=dict(data.get("diagnostics", {})),
            )
        except (KeyError, TypeError) as exc:
            raise DamageModelError(f"malformed damage model dict: {exc!r}") from exc
