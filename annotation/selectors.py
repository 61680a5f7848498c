"""Reads of the annotation app."""
from __future__ import annotations

from collections import Counter

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from annotation.core.types import CLASSES, Artefact, ScanArtefacts
from webapp.permissions import can, visible

from .models import AnnotationSet, Assignment, Polygon, Scan


def scan_list_for(*, user) -> QuerySet[Scan]:
    """Scans a user may open (``webapp.permissions``): annotators their assigned ones, researchers every scan."""
    return visible(user, "scan", Scan.objects.select_related("dataset").annotate(polygon_count=Count("polygons")))


def annotation_set_open_for(*, user, dataset_id: int) -> tuple[AnnotationSet, QuerySet[Scan], list[ScanArtefacts]]:
    """The dataset, its scans this user may open and their annotations; Http404 when the user may open none
    (an annotator sees the scans assigned to them, and the statistics and exports of those only)."""
    dataset = get_object_or_404(AnnotationSet, pk=dataset_id)
    if not can(user, "annotation.set.view", dataset):
        raise Http404("No dataset with that id holds a scan you may open.")
    scans = scan_list_for(user=user).filter(dataset=dataset)
    scan_ids = list(scans.values_list("pk", flat=True))
    return dataset, scans, annotation_set_scan_artefacts(dataset=dataset, scan_ids=scan_ids)


def scan_can_edit(*, scan: Scan, user) -> bool:
    return can(user, "annotation.scan.edit", scan)


def scan_progress(*, scan: Scan, user=None) -> dict:
    by_class = Counter(scan.polygons.values_list("cls", flat=True))
    assignment = None
    if user is not None and user.is_authenticated:
        a = scan.assignments.filter(annotator=user).first()
        assignment = {"done": a.done} if a else None
    return {
        "polygons": sum(by_class.values()),
        "by_class": {c: by_class.get(c, 0) for c in CLASSES},
        "assignment": assignment,
        "annotators": [
            {"username": a.annotator.username, "done": a.done}
            for a in scan.assignments.select_related("annotator")
        ],
    }


def assignable_annotators(*, dataset: AnnotationSet) -> QuerySet:
    """The people a researcher may assign the dataset's scans to: annotators (the role) and anyone who holds one of
    its scans already, by username, each with ``assigned_count`` and ``done_count`` of the dataset's scans."""
    from django.contrib.auth import get_user_model

    from webapp.roles import ANNOTATOR

    User = get_user_model()
    annotators = User.objects.filter(groups__name=ANNOTATOR, is_active=True).values("pk")
    holders = Assignment.objects.filter(scan__dataset=dataset).values("annotator")
    here = Q(assignments__scan__dataset=dataset)
    return User.objects.filter(Q(pk__in=annotators) | Q(pk__in=holders)).annotate(
        assigned_count=Count("assignments", filter=here, distinct=True),
        done_count=Count("assignments", filter=here & Q(assignments__done=True), distinct=True),
    ).order_by("username")


def annotation_set_list(*, user=None) -> QuerySet[AnnotationSet]:
    """Every dataset with its counts, or (``user``) those the user may open, counted over the scans they may
    open: an annotator's datasets hold a scan assigned to them, and their counts are of those scans."""
    if user is None or can(user, "annotation.scan.view_all"):
        qs = AnnotationSet.objects.all()
        qs = qs if user is None else visible(user, "annotation_set", qs)
        return qs.annotate(
            scan_count=Count("scans", distinct=True),
            polygon_count=Count("scans__polygons", distinct=True),
            done_count=Count("scans__assignments", filter=Q(scans__assignments__done=True), distinct=True),
        )
    mine = Q(scans__assignments__annotator=user)
    return visible(user, "annotation_set", AnnotationSet.objects.all()).annotate(
        scan_count=Count("scans", filter=mine, distinct=True),
        polygon_count=Count("scans__polygons", filter=mine, distinct=True),
        done_count=Count("scans__assignments", filter=mine & Q(scans__assignments__done=True), distinct=True),
    )


def annotation_set_scan_artefacts(*, dataset: AnnotationSet, scan_ids: list[int] | None = None) -> list[ScanArtefacts]:
    """The dataset's annotations as pure-core values (for statistics and damage-model fitting)."""
    scans = dataset.scans.all()
    if scan_ids:
        scans = scans.filter(pk__in=scan_ids)
    result = []
    for scan in scans:
        rows = Polygon.objects.filter(scan=scan).values_list(
            "cls", "points", "area_px", "area_um2", "centroid_x", "centroid_y",
            "bbox_xmin", "bbox_ymin", "bbox_xmax", "bbox_ymax", "source_key",
        )
        artefacts = [
            Artefact(cls=cls, polygon=np.asarray(points, dtype=float), area_px=apx, area_um2=aum,
                     centroid=(cx, cy), bbox=(x0, y0, x1, y1), source_key=key or None)
            for cls, points, apx, aum, cx, cy, x0, y0, x1, y1, key in rows.iterator(chunk_size=2000)
        ]
        result.append(ScanArtefacts(name=scan.name, frame=scan.frame, artefacts=artefacts))
    return result
