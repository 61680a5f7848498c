"""Load: concurrent annotators drawing and autosaving polygons on the production server while a restoration runs.

Starts the production stack on this machine (gunicorn as ``scripts/serve`` runs it, and one Celery worker on
the ``cpu`` and ``gpu`` queues) against ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis),
makes one annotator account, token and assigned scan per simulated user (a dataset named ``load-benchmark-*``),
keeps restoration jobs of generated 2,400 x 1,600 px scans running back to back in the worker (the next
is submitted when one ends, until the window closes), and runs Locust (headless,
``benchmarks/annotation_locustfile.py``) for ``--duration`` seconds. Each user draws and saves a polygon
(POST with a client key), autosaves edits of its polygons (PATCH with their version) and reloads its list,
pausing 0.5-2 s between actions like a person.

Prints: requests per second, p50 / p95 / p99 latency (ms) per kind of request and for all polygon saves
(bar: p99 under 250 ms), failures, and polygons sent / acknowledged / stored / lost (bar: 0 lost: every
acknowledged save is in the database afterwards), and the restorations: how many ran, their states and the
share of the window during which one was running. The accounts and the
dataset are removed afterwards (``--keep`` keeps them).

Usage (the figures in the README come from the default)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/filmlab CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/annotation_load.py [--users 50] [--duration 300] [--web-workers 4] [--json OUT]

``--host URL`` measures a server that is already running instead (the accounts are still made through the
ORM, so the same DATABASE_URL is needed); ``--no-restoration`` leaves the restorations out.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BAR_P99_MS = 250.0
SAVES = ("polygon save (create)", "polygon save (edit)")
SCAN_W, SCAN_H = 6000, 4000  # a 4K+ film scan (no pixels are needed to draw on it through the API)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_stats(path: Path) -> dict[str, dict[str, float]]:
    """Locust's ``*_stats.csv``: name -> requests, failures, rps and the 50/95/99th percentiles (ms)."""
    out = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if not row.get("Name"):
                continue
            out[row["Name"]] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                "rps": float(row["Requests/s"]), "p50": float(row["50%"]),
                                "p95": float(row["95%"]), "p99": float(row["99%"])}
    return out


def read_saves_percentiles(history: Path) -> dict[str, float]:
    """p50 / p95 / p99 over both kinds of polygon save together, from the per-request log of the locustfile."""
    times = sorted(float(t) for t in history.read_text().split()) if history.is_file() else []
    if not times:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": 0}

    def q(p: float) -> float:
        return times[min(len(times) - 1, max(0, round(p * len(times)) - 1))]
    return {"p50": q(0.50), "p95": q(0.95), "p99": q(0.99), "n": len(times)}


def polygon_counts(result: dict, stored_keys: set[str]) -> dict[str, int]:
    """Polygons sent, acknowledged by the server, stored, and lost (acknowledged but not stored)."""
    acked = set(result["acked"])
    return {"sent": len(result["sent"]), "acknowledged": len(acked), "stored": len(stored_keys),
            "lost": len(acked - stored_keys), "stored_unacknowledged": len(stored_keys - acked)}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()


