"""Fine-tuning the damage detector from reviewed scans, and scoring it on a held-out part of them.

A reviewed scan (:class:`ReviewedScan`) is real film with real picture content: its reviewed mask (the
kept and added components, rasterised) is damage, its rejected components are what the detector took
for damage and a person said is not (negatives, weighted ``rejected_weight`` in the loss), and
components a person left ``proposed`` on a reviewed scan are neither (weight 0: not trained on, not
scored). Every scan is seen as the detector sees it (:func:`canonical_view`): resampled to the
network's canonical scale from the scan's own ``px_per_mm`` (enlarged at most as the pipeline does)
and, for a light-damage detector, inverted when it is positive film.

Training (:func:`finetune_detector`) goes on from a detector's weights (the current default): each
batch holds ``reviewed_share`` crops of the training scans (a third centred on reviewed damage, a
third on rejected components, a third anywhere; rotated and flipped) and the rest fresh synthetic
samples (:mod:`.realism`) from clean pictures and the damage model, as the detector was trained.
The threshold is the starting detector's (its calibrated operating point); ``calibrate_detector``
chooses a new one. The scans set apart by :func:`holdout_split` (by scan, seeded) are never trained
on: :func:`reviewed_scores` runs both detectors over them as the default method would (tiled, at the
scan's scale and polarity, their own thresholds, dilated) and reports pooled IoU, precision, recall,
the share of the frame flagged, and the share of the rejected components' pixels flagged again.
Seeded; deterministic on the CPU.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from imaging.progress import ProgressFn
from synthesis.core.bank import ArtefactBank
from synthesis.core.model import DamageModel

from .detector_training import augment
from .pipeline import MAX_UPSCALE, detect_damage
from .realism import SampleSettings, make_sample
from .unet import UNet, load_model, save_model

#: A resampled damage pixel is damage when at least this share of it was (as :data:`.realism.MASK_ALPHA`).
MASK_SHARE = 0.35


@dataclass(frozen=True)
class ReviewedScan:
    """One reviewed scan at full resolution: image (uint8/uint16, grey, RGB or RGBA) and its review as masks.

    ``damage``: kept and added components; ``rejected``: rejected ones; ``unsure``: components left
    ``proposed`` (optional). Masks are bool (H, W). ``key`` names the scan (the hold-out draws by it).
    """

    key: str
    image: np.ndarray
    damage: np.ndarray
    rejected: np.ndarray
    px_per_mm: float
    polarity: str = "negative"
    unsure: np.ndarray | None = None

    def __post_init__(self) -> None:
        shape = self.image.shape[:2]
        for name in ("damage", "rejected", "unsure"):
            mask = getattr(self, name)
            if mask is not None and mask.shape != shape:
                raise ValueError(f"scan {self.key}: {name} mask is {mask.shape}, the image {shape}")
        if not self.px_per_mm > 0:
            raise ValueError(f"scan {self.key}: px_per_mm must be positive, got {self.px_per_mm!r}")
        if self.polarity not in ("negative", "positive"):
            raise ValueError(f"scan {self.key}: polarity must be negative or positive, got {self.polarity!r}")


@dataclass(frozen=True)
class CanonicalScan:
    """A reviewed scan as the detector sees it: uint8 RGB at its canonical scale (light damage), and weights."""

    key: str
    image: np.ndarray
    damage: np.ndarray
    rejected: np.ndarray
    unsure: np.ndarray


@dataclass(frozen=True)
class FinetuneRecipe:
    """How the detector is fine-tuned."""

    steps: int = 300
    batch_size: int = 8
    lr: float = 2e-4
    min_lr: float = 1e-5
    crop: int = 192
    #: Share of each batch drawn from the reviewed scans; the rest are synthetic samples (when there are any).
    reviewed_share: float = 0.5
    rejected_weight: float = 2.0
    pos_weight: float = 10.0
    seed: int = 0
    log_every: int = 10

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "crop", "log_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if not 0 < self.min_lr <= self.lr:
            raise ValueError(f"need 0 < min_lr <= lr, got min_lr {self.min_lr} and lr {self.lr}")
        if not 0.0 < self.reviewed_share <= 1.0:
            raise ValueError(f"reviewed_share must be in (0, 1], got {self.reviewed_share}")
        if self.crop < 32 or self.crop % 8:
            raise ValueError(f"crop must be a multiple of 8 of at least 32, got {self.crop}")


@dataclass(frozen=True)
class SyntheticSource:
    """Clean pictures and the damage model the synthetic half of each batch is drawn from."""

    photos: Sequence[np.ndarray]
    model: DamageModel
    bank: ArtefactBank
    settings: SampleSettings


@dataclass(frozen=True)
class FinetuneResult:
    path: Path
    card: dict[str, Any]


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def holdout_split(keys: Sequence[str], share: float, seed: int) -> tuple[list[str], list[str]]:
    """``(train, held_out)`` keys: ``share`` of the scans, by scan, drawn from ``seed`` (at least one of each
    when there are two scans or more and ``share`` > 0; none held out of a single scan)."""
    if not 0.0 <= share < 1.0:
        raise ValueError(f"the held-out share must be in [0, 1), got {share}")
    ordered = sorted(set(keys))
    n = len(ordered)
    held_n = 0 if share == 0 or n < 2 else min(max(1, round(n * share)), n - 1)
    order = np.random.default_rng([int(seed), 17]).permutation(n)
    held = {ordered[i] for i in order[:held_n]}
    return [k for k in ordered if k not in held], [k for k in ordered if k in held]


def _rgb8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ValueError(f"a scan must be uint8 or uint16, got {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[..., :3])


def canonical_view(scan: ReviewedScan, canonical_px_per_mm: float, *, light_damage: bool = True) -> CanonicalScan:
    """``scan`` resampled to the detector's scale (at most :data:`.pipeline.MAX_UPSCALE` up), inverted when it is
    positive film and the detector sees light damage; damage stays damage where at least :data:`MASK_SHARE` of a
    pixel was, a rejected or unsure pixel where any of it was."""
    image = _rgb8(scan.image)
    unsure = scan.unsure if scan.unsure is not None else np.zeros(scan.damage.shape, bool)
    factor = min(canonical_px_per_mm / scan.px_per_mm, MAX_UPSCALE) if canonical_px_per_mm else 1.0
    masks = [scan.damage, scan.rejected, unsure]
    if abs(factor - 1.0) > 1e-6:
        h, w = image.shape[:2]
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        how = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        image = cv2.resize(image, size, interpolation=how)
        masks = [cv2.resize(m.astype(np.float32), size, interpolation=how) for m in masks]
        masks = [masks[0] >= MASK_SHARE, masks[1] > 0, masks[2] > 0]
    if light_damage and scan.polarity == "positive":
        image = 255 - image
    damage, rejected, unsure = (np.asarray(m, bool) for m in masks)
    return CanonicalScan(scan.key, image, damage, rejected & ~damage, unsure & ~damage)


def _centre(mask: np.ndarray, rng: np.random.Generator) -> tuple[int, int] | None:
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return None
    i = int(rng.integers(len(ys)))
    return int(ys[i]), int(xs[i])


def reviewed_crop(scan: CanonicalScan, size: int, rng: np.random.Generator, *, rejected_weight: float = 2.0,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One ``size`` x ``size`` crop (image uint8 RGB, target bool, loss weight float32) of a canonical scan.

    A third of the crops are centred on a damage pixel, a third on a rejected one, a third anywhere (a
    kind the scan lacks falls back to anywhere); a scan smaller than the crop is padded by reflection
    (the padding weighs 0).
    """
    u = rng.random()
    centre = _centre(scan.damage, rng) if u < 1 / 3 else _centre(scan.rejected, rng) if u < 2 / 3 else None
    h, w = scan.image.shape[:2]
    weight = np.ones((h, w), np.float32)
    weight[scan.rejected] = rejected_weight
    weight[scan.unsure] = 0.0
    planes = [scan.image, scan.damage.astype(np.uint8), weight]
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        planes = [np.pad(p, ((0, ph), (0, pw)) + ((0, 0),) * (p.ndim - 2), mode="reflect" if i == 0 else "constant")
                  for i, p in enumerate(planes)]
        h, w = planes[0].shape[:2]
    if centre is None:
        y0, x0 = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    else:
        y0 = min(max(centre[0] - size // 2 + int(rng.integers(-size // 4, size // 4 + 1)), 0), h - size)
        x0 = min(max(centre[1] - size // 2 + int(rng.integers(-size // 4, size // 4 + 1)), 0), w - size)
    image, target, weight = (p[y0:y0 + size, x0:x0 + size] for p in planes)
    return np.ascontiguousarray(image), target > 0, np.ascontiguousarray(weight)


def _batch(scans: Sequence[CanonicalScan], synthetic: SyntheticSource | None, recipe: FinetuneRecipe,
           rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    n_rev = recipe.batch_size if synthetic is None else max(1, round(recipe.batch_size * recipe.reviewed_share))
    images, targets, weights = [], [], []
    for _ in range(n_rev):
        im, t, w = reviewed_crop(scans[int(rng.integers(len(scans)))], recipe.crop, rng,
                                 rejected_weight=recipe.rejected_weight)
        images.append(im)
        targets.append(t)
        weights.append(w)
    if synthetic is not None:
        for _ in range(recipe.batch_size - n_rev):
            s = make_sample(synthetic.photos[int(rng.integers(len(synthetic.photos)))], synthetic.model,
                            synthetic.bank, rng=rng, settings=synthetic.settings)
            images.append(s.damaged)
            targets.append(s.mask)
            weights.append(np.ones(s.mask.shape, np.float32))
    x = torch.from_numpy(np.stack(images).astype(np.float32).transpose(0, 3, 1, 2) / np.float32(255))
    y = torch.from_numpy(np.stack(targets).astype(np.float32)[:, None])
    w = torch.from_numpy(np.stack(weights)[:, None])
    return augment(rng, x, y, w)


def weighted_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, *,
                  pos_weight: float) -> torch.Tensor:
    """Cross-entropy (damage weighted ``pos_weight``, each pixel by ``weight``) plus soft Dice over weighted pixels."""
    bce = F.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="sum",
                                             pos_weight=torch.tensor(pos_weight, device=logits.device))
    bce = bce / weight.sum().clamp_min(1.0)
    seen = (weight > 0).float()
    prob, truth = torch.sigmoid(logits) * seen, target * seen
    dice = 1 - (2 * (prob * truth).sum() + 1) / (prob.sum() + truth.sum() + 1)
    return bce + dice


def reviewed_scores(net: UNet, scans: Sequence[ReviewedScan], *, threshold: float, dilate: int = 2,
                    device: str = "cpu") -> dict[str, Any]:
    """A detector over held-out reviewed scans as the default method runs it; pooled over the scans.

    ``iou``, ``precision``, ``recall`` of its mask against the reviewed mask, ``flagged_share`` (share of
    the frame it flags), ``rejected_flagged`` (share of the rejected components' pixels it flags again);
    pixels left ``proposed`` are not counted. ``per_scan``: the same, by key.
    """
    tp = fp = fn = flagged = total = rej_hit = rej_total = 0
    per_scan = {}
    for scan in scans:
        found = detect_damage(scan.image, net, threshold=threshold, dilate=dilate, device=device,
                              polarity=scan.polarity, px_per_mm=scan.px_per_mm).mask
        counted = ~scan.unsure if scan.unsure is not None else np.ones(found.shape, bool)
        f, t = found & counted, scan.damage & counted
        s_tp, s_fp, s_fn = int((f & t).sum()), int((f & ~t).sum()), int((~f & t).sum())
        union = s_tp + s_fp + s_fn
        per_scan[scan.key] = {"iou": s_tp / union if union else 1.0, "flagged_share": float(f.sum() / counted.sum())}
        tp, fp, fn = tp + s_tp, fp + s_fp, fn + s_fn
        flagged, total = flagged + int(f.sum()), total + int(counted.sum())
        rej_hit, rej_total = rej_hit + int((found & scan.rejected).sum()), rej_total + int(scan.rejected.sum())
    union = tp + fp + fn
    return {"scans": len(scans), "threshold": float(threshold), "iou": tp / union if union else 1.0,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
            "flagged_share": flagged / total if total else 0.0,
            "rejected_flagged": rej_hit / rej_total if rej_total else 0.0, "per_scan": per_scan}


def finetune_detector(*, init: str | Path, train: Sequence[ReviewedScan], out: str | Path,
                      recipe: FinetuneRecipe = FinetuneRecipe(), synthetic: SyntheticSource | None = None,
                      held_out: Sequence[ReviewedScan] = (), baseline: str | Path | None = None,
                      device: str = "cpu", data: dict[str, Any] | None = None,
                      on_log: Callable[[int, float], None] | None = None,
                      progress: ProgressFn | None = None) -> FinetuneResult:
    """Go on training the detector ``init`` on reviewed scans (and synthetic samples); see the module docstring.

    Writes the checkpoint ``out`` with a card that says what it was trained on, the steps, and the
    held-out scores of the new detector and of ``baseline`` (default ``init``). ``progress(step, steps)``
    for training; ``on_log(step, mean loss)`` every ``recipe.log_every`` steps.
    """
    if not train:
        raise ValueError("no reviewed scans to train on: review and repair some restorations first")
    net, init_card = load_model(init)
    cfg = net.config
    if cfg.task != "segmentation" or cfg.out_channels != 1:
        raise ValueError(f"{init} is not a damage detector (a one-channel segmentation U-Net)")
    if recipe.crop % cfg.multiple:
        raise ValueError(f"crop {recipe.crop} must be a multiple of {cfg.multiple} for this network")
    if synthetic is not None and abs(synthetic.settings.canonical_px_per_mm - cfg.canonical_px_per_mm) > 1e-9:
        raise ValueError("the synthetic samples must be made at the detector's canonical scale "
                         f"({cfg.canonical_px_per_mm} px/mm)")
    threshold = float(init_card.get("threshold", 0.5))
    views = [canonical_view(s, cfg.canonical_px_per_mm, light_damage=cfg.light_damage) for s in train]
    torch.manual_seed(recipe.seed)
    net = net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    rng = np.random.default_rng([recipe.seed, 23])
    history, losses = [], []
    for step in range(1, recipe.steps + 1):
        t = step / recipe.steps
        for group in opt.param_groups:
            group["lr"] = recipe.min_lr + 0.5 * (recipe.lr - recipe.min_lr) * (1 + math.cos(math.pi * t))
        x, y, w = _batch(views, synthetic, recipe, rng)
        net.train()
        opt.zero_grad(set_to_none=True)
        loss = weighted_loss(net(x.to(device)), y.to(device), w.to(device), pos_weight=recipe.pos_weight)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if step % recipe.log_every == 0 or step == recipe.steps:
            history.append({"step": step, "loss": float(np.mean(losses))})
            losses = []
            if on_log is not None:
                on_log(step, history[-1]["loss"])
        if progress is not None:
            progress(step, recipe.steps)
    net = net.cpu().eval()
    scores: dict[str, Any] = {}
    if held_out:
        base_path = Path(baseline or init)
        base, base_card = load_model(base_path)
        scores = {"new": reviewed_scores(net, held_out, threshold=threshold, device="cpu"),
                  "baseline": reviewed_scores(base, held_out, threshold=float(base_card.get("threshold", 0.5)),
                                              device="cpu"),
                  "baseline_weights": str(base_path), "baseline_sha256": file_sha256(base_path)}
    out = Path(out)
    card = {
        "task": "segmentation", "trainer": "fine-tune from reviewed scans (restoration.core.finetune)",
        "loss": f"weighted bce (pos_weight {recipe.pos_weight}, rejected {recipe.rejected_weight}, "
                "unsure 0)+dice",
        "recipe": asdict(recipe), "steps": recipe.steps, "history": history,
        "continued_from": str(init), "continued_from_sha256": file_sha256(init),
        "threshold": threshold, "threshold_from": f"{init} (its operating point; recalibrate with "
                                                   "manage.py calibrate_detector)",
        "data": {**(data or {}), "reviewed_train": [s.key for s in train],
                 "reviewed_held_out": [s.key for s in held_out],
                 "synthetic": None if synthetic is None else {"pictures": len(synthetic.photos),
                                                              "share": round(1 - recipe.reviewed_share, 3)}},
        "held_out": scores,
        "proxy_benchmark": f"python benchmarks/detection_proxy.py --weights-dir {out.parent} --methods unet-grain",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "torch": str(torch.__version__),
        "device": str(device),
    }
    return FinetuneResult(save_model(out, net, card=card), card)


def card_markdown(name: str, card: dict[str, Any]) -> str:
    """A short model card (markdown) of a fine-tuned detector: data, steps, held-out scores, how to benchmark."""
    data = card.get("data", {})
    lines = [f"# {name}", "", f"Fine-tuned from `{card.get('continued_from')}` for {card.get('steps')} steps "
             f"({card.get('loss')}).", "",
             f"- reviewed scans trained on: {len(data.get('reviewed_train', []))}; held out: "
             f"{len(data.get('reviewed_held_out', []))} (by scan, seed {card.get('recipe', {}).get('seed')})",
             f"- synthetic samples: {data.get('synthetic') or 'none'}",
             f"- threshold {card.get('threshold')}: {card.get('threshold_from')}"]
    held = card.get("held_out") or {}
    if held:
        lines += ["", "| held-out reviewed scans | IoU | precision | recall | share flagged | rejected flagged again |",
                  "|---|---|---|---|---|---|"]
        for who in ("baseline", "new"):
            s = held[who]
            lines.append(f"| {'current default' if who == 'baseline' else 'this detector'} | {s['iou']:.3f} | "
                         f"{s['precision']:.3f} | {s['recall']:.3f} | {s['flagged_share']:.4%} | "
                         f"{s['rejected_flagged']:.2%} |")
    lines += ["", f"Proxy benchmark: `{card.get('proxy_benchmark')}`", ""]
    return "\n".join(lines)
