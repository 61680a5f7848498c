"""Pages of the restoration app: upload, progress, before/after comparison, downloads."""
from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from imaging.io import ImageError
from restoration.core.methods import DEFAULT_METHOD, MethodError
from webapp import storage
from webapp.paths import server_folder
from webapp.permissions import can, permission_required

from . import services
from .selectors import restoration_list_for


@permission_required("restoration.create")
def index(request):
    context = {"methods": services.methods_describe(), "default_method": DEFAULT_METHOD,
               "restorations": restoration_list_for(user=request.user)[:50]}
    if request.method == "POST":
        upload = request.FILES.get("image")
        try:
            if upload is None:
                raise ValueError("Choose a scan to restore (TIFF 8/16-bit, PNG or JPEG).")
            options = json.loads(request.POST.get("options") or "{}")
            if not isinstance(options, dict):
                raise ValueError("Options must be a JSON object, e.g. {\"threshold\": 0.4}.")
            image = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload.read()
            record = services.restoration_create(user=request.user, image=image, filename=upload.name,
                                                 method=request.POST.get("method") or None, options=options)
        except json.JSONDecodeError as exc:
            messages.error(request, f"Restoration refused: options are not valid JSON ({exc.msg}).")
            return render(request, "restoration/index.html", context, status=400)
        except (ImageError, MethodError, ValueError) as exc:
            messages.error(request, f"Restoration refused: {exc}")
            return render(request, "restoration/index.html", context, status=400)
        return redirect("restoration:detail", restoration_id=record.pk)
    return render(request, "restoration/index.html", context)


@permission_required("restoration.create")
def detail(request, restoration_id: int):
    record = get_object_or_404(restoration_list_for(user=request.user), pk=restoration_id)
    fraction = (record.info or {}).get("damaged_fraction")
    # a repair rewrites the pyramids under the same names: a new query string keeps cached tiles out
    review = (record.info or {}).get("repair", {}).get("review", "")
    stamp = f"?v={PurePosixPath(review).stem[-12:]}" if review else ""
    viewer = {k: reverse("restoration:viewer", args=[record.pk, _viewer_relative(record, name)]) + stamp
              for k, name in (record.viewer or {}).items()}
    return render(request, "restoration/detail.html", {
        "r": record, "viewer": json.dumps(viewer),
        "damaged_percent": None if fraction is None else 100 * float(fraction),  # per cent, as on other pages
    })


@permission_required("restoration.create")
def download(request, restoration_id: int, what: str):
    record = get_object_or_404(restoration_list_for(user=request.user), pk=restoration_id)
    field = {"input": record.input, "restored": record.output, "mask": record.mask,
             "components": record.components}.get(what)
    if not field:
        raise Http404("Not available (yet).")
    stem = Path(record.original_name).stem
    suffix = Path(field.name).suffix
    name = {"input": record.original_name, "restored": f"{stem}-restored{suffix}", "mask": f"{stem}-mask.png",
            "components": f"{stem}-components.json"}[what]
    return storage.serve(field.name, filename=name, as_attachment=True)


@ensure_csrf_cookie
@permission_required("restoration.create")
def review(request, restoration_id: int):
    """The review editor (the annotation editor on the restoration's review scan) with a Repair button."""
    from annotation.core.types import CLASS_COLOURS, CLASSES

    record = get_object_or_404(restoration_list_for(user=request.user), pk=restoration_id)
    if record.review_scan_id is None:
        try:
            services.restoration_review_create(record=record)
        except ValueError as exc:
            messages.error(request, f"No review: {exc}")
            return redirect("restoration:detail", restoration_id=record.pk)
    before = (record.viewer or {}).get("before")
    classes = [{"key": c, "label": c.capitalize(), "colour": CLASS_COLOURS[c]} for c in CLASSES]
    config = {"repair": reverse("restoration-api-repair", args=[record.pk]),
              "page": reverse("restoration:detail", args=[record.pk]), "jobs": reverse("jobs:list"),
              "jobApi": reverse("jobs:api-list")}
    return render(request, "annotation/scan_annotate.html", {
        "scan": record.review_scan, "classes_json": json.dumps(classes), "readonly": False,
        "dzi_url": reverse("restoration:viewer", args=[record.pk, _viewer_relative(record, before)]) if before else "",
        "review_json": json.dumps(config),
    })


