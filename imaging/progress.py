"""The progress protocol every long computation of the project takes, declared once.

An algorithm takes an optional callback and knows nothing of Celery or the web: the shells
(services, tasks, commands) pass one that stores or prints the progress.
"""
from __future__ import annotations

from collections.abc import Callable

__all__ = ["ProgressFn", "ReportFn"]

#: ``progress(done, total)``: ``done`` of ``total`` steps (tiles, items, epochs) are finished.
ProgressFn = Callable[[int, int], None]

#: ``report(current, total, message)``: the same with a message naming the stage and the step,
#: e.g. ``report(412, 1000, "detecting damage: tile 412 of 988")``.
ReportFn = Callable[[int, int, str], None]
