"""benchmarks/annotation_load.py: its arithmetic, and a short real run on the production stack (no timings asserted)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support import ROOT, missing

sys.path.insert(0, str(ROOT / "benchmarks"))
import annotation_load as load  # noqa: E402


def test_read_stats_takes_locusts_csv_columns(tmp_path):
    path = tmp_path / "load_stats.csv"
    path.write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
        "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
        "99.99%,100%\n"
        "POST,polygon save (create),37,1,50,61.2,20,400,700,2.05,0.05,50,60,70,80,100,150,300,370,400,400,400\n"
        ",Aggregated,72,1,48,55,20,400,600,4.0,0.05,48,55,60,70,90,96,300,370,400,400,400\n")
    stats = load.read_stats(path)
    assert stats["polygon save (create)"] == {"requests": 37, "failures": 1, "rps": 2.05, "p50": 50.0,
                                              "p95": 150.0, "p99": 370.0}
    assert stats["Aggregated"]["requests"] == 72


def test_save_percentiles_are_nearest_rank_over_every_save(tmp_path):
    path = tmp_path / "saves.txt"
    path.write_text("\n".join(str(v) for v in range(100, 0, -1)))  # 1..100 ms, unsorted
    assert load.read_saves_percentiles(path) == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "n": 100}
    assert load.read_saves_percentiles(tmp_path / "absent.txt")["n"] == 0


def test_polygon_counts_call_lost_only_what_was_acknowledged_and_not_stored():
    result = {"sent": ["a", "b", "c", "d"], "acked": {"a": 1, "b": 2, "c": 3}}
    assert load.polygon_counts(result, {"a", "c"}) == {"sent": 4, "acknowledged": 3, "stored": 2, "lost": 1,
                                                       "stored_unacknowledged": 0}
    # a save stored whose answer never came back (the run stopped) is not lost
    assert load.polygon_counts(result, {"a", "b", "c", "d"})["lost"] == 0


@pytest.mark.worker
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_short_load_run_stores_every_acknowledged_polygon(worker_database_url, tmp_path):
    """Three annotators for a few seconds against gunicorn on the test database (PostgreSQL) and its own Redis
    database: every save answered is stored, and the benchmark removes its accounts and dataset."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from annotation.models import AnnotationSet

    broker = settings.CELERY_BROKER_URL
    if not worker_database_url.startswith("postgres") or not broker.startswith("redis://"):
        missing(f"the load benchmark measures PostgreSQL and Redis (database {worker_database_url}, broker {broker})")
    head, _, db = broker.rstrip("/").rpartition("/")
    own_broker = f"{head}/{11 if db != '11' else 10}"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "FILMLAB_TEST_RUN"}}
    env.update(DATABASE_URL=worker_database_url, CELERY_BROKER_URL=own_broker)
    out = tmp_path / "load.json"
    result = subprocess.run([sys.executable, "benchmarks/annotation_load.py", "--users", "3", "--spawn-rate", "3",
                             "--duration", "8", "--web-workers", "1", "--no-restoration", "--json", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    counts = report["polygons"]
    assert counts["acknowledged"] > 0 and counts["lost"] == 0, counts
    assert counts["acknowledged"] <= counts["sent"]
    assert report["stats"]["polygon save (create)"]["failures"] == 0
    assert report["saves"]["n"] >= counts["acknowledged"]
    assert not AnnotationSet.objects.filter(name__startswith="load-benchmark-").exists()
    assert not get_user_model().objects.filter(username__startswith="load-").exists()
