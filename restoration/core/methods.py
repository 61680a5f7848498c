"""The registry of restoration methods and :func:`restore_image`.

Each :class:`Method` declares its kind (``"filter"``, ``"blind"`` or
``"segmentation+inpainting"``), what it needs (weights, GPU), whether it is
available here and why not, and its options with their defaults. Methods:

=====================  ==========================  ===========================================
name                   kind                        what it does
=====================  ==========================  ===========================================
``dust-scratches``     filter                      Photoshop-like Dust & Scratches (median where
                                                   the difference passes a threshold)
``unet-telea``         segmentation+inpainting     damage U-Net, then OpenCV Telea
``unet-ns``            segmentation+inpainting     damage U-Net, then OpenCV Navier-Stokes
``unet-grain``         segmentation+inpainting     damage U-Net, then Telea plus matched grain
``restoration-unet``   blind                       residual U-Net ([ISW22]) over all tiles
``lama``               segmentation+inpainting     damage U-Net, then LaMa (TorchScript)
=====================  ==========================  ===========================================

Weights come from ``weights_dir`` (argument, else ``$RESTORATION_WEIGHTS_DIR``,
else ``restoration/weights/``): ``segmentation-default.pt`` and
``restoration-default.pt``; LaMa from ``lama_path`` or ``$LAMA_TORCHSCRIPT``.
Without a ``weights_dir`` argument the detector is the *promoted* one when a resolver
says so (:func:`default_detector_resolver_set`: the restoration app installs one that
reads the detector promoted on the networks page), else the folder's file. The shipped
files are never written.
A missing file makes a method unavailable with a reason; nothing crashes.
"""
from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from imaging.progress import ProgressFn, ReportFn

from .filters import dust_and_scratches
from .harm import DEFAULT_SENSITIVITY, apply_review, review_components
from .pipeline import (
    POLARITIES,
    DamageMap,
    detect_damage,
    frame_px_per_mm,
    inpaint_torchscript,
    restore_direct,
    restore_masked,
    value_scale,
)
from .unet import load_model

# ``report(current, 1000, message)`` (imaging.progress.ReportFn): per-mille progress over a method's
# stages, with a message naming the stage and the tile (e.g. ``"detecting damage: tile 412 of 988"``).

KINDS = ("filter", "blind", "segmentation+inpainting")
DEFAULT_METHOD = "unet-grain"
SEGMENTATION_WEIGHTS = "segmentation-default.pt"
RESTORATION_WEIGHTS = "restoration-default.pt"
#: ``polarity``: the film's (``negative``: damage light, ``positive``: slides, damage dark, ``auto``: decided
#: from the image); ``px_per_mm``: the scan's scale (0: the long side spans a 35 mm frame).
#: ``review``/``sensitivity``: the do-no-harm review of each repaired component (:mod:`.harm`; higher keeps more).
#: ``threshold`` 0: the detector's own operating point (its card's ``threshold``, chosen on validation), else 0.5.
_DETECT = {"threshold": 0.0, "dilate": 2, "batch_size": 8, "polarity": "auto", "px_per_mm": 0.0,
           "review": True, "sensitivity": DEFAULT_SENSITIVITY}
_DETECT_LIMITS = {"threshold": (0.0, 0.999), "dilate": (0, 64), "batch_size": (1, 256), "seed": (0, 2**32 - 1),
                  "polarity": POLARITIES, "px_per_mm": (0.0, 10000.0), "sensitivity": (0.0, 1.0)}


class MethodError(ValueError):
    """Raised for an unknown method or invalid options."""


class MethodUnavailable(RuntimeError):
    """Raised when running a method that is not available here; says why."""


