"""Annotation data layer: import of the public data, statistics, export round trips, the bank."""
from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.management.base import CommandError

from annotation.models import AnnotationSet, BankEntry, Polygon, Scan
from imaging.io import write_image
from tests.support import PUBLIC_DATA, TABLE_1, needs_public_data, run_command


@needs_public_data
@pytest.mark.django_db
def test_import_of_the_public_data_reproduces_table_1():
    # when the ten public files are imported by their manifest
    log = run_command("import_annotations", "--manifest", str(PUBLIC_DATA / "manifest.json"), "--dataset", "public",
                      "--no-tiles")
    # then the two degenerate polygons are reported and skipped
    assert log.count("skipped scan_") == 2
    assert Polygon.objects.count() == 12135
    # and damage_stats prints exactly the documented shape, matching Table 1
    stats = json.loads(run_command("damage_stats", "--dataset", "public", "--json"))
    assert set(stats) == {"dataset", "scans", "classes"}
    assert stats["dataset"] == "public" and stats["scans"] == 10
    assert list(stats["classes"]) == ["dust", "dirt", "short hair", "long hair", "scratch"]
    for cls, (count, mean, std) in TABLE_1.items():
        got = stats["classes"][cls]
        assert set(got) == {"count", "area_um2"} and set(got["area_um2"]) == {"mean", "std"}
        assert got["count"] == count
        assert got["area_um2"]["mean"] == pytest.approx(mean, rel=0.01)
        assert got["area_um2"]["std"] == pytest.approx(std, rel=0.01)


@needs_public_data
@pytest.mark.django_db
def test_reimport_replaces_rather_than_duplicates():
    args = ("import_annotations", str(PUBLIC_DATA / "annotations" / "scan_10.json"), "--dataset", "one",
            "--width", "4944", "--height", "3396", "--coordinate-scale", "1.5", "--no-tiles")
    run_command(*args)
    first = Polygon.objects.count()
    run_command(*args)
    assert Polygon.objects.count() == first > 0
    assert Scan.objects.filter(dataset__name="one").count() == 1


@pytest.mark.django_db
def test_single_file_import_needs_a_canvas(tmp_path):
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"0": {"points": [{"x": 1, "y": 1}, {"x": 30, "y": 1}, {"x": 30, "y": 20}],
                                   "label": {"name": "Dust"}}}))
    with pytest.raises(CommandError, match="--width and --height"):
        run_command("import_annotations", str(f), "--dataset", "d")
    with pytest.raises(CommandError, match="either --manifest"):
        run_command("import_annotations", "--dataset", "d")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="JSON"):
        run_command("import_annotations", str(bad), "--dataset", "d", "--width", "100", "--height", "100")
    assert Polygon.objects.count() == 0
    run_command("import_annotations", str(f), "--dataset", "d", "--width", "100", "--height", "80",
                "--frame-mm", "24x18", "--no-tiles")
    scan = Scan.objects.get(name="a")
    assert (scan.frame_long_mm, scan.frame_short_mm) == (24.0, 18.0)
    polygon = scan.polygons.get()
    # 1 px = 24000/100 um by 18000/80 um; the triangle's area is 29 * 19 / 2 px
    assert polygon.area_um2 == pytest.approx(29 * 19 / 2 * 240 * 225)


@needs_public_data
@pytest.mark.django_db
def test_export_round_trips_through_json_and_coco(tmp_path):
    run_command("import_annotations", str(PUBLIC_DATA / "annotations" / "scan_04.json"), "--dataset", "src",
                "--width", "4944", "--height", "3396", "--no-tiles")
    before = sorted(Polygon.objects.values_list("cls", "area_px"))
    run_command("export_annotations", "--dataset", "src", "--format", "json", "--out", str(tmp_path / "json"))
    run_command("export_annotations", "--dataset", "src", "--format", "coco", "--out", str(tmp_path / "coco.json"))
    run_command("import_annotations", str(tmp_path / "json" / "scan_04.json"), "--dataset", "again",
                "--width", "4944", "--height", "3396", "--no-tiles")
    after = sorted(Polygon.objects.filter(scan__dataset__name="again").values_list("cls", "area_px"))
    assert [c for c, _ in before] == [c for c, _ in after]
    np.testing.assert_allclose([a for _, a in before], [a for _, a in after], rtol=1e-6)
    coco = json.loads((tmp_path / "coco.json").read_text())
    assert len(coco["annotations"]) == len(before)
    assert {c["name"] for c in coco["categories"]} == {"dust", "dirt", "short hair", "long hair", "scratch"}


