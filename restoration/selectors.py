from __future__ import annotations

import logging
from pathlib import Path

from django.db import DatabaseError
from django.db.models import QuerySet

from webapp.permissions import visible

from .models import Network, Restoration, Roll

logger = logging.getLogger(__name__)

#: Review status of a roll's scan: detecting (its job runs), failed, proposed (detected, not reviewed yet),
#: reviewed (a person kept, rejected or added components), repaired (the reviewed mask was inpainted).
SCAN_STATUSES = ("detecting", "failed", "proposed", "reviewed", "repaired")


def restoration_list_for(*, user) -> QuerySet[Restoration]:
    """Restorations a user may see (``webapp.permissions``): their own; administrators every one."""
    return visible(user, "restoration", Restoration.objects.select_related("job", "created_by"))


def roll_list_for(*, user) -> QuerySet[Roll]:
    """Rolls a user may see: their own; administrators every one."""
    return visible(user, "roll", Roll.objects.select_related("created_by"))


def reviewed_scan_ids(scan_ids) -> set[int]:
    """The review scans among ``scan_ids`` on which a person kept, rejected or added a component."""
    from annotation.models import Polygon

    return set(Polygon.objects.filter(scan_id__in=[i for i in scan_ids if i],
                                      status__in=("kept", "rejected", "added"))
               .values_list("scan_id", flat=True).distinct())


def reviewed_review_scans() -> set[int]:
    """Every scan of a review set on which a person kept, rejected or added a component (training data)."""
    from annotation.models import AnnotationSet, Scan

    return reviewed_scan_ids(Scan.objects.filter(dataset__kind=AnnotationSet.Kind.REVIEW).values_list("pk", flat=True))


def roll_scans(*, roll: Roll) -> list[tuple[Restoration, str]]:
    """The roll's restorations in upload order, each with its review status (:data:`SCAN_STATUSES`)."""
    records = list(roll.scans.select_related("job").order_by("pk"))
    reviewed = reviewed_scan_ids([r.review_scan_id for r in records])
    out = []
    for r in records:
        if (r.info or {}).get("repair"):
            status = "repaired"
        elif r.review_scan_id in reviewed:
            status = "reviewed"
        elif r.output:
            status = "proposed"
        elif r.job is not None and r.job.state in ("failed", "cancelled", "interrupted"):
            status = "failed"
        else:
            status = "detecting"
        out.append((r, status))
    return out


def default_detector_path() -> str | None:
    """A local path of the promoted detector's weights, or None (the shipped one); read by the methods registry.

    The weights are stored (``webapp.storage``): the stored file itself on a local folder, on S3 a cached copy
    (``storage.local_copy``); a row registered before they were stored names an absolute path, read where it is.
    """
    try:
        name = (Network.objects.filter(kind=Network.Kind.SEGMENTATION, is_default=True)
                .values_list("weights_path", flat=True).first())
    except (DatabaseError, RuntimeError) as exc:  # no database here (a pure run, a test without one, migrating)
        logger.debug("No promoted detector looked up: %s", exc)
        return None
    if not name or Path(name).is_absolute():
        return name
    from webapp import storage

    return str(storage.local_copy(name))
