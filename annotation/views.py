"""Pages of the annotation app."""
from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie

from annotation.core.film import FILM_FORMATS
from annotation.core.formats import parse_frame_mm
from annotation.core.plots import statistics_figures
from annotation.core.stats import damage_stats
from annotation.core.types import CLASS_COLOURS, CLASSES
from imaging.io import ImageError
from webapp.roles import RESEARCHER, has_role

from . import selectors, services
from .models import BankEntry, Dataset, Scan


@login_required
def index(request):
    scans = selectors.scan_list_for(user=request.user).prefetch_related("assignments__annotator")
    return render(request, "annotation/index.html", {
        "datasets": selectors.dataset_list(),
        "scans": scans,
        "is_researcher": has_role(request.user, RESEARCHER),
    })


@ensure_csrf_cookie
@login_required
def scan_annotate(request, scan_id: int):
    scan = get_object_or_404(selectors.scan_list_for(user=request.user), pk=scan_id)
    classes = [{"key": c, "label": c.capitalize(), "colour": CLASS_COLOURS[c]} for c in CLASSES]
    from .serializers import ScanSerializer

    return render(request, "annotation/scan_annotate.html", {
        "scan": scan,
        "dzi_url": ScanSerializer(scan).data["dzi_url"] or "",
        "classes_json": json.dumps(classes),
        "readonly": not selectors.scan_can_edit(scan=scan, user=request.user),
    })


@login_required
def dataset_detail(request, dataset_id: int):
    dataset = get_object_or_404(Dataset, pk=dataset_id)
    scans = selectors.scan_list_for(user=request.user).filter(dataset=dataset).prefetch_related(
        "assignments__annotator")
    stats = damage_stats(selectors.dataset_scan_artefacts(dataset=dataset), name=dataset.name)
    return render(request, "annotation/dataset_detail.html", {"dataset": dataset, "scans": scans, "stats": stats})


@login_required
def dataset_statistics(request, dataset_id: int):
    dataset = get_object_or_404(Dataset, pk=dataset_id)
    scans = selectors.dataset_scan_artefacts(dataset=dataset)
    return render(request, "annotation/dataset_statistics.html", {
        "dataset": dataset,
        "stats": damage_stats(scans, name=dataset.name),
        "figures": statistics_figures(scans, name=dataset.name),
        "classes": CLASSES,
    })


@login_required
def scan_upload(request):
    if not has_role(request.user, RESEARCHER):
        raise PermissionDenied("Only researchers and administrators upload scans for annotation.")
    context = {"film_formats": FILM_FORMATS, "polarities": Scan.Polarity.choices,
               "datasets": Dataset.objects.all()}
    if request.method == "POST":
        upload = request.FILES.get("image")
        try:
            if upload is None:
                raise ValueError("Choose an image file (TIFF 8/16-bit, PNG or JPEG).")
            frame_mm = request.POST.get("frame_mm", "").strip()
            image = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload.read()
            scan = services.scan_upload(
                dataset_name=request.POST.get("dataset", ""),
                name=request.POST.get("name") or upload.name.rsplit(".", 1)[0], image=image,
                filename=upload.name, film_format=request.POST.get("film_format", "35mm"),
                frame_mm=parse_frame_mm(frame_mm) if frame_mm else None,
                polarity=request.POST.get("polarity", "negative"), emulsion=request.POST.get("emulsion", ""),
                notes=request.POST.get("notes", ""), user=request.user,
            )
        except (ImageError, ValueError) as exc:
            messages.error(request, f"Upload refused: {exc}")
            return render(request, "annotation/upload.html", context, status=400)
        messages.success(request, f"Scan {scan.name} uploaded ({scan.width} x {scan.height}, {scan.bit_depth}-bit); "
                                  "its tiles are being built.")
        return redirect("annotation:scan", scan_id=scan.pk)
    return render(request, "annotation/upload.html", context)


@login_required
def bank(request):
    qs = BankEntry.objects.all()
    cls = request.GET.get("cls", "")
    if cls in CLASSES:
        qs = qs.filter(cls=cls)
    order = "-area_px" if request.GET.get("order") == "largest" else "area_px"
    page = Paginator(qs.order_by(order, "id"), 120).get_page(request.GET.get("page"))
    counts = [(c, BankEntry.objects.filter(cls=c).count()) for c in CLASSES]
    return render(request, "annotation/bank.html", {"page": page, "cls": cls, "classes": CLASSES,
                                                     "counts": counts, "order": order})
