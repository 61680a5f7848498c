"""Demo content: a small benchmark of synthetic damage with its baseline rows, loaded once."""
from __future__ import annotations

import numpy as np
import pytest

from evaluation import demo, selectors
from evaluation.models import Benchmark, Submission


@pytest.fixture
def damage_model(db):
    """A damage model fitted on two small scans of squares (dust and dirt), through the services."""
    from annotation import services as annotation_services
    from annotation.core.types import Artefact, FrameGeometry, ScanArtefacts
    from synthesis.services import damage_model_fit

    rng = np.random.default_rng(0)
    dataset = annotation_services.dataset_get_or_create(name="squares")
    for s in range(2):
        frame = FrameGeometry.for_35mm(1024, 768)
        artefacts = []
        for cls in ["dust"] * 40 + ["dirt"] * 15:
            x, y = rng.uniform(10, 700, 2)
            side = rng.uniform(3, 12)
            points = np.array([[x, y], [x + side, y], [x + side, y + side], [x, y + side]])
            artefacts.append(Artefact(cls=cls, polygon=points, area_px=side * side,
                                      area_um2=side * side * frame.um2_per_px, centroid=(x + side / 2, y + side / 2),
                                      bbox=(x, y, x + side, y + side)))
        annotation_services.scan_import_artefacts(
            dataset=dataset, scan_artefacts=ScanArtefacts(name=f"s{s}", frame=frame, artefacts=artefacts),
            build_tiles=False)
    return damage_model_fit(dataset=dataset, name="squares")


@pytest.mark.django_db
@pytest.mark.usefixtures("private_media")
def test_demo_makes_a_benchmark_with_baselines_once(damage_model):
    lines: list[str] = []
    demo.load_demo(log=lines.append)
    benchmark = Benchmark.objects.get(name=demo.DEMO_BENCHMARK)
    assert sorted(benchmark.images.values_list("name", flat=True)) == sorted(demo.DEMO_IMAGES)
    fractions = list(benchmark.images.values_list("damage_fraction", flat=True))
    assert all(0 < f < 1 for f in fractions), fractions
    rows = selectors.leaderboard(benchmark=benchmark)["rows"]
    assert {"do-nothing", "dust-scratches"} <= {r["baseline_method"] for r in rows}
    assert any("leaderboard demo ready" in line for line in lines)
    # a second load changes nothing
    count = Submission.objects.count()
    demo.load_demo(log=lines.append)
    assert Submission.objects.count() == count and Benchmark.objects.count() == 1