def make_plan(users: int, tag: str) -> dict:
    """One annotator account, token and assigned scan per simulated user, in a dataset of its own."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from annotation import services
    from webapp.roles import ANNOTATOR, ensure_roles

    ensure_roles()
    group = Group.objects.get(name=ANNOTATOR)
    dataset = services.annotation_set_get_or_create(name=f"load-benchmark-{tag}",
                                                    description="benchmarks/annotation_load.py")
    plan = {"dataset": dataset.pk, "width": SCAN_W, "height": SCAN_H, "annotators": [], "users": []}
    for i in range(users):
        user = get_user_model().objects.create_user(f"load-{tag}-{i:03d}", password=secrets.token_urlsafe(16))
        user.groups.add(group)
        scan = services.scan_create(dataset=dataset, name=f"scan-{i:03d}", width=SCAN_W, height=SCAN_H,
                                    build_tiles=False)
        services.scan_assign(scan=scan, annotator=user)
        plan["annotators"].append({"token": Token.objects.create(user=user).key, "scan": scan.pk})
        plan["users"].append(user.pk)
    return plan


def submit_restoration(tag: str, owner=None, seed: int = 7):
    import numpy as np
    from django.contrib.auth import get_user_model

    from imaging.io import encode_image
    from restoration import services
    from restoration.core.clean_images import generated_scene

    if owner is None:
        owner = get_user_model().objects.create_user(f"load-{tag}-restorer", password=secrets.token_urlsafe(16))
    image = generated_scene(size=(1600, 2400), seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(60):  # specks for the detector to find
        y, x = rng.integers(0, 1600), rng.integers(0, 2400)
        image[max(0, y - 2):y + 3, max(0, x - 2):x + 3] = 250
    record = services.restoration_create(user=owner, image=encode_image(image, fmt="PNG"), filename="load.png")
    return owner, record


def restoration_job(record):
    from jobs.models import Job

    return Job.objects.filter(kind="restoration.run", params__restoration_id=record.pk).order_by("-pk").first()


def restorations_summary(records, start, end) -> dict:
    """How the back-to-back restorations went: how many, their states, and the share of the window one ran."""
    import datetime as dt

    jobs = [restoration_job(r) for r in records]
    busy = 0.0
    for j in jobs:
        if j is not None and j.started_at is not None:
            finish = j.finished_at or end
            busy += max(0.0, (min(finish, end) - max(j.started_at, start)) / dt.timedelta(seconds=1))
    states: dict[str, int] = {}
    for j in jobs:
        states[j.state if j else "missing"] = states.get(j.state if j else "missing", 0) + 1
    return {"restorations": len(records), "states": states,
            "running_share": round(busy / max(1e-9, (end - start).total_seconds()), 3)}


def stored_keys(dataset_id: int) -> set[str]:
    from annotation.models import Polygon

    return {str(k) for k in Polygon.objects.filter(scan__dataset_id=dataset_id, client_key__isnull=False)
            .values_list("client_key", flat=True)}


def cleanup(plan: dict, extra_users: list) -> None:
    from django.contrib.auth import get_user_model

    from annotation.models import AnnotationSet
    from restoration.models import Restoration
    from webapp import storage

    AnnotationSet.objects.filter(pk=plan["dataset"]).delete()
    for user in extra_users:  # the restorer's restorations, and their files and viewer tiles (all in one folder)
        Restoration.objects.filter(created_by=user).delete()
        storage.delete_tree(f"private/restorations/{user.pk}/")
    get_user_model().objects.filter(pk__in=[*plan["users"], *(u.pk for u in extra_users)]).delete()


def start_stack(port: int, web_workers: int, logs: Path, env: dict) -> list[subprocess.Popen]:
    py = sys.executable
    worker = subprocess.Popen([py, "-m", "celery", "-A", "webapp", "worker", "-Q", "cpu,gpu", "--concurrency", "1",
                               "--pool", "solo", "--hostname", f"load-{port}@%h", "--loglevel", "INFO"],
                              cwd=REPO, env=env, stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    web = subprocess.Popen([py, "-m", "gunicorn", "webapp.wsgi", "--workers", str(web_workers), "--bind",
                            f"127.0.0.1:{port}", "--timeout", "300", "--no-control-socket"],
                           cwd=REPO, env=env, stdout=open(logs / "web.log", "w"), stderr=subprocess.STDOUT,
                           start_new_session=True)
    import urllib.request

    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return [web, worker]
        except OSError:
            if web.poll() is not None:
                break
            time.sleep(0.5)
    stop_stack([web, worker])
    raise SystemExit(f"the production server did not answer on port {port}; see {logs / 'web.log'}")


def stop_stack(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--host", help="a running server to measure instead of starting one")
    parser.add_argument("--no-restoration", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the accounts and the dataset")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.users < 1 or args.duration < 5:
        raise SystemExit("--users must be at least 1 and --duration at least 5 s")
    db, broker = os.environ.get("DATABASE_URL", ""), os.environ.get("CELERY_BROKER_URL", "")
    if not db.startswith(("postgres://", "postgresql://")) or not broker.startswith("redis://"):
        raise SystemExit("set DATABASE_URL to PostgreSQL and CELERY_BROKER_URL to Redis: this measures the "
                         "production stack (README, Scaling out)")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
           "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    os.environ.update({k: env[k] for k in ("SECRET_KEY", "ALLOWED_HOSTS")})
    os.environ.setdefault("DEBUG", "0")
    setup_django()
    tag = time.strftime("%Y%m%d%H%M%S")
    work = Path(tempfile.mkdtemp(prefix="filmlab-load-"))
    plan = make_plan(args.users, tag)
    (work / "plan.json").write_text(json.dumps(plan))
    procs: list[subprocess.Popen] = []
    extra_users = []
    try:
        if args.host:
            host = args.host.rstrip("/")
        else:
            port = free_port()
            procs = start_stack(port, args.web_workers, work, env)
            host = f"http://127.0.0.1:{port}"
        records: list = []
        if not args.no_restoration:
            owner, record = submit_restoration(tag)
            extra_users.append(owner)
            records.append(record)
        from django.utils import timezone

        start, window_start = time.perf_counter(), timezone.now()
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(REPO / "benchmarks" / "annotation_locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s", "--host", host,
             "--csv", str(work / "load"), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
            cwd=REPO, env={**env, "FILMLAB_LOAD_PLAN": str(work / "plan.json"),
                           "FILMLAB_LOAD_RESULT": str(work / "result.json"),
                           "FILMLAB_LOAD_SAVES": str(work / "saves.txt")},
            stdout=(work / "locust.out").open("w"), stderr=(work / "locust.err").open("w"))
        while locust.poll() is None:  # a restoration runs for the whole window: the next starts when one ends
            time.sleep(2)
            if records and time.perf_counter() - start < args.duration:
                j = restoration_job(records[-1])
                if j is not None and j.state in j.TERMINAL_STATES:
                    records.append(submit_restoration(tag, owner=owner, seed=7 + len(records))[1])
        locust_stderr = (work / "locust.err").read_text()
        window_end = timezone.now()
        elapsed = time.perf_counter() - start
        if not (work / "result.json").is_file():
            raise SystemExit(f"locust did not finish (exit {locust.returncode}):\n{locust_stderr[-3000:]}")
        stats = read_stats(work / "load_stats.csv")
        saves = read_saves_percentiles(work / "saves.txt")
        result = json.loads((work / "result.json").read_text())
        counts = polygon_counts(result, stored_keys(plan["dataset"]))
        job = restorations_summary(records, window_start, window_end) if records else None
    finally:
        stop_stack(procs)
        if not args.keep:
            cleanup(plan, extra_users)
    report = {"users": args.users, "duration_s": args.duration, "elapsed_s": round(elapsed, 1),
              "web_workers": args.web_workers, "stats": stats, "saves": saves, "polygons": counts,
              "edits": result["edits"], "restoration": job, "bar_p99_ms": BAR_P99_MS,
              "p99_ok": saves["p99"] < BAR_P99_MS, "lost_ok": counts["lost"] == 0}
    print(f"{args.users} annotators for {args.duration} s against {host} ({args.web_workers} gunicorn workers), "
          f"restorations back to back: {job}")
    print(f"{'request':<24}{'count':>8}{'failed':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, s in stats.items():
        print(f"{name:<24}{s['requests']:>8}{s['failures']:>8}{s['rps']:>8.1f}{s['p50']:>9.0f}{s['p95']:>9.0f}"
              f"{s['p99']:>9.0f}")
    print(f"{'all polygon saves':<24}{saves['n']:>8}{'':>8}{'':>8}{saves['p50']:>9.0f}{saves['p95']:>9.0f}"
          f"{saves['p99']:>9.0f}   bar p99 < {BAR_P99_MS:.0f} ms: {'met' if report['p99_ok'] else 'NOT met'}")
    print(f"polygons sent {counts['sent']}, acknowledged {counts['acknowledged']}, stored {counts['stored']}, "
          f"lost {counts['lost']} (bar 0: {'met' if report['lost_ok'] else 'NOT met'}); edits {result['edits']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
