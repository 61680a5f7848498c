"""Pipelines and the method registry: bit depth kept, only masked pixels change."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restoration.core import methods as registry
from restoration.core.methods import (
    DEFAULT_METHOD,
    MethodError,
    MethodUnavailable,
    get_method,
    get_methods,
    restore_image,
)
from restoration.core.pipeline import RestorationError, detect_damage, restore_direct, restore_masked
from restoration.core.tiler import tile_grid
from restoration.core.unet import UNet, UNetConfig, save_model

torch.set_num_threads(2)


class BrightDetector(UNet):
    """A stand-in segmentation net: logit 50 * (mean brightness - 0.9): white specks are damage."""

    def __init__(self):
        super().__init__(UNetConfig(base=2, depth=1))

    def forward(self, x):
        return 50.0 * (x.mean(dim=1, keepdim=True) - 0.9)


def _scan(dtype, shape=(300, 420, 3), seed=0):
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    base = 0.3 + 0.2 * np.linspace(0, 1, shape[1])[None, :]
    img = base[..., None] + rng.normal(0, 0.02, shape[:2] + (shape[2] if len(shape) == 3 else 1,))
    img = np.clip(img * top, 0, top).astype(dtype)
    return img if len(shape) == 3 else img[..., 0]


def _specks(image):
    damaged = image.copy()
    truth = np.zeros(image.shape[:2], bool)
    for y, x in [(20, 30), (150, 200), (290, 410), (100, 5)]:
        truth[y - 2: y + 3, x - 2: x + 3] = True
    damaged[truth] = np.iinfo(image.dtype).max
    return damaged, truth


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(300, 420, 3), (300, 420)])
def test_detect_then_inpaint_finds_specks_and_keeps_everything_else(dtype, shape):
    # given: specks on a grainy scan
    damaged, truth = _specks(_scan(dtype, shape))
    # when
    damage = detect_damage(damaged, BrightDetector(), threshold=0.5, dilate=2)
    restored = restore_masked(damaged, damage.mask, method="grain", seed=1)
    # then: every speck pixel is in the mask, the mask is the dilated specks only
    assert damage.mask[truth].all()
    assert damage.mask.sum() < 3 * truth.sum()
    assert restored.dtype == dtype and restored.shape == damaged.shape
    assert np.array_equal(restored[~damage.mask], damaged[~damage.mask])
    assert restored[truth].max() < np.iinfo(dtype).max * 0.8


def test_rgba_alpha_passes_through():
    rgb, truth = _specks(_scan(np.uint8))
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 77, np.uint8)], axis=2)
    damage = detect_damage(rgba, BrightDetector())
    out = restore_masked(rgba, damage.mask, method="telea")
    assert out.shape == rgba.shape and np.all(out[..., 3] == 77)
    assert np.array_equal(out[~damage.mask], rgba[~damage.mask])


def test_float_images_are_refused():
    with pytest.raises(RestorationError, match="uint8 or uint16"):
        detect_damage(np.zeros((10, 10, 3), np.float32), BrightDetector())


def test_restore_direct_identity_net_changes_nothing():
    net = UNet(UNetConfig(in_channels=3, out_channels=3, base=4, depth=2, task="restoration")).eval()
    image = _scan(np.uint16)
    out, mask = restore_direct(image, net)
    assert np.array_equal(out, image) and not mask.any()


@pytest.fixture
def weights_dir(tmp_path):
    torch.manual_seed(0)
    seg = UNet(UNetConfig(base=4, depth=2)).eval()
    save_model(tmp_path / registry.SEGMENTATION_WEIGHTS, seg, card={"note": "random test weights"})
    rest = UNet(UNetConfig(in_channels=3, out_channels=3, base=4, depth=2, task="restoration"))
    with torch.no_grad():
        rest.head.bias.copy_(torch.tensor([0.05, 0.0, 0.0]))  # shifts red by 0.05 everywhere
    save_model(tmp_path / registry.RESTORATION_WEIGHTS, rest.eval(), card={})
    return tmp_path


def _quantile_threshold(image, weights_dir, q):
    from restoration.core.unet import load_model
    model, _ = load_model(weights_dir / registry.SEGMENTATION_WEIGHTS)
    return float(np.quantile(detect_damage(image, model, dilate=0).probability, q))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("name", ["unet-telea", "unet-ns", "unet-grain"])
def test_mask_methods_return_outside_mask_bit_identical(dtype, name, weights_dir):
    # given: a random segmentation net, thresholded so that 5% of pixels are "damage", then dilated
    image = _scan(dtype, (200, 300, 3))
    t = _quantile_threshold(image, weights_dir, 0.95)
    # when
    result = restore_image(image, method=name, options={"threshold": t, "dilate": 1, "review": False},
                           weights_dir=weights_dir)
    # then
    mask = result.mask > 0
    assert result.image.dtype == dtype and result.image.shape == image.shape
    assert result.mask.dtype == np.uint8 and set(np.unique(result.mask)) <= {0, 255}
    assert 0.06 < mask.mean() < 0.8
    assert np.array_equal(result.image[~mask], image[~mask])
    assert result.info["method"] == name and result.info["segmentation_card"]["note"] == "random test weights"


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_reviewed_repair_changes_only_the_kept_components(dtype, weights_dir):
    # given: the same random detector, with the do-no-harm review on (the default)
    image = _scan(dtype, (200, 300, 3))
    t = _quantile_threshold(image, weights_dir, 0.95)
    # when
    result = restore_image(image, method="unet-grain", options={"threshold": t, "dilate": 1}, weights_dir=weights_dir)
    unreviewed = restore_image(image, method="unet-grain", options={"threshold": t, "dilate": 1, "review": False},
                               weights_dir=weights_dir)
    # then: the review reports its decisions, keeps a subset of the detected pixels, and every pixel outside
    # the kept components is the input's, bit for bit
    review = result.info["components"]
    assert review["kept"] + sum(review["dropped"].values()) > 0
    kept, detected = result.mask > 0, unreviewed.mask > 0
    assert not (kept & ~detected).any() and kept.sum() < detected.sum()
    assert result.info["detected_share"] == pytest.approx(detected.mean())
    assert np.array_equal(result.image[~kept], image[~kept])


def test_dust_scratches_method_and_options(weights_dir):
    image, truth = _specks(_scan(np.uint16))
    method = get_method("dust-scratches", weights_dir=weights_dir)
    assert method.available() and method.kind == "filter" and not method.needs_weights
    result = method.run(image, options={"radius": 5, "threshold": 20.0})
    assert (result.mask[truth] == 255).all()
    with pytest.raises(MethodError, match="no option 'sigma'"):
        method.run(image, options={"sigma": 2})
    with pytest.raises(MethodError, match="must be int"):
        method.run(image, options={"radius": "3"})
    with pytest.raises(MethodError, match=r"must be in \[1, 100\]"):
        method.options({"radius": 0})
    with pytest.raises(MethodError, match="must be one of"):
        method.options({"shape": "star"})
    assert method.options({"threshold": 4}) == {"radius": 2, "threshold": 4.0, "shape": "square"}


def test_restoration_unet_method(weights_dir):
    image = _scan(np.uint8, (100, 120, 3))
    result = restore_image(image, method="restoration-unet", weights_dir=weights_dir, device="cpu")
    # the bias moves red by 0.05 (~13 levels) everywhere: all pixels change, red only
    assert (result.mask == 255).all()
    diff = result.image.astype(int) - image
    assert np.all(np.abs(diff[..., 0] - 13) <= 1) and np.all(diff[..., 1:] == 0)


def test_missing_weights_make_methods_unavailable_not_crash(tmp_path, monkeypatch):
    monkeypatch.delenv("LAMA_TORCHSCRIPT", raising=False)
    methods = get_methods(weights_dir=tmp_path)
    assert methods["dust-scratches"].available()
    for name in ("unet-telea", "unet-ns", "unet-grain", "restoration-unet", "lama"):
        assert not methods[name].available()
        assert "not found" in methods[name].reason_unavailable or "no LaMa" in methods[name].reason_unavailable
    with pytest.raises(MethodUnavailable, match="segmentation weights not found"):
        restore_image(np.zeros((8, 8, 3), np.uint8), weights_dir=tmp_path)
    assert DEFAULT_METHOD in methods


def test_lama_unavailable_without_a_path(weights_dir, monkeypatch):
    monkeypatch.delenv("LAMA_TORCHSCRIPT", raising=False)
    lama = get_method("lama", weights_dir=weights_dir)
    assert not lama.available() and "LAMA_TORCHSCRIPT" in lama.reason_unavailable
    assert lama.describe()["available"] is False
    monkeypatch.setenv("LAMA_TORCHSCRIPT", str(weights_dir / "missing.pt"))
    assert "not found" in get_method("lama", weights_dir=weights_dir).reason_unavailable


class FlatInpainter(torch.nn.Module):
    """A LaMa-shaped TorchScript stand-in: fills the hole with 0.5 grey."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image * (1 - mask) + 0.5 * mask


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_lama_method_with_a_torchscript_file(weights_dir, dtype, monkeypatch):
    monkeypatch.delenv("LAMA_TORCHSCRIPT", raising=False)
    path = weights_dir / "lama.pt"
    torch.jit.script(FlatInpainter()).save(str(path))
    image = _scan(dtype, (200, 300, 3))
    t = _quantile_threshold(image, weights_dir, 0.5)
    result = restore_image(image, method="lama", lama_path=path, weights_dir=weights_dir,
                           options={"threshold": t, "dilate": 0, "tile": 128, "review": False})
    mask = result.mask > 0
    half = np.iinfo(dtype).max / 2
    assert mask.any() and np.array_equal(result.image[~mask], image[~mask])
    assert np.all(np.abs(result.image[mask].astype(float) - half) <= 1)


