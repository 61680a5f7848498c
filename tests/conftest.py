"""Shared fixtures: a real Celery worker process, a Chromium browser, users.

``FILMLAB_STRICT=1`` (set by CI) turns a missing PostgreSQL, Redis, worker,
browser or public data into a failure instead of a skip.
"""
from __future__ import annotations

import os
import shutil

import pytest

from tests.support import (
    STRICT,
    WorkerProcess,
    database_url_for,
    frontend_build,
    missing,
    purge_broker,
    require_public_data,
)

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made by the tests themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's test database, broker folder and media (see webapp.settings.TEST_RUN_DIR)."""
    from django.conf import settings

    if not settings.configured:  # pure-core runs with -p no:django
        return
    run_dir = getattr(settings, "TEST_RUN_DIR", None)
    if run_dir is not None and os.environ.get("FILMLAB_TEST_RUN") == str(os.getpid()):
        shutil.rmtree(run_dir, ignore_errors=True)


def pytest_sessionstart(session):
    if not STRICT:
        return
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    broker = settings.CELERY_BROKER_URL
    problems = []
    if "postgresql" not in engine:
        problems.append(f"DATABASE_URL is not PostgreSQL (engine {engine})")
    if not broker.startswith("redis://"):
        problems.append(f"CELERY_BROKER_URL is not Redis ({broker})")
    if shutil.which("chromium") is None:
        problems.append("Debian's chromium is not installed")
    if problems:
        pytest.exit("FILMLAB_STRICT=1 but: " + "; ".join(problems), returncode=3)


#: ``FILMLAB_TEST_STORAGE=s3``: every test's media (and the worker processes') on a real S3-compatible server
#: (moto, tests/s3server.py) started for the session on 127.0.0.1; default: a local folder.
TEST_STORAGE = os.environ.get("FILMLAB_TEST_STORAGE", "filesystem")


@pytest.fixture(scope="session", autouse=True)
def media_storage():
    """The default storage for the whole run: ``"filesystem"``, or the ``S3Server`` the run's media live on."""
    if TEST_STORAGE == "filesystem":
        yield "filesystem"
        return
    if TEST_STORAGE != "s3":
        pytest.exit(f"FILMLAB_TEST_STORAGE must be filesystem or s3, got {TEST_STORAGE!r}", returncode=4)
    from django.test.utils import override_settings

    from tests.s3server import S3Server

    server = S3Server().start()
    saved = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())  # the Celery worker processes the tests start inherit it
    override = override_settings(STORAGES=server.storages())
    override.enable()
    try:
        yield server
    finally:
        override.disable()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


@pytest.fixture(scope="session")
def worker_database_url(django_db_setup, django_db_blocker) -> str:
    from django.db import connection

    with django_db_blocker.unblock():
        return database_url_for(connection.settings_dict)


@pytest.fixture(scope="session")
def celery_worker_process(worker_database_url):
    """A real ``celery worker`` process on the real broker, using the test database."""
    purge_broker()
    worker = WorkerProcess(database_url=worker_database_url)
    try:
        worker.start()
    except Exception as exc:
        worker.stop()
        missing(f"No Celery worker could be started: {exc}")
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def public_data():
    """The public FilmDamageSimulator data (``needs_public_data`` marks the tests that use it)."""
    return require_public_data()


@pytest.fixture
def users(db):
    from django.contrib.auth import get_user_model

    from webapp.demo import demo_users_ensure

    demo_users_ensure()
    User = get_user_model()
    return {u.username: u for u in User.objects.all()}


@pytest.fixture(scope="session")
def browser():
    from django.conf import settings

    frontend_build(settings.FRONTEND_DIST)  # the test build, with the hooks the browser tests drive
    exe = shutil.which("chromium")
    if exe is None:
        missing("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(
        executable_path=exe,
        args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    )
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20000)
    yield pg
    context.close()


@pytest.fixture
def squares_damage_model(db):
    """A damage model fitted on two small scans of squares (dust and dirt), through the services."""
    import numpy as np

    from annotation import services as annotation_services
    from annotation.core.types import Artefact, FrameGeometry, ScanArtefacts
    from synthesis.services import damage_model_fit

    rng = np.random.default_rng(0)
    dataset = annotation_services.annotation_set_get_or_create(name="squares")
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
