"""Training the damage detector on samples made as it goes (:mod:`.realism`), at its canonical scale.

Unlike :func:`.training.train_segmentation`, which reads a fixed synthetic
dataset, this trainer draws every training crop afresh from a corpus of clean
photographs and hard negatives: a new picture crop, grain, scale, JPEG and
damage overlay each time, so that a small network on a CPU does not learn its
training crops by heart. The damage is always *light* (positive film is
inverted before the network, see :mod:`.realism`), and the network is told so
in its configuration (``light_damage``) together with its canonical scale.

Validation uses fixed samples (drawn once from the seed) of photographs kept
apart from training, scored every ``eval_every`` steps: pooled IoU and F1 at
probability 0.5 over damaged and undamaged crops, the share of pixels flagged
on the undamaged crops, precision and recall, and the same at the *operating
point*: the threshold with the best IoU among those that flag at most
``max_clean_flagged`` of the undamaged pixels. The checkpoint keeps the
evaluation with the best operating-point IoU and writes its threshold to the
card (``threshold``), which the restoration methods use by default.
Seeded; deterministic on the CPU.
"""
from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from imaging.progress import ProgressFn
from synthesis.core.bank import ArtefactBank
from synthesis.core.model import DamageModel

from .losses import dice_loss
from .realism import Sample, SampleSettings, make_sample
from .unet import UNet, UNetConfig, load_model, save_model


@dataclass(frozen=True)
class DetectorRecipe:
    """How the detector is trained."""

    steps: int = 1500
    batch_size: int = 16
    lr: float = 1e-3
    min_lr: float = 2e-5
    eval_every: int = 100
    val_samples: int = 128
    seed: int = 0
    #: Weight of damage pixels in the cross-entropy: damage is a fraction of a per cent of the pixels, and
    #: without it a small network settles on flagging nothing (seen at 0.6% damage: IoU 0 from step 160 on).
    pos_weight: float = 10.0
    #: Damage density drawn per sample (see :class:`.realism.SampleSettings`): at the model's own level 1
    #: six crops in ten hold no damage and a small network learns to flag nothing; 1-8 spans the annotated
    #: frames' 0.2-2.6% of damaged pixels.
    sample: SampleSettings = field(default_factory=lambda: SampleSettings(size=192, damage_level=(1.0, 8.0)))
    #: The operating point: the detector's threshold is the one with the best validation IoU among those that
    #: flag at most this share of the pixels of undamaged crops (written to the card as ``threshold``).
    max_clean_flagged: float = 5e-4

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_every", "val_samples"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not 0 < self.min_lr <= self.lr:
            raise ValueError(f"need 0 < min_lr <= lr, got {self.min_lr} and {self.lr}")


@dataclass(frozen=True)
class Evaluation:
    step: int
    train_loss: float
    val: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class DetectorResult:
    path: Path
    card: dict[str, Any]
    history: list[Evaluation]


def default_arch(canonical_px_per_mm: float) -> UNetConfig:
    """The shipped CPU recipe's network: base 8, depth 5 (receptive field above 300 px at the canonical scale)."""
    return UNetConfig(in_channels=3, out_channels=1, base=8, depth=5, task="segmentation",
                      canonical_px_per_mm=float(canonical_px_per_mm), light_damage=True)


def detector_loss(logits: torch.Tensor, target: torch.Tensor, *, pos_weight: float) -> torch.Tensor:
    """Cross-entropy with damage pixels weighted ``pos_weight``, plus soft Dice over the batch."""
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(pos_weight, device=logits.device))
    return bce + dice_loss(logits, target)


