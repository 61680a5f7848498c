"""Media on a real S3-compatible server (moto's server mode on 127.0.0.1), whatever storage the run uses.

Scan tiles, restorations (private: their owner's only), overlay previews, synthetic datasets and the
leaderboard's files, written and served through webapp.storage with the default storage in a bucket.
``FILMLAB_TEST_STORAGE=s3`` runs the rest of the suite there too (tests/conftest.py).
"""
from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import UTC
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from django.urls import reverse

from imaging.io import encode_image, read_image
from tests.s3server import S3Server, fetch
from webapp import storage


@pytest.fixture(scope="module")
def s3_server():
    server = S3Server(bucket="filmlab-storage-test").start()
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server, settings, tmp_path):
    """The default storage on the module's bucket, emptied first; MEDIA_ROOT (builds' work folders) in tmp."""
    import boto3

    client = boto3.client("s3", **_client_options(s3_server))
    for name in s3_server.keys():
        client.delete_object(Bucket=s3_server.bucket, Key=name)
    settings.STORAGES = s3_server.storages()
    settings.MEDIA_ROOT = tmp_path / "work"
    assert not storage.is_local()
    return s3_server


def _client_options(server: S3Server) -> dict:
    env = server.env()
    return {"endpoint_url": env["S3_ENDPOINT_URL"], "aws_access_key_id": env["S3_ACCESS_KEY_ID"],
            "aws_secret_access_key": env["S3_SECRET_ACCESS_KEY"], "region_name": env["S3_REGION"]}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def picture(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(40, 200, (h, w, 3), dtype=np.uint8)


# ---------------------------------------------------------------- the module itself

def test_storage_writes_lists_links_and_deletes_in_the_bucket(s3, client):
    # given files stored by name, one public (the benchmarks' inputs are the only public names) and private ones
    assert storage.save_bytes("benchmarks/a/one.txt", b"one") == "benchmarks/a/one.txt"
    storage.save_bytes("benchmarks/a/b/two.txt", b"two")
    storage.save_bytes("private/demo/secret.txt", b"secret")
    storage.save_bytes("scans/demo/scan.png", b"scan")
    # when one is stored again under its name, it is replaced (no suffixed copy)
    storage.save_bytes("benchmarks/a/one.txt", b"ONE")
    # then the bucket holds exactly those objects, and the storage lists and reads them
    assert s3.keys("benchmarks/") == ["benchmarks/a/b/two.txt", "benchmarks/a/one.txt"]
    assert storage.list_tree("benchmarks") == ["benchmarks/a/b/two.txt", "benchmarks/a/one.txt"]
    assert storage.read_bytes("benchmarks/a/one.txt") == b"ONE"
    # a public file's address is the site's (streamed from the bucket), a private one has none
    assert storage.url("benchmarks/a/one.txt") == "/files/benchmarks/a/one.txt"
    assert body(client.get(storage.url("benchmarks/a/one.txt"))) == b"ONE"
    for private in ("private/demo/secret.txt", "scans/demo/scan.png"):
        with pytest.raises(ValueError, match="private"):
            storage.url(private)
        assert client.get(f"/files/{private}").status_code == 404
    assert client.get("/files/benchmarks/../private/demo/secret.txt").status_code == 404
    # the bucket is private: an unsigned GET is refused, a signed one expires (S3_URL_SECONDS)
    assert fetch(f"{s3.endpoint}/{s3.bucket}/private/demo/secret.txt")[0] == 403
    response = storage.serve("private/demo/secret.txt", as_attachment=True)
    assert response.status_code == 302
    signed = response["Location"]
    assert parse_qs(urlparse(signed).query)["X-Amz-Expires"] == ["600"]
    assert fetch(signed) == (200, b"secret")
    # and deleting a folder deletes every object under it
    assert storage.delete_tree("benchmarks") == 2
    assert s3.keys("benchmarks/") == [] and storage.list_tree("benchmarks") == []


# ---------------------------------------------------------------- annotation: scans and their tiles

def signed_for(location: str, seconds: int) -> bool:
    """Whether ``location`` is a signed URL of the bucket that expires after ``seconds``."""
    query = parse_qs(urlparse(location).query)
    return "X-Amz-Signature" in query and query.get("X-Amz-Expires") == [str(seconds)]


@pytest.mark.django_db
def test_scan_upload_and_tile_pyramid_in_the_bucket(s3, client, users, settings):
    from annotation import services

    # given a scan uploaded through the API
    client.force_login(users["researcher"])
    png = encode_image(picture(300, 500), fmt="PNG")
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(reverse("annotation-api-scans"), {"dataset": "s3", "name": "frame",
                                                      "image": SimpleUploadedFile("frame.png", png)})
    assert r.status_code == 201, r.content
    from annotation.models import Scan

    scan = Scan.objects.get(pk=r.json()["id"])
    assert s3.keys(scan.image.name) == [scan.image.name]
    # when its pyramid is built (the job's service)
    services.scan_build_tiles(scan=scan)
    # then tiles and descriptor are objects of the bucket, and the API's address is the view that checks the scan
    keys = s3.keys(f"scans/{scan.dataset_id}/scan-{scan.pk}/tiles/")
    assert f"scans/{scan.dataset_id}/scan-{scan.pk}/tiles/scan.dzi" in keys and len(keys) > 5
    detail = client.get(reverse("annotation-api-scan", args=[scan.pk])).json()
    url = detail["dzi_url"]
    assert url == f"/annotation/scans/{scan.pk}/tiles/scan.dzi"
    dzi = client.get(url)  # the descriptor is streamed (the viewer reads it with a script, on the site's origin)
    assert dzi.status_code == 200 and dzi["Content-Type"] == "application/xml"
    assert b'Width="500"' in body(dzi)
    tile_url = url.replace("scan.dzi", "scan_files/9/0_0.jpg")  # where OpenSeadragon looks
    tile = client.get(tile_url)  # a tile is a redirect to a signed URL of the bucket that expires
    assert tile.status_code == 302 and signed_for(tile["Location"], 600)
    status, data = fetch(tile["Location"])
    assert status == 200 and read_image(data).shape[:2] == (255, 255)
    image = client.get(detail["image_url"])  # and so is the scan's image
    assert image.status_code == 302 and signed_for(image["Location"], 600)
    assert fetch(image["Location"]) == (200, png)
    # nothing of it is served by name, signed or not
    assert client.get(f"/files/{keys[0]}").status_code == 404
    assert fetch(f"{s3.endpoint}/{s3.bucket}/{scan.image.name}")[0] == 403
    # an annotator it is assigned to gets the same; another annotator gets 404 on all of it
    services.scan_assign(scan=scan, annotator=users["annotator"])
    client.force_login(users["annotator"])
    assert client.get(url).status_code == 200 and client.get(tile_url).status_code == 302
    assert client.get(detail["image_url"]).status_code == 302
    client.force_login(users["annotator2"])
    for refused in (url, tile_url, detail["image_url"]):
        assert client.get(refused).status_code == 404, refused
    # the signed URL expires S3_URL_SECONDS after it was made (signed now; moto's server does not enforce expiry,
    # so the test reads it from the signature's own fields, which S3 checks)
    from datetime import datetime

    settings.S3_URL_SECONDS = 5
    client.force_login(users["annotator"])
    short = client.get(tile_url)["Location"]
    assert signed_for(short, 5) and fetch(short)[0] == 200
    signed_at = datetime.strptime(parse_qs(urlparse(short).query)["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    assert abs((datetime.now(UTC).replace(tzinfo=None) - signed_at).total_seconds()) < 60
    settings.S3_URL_SECONDS = 600
    client.force_login(users["researcher"])
    # a pyramid built again replaces the old one
    services.scan_build_tiles(scan=scan)
    assert s3.keys(f"scans/{scan.dataset_id}/scan-{scan.pk}/tiles/") == keys


# ---------------------------------------------------------------- restoration: private to its owner

@pytest.mark.django_db
def test_restoration_files_and_viewer_are_private_on_s3(s3, client, users):
    from restoration import services

    # given a restoration run for one user
    image = picture(120, 160, seed=1)
    image[40:44, 50:54] = 255
    record = services.restoration_create(user=users["annotator"], image=encode_image(image, fmt="PNG"),
                                         filename="scan.png", method="dust-scratches", enqueue=False)
    services.restoration_run(record=record)
    record.refresh_from_db()
    # then everything it wrote lies under private/ in the bucket
    owned = s3.keys(f"private/restorations/{users['annotator'].pk}/")
    assert record.output.name in owned and record.mask.name in owned
    assert {n for n in owned if n.endswith(".dzi")} == set(record.viewer.values())
    assert not [k for k in s3.keys() if k.startswith("restorations/")]
    # the owner's page gives the viewer addresses of its own view, which serve descriptor and tiles
    client.force_login(users["annotator"])
    page = client.get(reverse("restoration:detail", args=[record.pk])).content.decode()
    viewer = json.loads(html.unescape(page.split("data-viewer='", 1)[1].split("'", 1)[0]))
    assert set(viewer) == {"before", "after", "mask"}
    for url in viewer.values():
        assert url.startswith(f"/restoration/{record.pk}/viewer/")
        assert b"<Image" in body(client.get(url))
    tile = client.get(viewer["after"].replace("after.dzi", "after_files/8/0_0.jpg"))
    assert tile.status_code == 200
    # a download is a redirect to a signed URL of the bucket, which gives the restored file
    download = client.get(reverse("restoration:download", args=[record.pk, "restored"]))
    assert download.status_code == 302
    status, data = fetch(download["Location"])
    assert status == 200 and data == storage.read_bytes(record.output.name)
    # and another user gets neither the viewer nor the download
    client.force_login(users["annotator2"])
    assert client.get(viewer["after"]).status_code == 404
    assert client.get(reverse("restoration:download", args=[record.pk, "restored"])).status_code == 404
    assert client.get(f"/files/{record.output.name}").status_code == 404


# ---------------------------------------------------------------- synthesis: previews and datasets

@pytest.mark.django_db
def test_overlay_preview_and_synthetic_dataset_in_the_bucket(s3, client, users, squares_damage_model, tmp_path):
    from synthesis import services
    from synthesis.models import OverlayPreview

    client.force_login(users["researcher"])
    # given a rendered preview
    preview = OverlayPreview.objects.create(damage_model=squares_damage_model, width=160, height=120, seed=1)
    result = services.preview_render(preview=preview)
    assert s3.keys(f"previews/preview-{preview.pk}/") == sorted(result["files"].values())
    # then its page gives the images' addresses, which serve them
    page = client.get(f"/synthesis/previews/{preview.pk}/").content.decode()
    urls = json.loads(page.split('id="preview-files" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert urls["negative"] == f"/synthesis/previews/{preview.pk}/files/negative.png"
    assert read_image(body(client.get(urls["negative"]))).shape == (120, 160, 3)  # streamed, for the viewer
    assert client.get(f"/files/{result['files']['negative']}").status_code == 404
    client.logout()
    assert client.get(urls["negative"]).status_code == 302  # to log in
    client.force_login(users["researcher"])
    with zipfile.ZipFile(io.BytesIO(body(client.get(f"/synthesis/previews/{preview.pk}/download/")))) as archive:
        assert len(archive.namelist()) == 4
    # given a dataset built from the pages
    clean = tmp_path / "clean"
    clean.mkdir()
    for i in range(3):
        (clean / f"{i}.png").write_bytes(encode_image(picture(96, 128, seed=i), fmt="PNG"))
    dataset = services.synthetic_dataset_create(name="s3set", record=squares_damage_model, clean_dir=str(clean),
                                                count=3, enqueue=False)
    services.synthetic_dataset_build(dataset=dataset)
    # then its files are objects of the bucket, its page shows samples from there, it downloads from there
    stored = s3.keys("synthetic/s3set/")
    assert "synthetic/s3set/manifest.json" in stored and len(stored) >= 10
    page = client.get(f"/synthesis/datasets/{dataset.pk}/").content.decode()
    sample = page.split(f'<img src="/synthesis/datasets/{dataset.pk}/files/', 1)[1].split('"', 1)[0]
    shown = client.get(f"/synthesis/datasets/{dataset.pk}/files/{sample}")  # a signed, expiring redirect
    assert shown.status_code == 302 and signed_for(shown["Location"], 600)
    assert fetch(shown["Location"]) == (200, storage.read_bytes(f"synthetic/s3set/{sample}"))
    assert client.get(f"/files/synthetic/s3set/{sample}").status_code == 404
    download = client.get(f"/synthesis/datasets/{dataset.pk}/download/")
    with zipfile.ZipFile(io.BytesIO(body(download))) as archive:
        names = archive.namelist()
        assert "s3set/manifest.json" in names and len(names) == len(stored)
        assert archive.read("s3set/manifest.json") == storage.read_bytes("synthetic/s3set/manifest.json")
    # and deleting it deletes them
    services.synthetic_dataset_delete(dataset=dataset)
    assert s3.keys("synthetic/s3set/") == []


# ---------------------------------------------------------------- leaderboard: hidden ground truth

@pytest.mark.django_db
def test_benchmark_files_in_the_bucket_and_ground_truth_for_administrators_only(s3, client, users, tmp_path):
    from evaluation.services.benchmarks import benchmark_import
    from tests.evaluation.leaderboard_support import write_pairs

    write_pairs(tmp_path / "bench")
    benchmark = benchmark_import(directory=tmp_path / "bench", name="s3 bench", user=users["researcher"])
    image = benchmark.images.get(name="a")
    # the damaged input is public, the expert restoration and its mask are private objects
    assert image.damaged.name in s3.keys(f"benchmarks/{benchmark.pk}/")
    assert image.restored.name.startswith("private/") and image.restored.name in s3.keys("private/")
    # the comparison's input panel is served by the site
    client.force_login(users["admin"])
    r = client.get(f"/evaluation/{benchmark.pk}/images/a/")
    assert r.status_code == 200
    assert f'/files/{image.damaged_display.name}'.encode() in r.content
    assert client.get(f"/files/{image.damaged_display.name}").status_code == 200
    # the administrator's ground-truth download is a signed URL of the bucket; its preview is streamed
    gt = client.get(reverse("evaluation:ground-truth", args=[benchmark.pk, "a"]))
    assert gt.status_code == 302
    assert fetch(gt["Location"]) == (200, storage.read_bytes(image.restored.name))
    shown = client.get(reverse("evaluation:ground-truth", args=[benchmark.pk, "a"]) + "?display=1")
    assert shown.status_code == 200 and read_image(body(shown)).shape == (48, 64, 3)
    # nobody else gets it, by the view or by name: not even the researcher who imported the benchmark
    client.force_login(users["researcher"])
    assert client.get(reverse("evaluation:ground-truth", args=[benchmark.pk, "a"])).status_code in (403, 404)
    assert client.get(f"/files/{image.restored.name}").status_code == 404
    client.logout()
    assert client.get(reverse("evaluation:ground-truth", args=[benchmark.pk, "a"])).status_code in (302, 403, 404)


@pytest.mark.django_db
def test_clean_images_uploaded_on_one_machine_reach_a_worker_on_another(s3, squares_damage_model, settings):
    import shutil

    from django.core.files.uploadedfile import SimpleUploadedFile

    from synthesis import services

    # given a zip of clean images unpacked by the web server
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(2):
            archive.writestr(f"set/{i}.png", encode_image(picture(96, 128, seed=i), fmt="PNG"))
    dataset = services.synthetic_dataset_submit(
        name="uploaded", record=squares_damage_model, count=2, allow_empty=True,
        clean_zip=SimpleUploadedFile("clean.zip", buf.getvalue()))
    assert s3.keys("private/clean/uploaded/") == [f"private/clean/uploaded/set/{i}.png" for i in range(2)]
    # when the build runs on a machine that does not have the unpacked folder
    shutil.rmtree(settings.MEDIA_ROOT / "private" / "clean")
    summary = services.synthetic_dataset_build(dataset=dataset)
    # then it fetched the images from the bucket and stored its items there
    assert summary["complete"] and "synthetic/uploaded/manifest.json" in s3.keys("synthetic/uploaded/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_viewers_open_their_images_from_the_bucket(s3, browser, live_server, users, squares_damage_model):
    from restoration import services as restoration_services
    from synthesis import services as synthesis_services
    from synthesis.models import OverlayPreview
    from tests.support import browser_login, screenshot

    # given a restoration and an overlay preview whose files lie in the bucket
    image = picture(200, 320, seed=2)
    image[60:64, 80:84] = 255
    record = restoration_services.restoration_create(user=users["researcher"], image=encode_image(image, fmt="PNG"),
                                                     filename="scan.png", method="dust-scratches", enqueue=False)
    restoration_services.restoration_run(record=record)
    preview = OverlayPreview.objects.create(damage_model=squares_damage_model, width=160, height=120, seed=1)
    synthesis_services.preview_render(preview=preview)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        browser_login(page, live_server, "researcher", "researcher")
        # when the comparison opens, both pyramids load all their tiles through the restoration's own view
        page.goto(f"{live_server.url}/restoration/{record.pk}/")
        page.wait_for_function("window.__compare && window.__compare.world.getItemCount() === 2"
                               " && window.__compare.world.getItemAt(0).getFullyLoaded()"
                               " && window.__compare.world.getItemAt(1).getFullyLoaded()")
        page.check("#show-mask")
        page.wait_for_function("window.__compare.world.getItemCount() === 3"
                               " && window.__compare.world.getItemAt(2).getFullyLoaded()")
        screenshot(page, "s3-compare")
        # and the preview opens its images, each of the four
        page.goto(f"{live_server.url}/synthesis/previews/{preview.pk}/")
        for key in ("negative", "positive", "mask", "clean"):
            if key != "negative":
                page.click(f"[data-show={key}]")
            page.wait_for_function(f"document.getElementById('preview-viewer').dataset.showing === '{key}'"
                                   " && window.__preview.world.getItemCount() === 1"
                                   " && window.__preview.world.getItemAt(0).getFullyLoaded()")
        screenshot(page, "s3-preview")
    finally:
        context.close()
    # then nothing the pages asked for was refused or missing
    assert failed == []


@pytest.mark.django_db
def test_submission_images_are_private_and_served_to_whoever_may_see_the_submission(s3, client, users, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.models import Submission
    from evaluation.services.benchmarks import benchmark_import
    from evaluation.services.scoring import submission_score
    from evaluation.services.submissions import submission_create
    from tests.evaluation.leaderboard_support import restorations, write_pairs, zip_bytes

    # given a researcher's submission, scored
    pairs = write_pairs(tmp_path / "bench")
    benchmark = benchmark_import(directory=tmp_path / "bench", name="subs", user=users["admin"])
    submission = submission_create(benchmark=benchmark, user=users["researcher"], method_name="mine",
                                   archive=SimpleUploadedFile("r.zip", zip_bytes(restorations(pairs))), enqueue=False)
    submission_score(submission=submission)
    item = submission.images.get(name="a")
    item.refresh_from_db()
    # then its files are private objects of the bucket, never served by name
    stored = s3.keys(f"private/leaderboard/submissions/{submission.pk}/")
    assert item.file.name in stored and item.display.name in stored
    assert client.get(f"/files/{item.file.name}").status_code == 404
    # the comparison links its preview to the submission's view, which serves it to anyone while it is public
    page = client.get(f"/evaluation/{benchmark.pk}/images/a/").content.decode()
    url = reverse("evaluation:submission-image", args=[submission.pk, "a"])
    assert url in page
    assert read_image(body(client.get(url))).shape == (48, 64, 3)
    # and, were it a draft, to its submitter only
    Submission.objects.filter(pk=submission.pk).update(state=Submission.State.DRAFT)
    assert client.get(url).status_code == 404
    client.force_login(users["annotator"])
    assert client.get(url).status_code == 404
    client.force_login(users["researcher"])
    assert client.get(url).status_code == 200


# ---------------------------------------------------------------- restoration: registered networks' weights

@pytest.mark.django_db
def test_network_weights_in_the_bucket_load_from_a_local_cache(s3, client, users, tmp_path, settings):
    from restoration import services
    from restoration.core.unet import load_model
    from tests.restoration.test_network_storage import checkpoint

    settings.STORAGE_CACHE_DIR = tmp_path / "cache"
    # given a network registered on one machine
    record = services.network_register(name="s3-net", kind="segmentation",
                                             weights_path=checkpoint(tmp_path / "train" / "detector.pt"))
    # then its weights are a private object of the bucket
    assert s3.keys("networks/") == [f"networks/{record.pk}/detector.pt"]
    assert fetch(f"{s3.endpoint}/{s3.bucket}/{record.weights_path}")[0] == 403
    # a worker loads them with torch from a copy in its cache, fetched once
    (tmp_path / "train" / "detector.pt").unlink()
    path = services.network_weights(record)
    assert path == tmp_path / "cache" / record.weights_path
    assert load_model(path)[1]["val"] == {"iou": 0.5}
    mtime = path.stat().st_mtime_ns
    assert services.network_weights(record) == path and path.stat().st_mtime_ns == mtime
    # a copy that does not match the stored object is fetched again
    path.write_bytes(b"truncated")
    assert load_model(services.network_weights(record))[1]["val"] == {"iou": 0.5}
    # a researcher's download is a signed, expiring URL of the bucket
    client.force_login(users["researcher"])
    r = client.get(reverse("restoration:network-weights", args=[record.pk]))
    assert r.status_code == 302 and signed_for(r["Location"], 600)
    assert fetch(r["Location"]) == (200, storage.read_bytes(record.weights_path))
