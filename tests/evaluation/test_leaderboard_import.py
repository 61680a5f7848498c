"""Importing benchmarks: every accepted layout, ambiguous and broken folders refused, threshold and masks."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.management.base import CommandError

from evaluation.models import Benchmark, BenchmarkImage
from evaluation.services import files
from evaluation.services.benchmarks import BenchmarkImportError, benchmark_import
from imaging.io import write_image
from tests.evaluation.leaderboard_support import NAMES, write_pairs, zip_bytes
from tests.support import run_command

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


@pytest.mark.parametrize("layout, expected_kind", [
    ("damaged/restored", "damaged/restored"),  # the paper's public dataset as published
    ("input/gt", "input/gt"),
    ("damaged/clean", "damaged/clean"),
    ("flat", "_damaged/_restored"),
    ("Damaged/Restored", "damaged/restored"),  # folder names are matched case-insensitively
])
def test_each_accepted_layout_imports_all_pairs(tmp_path, layout, expected_kind):
    # given a benchmark folder in this layout
    pairs = write_pairs(tmp_path / "b", layout=layout)
    # when it is imported
    benchmark = benchmark_import(directory=tmp_path / "b", name="b")
    # then every pair is there, with its size and depth
    assert benchmark.layout == expected_kind
    images = {i.name: i for i in benchmark.images.all()}
    assert sorted(images) == sorted(NAMES)
    assert (images["a"].width, images["a"].height, images["a"].channels, images["a"].bit_depth) == (64, 48, 3, 8)
    np.testing.assert_array_equal(files.read_array(images["b"].damaged), pairs["b"][0])
    np.testing.assert_array_equal(files.read_array(images["b"].restored), pairs["b"][1])


def test_a_folder_holding_one_folder_is_looked_into(tmp_path):
    write_pairs(tmp_path / "wrap" / "paper-dataset")
    assert benchmark_import(directory=tmp_path / "wrap", name="w").images.count() == 3


def test_threshold_is_recorded_and_masks_are_the_binarised_difference(tmp_path):
    # given pairs whose difference is known: 16-bit, one pixel changed by 1000 levels, one by 100
    root = tmp_path / "b"
    restored = np.full((40, 50, 3), 30000, np.uint16)
    damaged = restored.copy()
    damaged[5, 6, 1] += 1000  # 1000 / 65535 = 0.0153
    damaged[20, 30, :] += 100  # 0.0015
    for folder, image in (("damaged", damaged), ("restored", restored)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        write_image(root / folder / "x.tif", image)
    # when imported at two thresholds
    low = benchmark_import(directory=root, name="low", threshold=0.001, dilation=2)
    high = benchmark_import(directory=root, name="high", threshold=0.01)
    # then the threshold is recorded and the mask holds exactly the pixels above it
    assert (low.threshold, low.dilation, high.threshold) == (0.001, 2, 0.01)
    low_mask = files.read_array(low.images.get().gt_mask) > 0
    high_mask = files.read_array(high.images.get().gt_mask) > 0
    assert sorted(zip(*np.nonzero(low_mask))) == [(5, 6), (20, 30)]
    assert sorted(zip(*np.nonzero(high_mask))) == [(5, 6)]
    assert high.images.get().damage_fraction == pytest.approx(1 / 2000)
    assert high.images.get().bit_depth == 16


def test_ground_truth_is_stored_privately_and_inputs_publicly(bench):
    image = bench.images.first()
    assert image.damaged.name.startswith("benchmarks/") and image.damaged_display.name.startswith("benchmarks/")
    for field in (image.restored, image.gt_mask, image.restored_display):
        assert field.name.startswith("private/")


@pytest.mark.parametrize("extra, message", [
    (lambda root: write_pairs(root, layout="damaged/clean"), "ambiguous"),
    (lambda root: write_pairs(root, layout="flat"), "ambiguous"),
    (lambda root: write_pairs(root, layout="input/gt"), "ambiguous"),
    (lambda root: shutil.copytree(root / "restored", root / "RESTORED"), "differ only in case"),
])
def test_ambiguous_layouts_are_refused(tmp_path, extra, message):
    root = tmp_path / "b"
    write_pairs(root)
    extra(root)
    with pytest.raises(BenchmarkImportError, match=message):
        benchmark_import(directory=root, name="x")
    assert not Benchmark.objects.exists()


def test_unpaired_names_unknown_layouts_and_mismatched_pairs_are_refused(tmp_path):
    root = tmp_path / "b"
    write_pairs(root)
    (root / "restored" / "c.png").unlink()
    with pytest.raises(BenchmarkImportError, match=r"without a restoration: \['c'\]"):
        benchmark_import(directory=root, name="x")
    shutil.rmtree(root / "restored")
    with pytest.raises(BenchmarkImportError, match="not its partner"):
        benchmark_import(directory=root, name="x")
    other = tmp_path / "other"
    (other / "photos").mkdir(parents=True)
    (other / "notes").mkdir()
    with pytest.raises(BenchmarkImportError, match="not a benchmark folder"):
        benchmark_import(directory=other, name="x")
    # a restoration of another size: refused, whatever else is right
    sized = tmp_path / "sized"
    write_pairs(sized)
    write_image(sized / "restored" / "b.png", np.zeros((40, 64, 3), np.uint8))
    write_image(sized / "restored" / "c.png", np.zeros((48, 64), np.uint8))
    with pytest.raises(BenchmarkImportError) as caught:
        benchmark_import(directory=sized, name="x")
    assert "b: the damaged scan is 64 x 48 px but the restoration 64 x 40 px" in str(caught.value)
    assert "c: the damaged scan has 3 channel(s) at 8 bits but the restoration 1 at 8" in str(caught.value)
    assert not Benchmark.objects.exists()


def test_a_failure_part_way_keeps_nothing(tmp_path, private_media):
    # given a folder whose last pair is truncated (the headers read, the pixels do not)
    root = tmp_path / "b"
    write_pairs(root)
    data = (root / "damaged" / "c.png").read_bytes()
    (root / "damaged" / "c.png").write_bytes(data[: len(data) - 30])
    # when imported
    with pytest.raises(BenchmarkImportError, match="c: .*c.png"):
        benchmark_import(directory=root, name="x")
    # then no row and no file is left
    assert not Benchmark.objects.exists() and not BenchmarkImage.objects.exists()
    assert not [p for p in Path(private_media).rglob("*") if p.is_file()]


def test_command_imports_a_folder_or_a_zip_and_refuses_a_taken_name(tmp_path):
    write_pairs(tmp_path / "b", layout="input/gt")
    out = json.loads(run_command("import_benchmark", str(tmp_path / "b"), "--name", "cmd", "--threshold", "0.05",
                                 "--dilation", "1", "--json"))
    assert (out["name"], out["layout"], out["threshold"], out["dilation"]) == ("cmd", "input/gt", 0.05, 1)
    assert [i["name"] for i in out["images"]] == list(NAMES)
    members = {str(p.relative_to(tmp_path / "b")): p.read_bytes() for p in (tmp_path / "b").rglob("*.png")}
    (tmp_path / "b.zip").write_bytes(zip_bytes(members))
    assert "3 pairs" in run_command("import_benchmark", str(tmp_path / "b.zip"), "--name", "zipped")
    with pytest.raises(CommandError, match="exists already"):
        run_command("import_benchmark", str(tmp_path / "b"), "--name", "cmd")
    with pytest.raises(CommandError, match="threshold must be in"):
        run_command("import_benchmark", str(tmp_path / "b"), "--name", "new", "--threshold", "1.5")
    from evaluation.management.commands.import_benchmark import Command

    help_text = Command().create_parser("manage.py", "import_benchmark").format_help()
    assert "DIR/damaged/<name>.<ext> + DIR/restored/<name>.<ext>" in help_text and "ambiguous" in help_text.lower()
    assert default_storage.exists(Benchmark.objects.get(name="zipped").images.first().restored.name)


def test_import_from_the_page_runs_as_a_job(client, users, tmp_path, settings):
    from django.urls import reverse

    from evaluation import tasks
    from jobs.models import Job
    from tests.evaluation.leaderboard_support import upload

    settings.VAR_DIR = tmp_path / "var"
    write_pairs(tmp_path / "b", layout="flat")
    members = {p.name: p.read_bytes() for p in (tmp_path / "b").glob("*.png")}
    # an annotator may not import
    client.force_login(users["annotator"])
    assert client.post(reverse("evaluation:import"), {"name": "page"}).status_code == 403
    # a researcher uploads a zip: a job is started and the archive kept for it
    client.force_login(users["researcher"])
    r = client.post(reverse("evaluation:import"), {"name": "page", "threshold": "0.03", "dilation": "2",
                                                   "archive": upload("b.zip", zip_bytes(members))})
    job = Job.objects.get(kind="benchmark.import")
    assert r.status_code == 302 and r["Location"] == reverse("jobs:detail", args=[job.pk])
    archive = Path(job.params["archive"])
    assert archive.is_file() and job.params["threshold"] == 0.03
    # when the job runs, the benchmark is imported and the archive removed
    tasks.benchmark_import(job.pk)
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    benchmark = Benchmark.objects.get(name="page")
    assert (benchmark.threshold, benchmark.dilation, benchmark.created_by) == (0.03, 2, users["researcher"])
    assert job.result["images"] == 3 and not archive.exists()
    # a taken name is refused on the page at once
    r = client.post(reverse("evaluation:import"), {"name": "page", "archive": upload("b.zip", b"x")}, follow=True)
    assert "exists already" in r.content.decode() and Job.objects.count() == 1


def test_an_unsafe_benchmark_zip_is_refused_as_a_benchmark_zip_not_a_submission(tmp_path, client, users):
    import zipfile

    from evaluation.services.benchmarks import benchmark_import_zip

    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../evil.png", b"x")
    with pytest.raises(BenchmarkImportError) as refused:
        benchmark_import_zip(archive=archive, name="evil")
    assert str(refused.value) == "the benchmark zip has 1 problem:\n../evil.png: climbs out of the folder with '..'"
    assert not Benchmark.objects.exists()