def _tensor(samples: Sequence[Sample]) -> tuple[torch.Tensor, torch.Tensor]:
    x = np.stack([s.damaged for s in samples]).astype(np.float32).transpose(0, 3, 1, 2) / np.float32(255)
    y = np.stack([s.mask for s in samples]).astype(np.float32)[:, None]
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def augment(rng: np.random.Generator, *planes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The same random quarter turn and mirror of every ``(N, C, H, W)`` plane (image, target, weights...)."""
    k = int(rng.integers(4))
    if k:
        planes = tuple(torch.rot90(t, k, (2, 3)) for t in planes)
    if rng.random() < 0.5:
        planes = tuple(torch.flip(t, (3,)) for t in planes)
    return tuple(t.contiguous() for t in planes)


def _batch(photos: Sequence[np.ndarray], model: DamageModel, bank: ArtefactBank, *, rng: np.random.Generator,
           settings: SampleSettings, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One augmented training batch of fresh samples, each from a photograph drawn from ``rng``."""
    batch = [make_sample(photos[int(rng.integers(len(photos)))], model, bank, rng=rng, settings=settings)
             for _ in range(batch_size)]
    return augment(rng, *_tensor(batch))


class SampleStream(torch.utils.data.IterableDataset):
    """Training batches made in DataLoader worker processes: ``steps`` batches in all, in a fixed order.

    Worker ``w`` of ``n`` makes batches ``w, w + n, w + 2n, ...`` from its own random stream
    (``[seed, 3, w]``), and a DataLoader takes them from its workers in turn, so a run with the same
    seed and worker count sees the same batches. Making samples takes about 0.01 s a crop in one
    process, which bounds a GPU's step; workers make them side by side.
    """

    def __init__(self, photos: Sequence[np.ndarray], model: DamageModel, bank: ArtefactBank, *,
                 settings: SampleSettings, batch_size: int, steps: int, seed: int) -> None:
        super().__init__()
        self.photos, self.model, self.bank = list(photos), model, bank
        self.settings, self.batch_size, self.steps, self.seed = settings, batch_size, steps, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        torch.set_num_threads(1)
        rng = np.random.default_rng([self.seed, 3, worker])
        for _ in range(worker, self.steps, workers):
            yield _batch(self.photos, self.model, self.bank, rng=rng, settings=self.settings,
                         batch_size=self.batch_size)


def validation_set(photos: Sequence[np.ndarray], model: DamageModel, bank: ArtefactBank, *, n: int, seed: int,
                   settings: SampleSettings, light_damage: bool = True, stream: int = 7,
                   ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """``n`` fixed samples (x, y, damaged flag), a quarter of them without damage.

    ``light_damage`` False shows the samples of positive film as they are on film (dark damage), not
    inverted; ``stream`` names the random stream drawn from ``seed``.
    """
    rng = np.random.default_rng([seed, stream])
    samples, damaged = [], []
    for i in range(n):
        has = i % 4 != 3
        s = make_sample(photos[i % len(photos)], model, bank, rng=rng, settings=settings, damaged=has)
        if s.facts["inverted"] and not light_damage:
            s = replace(s, damaged=255 - s.damaged)
        samples.append(s)
        damaged.append(has)
    x, y = _tensor(samples)
    return x, y, np.array(damaged)


#: Thresholds the operating point is chosen from.
THRESHOLDS = tuple(round(float(t), 4) for t in np.concatenate([np.arange(0.3, 0.9, 0.05), np.arange(0.9, 0.995, 0.01),
                                                                [0.995, 0.998, 0.999, 0.9995, 0.9998, 0.9999]]))


def _scores(prob: np.ndarray, truth: np.ndarray, damaged: np.ndarray, threshold: float) -> dict[str, float]:
    pred = prob > threshold
    tp = int((pred & truth).sum())
    fp = int((pred & ~truth).sum())
    fn = int((~pred & truth).sum())
    clean = pred[~damaged]
    union = tp + fp + fn
    return {"iou": tp / union if union else 1.0, "f1": 2 * tp / (2 * tp + fp + fn) if union else 1.0,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
            "clean_flagged": float(clean.mean()) if clean.size else 0.0}


def detection_scores(net: UNet, x: torch.Tensor, y: torch.Tensor, damaged: np.ndarray, *, device: str = "cpu",
                     batch_size: int = 16, max_clean_flagged: float = 5e-4) -> dict[str, float]:
    """Pooled IoU, F1, precision, recall and the share flagged on undamaged crops at 0.5, and at the operating point.

    The operating point (keys ``threshold``, ``op_iou``, ``op_f1``, ``op_precision``, ``op_recall``,
    ``op_clean_flagged``) is the threshold of :data:`THRESHOLDS` with the best IoU among those that flag
    at most ``max_clean_flagged`` of the undamaged crops' pixels (the highest one when none does).
    """
    net.eval()
    probs = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            probs.append(torch.sigmoid(net(x[i:i + batch_size].to(device))).cpu().numpy()[:, 0])
    prob = np.concatenate(probs)
    truth = y.numpy()[:, 0] > 0.5
    damaged = np.asarray(damaged, bool)
    at_half = _scores(prob, truth, damaged, 0.5)
    sweep = [(t, _scores(prob, truth, damaged, t)) for t in THRESHOLDS]
    ok = [(t, sc) for t, sc in sweep if sc["clean_flagged"] <= max_clean_flagged]
    t, op = max(ok, key=lambda ts: ts[1]["iou"]) if ok else sweep[-1]
    return {**at_half, "threshold": float(t), **{f"op_{k}": v for k, v in op.items()}}


def train_detector(*, photos: Sequence[np.ndarray], val_photos: Sequence[np.ndarray], model: DamageModel,
                   bank: ArtefactBank, out: str | Path, recipe: DetectorRecipe = DetectorRecipe(),
                   arch: UNetConfig | None = None, device: str = "cpu", init: str | Path | None = None,
                   data: dict[str, Any] | None = None,
                   on_eval: Callable[[Evaluation], None] | None = None,
                   progress: ProgressFn | None = None, sample_workers: int = 0) -> DetectorResult:
    """Train the damage detector on fresh realistic samples; see the module docstring.

    Parameters
    ----------
    photos, val_photos : sequences of uint8 RGB arrays
        Clean training pictures, and pictures kept apart for validation.
    model, bank
        The fitted damage model and the artefact bank the overlays come from.
    out : path
        Checkpoint to write (the evaluation with the best validation IoU).
    arch : UNetConfig, optional
        Default :func:`default_arch` at the recipe's canonical scale; must be a light-damage
        segmentation network whose canonical scale is the recipe's.
    init : path, optional
        A checkpoint of the same architecture to go on from.
    data : dict, optional
        What the pictures are (sources, counts), recorded in the model card.
    sample_workers : int
        0 (default): samples are made in this process between steps, from one random stream. More:
        that many DataLoader worker processes make the batches while the network trains
        (:class:`SampleStream`; another stream of samples, the same for the same seed and count).
    """
    if not photos or not val_photos:
        raise ValueError("need training and validation photographs")
    settings = recipe.sample
    arch = arch or default_arch(settings.canonical_px_per_mm)
    if arch.task != "segmentation" or not arch.light_damage or \
            abs(arch.canonical_px_per_mm - settings.canonical_px_per_mm) > 1e-9:
        raise ValueError("the detector must be a light-damage segmentation U-Net at the samples' canonical scale "
                         f"({settings.canonical_px_per_mm} px/mm), got {arch}")
    if isinstance(sample_workers, bool) or not isinstance(sample_workers, int) or sample_workers < 0:
        raise ValueError(f"sample_workers must be a whole number >= 0, got {sample_workers!r}")
    if settings.size % arch.multiple:
        raise ValueError(f"sample size {settings.size} must be a multiple of {arch.multiple}")
    torch.manual_seed(recipe.seed)
    net = UNet(arch)
    if init is not None:
        start, _ = load_model(init)
        if start.config != arch:
            raise ValueError(f"{init} has architecture {start.config}, not {arch}")
        net.load_state_dict(start.state_dict())
    net = net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    rng = np.random.default_rng([recipe.seed, 3])
    val_x, val_y, val_damaged = validation_set(val_photos, model, bank, n=recipe.val_samples, seed=recipe.seed,
                                               settings=settings)
    history: list[Evaluation] = []
    best: tuple[int, float, dict[str, torch.Tensor]] | None = None
    losses: list[float] = []
    start_time = time.perf_counter()
    stream = None
    if sample_workers:
        stream = iter(torch.utils.data.DataLoader(
            SampleStream(photos, model, bank, settings=settings, batch_size=recipe.batch_size, steps=recipe.steps,
                         seed=recipe.seed),
            batch_size=None, num_workers=sample_workers, prefetch_factor=4, pin_memory=str(device).startswith("cuda")))
    for step in range(1, recipe.steps + 1):
        t = step / recipe.steps  # cosine decay from lr to min_lr
        for group in opt.param_groups:
            group["lr"] = recipe.min_lr + 0.5 * (recipe.lr - recipe.min_lr) * (1 + math.cos(math.pi * t))
        xb, yb = next(stream) if stream is not None else _batch(photos, model, bank, rng=rng, settings=settings,
                                                                batch_size=recipe.batch_size)
        net.train()
        opt.zero_grad(set_to_none=True)
        loss = detector_loss(net(xb.to(device)), yb.to(device), pos_weight=recipe.pos_weight)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(step, recipe.steps)
        if step % recipe.eval_every == 0 or step == recipe.steps:
            ev = Evaluation(step, float(np.mean(losses)),
                            detection_scores(net, val_x, val_y, val_damaged, device=device,
                                             max_clean_flagged=recipe.max_clean_flagged),
                            time.perf_counter() - start_time)
            losses = []
            history.append(ev)
            if best is None or ev.val["op_iou"] > best[1]:
                best = (len(history) - 1, ev.val["op_iou"],
                        {k: v.detach().cpu().clone() for k, v in net.state_dict().items()})
                # the best so far is on disk at once (``partial`` in its card): a run stopped early keeps it
                keep = UNet(arch)
                keep.load_state_dict(best[2])
                save_model(out, keep, card=_card(recipe, settings, arch, data, len(val_x), history, best[0],
                                                 str(device), init, partial=True, sample_workers=sample_workers))
            if on_eval is not None:
                on_eval(ev)
    chosen, _, state = best
    net.load_state_dict(state)
    card = _card(recipe, settings, arch, data, len(val_x), history, chosen, str(device), init,
                 sample_workers=sample_workers)
    return DetectorResult(save_model(out, net.cpu(), card=card), card, history)


def _card(recipe: DetectorRecipe, settings: SampleSettings, arch: UNetConfig, data: dict[str, Any] | None,
          val_samples: int, history: list[Evaluation], chosen: int, device: str, init, *,
          partial: bool = False, sample_workers: int = 0) -> dict[str, Any]:
    return {
        "task": "segmentation", "trainer": "detector (fresh realistic samples, restoration.core.realism)",
        "loss": f"bce (pos_weight {recipe.pos_weight})+dice", "recipe": {**asdict(replace(recipe, sample=settings))},
        "arch": asdict(arch), "data": data or {}, "val_samples": int(val_samples),
        "selected_step": history[chosen].step, "selected_by": "op_iou", "val": history[chosen].val,
        "threshold": history[chosen].val["threshold"],
        "operating_point": (f"best validation IoU with at most {recipe.max_clean_flagged:.2%} of undamaged "
                            "pixels flagged"),
        "history": [asdict(h) for h in history], "steps": recipe.steps,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "torch": str(torch.__version__), "device": device,
        **({"sample_workers": sample_workers} if sample_workers else {}),
        **({"continued_from": str(init)} if init else {}),
        **({"partial": True} if partial else {}),
    }


def calibrate_detector(net: UNet, photos: Sequence[np.ndarray], model: DamageModel, bank: ArtefactBank, *,
                       samples: int = 256, size: int = 192, seed: int = 0, max_clean_flagged: float = 5e-4,
                       damage_level: float | tuple[float, float] = (1.0, 8.0), device: str = "cpu",
                       ) -> dict[str, float]:
    """The operating point of any detector at a canonical scale, on fresh realistic samples of ``photos``.

    Samples are made as for training (:func:`.realism.make_sample`, a quarter undamaged) at the network's
    canonical scale; a network not trained on light damage only sees the samples of positive film as they
    are on film (dark damage), not inverted. Returns :func:`detection_scores` (``threshold`` is the operating
    point). ``photos`` should be pictures of sources the detector was not trained on and the benchmark does not
    use (``corpus.calibration_items``): on its training sources a network flags less than on new pictures, and
    a threshold chosen there lets through what it has not seen.
    """
    cfg = net.config
    if cfg.task != "segmentation" or not cfg.canonical_px_per_mm:
        raise ValueError("calibration needs a segmentation network with a canonical scale "
                         f"(canonical_px_per_mm > 0), got {cfg}")
    if not photos:
        raise ValueError("need photographs to calibrate on")
    settings = SampleSettings(size=size, canonical_px_per_mm=cfg.canonical_px_per_mm, damage_level=damage_level)
    x, y, damaged = validation_set(photos, model, bank, n=samples, seed=seed, settings=settings,
                                   light_damage=cfg.light_damage, stream=11)
    return detection_scores(net.to(device), x, y, damaged, device=device,
                            max_clean_flagged=max_clean_flagged)


def read_pictures(paths: Sequence[str | Path], *, long_side: int = 1600) -> list[np.ndarray]:
    """Clean pictures as uint8 RGB with the long side at most ``long_side``, in sorted path order."""
    import cv2

    from imaging.io import read_image

    out = []
    for path in sorted(str(p) for p in paths):
        image = read_image(path)
        if image.dtype == np.uint16:
            image = (image >> 8).astype(np.uint8)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        image = np.ascontiguousarray(image[..., :3])
        f = long_side / max(image.shape[:2])
        if f < 1:
            image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        out.append(image)
    return out


def training_pictures(paths: Sequence[str | Path], *, long_side: int = 1600, val_every: int = 10,
                      ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Read clean pictures (:func:`read_pictures`) and set every ``val_every``-th apart.

    The pictures set apart validate the training (model selection); held-out *sources*, which
    training never sees, are for calibration (``calibrate_detector``) and the benchmark
    (``benchmarks/detection_proxy.py``), not for this.
    """
    if val_every < 2:
        raise ValueError(f"val_every must be at least 2, got {val_every}")
    pictures = read_pictures(paths, long_side=long_side)
    train = [p for i, p in enumerate(pictures) if i % val_every != val_every - 1]
    val = [p for i, p in enumerate(pictures) if i % val_every == val_every - 1]
    if not train or not val:
        raise ValueError(f"need at least {val_every} pictures to train and validate, got {len(paths)}")
    return train, val
