"""Locust users for ``benchmarks/annotation_load.py``: annotators drawing and autosaving polygons.

Each simulated annotator has its own token and its own assigned scan (from the plan file named by
``FILMLAB_LOAD_PLAN``). Like the editor, it draws a polygon and saves it with a fresh ``client_key``
(POST, idempotent), then autosaves one or two edits of it (PATCH with the version it holds), with a
person's pause between actions. What the server acknowledged is written to ``FILMLAB_LOAD_RESULT``
when the run stops, so that the driver can count polygons sent against polygons stored.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import random
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["FILMLAB_LOAD_PLAN"]).read_text())
RESULT = Path(os.environ["FILMLAB_LOAD_RESULT"])
CLASSES = ("dust", "dirt", "short hair", "long hair", "scratch")
_slots = itertools.count()
SENT: list[str] = []  # client keys of every create sent
ACKED: dict[str, int] = {}  # client key -> polygon id, for the creates answered 200/201
EDITS = {"sent": 0, "acked": 0, "conflicts": 0}


def polygon(rng: random.Random, width: int, height: int) -> list[list[float]]:
    """A small convex polygon (a dust speck or a blob of dirt) somewhere on the scan."""
    cx, cy = rng.uniform(50, width - 50), rng.uniform(50, height - 50)
    r = rng.uniform(4, 30)
    n = rng.randint(5, 12)
    return [[round(cx + r * math.cos(2 * math.pi * k / n) * rng.uniform(0.8, 1.0), 2),
             round(cy + r * math.sin(2 * math.pi * k / n) * rng.uniform(0.8, 1.0), 2)] for k in range(n)]


class Annotator(HttpUser):
    wait_time = between(0.5, 2.0)  # a person drawing: a polygon every second or two

    def on_start(self) -> None:
        slot = PLAN["annotators"][next(_slots) % len(PLAN["annotators"])]
        self.client.headers["Authorization"] = f"Token {slot['token']}"
        self.scan = slot["scan"]
        self.rng = random.Random(slot["scan"])
        self.mine: list[tuple[int, int]] = []  # (polygon id, version)

    @task(3)
    def draw(self) -> None:
        key = str(uuid.uuid4())
        SENT.append(key)
        body = {"cls": self.rng.choice(CLASSES), "points": polygon(self.rng, PLAN["width"], PLAN["height"]),
                "client_key": key}
        with self.client.post(f"/api/annotation/scans/{self.scan}/polygons/", json=body,
                              name="polygon save (create)", catch_response=True) as r:
            if r.status_code in (200, 201):
                data = r.json()
                ACKED[key] = data["id"]
                self.mine.append((data["id"], data.get("version", 1)))
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(2)
    def edit(self) -> None:
        if not self.mine:
            return
        i = self.rng.randrange(len(self.mine))
        pid, version = self.mine[i]
        EDITS["sent"] += 1
        body = {"points": polygon(self.rng, PLAN["width"], PLAN["height"]), "version": version}
        with self.client.patch(f"/api/annotation/polygons/{pid}/", json=body, name="polygon save (edit)",
                               catch_response=True) as r:
            if r.status_code == 200:
                EDITS["acked"] += 1
                self.mine[i] = (pid, r.json().get("version", version + 1))
            elif r.status_code == 409:
                EDITS["conflicts"] += 1
                r.failure("409 version conflict")
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(1)
    def reload(self) -> None:
        self.client.get(f"/api/annotation/scans/{self.scan}/polygons/", name="polygon list")


SAVES_LOG = open(os.environ["FILMLAB_LOAD_SAVES"], "a") if os.environ.get("FILMLAB_LOAD_SAVES") else None


@events.request.add_listener
def _log_save(name: str, response_time: float, exception=None, **_kwargs) -> None:
    """Every polygon save's time (ms), successful or not, for the percentiles over both kinds of save."""
    if SAVES_LOG is not None and name.startswith("polygon save"):
        SAVES_LOG.write(f"{response_time:.1f}\n")


@events.test_stop.add_listener
def _write_result(**_kwargs) -> None:
    RESULT.write_text(json.dumps({"sent": SENT, "acked": ACKED, "edits": EDITS}))
    if SAVES_LOG is not None:
        SAVES_LOG.flush()
