"""Registered networks: their weights are stored through webapp.storage (never a path of one machine), served to
researchers by a view that checks, and loaded by torch from a local copy (the stored file on disk, a cached copy
on S3: tests/webapp/test_storage_s3.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from django.test import Client
from django.urls import reverse

from restoration import services
from restoration.core.unet import UNet, UNetConfig, load_model, save_model
from webapp import storage

pytestmark = pytest.mark.django_db


def checkpoint(path: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    return save_model(path, UNet(UNetConfig(base=4, depth=2)), card={"val": {"iou": 0.5 + seed / 10}})


def test_a_registered_network_is_stored_and_loads_from_the_storage(tmp_path, users, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    # given a checkpoint written by training to a folder of its own
    local = checkpoint(tmp_path / "out" / "detector.pt")
    # when it is registered
    record = services.network_register(name="mine", kind="segmentation", weights_path=local)
    # then the record names stored weights (private: not served by name), not the training folder
    assert record.weights_path == f"networks/{record.pk}/detector.pt"
    assert storage.read_bytes(record.weights_path) == local.read_bytes() and storage.is_private(record.weights_path)
    assert record.card["val"] == {"iou": 0.5}
    # and torch loads it from the storage's local copy, after the training folder is gone
    local.unlink()
    net, card = load_model(services.network_weights(record))
    assert card["val"] == {"iou": 0.5} and isinstance(net, UNet)
    # registering the name again replaces the stored weights
    again = services.network_register(name="mine", kind="segmentation",
                                            weights_path=checkpoint(tmp_path / "out2" / "best.pt", seed=1))
    assert again.pk == record.pk and again.weights_path == f"networks/{record.pk}/best.pt"
    assert not storage.exists(record.weights_path)
    assert load_model(services.network_weights(again))[1]["val"] == {"iou": 0.6}
    # researchers download them through the view that checks; annotators and anonymous people do not
    url = reverse("restoration:network-weights", args=[record.pk])
    client = Client()
    assert client.get(url).status_code == 302  # to log in
    assert client.get(f"/media/{again.weights_path}").status_code == 404
    client.force_login(users["annotator"])
    assert client.get(url).status_code == 403
    client.force_login(users["researcher"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == storage.read_bytes(
        again.weights_path)
    assert 'filename="mine.pt"' in response["Content-Disposition"]


def test_a_training_job_trains_in_a_work_folder_and_stores_the_network(tmp_path, users, settings, monkeypatch):
    from jobs.models import Job
    from restoration.core import training

    settings.MEDIA_ROOT = tmp_path / "media"
    job = Job.objects.create(kind="train.segmentation", created_by=users["researcher"],
                             params={"kind": "segmentation", "name": "job-net", "dataset_dir": str(tmp_path),
                                     "epochs": 1, "seed": 0})
    seen = {}

    def fake_train(*, dataset_dir, out, **_):
        seen["out"] = Path(out)
        checkpoint(Path(out))
        return type("Result", (), {"path": Path(out)})()

    monkeypatch.setattr(training, "train_segmentation", fake_train)
    result = services.training_run(job=job)
    record = services.Network.objects.get(pk=result["network_id"])
    # it trained in the job's work folder, which is gone once the network is stored
    assert seen["out"].parent == services.training_work_dir(job) and not seen["out"].parent.exists()
    assert result["weights"] == record.weights_path == f"networks/{record.pk}/segmentation.pt"
    assert storage.exists(record.weights_path) and record.job_id == job.pk
