"""Restoration app: the restore command, the upload API with bad input, and a job on a real worker."""
from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError

from imaging.io import encode_image, read_image, write_image
from restoration.models import Restoration
from tests.support import download, run_command, wait_for_job


def specked(h=200, w=300, *, dtype=np.uint16, channels=3, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth grainy image with white specks, and the speck mask."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    yy, xx = np.mgrid[0:h, 0:w]
    base = (0.3 + 0.3 * xx / w + 0.1 * yy / h) * top
    image = base[..., None].repeat(channels, axis=2) + rng.normal(0, 0.004 * top, (h, w, channels))
    mask = np.zeros((h, w), bool)
    for _ in range(12):
        y, x = rng.integers(5, h - 5), rng.integers(5, w - 5)
        mask[y - 1:y + 2, x - 1:x + 2] = True
    image[mask] = 0.95 * top
    return np.clip(image, 0, top).astype(dtype), mask


@pytest.mark.parametrize("ext", ["tif", "png"])
def test_restore_command_keeps_format_and_depth(tmp_path, ext):
    # given a 16-bit RGB scan with white specks
    image, mask = specked()
    src = write_image(tmp_path / f"in.{ext}", image)
    # when the dust & scratches filter restores it
    run_command("restore", str(src), "--out", str(tmp_path / f"out.{ext}"), "--method", "dust-scratches",
                "--mask-out", str(tmp_path / "mask.png"))
    out = read_image(tmp_path / f"out.{ext}")
    found = read_image(tmp_path / "mask.png")
    # then format, depth and shape are kept, specks are gone, and nothing outside the mask changed
    assert out.dtype == np.uint16 and out.shape == image.shape
    assert set(np.unique(found)) <= {0, 255}
    assert (found[mask] == 255).mean() > 0.9
    assert np.abs(out[mask].astype(float) - image[~mask].mean()).mean() < 0.1 * 65535
    np.testing.assert_array_equal(out[found == 0], image[found == 0])


def test_restore_command_errors(tmp_path):
    image, _ = specked(dtype=np.uint16)
    src = write_image(tmp_path / "in.tif", image)
    with pytest.raises(CommandError, match="unknown method"):
        run_command("restore", str(src), "--out", str(tmp_path / "o.tif"), "--method", "magic")
    with pytest.raises(CommandError, match="JPEG"):
        run_command("restore", str(src), "--out", str(tmp_path / "o.jpg"), "--method", "dust-scratches")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    with pytest.raises(CommandError):
        run_command("restore", str(tmp_path / "bad.png"), "--out", str(tmp_path / "o.png"))
    with pytest.raises(CommandError, match="LaMa"):
        run_command("restore", str(src), "--out", str(tmp_path / "o.tif"), "--method", "lama")


def tiff_bytes(array) -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, array)
    return buf.getvalue()


@pytest.mark.django_db
def test_methods_api_lists_availability(client, users):
    client.force_login(users["annotator"])
    methods = {m["name"]: m for m in client.get("/api/restoration/methods/").json()}
    assert methods["dust-scratches"]["available"] is True
    assert methods["lama"]["available"] is False and "LaMa" in methods["lama"]["reason_unavailable"]
    assert {m["kind"] for m in methods.values()} <= {"filter", "blind", "segmentation+inpainting"}


