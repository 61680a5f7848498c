"""Pages of the synthesis app: damage models, comparison, previews and synthetic datasets."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotation.core.types import CLASSES
from annotation.models import AnnotationSet
from imaging.archives import stream_zip
from imaging.io import ImageError
from jobs.presentation import can_retry
from webapp import storage
from webapp.paths import server_folder
from webapp.permissions import can, permission_required

from . import figures, selectors, services
from .models import DamageModel, OverlayPreview, SyntheticDataset


def _index_context(request) -> dict:
    return {
        "models": DamageModel.objects.select_related("dataset"),
        "datasets": AnnotationSet.objects.all(),
        "builds": SyntheticDataset.objects.select_related("damage_model", "job")[:50],
        "is_researcher": can(request.user, "synthesis.dataset.create"),
        "form": {"seed": 0, "grain": "on", "damage_level": 1.0},
    }


@permission_required("synthesis.view")
def index(request):
    return render(request, "synthesis/index.html", _index_context(request))


@permission_required("synthesis.model.fit")
def damage_model_fit(request):
    if request.method != "POST":
        return redirect("synthesis:index")
    dataset = AnnotationSet.objects.filter(pk=request.POST.get("dataset")).first()
    name = request.POST.get("name", "").strip()
    if dataset is None or not name:
        messages.error(request, "Choose a dataset and give the model a name.")
        return redirect("synthesis:index")
    job = services.damage_model_fit_enqueue(dataset=dataset, name=name, user=request.user)
    messages.success(request, f"Fitting {name} on {dataset.name}: follow job {job.pk}.")
    return redirect("jobs:detail", job_id=job.pk)


@permission_required("synthesis.view")
def damage_model_detail(request, model_id: int):
    record = get_object_or_404(DamageModel.objects.select_related("dataset"), pk=model_id)
    return render(request, "synthesis/model_detail.html", {
        "model": record,
        "rows": figures.parameter_rows(record.params),
        "figures": figures.model_figures(record.params),
        "classes": [(c, c.replace(" ", "_")) for c in CLASSES],
        "others": DamageModel.objects.exclude(pk=record.pk),
        "previews": record.previews.select_related("job")[:6],
    })


@permission_required("synthesis.view")
def damage_model_compare(request):
    a = get_object_or_404(DamageModel, pk=request.GET.get("a"))
    b = get_object_or_404(DamageModel, pk=request.GET.get("b"))
    return render(request, "synthesis/model_compare.html", {
        "a": a, "b": b,
        "rows": list(zip(figures.parameter_rows(a.params), figures.parameter_rows(b.params))),
        "figures": figures.comparison_figures((a.label, a.params), (b.label, b.params)),
        "classes": [(c, c.replace(" ", "_")) for c in CLASSES],
    })


@permission_required("synthesis.preview.create")
def preview_create(request, model_id: int):
    record = get_object_or_404(DamageModel, pk=model_id)
    if request.method != "POST":
        return redirect("synthesis:damage-model", model_id=record.pk)
    try:
        preview = services.preview_create(
            record=record, width=int(request.POST.get("width") or 1024), height=int(request.POST.get("height") or 704),
            seed=int(request.POST.get("seed") or 0), damage_level=float(request.POST.get("damage_level") or 1.0),
            source_image=request.FILES.get("image"), user=request.user)
    except (ValueError, ImageError) as exc:
        messages.error(request, f"Preview refused: {exc}")
        return redirect("synthesis:damage-model", model_id=record.pk)
    return redirect("synthesis:preview", preview_id=preview.pk)


@permission_required("synthesis.view")
def preview_detail(request, preview_id: int):
    preview = get_object_or_404(OverlayPreview.objects.select_related("damage_model", "job"), pk=preview_id)
    return render(request, "synthesis/preview.html", {"preview": preview, "urls": _preview_urls(preview)})


def _preview_urls(preview: OverlayPreview) -> dict[str, str]:
    """The addresses of a rendered preview's images by key (negative, positive, mask, clean): ``preview_file``."""
    return {key: reverse("synthesis:preview-file", args=[preview.pk, key])
            for key in ((preview.result or {}).get("files") or {})}


def dataset_options(post) -> tuple[dict, bool]:
    """The build options of the page's form (``synthesis.services.DATASET_OPTIONS``) and "allow empty"."""
    from synthesis.core.dataset import parse_crop

    options: dict = {"grain": post.get("grain") == "on"}
    crop = parse_crop(post.get("crop", ""))
    if crop:
        options["crop"] = list(crop)
    for key, label in (("px_per_mm", "Px per mm"), ("damage_level", "Damage level")):
        text = post.get(key, "").strip()
        if text:
            try:
                options[key] = float(text)
            except ValueError:
                raise ValueError(f"{label} must be a number, got {text!r}.") from None
    return options, post.get("allow_empty") == "on"


