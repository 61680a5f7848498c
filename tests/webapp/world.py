"""A small world of real objects, so that every URL parameter resolves to something (shared by the bad-input
catalogue and the permission table).

``base_world``: a dataset with one scan assigned to ``annotator`` (not to ``annotator2``) and one polygon, a
benchmark imported by ``admin`` (its ground truth hidden from everyone else), a submission draft of
``researcher`` and a damage model. ``full_world`` adds the scan's stored files (an image and a small deep-zoom
pyramid), an artefact bank entry, an overlay preview (rendered), a stored synthetic dataset, a restoration (in a roll)
and a failed job owned by ``researcher``, a registered detector (its weights stored), and a published survey with one
participant.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.evaluation.leaderboard_support import write_pairs


@dataclass
class World:
    clients: dict[str, Any]
    scan: Any
    polygon: Any
    benchmark: Any
    draft: Any
    model: Any
    more: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["more"][name]
        except KeyError:
            raise AttributeError(name) from None


def api_clients(users) -> dict:
    from rest_framework.test import APIClient

    clients = {}
    for role in ("researcher", "annotator", "annotator2", "admin"):
        c = APIClient()
        c.force_authenticate(users[role])
        clients[role] = c
    clients["anonymous"] = APIClient()
    return clients


def base_world(users, tmp_path: Path) -> World:
    from annotation import services as annotation_services
    from evaluation.services.benchmarks import benchmark_import
    from evaluation.services.submissions import submission_create
    from synthesis.models import DamageModel

    dataset = annotation_services.annotation_set_get_or_create(name="catalogue", user=users["researcher"])
    scan = annotation_services.scan_create(dataset=dataset, name="frame", width=4000, height=3000, build_tiles=False)
    annotation_services.scan_assign(scan=scan, annotator=users["annotator"])
    polygon = annotation_services.polygon_create(scan=scan, cls="dust", points=[[10, 10], [30, 10], [20, 30]],
                                                 user=users["annotator"])
    write_pairs(tmp_path / "bench")
    benchmark = benchmark_import(directory=tmp_path / "bench", name="catalogue", user=users["admin"])
    draft = submission_create(benchmark=benchmark, user=users["researcher"], method_name="drafty")
    model = DamageModel.objects.create(name="catalogue-model", version=1, params={})
    return World(api_clients(users), scan, polygon, benchmark, draft, model)


def _shipped_detector():
    from restoration.core.methods import SEGMENTATION_WEIGHTS, default_weights_dir

    return default_weights_dir() / SEGMENTATION_WEIGHTS


def full_world(users, tmp_path: Path) -> World:
    from django.core.files.base import ContentFile

    from jobs.models import Job
    from restoration.models import Restoration
    from surveys import services as survey_services
    from synthesis.models import OverlayPreview, SyntheticDataset
    from tests.surveys.survey_helpers import damage_model_record, dust_model, png, published_survey

    world = base_world(users, tmp_path)
    world.model.params = dust_model().to_dict()
    world.model.save()
    researcher = users["researcher"]
    job = Job.objects.create(kind="diagnostic", created_by=researcher, state=Job.State.FAILED, error="boom")
    # the scan's files: its image and a (small) deep-zoom pyramid, both private (served by views that check)
    import numpy as np
    from django.conf import settings

    from annotation.models import BankEntry
    from webapp import storage

    world.scan.image.save("frame.png", ContentFile(png(90, 16)), save=False)
    world.scan.tiles_path = storage.save_dzi(f"scans/{world.scan.dataset_id}/scan-{world.scan.pk}/tiles",
                                             np.full((40, 30), 96, np.uint8), name="scan")
    world.scan.tiles_state = "ready"
    world.scan.save()
    entry = BankEntry(cls="dust", kind="imported", width=16, height=16, area_px=10.0)
    entry.image.save("dust.png", ContentFile(png(200, 16)), save=False)
    entry.save()
    preview = OverlayPreview.objects.create(damage_model=world.model, width=64, height=64, created_by=researcher)
    preview.result = {"files": {"negative": storage.save_bytes(f"previews/preview-{preview.pk}/negative.png",
                                                               png(30, 16))}}
    preview.save()
    out_dir = Path(settings.MEDIA_ROOT) / "synthetic" / "catalogue-synthetic"
    synthetic = SyntheticDataset.objects.create(name="catalogue-synthetic", damage_model=world.model,
                                                clean_dir=str(tmp_path / "clean"), out_dir=str(out_dir),
                                                created_by=researcher)
    storage.save_bytes("synthetic/catalogue-synthetic/damaged/0000.png", png(60, 16))
    storage.save_bytes("synthetic/catalogue-synthetic/manifest.json",
                       b'{"items": [{"id": "0000", "damaged": "damaged/0000.png", "mask": "damaged/0000.png"}]}')
    restoration = Restoration(created_by=researcher, original_name="frame.png", image_format="PNG", width=16, height=16,
                              channels=3, bit_depth=8, method="inpaint")
    restoration.input.save("frame.png", ContentFile(png(90, 16)), save=False)
    restoration.save()
    from restoration.models import Network, Roll

    roll = Roll.objects.create(name="catalogue roll", created_by=researcher, method="dust-scratches",
                               frame_long_mm=35.0)
    restoration.roll = roll
    restoration.save(update_fields=["roll"])
    network = Network.objects.create(name="catalogue detector", kind="segmentation")
    network.weights_path = storage.save_file(f"networks/{network.pk}/segmentation-default.pt", _shipped_detector())
    network.save(update_fields=["weights_path"])
    survey = published_survey(record=damage_model_record("catalogue survey model"))
    participant = survey_services.participant_start(survey=survey)
    world.more.update(job=job, bank_entry=entry, preview=preview, synthetic=synthetic, restoration=restoration,
                      roll=roll, network=network, survey=survey,
                      pair=survey.pairs.order_by("index").first(), participant=participant)
    return world
