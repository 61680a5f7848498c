"""U-Net shapes, the residual identity start, and the checkpoint round trip."""
from __future__ import annotations

import pytest
import torch

from restoration.core.unet import CheckpointError, UNet, UNetConfig, forward_padded, load_model, save_model

torch.set_num_threads(2)


def test_segmentation_and_restoration_shapes():
    x = torch.rand(2, 3, 32, 32)
    seg = UNet(UNetConfig(base=4, depth=2))
    assert seg(x).shape == (2, 1, 32, 32)
    rest = UNet(UNetConfig(in_channels=3, out_channels=3, base=4, depth=2, task="restoration")).eval()
    # the residual head starts at zero: a fresh restoration net is the identity
    assert torch.equal(rest(x), x)


def test_forward_padded_takes_any_size():
    net = UNet(UNetConfig(base=4, depth=3)).eval()
    assert forward_padded(net, torch.rand(1, 3, 21, 35)).shape == (1, 1, 21, 35)
    with pytest.raises(ValueError, match="multiples of 8"):
        net(torch.rand(1, 3, 21, 35))


def test_checkpoint_round_trip(tmp_path):
    # given: a model with non-trivial weights and batch-norm statistics
    torch.manual_seed(0)
    net = UNet(UNetConfig(base=4, depth=2))
    net.train()
    net(torch.rand(4, 3, 16, 16))
    net.eval()
    card = {"seed": 0, "val": {"iou": 0.5}, "date": "2024-01-01"}
    # when
    path = save_model(tmp_path / "w" / "seg.pt", net, card=card)
    loaded, loaded_card = load_model(path)
    # then
    x = torch.rand(1, 3, 16, 16)
    assert loaded_card == card and loaded.config == net.config
    assert torch.equal(loaded(x), net(x))


def test_missing_and_corrupt_checkpoints_raise(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_model(tmp_path / "none.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_model(bad)
    wrong = tmp_path / "wrong.pt"
    torch.save({"arch": {"base": 4, "depth": 2}, "state_dict": {}}, wrong)
    with pytest.raises(CheckpointError, match="does not match"):
        load_model(wrong)


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="task"):
        UNetConfig(task="classification")
    with pytest.raises(ValueError, match="in_channels == out_channels"):
        UNetConfig(out_channels=1, task="restoration")