def _int(post, key: str, label: str, default: int | None) -> int | None:
    text = post.get(key, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{label} must be a whole number, got {text!r}.") from None


@permission_required("synthesis.dataset.create")
def dataset_create(request):
    if request.method != "POST":
        return redirect("synthesis:index")
    record = DamageModel.objects.filter(pk=request.POST.get("model")).first()
    try:
        if record is None:
            raise ValueError("Choose a damage model.")
        options, allow_empty = dataset_options(request.POST)
        upload = request.FILES.get("clean_zip")
        clean_dir = "" if upload else server_folder(request.POST.get("clean_dir", ""), what="Clean folder")
        dataset = services.synthetic_dataset_submit(
            name=request.POST.get("name", ""), record=record, clean_dir=clean_dir, clean_zip=upload,
            count=_int(request.POST, "count", "Items", None), seed=_int(request.POST, "seed", "Seed", 0),
            options=options, allow_empty=allow_empty, user=request.user)
    except ValueError as exc:
        messages.error(request, f"Dataset build refused: {exc}")
        return render(request, "synthesis/index.html", {**_index_context(request), "form": request.POST},
                      status=400)
    messages.success(request, f"Building {dataset.name}: {dataset.count} items.")
    return redirect("synthesis:dataset", dataset_id=dataset.pk)


@permission_required("synthesis.view")
def dataset_detail(request, dataset_id: int):
    dataset = get_object_or_404(SyntheticDataset.objects.select_related("damage_model", "job"), pk=dataset_id)
    return render(request, "synthesis/dataset.html", {
        "dataset": dataset, "samples": selectors.dataset_samples(dataset=dataset),
        "is_researcher": can(request.user, "synthesis.dataset.folder"),
        "complete": bool(dataset.summary.get("complete")),
        "can_retry": bool(dataset.job) and can_retry(dataset.job) and can(request.user, "jobs.control", dataset.job),
    })


@permission_required("synthesis.dataset.delete")
@require_POST
def dataset_delete(request, dataset_id: int):
    dataset = get_object_or_404(SyntheticDataset.objects.select_related("job"), pk=dataset_id)
    try:
        services.synthetic_dataset_delete(dataset=dataset)
    except ValueError as exc:
        messages.error(request, f"Delete refused: {exc}")
        return redirect("synthesis:dataset", dataset_id=dataset.pk)
    messages.success(request, f"Synthetic dataset {dataset.name} deleted.")
    return redirect("synthesis:index")


def _zip_download(request, files_of, record, filename: str, back: str, **back_kwargs):
    """A streamed zip of ``files_of(record)``, or back to ``back`` with the reason when it cannot be made."""
    try:
        files = files_of(record)
    except ValueError as exc:
        messages.error(request, f"Download refused: {exc}")
        return redirect(back, **back_kwargs)
    response = StreamingHttpResponse(stream_zip(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_required("synthesis.dataset.download")
def dataset_download(request, dataset_id: int):
    dataset = get_object_or_404(SyntheticDataset, pk=dataset_id)
    return _zip_download(request, services.synthetic_dataset_files, dataset, f"{dataset.name}.zip",
                         "synthesis:dataset", dataset_id=dataset.pk)


@permission_required("synthesis.view")
def preview_file(request, preview_id: int, key: str):
    """One image of a rendered preview (negative, positive, mask, clean), for those who may read the damage models;
    streamed (the preview's viewer reads it on the site's origin)."""
    preview = get_object_or_404(OverlayPreview, pk=preview_id)
    name = ((preview.result or {}).get("files") or {}).get(key)
    if not name:
        raise Http404("No such preview image.")
    return storage.serve(name)


@permission_required("synthesis.view")
def dataset_file(request, dataset_id: int, name: str):
    """A file of a finished synthetic dataset (its samples on the dataset's page), for those who may read the damage
    models (the whole dataset's download is researchers' only)."""
    dataset = get_object_or_404(SyntheticDataset, pk=dataset_id)
    if not selectors.dataset_stored(dataset=dataset):
        raise Http404("This dataset is not stored.")
    return storage.serve(storage.member(services.synthetic_dataset_prefix(dataset), name), redirect=True)


@permission_required("synthesis.view")
def preview_download(request, preview_id: int):
    preview = get_object_or_404(OverlayPreview, pk=preview_id)
    return _zip_download(request, services.preview_files, preview, f"preview-{preview.pk}.zip",
                         "synthesis:preview", preview_id=preview.pk)
