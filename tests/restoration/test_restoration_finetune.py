"""Learning from corrections (issue 13 item 5): fine-tune the detector from reviewed scans and promote it."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from django.test import Client

from imaging.io import encode_image, write_image
from jobs.models import Job
from restoration import services
from restoration.core import methods as registry
from restoration.core.finetune import file_sha256
from restoration.core.unet import UNet, UNetConfig, save_model
from restoration.models import Network
from tests.restoration.test_restoration_app import specked
from tests.support import run_command

pytestmark = pytest.mark.django_db
torch.set_num_threads(2)


@pytest.fixture
def reviewed_scans(users, settings, tmp_path):
    """Three restorations of generated scans, each reviewed: first component rejected, the others kept, one added."""
    settings.MEDIA_ROOT = tmp_path / "media"
    for seed in range(3):
        image, _ = specked(96, 144, seed=10 + seed)
        record = services.restoration_create(user=users["annotator"], image=encode_image(image, fmt="TIFF"),
                                             filename=f"frame-{seed}.tif", method="dust-scratches", enqueue=False)
        services.restoration_run(record=record)
        record.refresh_from_db()
        scan = services.restoration_review_create(record=record)
        polygons = list(scan.polygons.order_by("pk"))
        assert len(polygons) >= 2
        polygons[0].status = "rejected"
        polygons[0].save()
        for p in polygons[1:]:
            p.status = "kept"
            p.save()
    return tmp_path


@pytest.fixture
def tiny_default(users, tmp_path):
    """A tiny light-damage detector, registered and promoted: the current default (fast to train and score)."""
    torch.manual_seed(0)
    net = UNet(UNetConfig(base=4, depth=2, canonical_px_per_mm=60.0, light_damage=True)).eval()
    path = save_model(tmp_path / "tiny" / "segmentation-default.pt", net, card={"threshold": 0.5})
    record = services.network_register(name="tiny", kind="segmentation", weights_path=path)
    services.network_promote(record=record)
    return record


@pytest.fixture
def tiny_corpus(tmp_path, monkeypatch):
    """A clean corpus of four generated pictures, a dust-only damage model and a procedural artefact bank."""
    from synthesis import services as synthesis_services
    from synthesis.core.bank import ArtefactBank
    from tests.surveys.survey_helpers import damage_model_record

    root = tmp_path / "corpus"
    root.mkdir()
    items = []
    rng = np.random.default_rng(0)
    for i in range(4):
        write_image(root / f"p{i}.png", rng.integers(30, 200, (160, 200, 3), dtype=np.uint8))
        items.append({"path": f"p{i}.png", "source": "generated", "kind": "photo", "split": "train"})
    (root / "manifest.json").write_text(json.dumps({"version": 1, "complete": True, "items": items}))
    damage_model_record("FilmDamageSimulator")
    bank = ArtefactBank()
    bank.add_procedural(seed=0, per_class=4)
    monkeypatch.setattr(synthesis_services, "artefact_bank", lambda: bank)
    return root


def test_finetuning_from_reviewed_scans_runs_end_to_end_and_the_promoted_detector_is_the_default(
        reviewed_scans, tiny_default, tiny_corpus, users):
    shipped = registry.default_weights_dir() / registry.SEGMENTATION_WEIGHTS
    shipped_hash = file_sha256(shipped)
    # given three reviewed scans, the tiny promoted detector as the current default and a clean corpus
    client = Client()
    client.force_login(users["researcher"])
    # when a researcher fine-tunes through the API (a train.finetune job on the gpu queue), run as its task runs it
    r = client.post("/api/restoration/detectors/finetune/", {"name": "from-reviews", "steps": 4, "holdout": 0.34,
                                                             "seed": 1, "promote": True},
                    content_type="application/json")
    assert r.status_code == 202, r.content
    job = Job.objects.get(pk=r.json()["id"])
    assert job.kind == "train.finetune" and job.queue == "gpu"
    job.params = {**job.params, "corpus_dir": str(tiny_corpus), "crop": 64, "batch_size": 2}  # tiny crops
    job.save(update_fields=["params"])
    out = services.detector_finetune_run(job=job)
    # then it is registered with a model card: what it was trained on, the steps, the held-out scores of both
    record = Network.objects.get(name="from-reviews")
    card = record.card
    assert out["network_id"] == record.pk and out["promoted"] and card["steps"] == 4
    assert len(card["data"]["reviewed_train"]) == 2 and len(card["data"]["reviewed_held_out"]) == 1
    assert card["data"]["synthetic"]["pictures"] == 4 and card["data"]["corpus"] == str(tiny_corpus.resolve())
    # (the weights are stored: torch reads their local copy, services.network_weights)
    assert card["continued_from"] == str(services.network_weights(tiny_default))
    assert card["held_out"]["baseline_weights"] == str(services.network_weights(tiny_default))
    for who in ("new", "baseline"):
        assert {"iou", "flagged_share", "rejected_flagged", "scans"} <= set(card["held_out"][who])
    assert "detection_proxy.py --weights-dir" in card["proxy_benchmark"]
    # and, promoted, it is the detector the default method uses: the very file, by its hash
    record.refresh_from_db()
    assert record.is_default and not Network.objects.get(name="tiny").is_default
    image, _ = specked(64, 96, seed=20)
    result = registry.restore_image(image, options={"review": False}, device="cpu")
    assert result.info["method"] == registry.DEFAULT_METHOD
    assert result.info["segmentation_weights"] == str(services.network_weights(record))
    assert result.info["segmentation_sha256"] == file_sha256(services.network_weights(record)) != shipped_hash
    # the networks page shows it as the default with its held-out scores; the shipped file is untouched
    page = client.get("/restoration/networks/").content.decode()
    assert "(default)" in page and f"/restoration/networks/{record.pk}/weights/" in page
    assert "held out (1 scans)" in page
    assert file_sha256(shipped) == shipped_hash
    # going back to the shipped detector is one action too
    assert client.post("/restoration/networks/0/promote/").status_code == 302
    assert registry.default_segmentation_weights() == shipped


def test_the_command_fine_tunes_and_promotes(reviewed_scans, tiny_default, users):
    run_command("finetune_detector", "--name", "by-command", "--steps", "2", "--crop", "64", "--batch-size", "2",
                "--holdout", "0.34", "--seed", "2", "--lr", "1e-3", "--promote", "--no-corpus")
    record = Network.objects.get(name="by-command")
    assert record.is_default and record.card["recipe"]["lr"] == 1e-3 and record.card["data"]["synthetic"] is None
    assert registry.default_segmentation_weights() == services.network_weights(record)


def test_promotion_is_for_researchers_and_detectors_only(tiny_default, users, tmp_path):
    annotator = Client()
    annotator.force_login(users["annotator"])
    assert annotator.post(f"/api/restoration/networks/{tiny_default.pk}/promote/").status_code == 403
    assert annotator.post("/api/restoration/detectors/finetune/", {"name": "x"},
                          content_type="application/json").status_code == 403
    torch.manual_seed(0)
    path = save_model(tmp_path / "r.pt", UNet(UNetConfig(out_channels=3, base=4, depth=2, task="restoration")), card={})
    other = services.network_register(name="restorer", kind="restoration", weights_path=path)
    researcher = Client()
    researcher.force_login(users["researcher"])
    r = researcher.post(f"/api/restoration/networks/{other.pk}/promote/")
    assert r.status_code == 400 and "detector" in r.json()["detail"]
    assert researcher.post(f"/api/restoration/networks/{tiny_default.pk}/promote/").json()["is_default"]


def test_finetuning_without_reviewed_scans_is_refused_with_what_to_do(users):
    researcher = Client()
    researcher.force_login(users["researcher"])
    r = researcher.post("/api/restoration/detectors/finetune/", {"name": "nothing"}, content_type="application/json")
    assert r.status_code == 400 and "review" in r.json()["detail"].lower()
    assert not Job.objects.exists()