def test_unknown_method_and_describe(weights_dir):
    with pytest.raises(MethodError, match="unknown method"):
        get_method("magic", weights_dir=weights_dir)
    info = get_method("unet-grain", weights_dir=weights_dir).describe()
    assert info["kind"] == "segmentation+inpainting" and info["available"] and info["needs_weights"]


def test_torchscript_inpainter_sees_only_damaged_tiles():
    # given: damage in exactly two places; a counting inpainter
    from restoration.core.pipeline import inpaint_torchscript

    class Counting(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, image, mask):
            self.calls += image.shape[0]
            return image * (1 - mask) + 0.5 * mask

    image = _scan(np.uint8, (512, 768, 3))
    mask = np.zeros((512, 768), bool)
    mask[10:14, 10:14] = True      # only in the top-left tile
    mask[300:304, 400:404] = True  # inside four overlapping tiles
    module = Counting()
    # when
    out = inpaint_torchscript(image, mask, module, tile=256)
    # then: the module ran on the damaged tiles only, counted by hand from the grid
    damaged = [t for t in tile_grid(512, 768, tile=256) if mask[t.slices].any()]
    assert module.calls == len(damaged) == 5 < len(tile_grid(512, 768, tile=256))
    assert np.array_equal(out[~mask], image[~mask]) and np.all(np.abs(out[mask].astype(int) - 128) <= 1)


def test_restore_image_progress_ends_at_the_total(weights_dir):
    calls = []
    restore_image(_scan(np.uint8, (100, 100, 3)), method="unet-telea", weights_dir=weights_dir,
                  progress=lambda d, t, msg: calls.append((d, t, msg)))
    assert calls[-1] == (1000, 1000, "done") and all(b >= a for (a, *_), (b, *_) in zip(calls, calls[1:]))


def test_restore_image_progress_names_each_tile(weights_dir):
    # given: a 512 x 768 scan, i.e. a grid of 3 x 5 tiles of 256 with 50% overlap
    messages = []
    restore_image(_scan(np.uint8, (512, 768, 3)), method="unet-telea", weights_dir=weights_dir,
                  progress=lambda d, t, msg: messages.append(msg))
    # then: the detection stage reports every tile, in order, and the job ends "done"
    total = len(tile_grid(512, 768, tile=256))
    tiles = [m for m in messages if m.startswith("detecting damage: tile ")]
    assert tiles[-1] == f"detecting damage: tile {total} of {total}"
    counts = [int(m.split()[3]) for m in tiles]
    assert counts == sorted(counts) and len(tiles) >= 3 and messages[-1] == "done"
