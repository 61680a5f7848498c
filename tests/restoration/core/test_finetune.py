"""Fine-tuning from reviewed scans (issue 13 item 5), pure core: hold-out split, the detector's view, crops, scores."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restoration.core import methods as registry
from restoration.core.finetune import (
    FinetuneRecipe,
    ReviewedScan,
    canonical_view,
    file_sha256,
    finetune_detector,
    holdout_split,
    reviewed_crop,
    reviewed_scores,
)
from restoration.core.unet import UNet, UNetConfig, load_model, save_model

torch.set_num_threads(2)


def tiny_detector(path, threshold=0.5):
    torch.manual_seed(0)
    net = UNet(UNetConfig(base=4, depth=2, canonical_px_per_mm=60.0, light_damage=True)).eval()
    return save_model(path, net, card={"threshold": threshold, "task": "segmentation"})


def reviewed(key="a", h=96, w=128, polarity="negative", seed=0) -> ReviewedScan:
    rng = np.random.default_rng(seed)
    image = rng.integers(60, 120, (h, w, 3), dtype=np.uint8)
    damage, rejected, unsure = (np.zeros((h, w), bool) for _ in range(3))
    damage[10:14, 10:40] = True
    rejected[60:70, 90:100] = True
    unsure[40:44, 60:64] = True
    image[damage] = 250
    return ReviewedScan(key, image, damage, rejected, px_per_mm=60.0, polarity=polarity, unsure=unsure)


def test_the_holdout_is_by_scan_seeded_and_leaves_something_to_train_on():
    keys = [f"scan-{i}" for i in range(10)]
    train, held = holdout_split(keys, 0.2, seed=3)
    assert len(held) == 2 and sorted(train + held) == sorted(keys) and not set(train) & set(held)
    assert holdout_split(list(reversed(keys)), 0.2, seed=3) == (train, held)  # the order given does not matter
    assert holdout_split(keys, 0.2, seed=4) != (train, held)
    assert holdout_split(["one"], 0.5, seed=0) == (["one"], [])
    assert len(holdout_split(["a", "b"], 0.9, seed=0)[0]) == 1
    with pytest.raises(ValueError, match="held-out share"):
        holdout_split(keys, 1.0, seed=0)


def test_the_detector_sees_positive_film_inverted_at_its_own_scale():
    scan = reviewed(polarity="positive")
    half = ReviewedScan("b", scan.image, scan.damage, scan.rejected, px_per_mm=120.0, polarity="positive")
    view = canonical_view(half, 60.0)
    assert view.image.shape == (48, 64, 3) and view.damage.shape == (48, 64)
    assert view.damage.sum() == pytest.approx(scan.damage.sum() / 4, rel=0.2)
    same = canonical_view(scan, 60.0)
    assert np.array_equal(same.image, 255 - scan.image) and np.array_equal(same.damage, scan.damage)


def test_crops_weigh_rejected_pixels_more_and_unsure_ones_not_at_all():
    view = canonical_view(reviewed(), 60.0)
    rng = np.random.default_rng(0)
    crops = [reviewed_crop(view, 64, rng, rejected_weight=3.0) for _ in range(30)]
    assert all(im.shape == (64, 64, 3) and t.shape == w.shape == (64, 64) for im, t, w in crops)
    assert any(t.any() for _, t, _ in crops) and any((w == 3.0).any() for *_, w in crops)
    assert any((w == 0).any() for *_, w in crops)
    small = canonical_view(reviewed(h=40, w=50), 60.0)  # smaller than the crop: padded, the padding weighs 0
    im, t, w = reviewed_crop(small, 64, rng)
    assert im.shape == (64, 64, 3) and (w[40:, :] == 0).all()


def test_finetuning_writes_a_card_with_its_data_steps_and_held_out_scores(tmp_path):
    init = tiny_detector(tmp_path / "init.pt", threshold=0.6)
    recipe = FinetuneRecipe(steps=3, batch_size=2, crop=64, log_every=2)
    logged = []
    result = finetune_detector(init=init, train=[reviewed("a"), reviewed("b", seed=1)],
                               held_out=[reviewed("c", seed=2)], out=tmp_path / "new" / "segmentation-default.pt",
                               recipe=recipe,
                               on_log=lambda step, loss: logged.append(step))
    net, card = load_model(result.path)
    assert logged == [2, 3] and card["steps"] == 3 and card["threshold"] == 0.6
    assert card["data"]["reviewed_train"] == ["a", "b"] and card["data"]["reviewed_held_out"] == ["c"]
    assert card["continued_from_sha256"] == file_sha256(init)
    assert {"iou", "flagged_share", "rejected_flagged"} <= set(card["held_out"]["new"])
    assert card["held_out"]["baseline_weights"] == str(init)
    assert "--weights-dir" in card["proxy_benchmark"] and str(result.path.parent) in card["proxy_benchmark"]
    with pytest.raises(ValueError, match="no reviewed scans"):
        finetune_detector(init=init, train=[], out=tmp_path / "x.pt", recipe=recipe)


def test_scores_count_the_reviewed_mask_and_not_the_unsure_pixels(tmp_path):
    net, _ = load_model(tiny_detector(tmp_path / "d.pt"))
    scores = reviewed_scores(net, [reviewed()], threshold=0.999)
    assert scores["scans"] == 1 and 0.0 <= scores["iou"] <= 1.0 and 0.0 <= scores["flagged_share"] <= 1.0


def test_the_methods_use_the_promoted_detector_and_an_explicit_folder_over_it(tmp_path):
    promoted = tiny_detector(tmp_path / "promoted" / "segmentation-default.pt")
    image = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    before = registry._detector_resolver  # the app's (Django set it up for the test session)
    try:
        registry.default_detector_resolver_set(lambda: promoted)
        result = registry.restore_image(image, method="unet-telea", options={"review": False}, device="cpu")
        assert result.info["segmentation_weights"] == str(promoted)
        assert result.info["segmentation_sha256"] == file_sha256(promoted)
        shipped = registry.default_weights_dir()
        assert registry.default_segmentation_weights(shipped) == shipped / registry.SEGMENTATION_WEIGHTS
        registry.default_detector_resolver_set(None)
        assert registry.default_segmentation_weights() == shipped / registry.SEGMENTATION_WEIGHTS
    finally:
        registry.default_detector_resolver_set(before)