@pytest.mark.django_db
@pytest.mark.parametrize("data, message", [
    (lambda: {"image": SimpleUploadedFile("x.png", b"garbage"), "method": "dust-scratches"}, "not a supported image"),
    (lambda: {"image": SimpleUploadedFile("x.png", encode_image(np.zeros((50, 50, 3), np.uint8), fmt="PNG")[:100]),
              "method": "dust-scratches"},
     "truncated"),
    (lambda: {"image": SimpleUploadedFile("x.tif", tiff_bytes(specked()[0])), "method": "magic"}, "unknown method"),
    (lambda: {"image": SimpleUploadedFile("x.tif", tiff_bytes(specked()[0])), "method": "lama"}, "unavailable"),
    (lambda: {"image": SimpleUploadedFile("x.tif", tiff_bytes(specked()[0])), "method": "dust-scratches",
              "options": '{"radius": "big"}'}, "radius"),
    (lambda: {"image": SimpleUploadedFile("x.tif", tiff_bytes(specked()[0])), "method": "dust-scratches",
              "options": "{nope"}, "expecting"),
    (lambda: {"method": "dust-scratches"}, "image"),
])
def test_bad_restoration_requests_are_refused(client, users, data, message):
    client.force_login(users["annotator"])
    r = client.post("/api/restoration/restorations/", data())
    assert r.status_code == 400
    assert message.lower() in r.json()["detail"].lower()
    assert not Restoration.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_restoration_job_on_a_real_worker(client, users, celery_worker_process):
    # given a 16-bit TIFF with specks, uploaded by a user
    image, mask = specked(256, 384, seed=3)
    client.force_login(users["annotator"])
    r = client.post("/api/restoration/restorations/", {"image": SimpleUploadedFile("scan.tif", tiff_bytes(image)),
                                               "method": "dust-scratches"})
    assert r.status_code == 202, r.content
    body = r.json()
    # when the worker has run it
    job = wait_for_job(body["job"]["id"], timeout=180)
    assert job.state == "succeeded", job.error
    detail = client.get(f"/api/restoration/restorations/{body['id']}/").json()
    # then the restored TIFF downloads at 16 bits, with the mask, and the page shows the comparison
    restored = download(client, detail["downloads"]["restored"])
    assert restored.status == 200 and "scan-restored.tif" in restored.headers["Content-Disposition"]
    out = tifffile.imread(io.BytesIO(restored.content))
    assert out.dtype == np.uint16 and out.shape == image.shape
    m = read_image(download(client, detail["downloads"]["mask"]).content)
    np.testing.assert_array_equal(out[m == 0], image[m == 0])
    assert detail["info"]["damaged_fraction"] > 0
    page = client.get(detail["page"])
    assert b"compare-viewer" in page.content
    # and nobody else can see it
    client.force_login(users["annotator2"])
    assert client.get(f"/api/restoration/restorations/{body['id']}/").status_code == 404
    assert client.get(detail["downloads"]["restored"]).status_code == 404


def test_training_commands_take_the_recipe_and_a_detector_can_start_the_restoration_network(toy_dataset, tmp_path):
    # when: a tiny detector is trained from the command line, keeping its best epoch
    seg = tmp_path / "seg.pt"
    out = run_command("train_segmentation", "--dataset", str(toy_dataset), "--out", str(seg), "--epochs", "2",
                      "--seed", "1", "--base", "4", "--depth", "2", "--crop", "32", "--crops-per-item", "2",
                      "--batch-size", "4")
    # then: each epoch is logged and the card holds the options given
    from restoration.core.unet import load_model

    assert "epoch 1: loss" in out and "validation iou" in out and f"Saved {seg}" in out
    model, card = load_model(seg)
    assert (model.config.base, model.config.depth, card["crop"], card["batch_size"]) == (4, 2, 32, 4)
    assert card["selected_by"] == "iou"
    # when: the restoration network starts from that detector
    rest = tmp_path / "rest.pt"
    run_command("train_restoration", "--dataset", str(toy_dataset), "--out", str(rest), "--epochs", "1",
                "--base", "4", "--depth", "2", "--crop", "32", "--crops-per-item", "2", "--batch-size", "4",
                "--perceptual-weight", "0", "--init", str(seg))
    restorer, card = load_model(rest)
    # then: it is gated, its body is the detector's, and it says where it started
    assert restorer.config.gated and card["continued_from"]["path"] == str(seg)
    assert card["loss"].startswith("l1+grad+damage-l1")
    # and: an architecture that does not match is a clear error, not a traceback
    with pytest.raises(CommandError, match="architecture"):
        run_command("train_restoration", "--dataset", str(toy_dataset), "--out", str(tmp_path / "x.pt"),
                    "--epochs", "1", "--base", "8", "--depth", "2", "--crop", "32", "--init", str(seg))
    with pytest.raises(CommandError, match="no checkpoint"):
        run_command("train_segmentation", "--dataset", str(toy_dataset), "--out", str(tmp_path / "y.pt"),
                    "--init", str(tmp_path / "missing.pt"))
