"""The Celery application. Queues: ``cpu`` (default) and ``gpu`` (tasks that use torch).

Run a ``gpu`` worker with ``--pool solo --concurrency 1``, one per GPU (README "Scaling out"). What a
worker does for jobs when it starts and stops (taking over jobs of dead workers, stopping within 10 s)
is in ``jobs.worker``, connected to Celery's signals by the jobs app.
"""
from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("webapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("cpu"), Queue("gpu"))
app.autodiscover_tasks()
