"""Bad input, catalogued: every upload and API refuses each kind with a 4xx that says what is wrong, and keeps nothing.

One row per kind of bad input (corrupt and truncated images, decompression bombs by header, odd bit depths,
unsafe archives, wrong names and sizes, invalid polygons, malformed and oversized JSON, unknown fields, wrong
types, huge page numbers, unicode and path-like names). For each: the status, a message naming the problem
(and, where there is one, what is allowed), and no new row, file or job anywhere.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imaging.io import encode_image
from tests.webapp.world import World, base_world

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- bad files


def png(h=32, w=48, dtype=np.uint8, channels=3) -> bytes:
    shape = (h, w) if channels == 1 else (h, w, channels)
    return encode_image(np.full(shape, np.iinfo(dtype).max // 3, dtype), fmt="PNG")


def tiff(h=64, w=96, dtype=np.uint8) -> bytes:
    noise = np.random.default_rng(0).integers(0, np.iinfo(dtype).max, (h, w, 3), dtype=dtype)
    return encode_image(noise, fmt="TIFF", compression=None)


def jpeg(h=32, w=48) -> bytes:
    return encode_image(np.full((h, w, 3), 90, np.uint8), fmt="JPEG")


def png_bomb(w=100_000, h=100_000) -> bytes:
    """A PNG whose header claims w x h pixels (10 giga-pixels) with a tiny body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def float_tiff() -> bytes:
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, np.full((16, 16, 3), 0.5, np.float32), photometric="rgb")
    return buf.getvalue()


