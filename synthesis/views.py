"""Pages of the synthesis app: damage models, comparison, previews and synthetic datasets."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from annotation.core.types import CLASSES
from annotation.models import Dataset
from imaging.io import ImageError
from webapp.paths import server_folder
from webapp.roles import RESEARCHER, has_role

from . import figures, services
from .models import DamageModel, OverlayPreview, SyntheticDataset


def _require_researcher(user) -> None:
    if not has_role(user, RESEARCHER):
        raise PermissionDenied("Only researchers and administrators may do this.")


@login_required
def index(request):
    return render(request, "synthesis/index.html", {
        "models": DamageModel.objects.select_related("dataset"),
        "datasets": Dataset.objects.all(),
        "builds": SyntheticDataset.objects.select_related("damage_model", "job")[:50],
        "is_researcher": has_role(request.user, RESEARCHER),
    })


@login_required
def model_fit(request):
    _require_researcher(request.user)
    if request.method != "POST":
        return redirect("synthesis:index")
    dataset = Dataset.objects.filter(pk=request.POST.get("dataset")).first()
    name = request.POST.get("name", "").strip()
    if dataset is None or not name:
        messages.error(request, "Choose a dataset and give the model a name.")
        return redirect("synthesis:index")
    job = services.damage_model_fit_enqueue(dataset=dataset, name=name, user=request.user)
    messages.success(request, f"Fitting {name} on {dataset.name}: follow job {job.pk}.")
    return redirect("jobs:detail", job_id=job.pk)


@login_required
def model_detail(request, model_id: int):
    record = get_object_or_404(DamageModel.objects.select_related("dataset"), pk=model_id)
    return render(request, "synthesis/model_detail.html", {
        "model": record,
        "rows": figures.parameter_rows(record.params),
        "figures": figures.model_figures(record.params),
        "classes": [(c, c.replace(" ", "_")) for c in CLASSES],
        "others": DamageModel.objects.exclude(pk=record.pk),
        "previews": record.previews.select_related("job")[:6],
    })


@login_required
def model_compare(request):
    a = get_object_or_404(DamageModel, pk=request.GET.get("a"))
    b = get_object_or_404(DamageModel, pk=request.GET.get("b"))
    return render(request, "synthesis/model_compare.html", {
        "a": a, "b": b,
        "rows": list(zip(figures.parameter_rows(a.params), figures.parameter_rows(b.params))),
        "figures": figures.comparison_figures((a.label, a.params), (b.label, b.params)),
        "classes": [(c, c.replace(" ", "_")) for c in CLASSES],
    })


@login_required
def preview_create(request, model_id: int):
    _require_researcher(request.user)
    record = get_object_or_404(DamageModel, pk=model_id)
    if request.method != "POST":
        return redirect("synthesis:model", model_id=record.pk)
    try:
        preview = services.preview_create(
            record=record, width=int(request.POST.get("width") or 1024), height=int(request.POST.get("height") or 704),
            seed=int(request.POST.get("seed") or 0), damage_level=float(request.POST.get("damage_level") or 1.0),
            source_image=request.FILES.get("image"), user=request.user)
    except (ValueError, ImageError) as exc:
        messages.error(request, f"Preview refused: {exc}")
        return redirect("synthesis:model", model_id=record.pk)
    return redirect("synthesis:preview", preview_id=preview.pk)


@login_required
def preview_detail(request, preview_id: int):
    preview = get_object_or_404(OverlayPreview.objects.select_related("damage_model", "job"), pk=preview_id)
    return render(request, "synthesis/preview.html", {"preview": preview})


@login_required
def dataset_create(request):
    _require_researcher(request.user)
    if request.method != "POST":
        return redirect("synthesis:index")
    record = DamageModel.objects.filter(pk=request.POST.get("model")).first()
    try:
        if record is None:
            raise ValueError("Choose a damage model.")
        count = request.POST.get("count")
        crop = request.POST.get("crop", "").strip()
        options = {"grain": request.POST.get("grain") == "on"}
        if crop:
            options["crop"] = [int(v) for v in crop.lower().split("x")]
        name = request.POST.get("name", "").strip()
        clean_dir = server_folder(request.POST.get("clean_dir", ""), what="Clean folder")
        if request.FILES.get("clean_zip"):
            clean_dir = str(services.clean_set_upload(name=name, archive=request.FILES["clean_zip"]))
        dataset = services.synthetic_dataset_create(
            name=name, record=record, clean_dir=clean_dir,
            count=int(count) if count else None, seed=int(request.POST.get("seed") or 0), options=options,
            user=request.user)
    except ValueError as exc:
        messages.error(request, f"Dataset build refused: {exc}")
        return redirect("synthesis:index")
    return redirect("synthesis:dataset", dataset_id=dataset.pk)


@login_required
def dataset_detail(request, dataset_id: int):
    import json
    from pathlib import Path

    from django.conf import settings

    dataset = get_object_or_404(SyntheticDataset.objects.select_related("damage_model", "job"), pk=dataset_id)
    samples = []
    manifest = Path(dataset.out_dir) / "manifest.json"
    media = Path(settings.MEDIA_ROOT).resolve()
    out = Path(dataset.out_dir).resolve()
    if manifest.exists() and media in out.parents:
        items = json.loads(manifest.read_text())["items"][:12]
        base = settings.MEDIA_URL + str(out.relative_to(media)) + "/"
        samples = [{**item, "base": base} for item in items]
    return render(request, "synthesis/dataset.html", {"dataset": dataset, "samples": samples})
