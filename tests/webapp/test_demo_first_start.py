"""The first start serves the site quickly: the demo queues its heavy work (preview, restoration, baseline rows)
as jobs for the worker instead of doing it before the web server starts."""
from __future__ import annotations

import pytest

from jobs.models import Job

#: What the demo must leave to the worker: (module, service) -> the job kind that runs it instead.
HEAVY = {("synthesis.services", "preview_render"): "overlay.preview",
         ("restoration.services", "restoration_run"): "restoration.run",
         ("evaluation.services.baselines", "baselines_compute"): "benchmark.baselines"}


@pytest.fixture
def no_heavy_work_inline(monkeypatch):
    import importlib

    for module, name in HEAVY:
        def refuse(*args, _name=name, **kwargs):
            raise AssertionError(f"the demo ran {_name} in its own process instead of queueing a job")

        monkeypatch.setattr(importlib.import_module(module), name, refuse)


@pytest.mark.django_db
@pytest.mark.usefixtures("no_heavy_work_inline")
def test_the_demo_queues_its_heavy_work_as_jobs(squares_damage_model, users, settings, tmp_path):
    from evaluation import demo as evaluation_demo
    from restoration import demo as restoration_demo
    from restoration.models import Restoration
    from synthesis import demo as synthesis_demo
    from synthesis.models import OverlayPreview

    # given a damage model, media in a temporary folder and no authentic frame
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUTHENTIC_DEV_DATA = tmp_path / "none"
    lines: list[str] = []
    # when the demo content of the apps that feed on jobs is loaded
    for module in (synthesis_demo, restoration_demo, evaluation_demo):
        module.load_demo(log=lines.append)
    # then each heavy piece is a pending job for the demo researcher, and none was done here
    jobs = list(Job.objects.order_by("kind"))
    assert [j.kind for j in jobs] == sorted(HEAVY.values())
    assert {(j.state, j.created_by.username) for j in jobs} == {("pending", "researcher")}
    [preview] = OverlayPreview.objects.all()
    assert preview.job_id is not None and not preview.result
    [restoration] = Restoration.objects.all()
    assert restoration.job_id is not None and not restoration.output
    assert any(f"job {preview.job_id} queued" in line for line in lines), lines
    # and loading again queues nothing more
    for module in (synthesis_demo, restoration_demo, evaluation_demo):
        module.load_demo(log=lines.append)
    assert Job.objects.count() == len(HEAVY)
