"""Pages of the annotation app."""
from __future__ import annotations

import json
from pathlib import PurePosixPath

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie

from annotation.core.film import FILM_FORMATS
from annotation.core.formats import parse_frame_mm
from annotation.core.plots import statistics_figures
from annotation.core.stats import damage_stats
from annotation.core.types import CLASS_COLOURS, CLASSES
from imaging.io import ImageError
from webapp import storage
from webapp.permissions import can, permission_required, require

from . import selectors, services
from .models import AnnotationSet, BankEntry, Scan


@permission_required("annotation.view")
def index(request):
    scans = selectors.scan_list_for(user=request.user).prefetch_related("assignments__annotator")
    return render(request, "annotation/index.html", {
        "datasets": selectors.annotation_set_list(user=request.user),
        "scans": scans,
        "is_researcher": can(request.user, "annotation.scan.view_all"),
    })


@ensure_csrf_cookie
@permission_required("annotation.view")
def scan_annotate(request, scan_id: int):
    scan = _open_scan(request, scan_id)
    classes = [{"key": c, "label": c.capitalize(), "colour": CLASS_COLOURS[c]} for c in CLASSES]
    from .serializers import ScanSerializer

    return render(request, "annotation/scan_annotate.html", {
        "scan": scan,
        "dzi_url": ScanSerializer(scan).data["dzi_url"] or "",
        "classes_json": json.dumps(classes),
        "readonly": not selectors.scan_can_edit(scan=scan, user=request.user),
    })


def _open_scan(request, scan_id: int) -> Scan:
    """The scan, if the user may open it in the editor (``webapp.permissions``, ``annotation.scan.view``), else 404."""
    return get_object_or_404(selectors.scan_list_for(user=request.user), pk=scan_id)


@permission_required("annotation.view")
def scan_image(request, scan_id: int):
    """The scan's own image file (a download; on S3 a signed, expiring redirect), for those who may open the scan."""
    scan = _open_scan(request, scan_id)
    if not scan.image or not can(request.user, "annotation.scan.image", scan):
        raise Http404("This scan has no image you may download.")
    return storage.serve(scan.image.name, filename=PurePosixPath(scan.image.name).name, as_attachment=True)


@permission_required("annotation.view")
def scan_tiles(request, scan_id: int, name: str):
    """A file of the scan's deep-zoom pyramid (its ``.dzi``, then the tiles OpenSeadragon asks for beside it), for
    those who may open the scan: streamed from a local folder; on S3 the descriptor is streamed (the viewer reads
    it with a script, on the site's origin) and each tile is a redirect to a signed URL that expires."""
    scan = _open_scan(request, scan_id)
    if scan.tiles_state != Scan.TilesState.READY or not scan.tiles_path:
        raise Http404("This scan's tiles are not built.")
    folder = str(PurePosixPath(scan.tiles_path).parent)
    return storage.serve(storage.member(folder, name), redirect=not name.endswith(".dzi"))


@permission_required("annotation.view")
def set_detail(request, set_id: int):
    dataset, scans, artefacts = selectors.annotation_set_open_for(user=request.user, dataset_id=set_id)
    scans = scans.prefetch_related("assignments__annotator")
    stats = damage_stats(artefacts, name=dataset.name)
    return render(request, "annotation/dataset_detail.html", {
        "dataset": dataset, "scans": scans, "stats": stats,
        "is_researcher": can(request.user, "annotation.scan.assign")})


@permission_required("annotation.scan.assign")
def set_assign(request, set_id: int):
    """Researchers choose annotators for one or many scans of a dataset, see who holds what and unassign."""
    dataset = get_object_or_404(AnnotationSet, pk=set_id)
    status = 200
    if request.method == "POST":
        try:
            done = _assign_post(request.POST, dataset=dataset)
        except ValueError as exc:
            messages.error(request, f"Nothing changed: {exc}")
            status = 400
        else:
            messages.success(request, done)
            return redirect("annotation:assign", set_id=dataset.pk)
    scans = dataset.scans.annotate(polygon_count=Count("polygons")).prefetch_related(
        "assignments__annotator").order_by("name")
    chosen = {"scan": request.POST.getlist("scan"), "annotator": request.POST.getlist("annotator")}
    return render(request, "annotation/dataset_assign.html", {
        "dataset": dataset, "scans": scans, "annotators": selectors.assignable_annotators(dataset=dataset),
        "chosen": chosen}, status=status)


