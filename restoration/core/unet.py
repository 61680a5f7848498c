"""A small configurable U-Net for damage segmentation and direct restoration.

Ronneberger et al.'s encoder-decoder with skip connections (the paper's
segmentation network, Section 5.1, and the restoration network of [ISW22]):
two 3x3 convolutions with batch normalisation and ReLU per level, max-pooling
down, nearest upsampling plus a convolution up (no checkerboard artefacts).

* ``task="segmentation"``: ``out_channels`` logits (1 for damage).
* ``task="restoration"``: a residual: ``output = input + net(input)``; with
  ``gated=True`` the head also predicts a damage gate ``g`` and
  ``output = input + sigmoid(g) * net(input)`` (the gate learns, from the
  training masks, where to change the image, as blind motif removal [HFH*19]
  does; at inference it needs no mask). Both start as the identity.

Checkpoints are plain dicts ``{"arch": {...}, "state_dict": ..., "card": {...}}``
(the model card: data, steps, seed, validation scores), loaded with
``torch.load(weights_only=True)`` so that a checkpoint cannot run code.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

TASKS = ("segmentation", "restoration")
#: Initial gate logit of a gated restoration U-Net (sigmoid = 0.05: little damage anywhere).
GATE_BIAS = -3.0


class CheckpointError(ValueError):
    """Raised when a checkpoint file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class UNetConfig:
    """The architecture of a :class:`UNet`, stored in checkpoints as ``arch``."""

    in_channels: int = 3
    out_channels: int = 1
    base: int = 16
    depth: int = 3
    task: str = "segmentation"
    gated: bool = False
    #: A detector trained at one scale: scans are resampled to this many px per mm of film before it
    #: runs (0: it runs at the scan's own resolution, as detectors trained before this field did).
    canonical_px_per_mm: float = 0.0
    #: A detector that sees damage as light (negative film): positive film is inverted before it.
    light_damage: bool = False

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if not isinstance(self.gated, bool):
            raise ValueError(f"gated must be True or False, got {self.gated!r}")
        if self.gated and self.task != "restoration":
            raise ValueError("only a restoration U-Net can be gated")
        for name in ("in_channels", "out_channels", "base", "depth"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not isinstance(self.canonical_px_per_mm, (int, float)) or self.canonical_px_per_mm < 0:
            raise ValueError(f"canonical_px_per_mm must be >= 0, got {self.canonical_px_per_mm!r}")
        if (self.canonical_px_per_mm or self.light_damage) and self.task != "segmentation":
            raise ValueError("only a segmentation U-Net has a canonical scale or a damage polarity")
        if self.task == "restoration" and self.in_channels != self.out_channels:
            raise ValueError("a restoration U-Net needs in_channels == out_channels (residual output)")

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this (``2 ** depth``)."""
        return 2**self.depth


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net over ``(N, in_channels, H, W)`` inputs with ``H, W`` multiples of ``2 ** depth``."""

    def __init__(self, config: UNetConfig | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.config = config if config is not None else UNetConfig(**kwargs)
        cfg = self.config
        widths = [cfg.base * 2**i for i in range(cfg.depth + 1)]
        self.down = nn.ModuleList()
        cin = cfg.in_channels
        for wd in widths[:-1]:
            self.down.append(_block(cin, wd))
            cin = wd
        self.bottom = _block(widths[-2], widths[-1])
        self.up_conv = nn.ModuleList()
        self.up_block = nn.ModuleList()
        for wd in reversed(widths[:-1]):
            self.up_conv.append(nn.Conv2d(wd * 2, wd, 3, padding=1))
            self.up_block.append(_block(wd * 2, wd))
        self.head = nn.Conv2d(widths[0], cfg.out_channels + int(cfg.gated), 1)
        if cfg.task == "restoration":
            nn.init.zeros_(self.head.weight)  # start as the identity
            nn.init.zeros_(self.head.bias)
            if cfg.gated:
                nn.init.constant_(self.head.bias[cfg.out_channels:], GATE_BIAS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_parts(x)[0]

    def forward_parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(output, gate logits)``; the gate is ``None`` unless the network is gated."""
        m = self.config.multiple
        if x.shape[-1] % m or x.shape[-2] % m:
            raise ValueError(f"input sides {tuple(x.shape[-2:])} must be multiples of {m}")
        skips = []
        h = x
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = F.max_pool2d(h, 2)
        h = self.bottom(h)
        for conv, block, skip in zip(self.up_conv, self.up_block, reversed(skips)):
            h = conv(F.interpolate(h, scale_factor=2, mode="nearest"))
            h = block(torch.cat([h, skip], dim=1))
        out = self.head(h)
        if self.config.task != "restoration":
            return out, None
        if not self.config.gated:
            return x + out, None
        c = self.config.out_channels
        gate = out[:, c:]
        return x + torch.sigmoid(gate) * out[:, :c], gate


def gated_from_segmentation(seg: UNet) -> UNet:
    """A gated restoration U-Net whose body and gate start as the segmentation network ``seg``.

    Every layer but the head is copied; the gate channel of the head takes the
    segmentation head (so the gate starts as the trained damage detector) and the
    residual channels start at zero (so the network starts as the identity).
    """
    cfg = seg.config
    if cfg.task != "segmentation" or cfg.out_channels != 1:
        raise ValueError("need a one-channel segmentation U-Net to start a gated restoration U-Net from")
    model = UNet(UNetConfig(in_channels=cfg.in_channels, out_channels=cfg.in_channels, base=cfg.base,
                            depth=cfg.depth, task="restoration", gated=True))
    state = {k: v for k, v in seg.state_dict().items() if not k.startswith("head.")}
    model.load_state_dict(state, strict=False)
    with torch.no_grad():
        model.head.weight[cfg.in_channels:] = seg.head.weight
        model.head.bias[cfg.in_channels:] = seg.head.bias
    return model


def forward_padded(model: UNet, x: torch.Tensor) -> torch.Tensor:
    """Run ``model`` on an input of any size, reflect-padding up to the next multiple."""
    m = model.config.multiple
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph or pw:
        mode = "reflect" if min(h, w) > max(ph, pw) else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return model(x)[..., :h, :w]


def save_model(path: str | Path, model: UNet, *, card: dict[str, Any]) -> Path:
    """Write ``{"arch", "state_dict", "card"}`` to ``path`` (parents created).

    The card must be JSON-serialisable (it is stored as plain dicts, lists,
    strings and numbers, so that ``weights_only`` loading accepts it).
    """
    try:
        card = json.loads(json.dumps(card, allow_nan=True))
    except TypeError as exc:
        raise ValueError(f"the model card must be JSON-serialisable: {exc}") from exc
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"arch": asdict(model.config), "state_dict": state, "card": dict(card)}, path)
    return path


def load_model(
    path: str | Path, *, map_location: str | torch.device = "cpu"
) -> tuple[UNet, dict[str, Any]]:
    """Load a checkpoint written by :func:`save_model`; returns ``(model in eval mode, card)``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt files
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(ckpt, dict) or not {"arch", "state_dict"} <= set(ckpt):
        raise CheckpointError(f"{path} is not a U-Net checkpoint (needs keys 'arch' and 'state_dict')")
    try:
        model = UNet(UNetConfig(**ckpt["arch"]))
        model.load_state_dict(ckpt["state_dict"])
    except (TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} does not match its architecture: {exc}") from exc
    return model.eval().to(map_location), dict(ckpt.get("card", {}))