def zip_of(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)  # a symbolic link to /etc/passwd
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def zip_bomb() -> bytes:
    """One entry that claims 1 GiB of zeros in a few kilobytes (deflate)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("a.png", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(1024):
                fh.write(block)
    return buf.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# ----------------------------------------------------------------------------- the world


@pytest.fixture
def world(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return base_world(users, tmp_path)


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: Callable[[World], str]
    body: Callable[[World], dict] = field(default=lambda w: {})
    status: int = 400
    message: str = ""  # a regular expression the error's detail must match (case-insensitive)
    role: str = "researcher"


SCANS = "/api/annotation/scans/"
RESTORE = "/api/restoration/restorations/"
ROLLS = "/api/restoration/rolls/"
SYNTH = "/api/synthesis/datasets/"


def scan_upload(filename: str, data: bytes, **extra) -> Callable[[World], dict]:
    return lambda w: {"format": "multipart", "data": {"dataset": "catalogue", "image": upload(filename, data), **extra}}


def restore_upload(name: str, data: bytes, **extra) -> Callable[[World], dict]:
    return lambda w: {"format": "multipart", "data": {"image": upload(name, data), **extra}}


def roll_upload(entries: dict[str, bytes] | None = None, *, images=(), archive: bytes | None = None,
                **extra) -> Callable[[World], dict]:
    def body(w: World) -> dict:
        data = {"images": [upload(n, d) for n, d in images], **extra}
        if entries is not None or archive is not None:
            data["archive"] = upload("scans.zip", archive if archive is not None else zip_of(entries))
        return {"format": "multipart", "data": data}
    return body


def polygon_post(points, cls="dust", **extra) -> Callable[[World], dict]:
    return lambda w: {"format": "json", "data": {"cls": cls, "points": points, **extra}}


def raw_json(text: str) -> Callable[[World], dict]:
    return lambda w: {"data": text, "content_type": "application/json"}


def polygons_url(w: World) -> str:
    return f"/api/annotation/scans/{w.scan.pk}/polygons/"


def polygon_url(w: World) -> str:
    return f"/api/annotation/polygons/{w.polygon.pk}/"


def image_put(name: str, data: bytes, filename: str = "a.png") -> Callable[[World], dict]:
    return lambda w: {"format": "multipart", "data": {"image": upload(filename, data)}}


def submission_image_url(name: str) -> Callable[[World], str]:
    return lambda w: f"/api/evaluation/submissions/{w.draft.pk}/images/{name}/"


def submissions_url(w: World) -> str:
    return f"/api/evaluation/benchmarks/{w.benchmark.pk}/submissions/"


def submission_zip(entries: dict[str, bytes], **kw) -> Callable[[World], dict]:
    return lambda w: {"format": "multipart", "data": {"method_name": "bad-zip",
                                                      "archive": upload("restorations.zip", zip_of(entries, **kw))}}


def synth_zip(data: bytes, name: str = "bad-clean") -> Callable[[World], dict]:
    return lambda w: {"format": "multipart", "data": {"name": name, "model": w.model.pk,
                                                      "clean_zip": upload("clean.zip", data)}}


CASES = [
    # scan uploads: corrupt, truncated, bombs, odd pixel types, names
    Case("scan-truncated-png", "post", lambda w: SCANS, scan_upload("a.png", png()[:60]), 400, r"truncated|corrupt|cannot|read"),
    Case("scan-truncated-jpeg", "post", lambda w: SCANS, scan_upload("a.jpg", jpeg()[:200]), 400, r"truncated|corrupt|cannot|read"),
    Case("scan-truncated-tiff", "post", lambda w: SCANS, scan_upload("a.tif", tiff()[:9000]), 400, r"truncated|corrupt|cannot|read"),
    Case("scan-not-an-image", "post", lambda w: SCANS, scan_upload("a.png", b"GIF89a not really" * 20), 400, r"image|format"),
    Case("scan-empty-file", "post", lambda w: SCANS, scan_upload("a.png", b""), 400, r"empty|image"),
    Case("scan-decompression-bomb", "post", lambda w: SCANS, scan_upload("a.png", png_bomb()), 400, r"pixels|large|limit"),
    Case("scan-float-tiff", "post", lambda w: SCANS, scan_upload("a.tif", float_tiff()), 400, r"float|8.*16|bit"),
    Case("scan-name-with-path", "post", lambda w: SCANS, scan_upload("a.png", png(), name="../../etc/x"), 400, r"name"),
    Case("scan-unknown-polarity", "post", lambda w: SCANS, scan_upload("a.png", png(), polarity="sideways"), 400, r"polarity.*(negative|positive)"),
    Case("scan-negative-size", "post", lambda w: SCANS, lambda w: {"format": "json", "data": {"dataset": "catalogue", "name": "n", "width": -5, "height": 10}}, 400, r"width"),
    Case("scan-unknown-field", "post", lambda w: SCANS, lambda w: {"format": "json", "data": {"dataset": "catalogue", "name": "n", "width": 5, "height": 10, "colour": "red"}}, 400, r"unknown.*colour"),
    Case("scan-as-annotator", "post", lambda w: SCANS, scan_upload("a.png", png()), 403, r"researcher", role="annotator"),
    # polygons: geometry, classes, types, JSON
    Case("polygon-too-few-points", "post", polygons_url, polygon_post([[1, 1], [5, 5]]), 400, r"points|three|3"),
    Case("polygon-outside-image", "post", polygons_url, polygon_post([[5000, 5000], [5100, 5000], [5050, 5100]]), 400, r"outside|image|frame"),
    Case("polygon-zero-area", "post", polygons_url, polygon_post([[0, 0], [5, 5], [10, 10], [20, 20]]), 400, r"area|invalid|polygon"),
    Case("polygon-nan-coordinate", "post", polygons_url, raw_json('{"cls": "dust", "points": [[1, 1], [NaN, 5], [9, 9]]}'), 400, r"json|number|finite|nan"),
    Case("polygon-unknown-class", "post", polygons_url, polygon_post([[1, 1], [9, 1], [5, 9]], cls="fingerprint"), 400, r"cls.*fingerprint|valid choice"),
    Case("polygon-points-wrong-type", "post", polygons_url, polygon_post("1,1 9,1 5,9"), 400, r"points"),
    Case("polygon-malformed-json", "post", polygons_url, raw_json('{"cls": "dust", "points": [[1, 1], [9, 1]'), 400, r"json"),
    Case("polygon-oversized-json", "post", polygons_url, polygon_post([[float(i % 3000), float((i * 7) % 2000)] for i in range(300_000)]), 400, r"large|points|too many|size"),
    Case("polygon-unknown-field", "post", polygons_url, polygon_post([[1, 1], [9, 1], [5, 9]], colour="red"), 400, r"unknown.*colour"),
    Case("polygon-bad-client-key", "post", polygons_url, polygon_post([[1, 1], [9, 1], [5, 9]], client_key="not-a-uuid"), 400, r"client_key|uuid"),
    Case("polygon-patch-wrong-version-type", "patch", polygon_url, lambda w: {"format": "json", "data": {"version": "latest"}}, 400, r"version"),
    Case("polygon-not-assigned", "post", polygons_url, polygon_post([[1, 1], [9, 1], [5, 9]]), 404, r"not found|no scan", role="annotator2"),
    # lists: huge and negative page numbers
    Case("list-huge-offset", "get", lambda w: "/api/jobs/?offset=" + "9" * 30, status=400, message=r"offset"),
    Case("list-negative-limit", "get", lambda w: "/api/jobs/?limit=-3", status=400, message=r"limit"),
    # restorations: images, methods and options
    Case("restore-truncated-png", "post", lambda w: RESTORE, restore_upload("a.png", png()[:70]), 400, r"truncated|corrupt|cannot|read"),
    Case("restore-bomb", "post", lambda w: RESTORE, restore_upload("a.png", png_bomb()), 400, r"pixels|large|limit"),
    Case("restore-unknown-method", "post", lambda w: RESTORE, restore_upload("a.png", png(), method="magic"), 400, r"magic.*(known|methods)|unknown method"),
    Case("restore-options-not-json", "post", lambda w: RESTORE, restore_upload("a.png", png(), options="{threshold: 1"), 400, r"json|options"),
    Case("restore-options-not-object", "post", lambda w: RESTORE, restore_upload("a.png", png(), options="[1, 2]"), 400, r"options.*object"),
    Case("restore-unknown-option", "post", lambda w: RESTORE, restore_upload("a.png", png(), options='{"sharpen": 3}'), 400, r"sharpen"),
    Case("restore-option-wrong-type", "post", lambda w: RESTORE, restore_upload("a.png", png(), options='{"threshold": "high"}'), 400, r"threshold"),
    # rolls: many scans at once, as files or a zip
    Case("roll-empty-upload", "post", lambda w: ROLLS, roll_upload(method="dust-scratches"), 400, r"empty"),
    Case("roll-zip-non-image", "post", lambda w: ROLLS, roll_upload({"a.png": png(), "notes.txt": b"hello"}), 400, r"notes\.txt.*|not an image"),
    Case("roll-zip-slip", "post", lambda w: ROLLS, roll_upload({"../../evil.png": png()}), 400, r"unsafe|\.\.|path"),
    Case("roll-zip-truncated-scan", "post", lambda w: ROLLS, roll_upload({"a.png": png(), "b.png": png()[:60]}), 400, r"b\.png.*(truncated|corrupt|cannot|read)"),
    Case("roll-not-a-zip", "post", lambda w: ROLLS, roll_upload(archive=b"PK not a zip"), 400, r"zip"),
    Case("roll-one-bad-file", "post", lambda w: ROLLS, roll_upload(images=[("a.png", png()), ("b.png", b"GIF89a no" * 9)]), 400, r"b\.png"),
    Case("roll-unknown-polarity", "post", lambda w: ROLLS, roll_upload(images=[("a.png", png())], polarity="sideways"), 400, r"polarity"),
    # leaderboard submissions: names, sizes, archives
    Case("submission-unknown-image-name", "put", submission_image_url("zzz"), image_put("zzz", png(48, 64)), 400, r"zzz|name"),
    Case("submission-wrong-size", "put", submission_image_url("a"), image_put("a", png(10, 10)), 400, r"size|48|64"),
    Case("submission-16bit-for-8bit", "put", submission_image_url("a"), image_put("a", png(48, 64, np.uint16)), 400, r"bit|depth|16"),
    Case("submission-zip-slip", "post", submissions_url, submission_zip({"../../evil.png": png(48, 64)}), 400, r"unsafe|\.\.|path"),
    Case("submission-zip-symlink", "post", submissions_url, submission_zip({"a.png": png(48, 64)}, symlink="b.png"), 400, r"link|unsafe"),
    Case("submission-zip-bomb", "post", submissions_url, lambda w: {"format": "multipart", "data": {"method_name": "bomb", "archive": upload("r.zip", zip_bomb())}}, 400, r"large|size|limit|bomb"),
    Case("submission-not-a-zip", "post", submissions_url, lambda w: {"format": "multipart", "data": {"method_name": "nz", "archive": upload("r.zip", b"PK not a zip")}}, 400, r"zip"),
    Case("submission-bad-url", "post", submissions_url, lambda w: {"format": "json", "data": {"method_name": "u", "paper_url": "javascript:alert(1)"}}, 400, r"url|http"),
    # synthetic datasets: archives and sizes
    Case("synth-zip-slip", "post", lambda w: SYNTH, synth_zip(zip_of({"../x.png": png()})), 400, r"unsafe|\.\.|path"),
    Case("synth-zip-no-images", "post", lambda w: SYNTH, synth_zip(zip_of({"notes.txt": b"hello"})), 400, r"image"),
    Case("synth-unicode-name-too-long", "post", lambda w: SYNTH, synth_zip(zip_of({"a.png": png()}), name="ñ" * 300), 400, r"name|200|characters"),
    Case("synth-crop-wrong-type", "post", lambda w: SYNTH, lambda w: {"format": "json", "data": {"name": "c", "model": w.model.pk, "clean_dir": "x", "crop": "big"}}, 400, r"crop"),
    # surveys
    Case("survey-answer-unknown-participant", "post", lambda w: "/api/surveys/answers/", lambda w: {"format": "json", "data": {"participant": "00000000-0000-0000-0000-000000000000", "position": 0, "pair": 1, "choice": "left", "response_ms": 900}}, 404, r"participant", role="anonymous"),
    Case("survey-answer-bad-choice", "post", lambda w: "/api/surveys/answers/", lambda w: {"format": "json", "data": {"participant": "00000000-0000-0000-0000-000000000000", "position": 0, "pair": 1, "choice": "both", "response_ms": 900}}, 400, r"choice", role="anonymous"),
]


def _counts() -> dict[str, int]:
    from annotation.models import AnnotationSet, Polygon, Scan
    from evaluation.models import Benchmark, Submission
    from jobs.models import Job
    from restoration.models import Restoration, Roll
    from synthesis.models import SyntheticDataset

    return {m.__name__: m.objects.count() for m in (AnnotationSet, Scan, Polygon, Job, Restoration, Roll, Submission,
                                                    SyntheticDataset, Benchmark)}


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_the_catalogue_has_at_least_thirty_kinds():
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly_and_leaves_nothing_behind(case: Case, world: World, settings):
    media = Path(settings.MEDIA_ROOT)
    before, files_before = _counts(), _files(media)
    client = world.clients[case.role]
    response = getattr(client, case.method)(case.url(world), **case.body(world))
    assert response.status_code == case.status, (response.status_code, response.content[:500])
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"], body
    assert re.search(case.message, body["detail"], re.I), body["detail"]
    assert "Traceback" not in body["detail"] and "/work/" not in body["detail"]
    assert _counts() == before
    assert _files(media) == files_before


def test_an_annotator_exports_and_counts_only_the_scans_assigned_to_them(world: World, users):
    from annotation import services as annotation_services

    other = annotation_services.scan_create(dataset=world.scan.dataset, name="not-yours", width=4000, height=3000,
                                            build_tiles=False)
    annotation_services.polygon_create(scan=other, cls="dirt", points=[[100, 100], [300, 100], [200, 300]])
    url = f"/api/annotation/sets/{world.scan.dataset_id}"
    mine = world.clients["annotator"].get(f"{url}/export/?as=json").json()
    assert [s["name"] for s in mine["scans"]] == ["frame"]
    everything = world.clients["researcher"].get(f"{url}/export/?as=json").json()
    assert sorted(s["name"] for s in everything["scans"]) == ["frame", "not-yours"]
    # an annotator with no scan of the dataset learns nothing of it
    assert world.clients["annotator2"].get(f"{url}/export/").status_code == 404
    assert world.clients["annotator2"].get(f"{url}/stats/").status_code == 404
    assert world.clients["annotator"].get(f"{url}/stats/").status_code == 200


def test_lists_take_an_offset_and_a_limit(world: World):
    from annotation import services as annotation_services

    for i in range(4):
        annotation_services.polygon_create(scan=world.scan, cls="dust", points=[[i, 0], [i + 9, 0], [i + 4, 9]])
    url = f"/api/annotation/scans/{world.scan.pk}/polygons/"
    ids = [p["id"] for p in world.clients["researcher"].get(url).json()]
    assert len(ids) == 5
    page = world.clients["researcher"].get(url + "?offset=1&limit=2").json()
    assert [p["id"] for p in page] == ids[1:3]