def _viewer_base(record) -> PurePosixPath | None:
    """The folder that holds a restoration's viewer pyramids (``<base>/<before|after|mask>/<name>.dzi``)."""
    names = list((record.viewer or {}).values())
    return PurePosixPath(names[0]).parent.parent if names else None


def _viewer_relative(record, name: str) -> str:
    return str(PurePosixPath(name).relative_to(_viewer_base(record)))


@permission_required("restoration.create")
def viewer(request, restoration_id: int, name: str):
    """A file of a restoration's before/after/mask pyramids, for the one who may see the restoration."""
    record = get_object_or_404(restoration_list_for(user=request.user), pk=restoration_id)
    base = _viewer_base(record)
    parts = PurePosixPath(name).parts
    if base is None or not parts or parts[0] not in record.viewer or ".." in parts:
        raise Http404("No such viewer file.")
    return storage.serve(str(base / name))


@permission_required("restoration.create")
def networks(request):
    from .models import Network

    if request.method == "POST" and request.POST.get("action") == "finetune":
        if not can(request.user, "restoration.train"):
            messages.error(request, "Only researchers fine-tune the detector.")
        else:
            try:
                job = services.detector_finetune_start(
                    name=request.POST.get("name", ""), steps=int(request.POST.get("steps") or 300),
                    lr=float(request.POST.get("lr") or 2e-4), seed=int(request.POST.get("seed") or 0),
                    holdout=float(request.POST.get("holdout") or 0.2), corpus_dir=services.default_corpus_dir(),
                    promote=bool(request.POST.get("promote")), user=request.user)
                return redirect("jobs:detail", job_id=job.pk)
            except ValueError as exc:
                messages.error(request, f"Fine-tuning refused: {exc}")
    elif request.method == "POST":
        if not can(request.user, "restoration.train"):
            messages.error(request, "Only researchers train networks.")
        else:
            try:
                job = services.training_start(kind=request.POST.get("kind", ""), name=request.POST.get("name", ""),
                                              dataset_dir=server_folder(request.POST.get("dataset_dir", ""),
                                                                        what="Dataset folder"),
                                              epochs=int(request.POST.get("epochs") or 20),
                                              seed=int(request.POST.get("seed") or 0), user=request.user)
                return redirect("jobs:detail", job_id=job.pk)
            except ValueError as exc:  # DatasetError is a ValueError: shown, nothing started
                messages.error(request, f"Training refused: {exc}")
    from restoration.core.methods import default_segmentation_weights, default_weights_dir

    from .selectors import reviewed_review_scans

    shipped = []
    for path in sorted(default_weights_dir().glob("*.md")):
        shipped.append({"name": path.stem, "card": path.read_text()})
    reviewed = len(reviewed_review_scans())
    return render(request, "restoration/networks.html", {
        "networks": Network.objects.select_related("job"), "shipped": shipped,
        "default_detector": _detector_label(default_segmentation_weights()), "reviewed_scans": reviewed,
        "can_train": can(request.user, "restoration.train"), "can_promote": can(request.user, "restoration.promote"),
        "promoted": Network.objects.filter(is_default=True).exists(),
    })


@permission_required("restoration.train")
def network_weights(request, network_id: int):
    """A registered network's weights file (a download; on S3 a signed, expiring redirect), for researchers."""
    from .models import Network

    record = get_object_or_404(Network, pk=network_id)
    if not record.weights_path or Path(record.weights_path).is_absolute() or not storage.exists(record.weights_path):
        raise Http404("This network's weights are not stored.")
    return storage.serve(record.weights_path, filename=f"{record.name}.pt".replace("/", "-").replace('"', ""),
                         as_attachment=True)