@pytest.mark.django_db
def test_import_artefact_bank_by_mapping(tmp_path):
    # given a folder of RGBA artefact images in two sub-folders
    for folder, n in (("sprinkles", 2), ("hair", 1)):
        (tmp_path / folder).mkdir()
        for i in range(n):
            rgba = np.zeros((40, 40, 4), np.uint8)
            rgba[10:20, 10:10 + 5 * (i + 1), :3] = 200
            rgba[10:20, 10:10 + 5 * (i + 1), 3] = 255
            write_image(tmp_path / folder / f"{i}.png", rgba)
    (tmp_path / "hair" / "empty.png").write_bytes(b"")
    # when imported twice
    log = run_command("import_artefact_bank", str(tmp_path), "--mapping", "sprinkles=dust,hair=long hair")
    run_command("import_artefact_bank", str(tmp_path), "--mapping", "sprinkles=dust,hair=long hair")
    # then each image is a bank entry once, with its class and alpha area, and the bad file is reported
    assert "empty.png" in log
    entries = sorted(BankEntry.objects.values_list("cls", "area_px"))
    assert entries == [("dust", 50.0), ("dust", 100.0), ("long hair", 50.0)]
    with pytest.raises(CommandError, match="unknown class"):
        run_command("import_artefact_bank", str(tmp_path), "--mapping", "sprinkles=fluff,hair=long hair")


@pytest.mark.django_db
def test_damage_stats_on_unknown_dataset():
    with pytest.raises(CommandError, match="No dataset"):
        run_command("damage_stats", "--dataset", "nope", "--json")


@needs_public_data
@pytest.mark.django_db
def test_demo_content_is_idempotent():
    from annotation.demo import load_demo

    load_demo(log=lambda m: None)
    counts = (AnnotationSet.objects.count(), Scan.objects.count(), Polygon.objects.count(), BankEntry.objects.count())
    load_demo(log=lambda m: None)
    assert (AnnotationSet.objects.count(), Scan.objects.count(), Polygon.objects.count(),
            BankEntry.objects.count()) == counts
    demo = Scan.objects.get(name="demo-frame-01")
    assert demo.bit_depth == 16 and demo.has_pixels and demo.polygons.count() > 1000


@pytest.mark.django_db
def test_cut_out_artefacts_into_the_bank(tmp_path):
    from annotation import services

    # given a 16-bit scan with pixels and two polygons
    image = np.zeros((120, 160, 3), np.uint16)
    image[20:40, 30:60] = 60000
    path = write_image(tmp_path / "s.tif", image)
    ds = services.annotation_set_get_or_create(name="cut")
    scan = services.scan_create(dataset=ds, name="s", image=path, build_tiles=False)
    services.polygon_create(scan=scan, cls="dirt", points=[[30, 20], [60, 20], [60, 40], [30, 40]])
    services.polygon_create(scan=scan, cls="dust", points=[[100, 80], [110, 80], [105, 90]])
    # when cut out twice
    log = run_command("cut_out_artefacts", "--dataset", "cut")
    run_command("cut_out_artefacts", "--dataset", "cut")
    # then each polygon is one bank entry: a square RGBA cut-out keeping 16 bits, alpha from the polygon
    assert "2 artefact(s)" in log and BankEntry.objects.count() == 2
    entry = BankEntry.objects.get(cls="dirt")
    from imaging.io import read_image

    rgba = read_image(entry.image.path)
    assert rgba.dtype == np.uint16 and rgba.shape[0] == rgba.shape[1] == 30 and rgba.shape[2] == 4
    assert (rgba[..., 3] > 0).sum() == 30 * 20
    assert entry.source_scan == scan and entry.area_um2 == pytest.approx(600 * scan.frame.um2_per_px)
    with pytest.raises(CommandError, match="No scans with pixels"):
        run_command("cut_out_artefacts", "--dataset", "nope")