def _ids(values: list[str], *, what: str) -> list[int]:
    bad = [v for v in values if not v.isdigit()]
    if bad:
        raise ValueError(f"{what} ids are whole numbers, got {bad[0][:40]!r}.")
    return sorted({int(v) for v in values})


def _chosen(model_qs, ids: list[int], *, what: str, where: str) -> list:
    rows = {row.pk: row for row in model_qs.filter(pk__in=ids)}
    unknown = [i for i in ids if i not in rows]
    if unknown:
        raise ValueError(f"no {what} with id {unknown[0]} {where}.")
    return [rows[i] for i in ids]


def _names(rows, attr: str) -> str:
    return ", ".join(getattr(row, attr) for row in rows)


def _assign_post(post, *, dataset: AnnotationSet) -> str:
    """Carry out the form's action; returns the sentence that says what changed, ValueError when it is refused."""
    annotators = selectors.assignable_annotators(dataset=dataset)
    where = f"in dataset {dataset.name}"
    if post.get("unassign"):  # one assignment's own button: "<scan id>:<annotator id>"
        scan_id, _, user_id = post["unassign"].partition(":")
        [scan] = _chosen(dataset.scans.all(), _ids([scan_id], what="Scan"), what="scan", where=where)
        [annotator] = _chosen(annotators, _ids([user_id], what="Annotator"), what="annotator", where="to choose")
        if not services.scan_unassign(scan=scan, annotator=annotator):
            raise ValueError(f"{annotator.username} does not hold scan {scan.name}.")
        return f"Scan {scan.name} is no longer assigned to {annotator.username} (the polygons drawn stay on it)."
    action = post.get("action", "")
    if action not in ("assign", "unassign"):
        raise ValueError(f"the action must be assign or unassign, got {action[:40]!r}.")
    scans = _chosen(dataset.scans.all(), _ids(post.getlist("scan"), what="Scan"), what="scan", where=where)
    people = _chosen(annotators, _ids(post.getlist("annotator"), what="Annotator"), what="annotator",
                     where="to choose")
    if not scans:
        raise ValueError("choose at least one scan.")
    if not people:
        raise ValueError("choose at least one annotator.")
    counted = f"{len(scans)} scan{'s' if len(scans) != 1 else ''}"
    if action == "assign":
        made = services.scans_assign(scans=scans, annotators=people)
        held = len(scans) * len(people) - made
        return (f"Assigned {counted} to {_names(people, 'username')}: {made} new assignment{'s' if made != 1 else ''}"
                + (f", {held} held already." if held else "."))
    removed = services.scans_unassign(scans=scans, annotators=people)
    return (f"Took {counted} from {_names(people, 'username')}: {removed} assignment{'s' if removed != 1 else ''} "
            "removed (the polygons drawn stay on the scans).")


@permission_required("annotation.view")
def set_statistics(request, set_id: int):
    dataset, _, scans = selectors.annotation_set_open_for(user=request.user, dataset_id=set_id)
    return render(request, "annotation/dataset_statistics.html", {
        "dataset": dataset,
        "stats": damage_stats(scans, name=dataset.name),
        "figures": statistics_figures(scans, name=dataset.name),
        "classes": CLASSES,
    })


@permission_required("annotation.view")
def scan_upload(request):
    require(request.user, "annotation.scan.upload")
    context = {"film_formats": FILM_FORMATS, "polarities": Scan.Polarity.choices,
               "datasets": AnnotationSet.objects.all()}
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


@permission_required("annotation.bank.view")
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


@permission_required("annotation.bank.view")
def bank_image(request, entry_id: int):
    """An artefact bank image, for those who may see the bank (on S3 a signed, expiring redirect)."""
    entry = get_object_or_404(BankEntry, pk=entry_id)
    return storage.serve(entry.image.name, redirect=True)