@dataclass(frozen=True)
class RestorationResult:
    """A restored image (dtype and shape of the input), its damage mask and run facts."""

    image: np.ndarray
    mask: np.ndarray  # uint8, (H, W), 255 where damage was found
    info: dict[str, Any] = field(default_factory=dict)
    #: The detector's probability map (float32, H x W) for detecting methods, else None.
    probability: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: The do-no-harm review's dropped components: the detected mask it was given (bool, H x W) and a
    #: ``{"bbox": [x, y, w, h], "reason": ...}`` per dropped component or piece; None without a review.
    dropped: tuple[np.ndarray, list[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Method:
    """One restoration method; see the module docstring for the list."""

    name: str
    title: str
    kind: str
    needs_weights: bool
    needs_gpu: bool
    defaults: Mapping[str, Any]
    runner: Callable[..., RestorationResult] = field(repr=False)
    check: Callable[[], str | None] = field(repr=False, default=lambda: None)
    limits: Mapping[str, tuple] = field(default_factory=dict)  # (lo, hi) inclusive, or allowed strings

    @property
    def reason_unavailable(self) -> str | None:
        """Why the method cannot run here, or None when it can."""
        reason = self.check()
        if reason is None and self.needs_gpu and not torch.cuda.is_available():
            reason = "needs a CUDA GPU and none is visible"
        return reason

    def available(self) -> bool:
        return self.reason_unavailable is None

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for pages and APIs."""
        return {"name": self.name, "title": self.title, "kind": self.kind,
                "needs_weights": self.needs_weights, "needs_gpu": self.needs_gpu,
                "available": self.available(), "reason_unavailable": self.reason_unavailable,
                "defaults": dict(self.defaults), "limits": {k: list(v) for k, v in self.limits.items()}}

    def options(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """``defaults`` updated by ``given``; unknown names or wrong types raise MethodError."""
        opts = dict(self.defaults)
        for key, value in (given or {}).items():
            if key not in opts:
                raise MethodError(f"{self.name} has no option {key!r}; options: {sorted(opts)}")
            want = type(opts[key])
            ok = isinstance(value, want) or (want is float and isinstance(value, int))
            if not ok or isinstance(value, bool) != isinstance(opts[key], bool):
                raise MethodError(f"option {key!r} of {self.name} must be {want.__name__}, got {value!r}")
            opts[key] = want(value)
            allowed = self.limits.get(key)
            if allowed and isinstance(opts[key], str) and opts[key] not in allowed:
                raise MethodError(f"option {key!r} of {self.name} must be one of {allowed}, got {value!r}")
            if allowed and not isinstance(opts[key], str) and not allowed[0] <= opts[key] <= allowed[1]:
                raise MethodError(f"option {key!r} of {self.name} must be in [{allowed[0]}, {allowed[1]}], "
                                  f"got {value!r}")
        return opts

    def run(self, image: np.ndarray, *, options: Mapping[str, Any] | None = None,
            progress: ReportFn | None = None, device: str | None = None) -> RestorationResult:
        """Restore ``image`` (uint8/uint16, grey, RGB or RGBA); raises MethodUnavailable."""
        reason = self.reason_unavailable
        if reason is not None:
            raise MethodUnavailable(f"method {self.name!r} is unavailable: {reason}")
        value_scale(image)
        opts = self.options(options)
        dev, note = _pick_device(device)
        result = self.runner(image, opts=opts, progress=progress, device=dev)
        if progress is not None:
            progress(1000, 1000, "done")
        info = {"method": self.name, "options": opts, "device": dev, **result.info}
        if note:
            info["note"] = note
        return RestorationResult(result.image, result.mask, info, result.probability, result.dropped)


def _pick_device(device: str | None) -> tuple[str, str | None]:
    if device is not None:
        if str(device).startswith("cuda") and not torch.cuda.is_available():
            raise MethodError(f"device {device!r} was asked for but no CUDA GPU is visible")
        return str(device), None
    if torch.cuda.is_available():
        return "cuda", None
    return "cpu", "no GPU visible: ran on the CPU"


@functools.lru_cache(maxsize=16)
def _cached_sha256(path: str, mtime_ns: int, size: int) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def weights_sha256(path: str | Path) -> str:
    """The SHA-256 of a weights file (cached while its size and time stay the same)."""
    st = Path(path).stat()
    return _cached_sha256(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _cached_model(path: str, mtime_ns: int, size: int):  # noqa: ANN202 - (UNet, card)
    return load_model(path)


def _model(path: Path):  # noqa: ANN202
    st = path.stat()
    return _cached_model(str(path), st.st_mtime_ns, st.st_size)


def _missing(path: Path | None, what: str) -> str | None:
    if path is None:
        return f"no {what} given"
    return None if path.is_file() else f"{what} not found at {path}"


def _u8_mask(mask: np.ndarray) -> np.ndarray:
    return mask.astype(np.uint8) * np.uint8(255)


def _stages(progress: ReportFn | None, share: float, offset: float, stage: str,
            unit: str = "tile") -> ProgressFn | None:
    """Map a stage's ``(done, total)`` to overall per-mille progress, with a message per step.

    The message names the stage and the step, e.g. ``"detecting damage: tile 412 of 988"``,
    so that a job page can follow a restoration tile by tile.
    """
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        progress(int(1000 * (offset + share * done / max(total, 1))), 1000, f"{stage}: {unit} {done} of {total}")
    return report


def _detect(image: np.ndarray, seg_path: Path, opts: Mapping[str, Any], progress: ReportFn | None,
            device: str, share: float) -> tuple[DamageMap, dict[str, Any]]:
    model, card = _model(seg_path)
    px_per_mm = opts["px_per_mm"] or frame_px_per_mm(image.shape)
    threshold = opts["threshold"] or float(card.get("threshold", 0.5))
    damage = detect_damage(image, model, threshold=threshold, dilate=opts["dilate"],
                           batch_size=opts["batch_size"], device=device, polarity=opts["polarity"],
                           px_per_mm=px_per_mm, progress=_stages(progress, share, 0.0, "detecting damage"))
    return damage, {"segmentation_weights": str(seg_path), "segmentation_sha256": weights_sha256(seg_path),
                    "segmentation_card": card, "threshold": threshold,
                         "damaged_share": float(damage.mask.mean()), "polarity": damage.polarity,
                         "polarity_asked": opts["polarity"], "flagged_by_polarity": damage.flagged,
                         "px_per_mm": round(px_per_mm, 3)}


def _filter_runner(image, *, opts, progress, device) -> RestorationResult:  # noqa: ANN001
    restored, mask = dust_and_scratches(image, radius=opts["radius"], threshold=opts["threshold"],
                                        shape=opts["shape"])
    return RestorationResult(restored, _u8_mask(mask))


def _reviewed(image: np.ndarray, restored: np.ndarray, damage: DamageMap, opts: Mapping[str, Any],
              info: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, dict[str, Any], tuple | None]:
    """Do no harm: keep only the repairs of components that look like damage (:mod:`.harm`); the last item is
    :attr:`RestorationResult.dropped`."""
    if not opts["review"]:
        return restored, damage.mask, info, None
    report = review_components(image, restored, damage.mask, polarity=damage.polarity, px_per_mm=info["px_per_mm"],
                               sensitivity=opts["sensitivity"], probability=damage.probability)
    summary = report.summary()
    info = {**info, "components": summary, "detected_share": info["damaged_share"],
            "damaged_share": float(report.kept_mask.mean())}
    dropped = [{"bbox": c["bbox"], "reason": c["reason"]} for c in report.components
               if c.get("reason") and c.get("bbox")]
    return apply_review(image, restored, report), report.kept_mask, info, (np.asarray(damage.mask, bool), dropped)


def _inpaint_runner(seg_path: Path, how: str) -> Callable[..., RestorationResult]:
    def run(image, *, opts, progress, device) -> RestorationResult:  # noqa: ANN001
        damage, info = _detect(image, seg_path, opts, progress, device, 0.8)
        restored = restore_masked(image, damage.mask, method=how, seed=opts.get("seed", 0),
                                  progress=_stages(progress, 0.2, 0.8, f"inpainting ({how})", "block"))
        restored, mask, info, dropped = _reviewed(image, restored, damage, opts, info)
        return RestorationResult(restored, _u8_mask(mask), info, damage.probability, dropped)
    return run


def _direct_runner(path: Path) -> Callable[..., RestorationResult]:
    def run(image, *, opts, progress, device) -> RestorationResult:  # noqa: ANN001
        model, card = _model(path)
        restored, mask = restore_direct(image, model, change_threshold=opts["change_threshold"],
                                        dilate=opts["dilate"], batch_size=opts["batch_size"],
                                        device=device, progress=_stages(progress, 1.0, 0.0, "restoring"))
        return RestorationResult(restored, _u8_mask(mask),
                                 {"restoration_weights": str(path), "restoration_card": card})
    return run


@functools.lru_cache(maxsize=2)
def _torchscript(path: str, mtime_ns: int) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():  # LaMa ships as TorchScript, which torch 2.x marks deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.load(path, map_location="cpu").eval()


def _lama_runner(seg_path: Path, lama_path: Path | None) -> Callable[..., RestorationResult]:
    def run(image, *, opts, progress, device) -> RestorationResult:  # noqa: ANN001
        damage, info = _detect(image, seg_path, opts, progress, device, 0.5)
        module = _torchscript(str(lama_path), lama_path.stat().st_mtime_ns).to(device)
        restored = inpaint_torchscript(image, damage.mask, module, tile=opts["tile"], device=device,
                                       progress=_stages(progress, 0.5, 0.5, "inpainting (LaMa)"))
        restored, mask, info, dropped = _reviewed(image, restored, damage, opts, info)
        return RestorationResult(restored, _u8_mask(mask), {**info, "lama": str(lama_path)}, damage.probability,
                                 dropped)
    return run


def default_weights_dir() -> Path:
    """``$RESTORATION_WEIGHTS_DIR`` if set, else ``restoration/weights`` beside this package."""
    env = os.environ.get("RESTORATION_WEIGHTS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "weights"


#: A function that names the promoted detector's weights file (or None: the folder's own), set by the app.
_detector_resolver: Callable[[], str | Path | None] | None = None


def default_detector_resolver_set(resolver: Callable[[], str | Path | None] | None) -> None:
    """Install the function that says which detector the detecting methods use by default (None: remove it)."""
    global _detector_resolver
    _detector_resolver = resolver


def default_segmentation_weights(weights_dir: str | Path | None = None) -> Path:
    """The detector's weights file: ``weights_dir``'s when given, else the promoted one, else the default folder's."""
    if weights_dir is None and _detector_resolver is not None:
        promoted = _detector_resolver()
        if promoted:
            return Path(promoted)
    wdir = Path(weights_dir) if weights_dir is not None else default_weights_dir()
    return wdir / SEGMENTATION_WEIGHTS


def get_methods(*, weights_dir: str | Path | None = None,
                lama_path: str | Path | None = None) -> dict[str, Method]:
    """All methods, keyed by name, with availability checked against these paths."""
    wdir = Path(weights_dir) if weights_dir is not None else default_weights_dir()
    seg, rest = default_segmentation_weights(weights_dir), wdir / RESTORATION_WEIGHTS
    lama_env = os.environ.get("LAMA_TORCHSCRIPT")
    lama = Path(lama_path) if lama_path is not None else (Path(lama_env) if lama_env else None)

    def seg_check() -> str | None:
        return _missing(seg, "segmentation weights")

    def lama_check() -> str | None:
        if lama is None:
            return ("no LaMa TorchScript file given: pass its path or set LAMA_TORCHSCRIPT")
        return _missing(lama, "LaMa TorchScript file") or seg_check()

    methods = [
        Method("dust-scratches", "Dust & Scratches filter", "filter", False, False,
               {"radius": 2, "threshold": 10.0, "shape": "square"}, _filter_runner,
               limits={"radius": (1, 100), "threshold": (0.0, 255.0), "shape": ("square", "disk")}),
        *[Method(f"unet-{how}", f"U-Net damage mask + {title}", "segmentation+inpainting", True,
                 False, {**_DETECT, **({"seed": 0} if how == "grain" else {})},
                 _inpaint_runner(seg, how), seg_check, _DETECT_LIMITS)
          for how, title in (("telea", "Telea inpainting"), ("ns", "Navier-Stokes inpainting"),
                             ("grain", "grain-preserving inpainting"))],
        Method("restoration-unet", "Restoration U-Net (perceptual loss)", "blind", True, False,
               {"change_threshold": 2.0 / 255.0, "dilate": 1, "batch_size": 8},
               _direct_runner(rest), lambda: _missing(rest, "restoration weights"),
               {"change_threshold": (0.0, 1.0), "dilate": (0, 64), "batch_size": (1, 256)}),
        Method("lama", "U-Net damage mask + LaMa", "segmentation+inpainting", True, False,
               {**_DETECT, "tile": 512},
               _lama_runner(seg, lama), lama_check, {**_DETECT_LIMITS, "tile": (64, 4096)}),
    ]
    return {m.name: m for m in methods}


def get_method(name: str, **paths: Any) -> Method:
    """The method called ``name``; MethodError lists the known names otherwise."""
    methods = get_methods(**paths)
    if name not in methods:
        raise MethodError(f"unknown method {name!r}; known: {sorted(methods)}")
    return methods[name]


def restore_image(
    image: np.ndarray,
    *,
    method: str | None = None,
    options: Mapping[str, Any] | None = None,
    progress: ReportFn | None = None,
    device: str | None = None,
    weights_dir: str | Path | None = None,
    lama_path: str | Path | None = None,
) -> RestorationResult:
    """Restore a scan with ``method`` (default :data:`DEFAULT_METHOD`).

    Parameters
    ----------
    image : ndarray, uint8 or uint16, (H, W), (H, W, 3) or (H, W, 4)
    method : str, optional
        A name from :func:`get_methods`.
    options : mapping, optional
        Overrides of the method's ``defaults``.
    progress : callable, optional
        ``progress(current, 1000, message)``: per mille over the method's stages; the
        message names the stage and the tile or block (see :data:`ReportFn`).
    device : str, optional
        ``"cpu"`` or ``"cuda[:n]"``; default: CUDA when visible, else the CPU
        (``info["note"]`` says so).
    weights_dir, lama_path
        Where weights are looked for (see :func:`get_methods`).

    Returns
    -------
    RestorationResult
        ``image`` with the input's dtype and shape, ``mask`` uint8 255 where
        damage was found, ``info`` (method, options, device, model cards).

    Raises
    ------
    MethodError
        Unknown method or bad options.
    MethodUnavailable
        The method cannot run here (the message says why).
    """
    chosen = get_method(method or DEFAULT_METHOD, weights_dir=weights_dir, lama_path=lama_path)
    return chosen.run(image, options=options, progress=progress, device=device)


#: The inpainting of each method that repairs a reviewed mask by itself; every other method's review is
#: repaired with ``grain`` (the default method's inpainting), and ``info["inpainting"]`` says so.
REPAIR_INPAINTING = {"unet-telea": "telea", "unet-ns": "ns", "unet-grain": "grain"}


def repair_image(image: np.ndarray, mask: np.ndarray, *, method: str | None = None, seed: int = 0,
                 progress: ReportFn | None = None) -> RestorationResult:
    """Inpaint exactly ``mask`` (bool or non-zero, H x W), as reviewed by a person: no detection, no review.

    The inpainting is ``method``'s (:data:`REPAIR_INPAINTING`, else ``grain``); every pixel outside
    ``mask`` comes back bit-identical.
    """
    mask = np.asarray(mask) != 0
    if mask.shape != image.shape[:2]:
        raise ValueError(f"the reviewed mask is {mask.shape[1]} x {mask.shape[0]} px, the scan "
                         f"{image.shape[1]} x {image.shape[0]} px")
    how = REPAIR_INPAINTING.get(method or DEFAULT_METHOD, "grain")
    restored = restore_masked(image, mask, method=how, seed=seed,
                              progress=_stages(progress, 1.0, 0.0, f"inpainting ({how})", "block"))
    return RestorationResult(restored, _u8_mask(mask), {"method": method or DEFAULT_METHOD, "inpainting": how,
                                                        "damaged_share": float(mask.mean()), "reviewed": True})
