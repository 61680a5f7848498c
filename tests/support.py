"""Helpers for the tests: a real Celery worker process, job polling, browser steps."""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
FRONTEND = ROOT / "frontend"
STRICT = os.environ.get("FILMLAB_STRICT", "") in {"1", "true", "yes"}


def _public_data() -> Path:
    from annotation.core.formats import public_data_root

    return public_data_root()


#: The public FilmDamageSimulator data (``$FILM_DAMAGE_DATA`` or ``../shared/...``), and a mark for tests
#: that need it: they skip without it, and fail under FILMLAB_STRICT (the ``public_data`` fixture).
PUBLIC_DATA = _public_data()
needs_public_data = pytest.mark.usefixtures("public_data")

#: Table 1 of Ivanova, Williamson & Henderson (EG 2023), quoted in the data's README:
#: class -> (count, mean area um^2, std area um^2).
TABLE_1 = {
    "dirt": (2700, 8194, 10304),
    "dust": (7631, 3344, 1637),
    "long hair": (398, 53501, 35524),
    "short hair": (1341, 16365, 11735),
    "scratch": (65, 229660, 521345),
}


def run_command(*args) -> str:
    """Run a management command as ``call_command(*args)`` does and return what it wrote to stdout."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def missing(reason: str):
    """Fail in strict mode (CI), skip otherwise."""
    if STRICT:
        pytest.fail(f"{reason} (FILMLAB_STRICT=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def require_public_data() -> Path:
    """``PUBLIC_DATA``, or a skip (a failure under FILMLAB_STRICT) when its manifest is not there."""
    if not (PUBLIC_DATA / "manifest.json").is_file():
        missing(f"public FilmDamageSimulator data not found at {PUBLIC_DATA}")
    return PUBLIC_DATA


def frontend_build(folder: Path) -> Path:
    """``folder``, a build of ``frontend/build.mjs`` (``dist`` or ``dist-test``), checked to be there and current.

    Fails, rather than letting the browser tests drive bundles older than ``frontend/src``.
    """
    stamp = folder / ".built"
    sources = [FRONTEND / "build.mjs", FRONTEND / "package-lock.json", *(FRONTEND / "src").rglob("*")]
    newest = max(p.stat().st_mtime for p in sources if p.is_file())
    if not stamp.is_file() or stamp.stat().st_mtime < newest:
        state = "older than frontend/src" if stamp.is_file() else "not built"
        pytest.fail(f"{folder} is {state}: run `cd frontend && npm run build`", pytrace=False)
    return folder


def database_url_for(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    if "postgresql" in engine:
        user = settings_dict.get("USER") or ""
        password = settings_dict.get("PASSWORD") or ""
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
    raise RuntimeError(f"No worker database URL for engine {engine}")


def purge_broker() -> None:
    from django.conf import settings

    from webapp.celery import app

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for sub in ("queue", "control", "processed"):
            d = settings.BROKER_DIR / sub
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True, exist_ok=True)
    else:
        try:
            app.control.purge()
        except Exception as exc:  # reported by the worker fixture if it matters
            print(f"broker purge failed: {exc}", file=sys.stderr)


class WorkerProcess:
    #: Workers of this test run that are up now (every one consumes the same queues).
    running: list[WorkerProcess] = []

    def __init__(self, *, database_url: str, queues: str = "cpu,gpu", concurrency: int = 1, pool: str = "prefork"):
        self.hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.database_url = database_url
        self.queues = queues
        self.concurrency, self.pool = concurrency, pool
        self.log_path = ARTIFACTS / f"worker-{self.hostname.split('@')[0]}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        from webapp.celery import app

        ARTIFACTS.mkdir(exist_ok=True)
        env = dict(os.environ, DATABASE_URL=self.database_url, PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", self.queues,
               "--concurrency", str(self.concurrency), "--pool", self.pool, "--hostname", self.hostname,
               "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        self.log = open(self.log_path, "a")  # a restarted worker keeps its earlier log
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Celery worker exited with {self.proc.returncode}; see {self.log_path}")
            replies = app.control.ping(destination=[self.hostname], timeout=1.0)
            if any(self.hostname in r for r in replies):
                WorkerProcess.running.append(self)
                return
        self.stop()
        raise RuntimeError(f"Celery worker did not answer a ping within {timeout} s; see {self.log_path}")

    def kill(self) -> None:
        """Kill the worker and its pool children at once (SIGKILL), as a crash would."""
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._forget()

    def _forget(self) -> None:
        if self in WorkerProcess.running:
            WorkerProcess.running.remove(self)
        if getattr(self, "log", None):
            self.log.close()

    def stop(self) -> None:
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._forget()


@contextlib.contextmanager
def only_worker(worker: WorkerProcess):
    """Run ``worker`` as the only consumer: the run's other workers are stopped, and started again after.

    A test that kills its worker mid-job must be sure no other worker of the run took that job.
    """
    others = [w for w in WorkerProcess.running if w is not worker]
    for w in others:
        w.stop()
    try:
        yield worker
    finally:
        for w in others:
            w.start()


def wait_for_job(job_id: int, *, timeout: float = 120.0, until=None):
    """Poll the job row until it is terminal (or ``until(job)`` holds); return it."""
    from jobs.models import Job

    deadline = time.monotonic() + timeout
    job = Job.objects.get(pk=job_id)
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if (until and until(job)) or (until is None and job.is_terminal):
            return job
        time.sleep(0.2)
    raise AssertionError(f"Job {job_id} still {job.state} at {job.progress}% after {timeout} s: {job.message}")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def browser_login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")


class Download:
    """A file fetched as a browser would: ``status``, ``content`` and ``headers``."""

    def __init__(self, status: int, content: bytes, headers) -> None:
        self.status, self.content, self.headers = status, content, headers


def download(client, url: str) -> Download:
    """GET ``url`` from the site and follow a redirect to a signed storage URL (media on S3) to its file.

    Works the same whatever storage the run uses (``FILMLAB_TEST_STORAGE``): on disk the site streams the
    file itself, on S3 a download of a private file is a redirect to the bucket.
    """
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        response = client.get(url)
        if not (response.status_code in (301, 302) and response["Location"].startswith(("http://", "https://"))):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            return Download(response.status_code, body, response)
        url = response["Location"]
    try:
        with urllib.request.urlopen(url, timeout=30) as fetched:  # noqa: S310 (the tests' own server)
            return Download(fetched.status, fetched.read(), fetched.headers)
    except urllib.error.HTTPError as exc:
        return Download(exc.code, exc.read(), exc.headers)


def site_path(name: str) -> str:
    """Where the site would serve the stored file ``name`` by name: ``/media/`` on disk, ``/files/`` on S3."""
    from webapp import storage

    return f"/media/{name}" if storage.is_local() else f"/files/{name}"