# ----------------------------------------------------------------------------- rolls


def _roll_context(request) -> dict:
    from annotation.core.film import FILM_FORMATS

    from .selectors import roll_list_for

    return {"methods": services.methods_describe(), "default_method": DEFAULT_METHOD,
            "film_formats": FILM_FORMATS, "rolls": roll_list_for(user=request.user)[:50]}


@permission_required("restoration.create")
def rolls(request):
    """Upload many scans at once (files or a zip) as one roll, with its defaults; the list of one's rolls."""
    from imaging.archives import ArchiveError

    context = _roll_context(request)
    if request.method == "POST":
        files = request.FILES.getlist("images")
        archive = request.FILES.get("archive")
        try:
            from .apis import _upload_path, _upload_source

            frame = request.POST.get("frame_long_mm") or ""
            with _upload_path(archive) as archive_path:
                roll = services.roll_create(
                    created_by=request.user, scans=[(f.name, _upload_source(f)) for f in files], archive=archive_path,
                    name=request.POST.get("name", ""), method=request.POST.get("method") or None,
                    polarity=request.POST.get("polarity") or "auto",
                    film_format=request.POST.get("film_format") or "35mm",
                    frame_long_mm=float(frame) if frame.strip() else None)
        except (ImageError, MethodError, ArchiveError, ValueError) as exc:
            messages.error(request, f"Roll refused: {exc}")
            return render(request, "restoration/rolls.html", context, status=400)
        return redirect("restoration:roll", roll_id=roll.pk)
    return render(request, "restoration/rolls.html", context)


@permission_required("restoration.create")
def roll(request, roll_id: int):
    """A roll's progress (live) and each scan's review status."""
    from collections import Counter

    from .selectors import SCAN_STATUSES, roll_list_for, roll_scans

    record = get_object_or_404(roll_list_for(user=request.user), pk=roll_id)
    scans = roll_scans(roll=record)
    counts = Counter(status for _, status in scans)
    return render(request, "restoration/roll.html", {
        "roll": record, "scans": scans, "counts": [(s, counts.get(s, 0)) for s in SCAN_STATUSES],
        "finished": sum(1 for r, _ in scans if r.output), "running": any(s == "detecting" for _, s in scans)})


@permission_required("restoration.create")
def roll_download(request, roll_id: int):
    """The roll's zip (every finished scan's restored file and mask), streamed; the owner's and administrators'."""
    from django.http import StreamingHttpResponse

    from imaging.archives import stream_zip

    from .selectors import roll_list_for

    record = get_object_or_404(roll_list_for(user=request.user), pk=roll_id)
    try:
        files = services.roll_files(roll=record)
    except ValueError as exc:
        messages.error(request, f"Download refused: {exc}")
        return redirect("restoration:roll", roll_id=record.pk)
    response = StreamingHttpResponse(stream_zip(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="roll-{record.pk}.zip"'
    return response


def _detector_label(path: Path) -> str:
    """The default detector as a page names it: the promoted network's name, else the shipped file's (no server
    path)."""
    from .models import Network

    promoted = Network.objects.filter(is_default=True, weights_path=str(path)).first()
    return promoted.name if promoted else path.name


@permission_required("restoration.promote")
def network_promote(request, network_id: int):
    """POST: make a trained detector the default one (``network_id`` 0: back to the shipped detector)."""
    from .models import Network

    if request.method != "POST":
        from django.http import HttpResponseNotAllowed

        return HttpResponseNotAllowed(["POST"])
    record = None if network_id == 0 else get_object_or_404(Network, pk=network_id)
    try:
        services.network_promote(record=record)
        messages.success(request, f"{record.name} is now the default detector." if record else
                         "The shipped detector is the default again.")
    except ValueError as exc:
        messages.error(request, f"Promotion refused: {exc}")
    return redirect("restoration:networks")
