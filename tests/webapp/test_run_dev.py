"""`make run`'s start (scripts/run-dev) stops within 10 s of SIGTERM or Ctrl-C to its process group (or SIGTERM to
the script alone), the web server, the worker and all their processes with it, and a job that was running is handed
back: resumed at the next start, or marked interrupted (issue 16 item 5)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from jobs import services
from jobs.models import Job
from tests.support import ARTIFACTS, ROOT, only_worker, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid: int) -> list[str]:
    """The live processes of process group ``pgid`` (zombies are gone already), as 'pid name'."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if int(rest[2]) == pgid and rest[0] != "Z":
            members.append(f"{stat.parent.name} {name}")
    return members


class RunDev:
    """scripts/run-dev in its own process group (as a terminal runs `make run`), on the test database."""

    def __init__(self, database_url: str, name: str):
        self.port = free_port()
        self.worker_log = ARTIFACTS / f"run-dev-{name}-worker.log"
        self.log_path = ARTIFACTS / f"run-dev-{name}.log"
        self.hostname = f"local@{socket.gethostname()}"
        self.database_url = database_url
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> None:
        from webapp.celery import app

        ARTIFACTS.mkdir(exist_ok=True)
        env = dict(os.environ, DATABASE_URL=self.database_url, PORT=str(self.port), WORKER_LOG=str(self.worker_log),
                   PYTHONUNBUFFERED="1")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([str(ROOT / "scripts" / "run-dev")], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        site = worker = False
        while time.monotonic() < deadline and not (site and worker):
            if self.proc.poll() is not None:
                raise AssertionError(f"scripts/run-dev ended with {self.proc.returncode}; see {self.log_path}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                site = True
            except urllib.error.HTTPError:  # answering (a part is not ready yet)
                site = True
            except OSError:
                time.sleep(0.5)
            worker = worker or any(self.hostname in r for r in app.control.ping(destination=[self.hostname],
                                                                                 timeout=1.0))
        assert site and worker, f"site {site}, worker {worker} after {timeout} s; see {self.log_path}"

    def stop_within_10_s(self, sig: signal.Signals, *, group: bool = True) -> float:
        """``sig`` to the whole process group (or the script alone); every process of the group must be gone
        within 10 s."""
        pgid = self.proc.pid
        before = group_members(pgid)
        assert len(before) >= 4, before  # the script, the worker and its pool, runserver and its server
        started = time.monotonic()
        if group:
            os.killpg(pgid, sig)
        else:
            os.kill(pgid, sig)
        while group_members(pgid) and time.monotonic() - started < 10:
            self.proc.poll()  # reap the script itself
            time.sleep(0.1)
        took = time.monotonic() - started
        left = group_members(pgid)
        self.kill()
        assert not left, f"still up {took:.1f} s after {sig.name}: {left} (of {before}); see {self.worker_log}"
        print(f"run-dev stopped {took:.1f} s after {sig.name} ({len(before)} processes)")
        return took

    def kill(self) -> None:
        """Whatever is left of it, at once."""
        if self.proc is None:
            return
        if group_members(self.proc.pid):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None
        self.log.close()


def test_sigterm_or_ctrl_c_to_run_devs_process_group_ends_everything_within_10_s_and_jobs_are_handed_back(
        worker_database_url):
    run = RunDev(worker_database_url, "stop")
    with only_worker(None):  # this run's other workers would take the jobs
        try:
            # given make run's server and worker up, a resumable job running and one stuck in a step that reports
            # nothing (it cannot resume)
            run.start()
            job = services.job_submit(kind="diagnostic", params={"steps": 300, "delay": 0.05})
            stuck = services.job_submit(kind="diagnostic.once", params={"steps": 1, "block": 120})
            for j in (job, stuck):
                wait_for_job(j.pk, until=lambda j: j.state == Job.State.RUNNING and j.worker == run.hostname)
            # when SIGTERM reaches the process group (systemd, `kill -- -PGID`)
            run.stop_within_10_s(signal.SIGTERM)
            # then the resumable job was handed back and the other marked interrupted, none left running
            job.refresh_from_db()
            stuck.refresh_from_db()
            assert (job.state, job.attempts) == (Job.State.PENDING, 1), job.message
            assert job.current < 300
            assert (stuck.state, stuck.attempts) == (Job.State.INTERRUPTED, 1), stuck.message
            assert "start it again" in stuck.message
            # when make run starts again
            run.start()
            # then the handed-back job resumes and runs to the end
            job = wait_for_job(job.pk, timeout=120)
            assert (job.state, job.attempts, job.current) == (Job.State.SUCCEEDED, 2, 300), job.error
            # and Ctrl-C (SIGINT to the terminal's process group) stops it all with a job running too
            again = services.job_submit(kind="diagnostic", params={"steps": 300, "delay": 0.05})
            wait_for_job(again.pk, until=lambda j: j.state == Job.State.RUNNING and j.current >= 1)
            run.stop_within_10_s(signal.SIGINT)
            again.refresh_from_db()
            assert (again.state, again.attempts) == (Job.State.PENDING, 1), again.message
            # and SIGTERM to the script alone (`kill PID`, a process manager) takes the rest with it
            run.start()
            wait_for_job(again.pk, until=lambda j: j.state == Job.State.RUNNING and j.attempts == 2)
            run.stop_within_10_s(signal.SIGTERM, group=False)
            again.refresh_from_db()
            assert (again.state, again.attempts) == (Job.State.PENDING, 2), again.message
        finally:
            run.kill()
