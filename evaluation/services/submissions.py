"""Accepting submissions: a zip of restorations (optionally a zip of predicted masks), or image by image.

Everything is checked in a temporary folder before anything is kept: the archive is extracted with
``safe_extract_zip`` (unsafe paths, symlinks, encrypted members, too many files, too many bytes and
zip bombs refused) and the files are checked with ``validate_submission_dir`` (one restoration per
benchmark image, named by the image's name, of its exact size, channels and bit depth: never
resized). A refused submission raises ``SubmissionError`` listing every problem, and leaves no row
and no file behind. An archive whose files sit in one top-level folder is read from that folder.

Masks, when given, are 8-bit grey images (non-zero where the method found damage), one per image.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max

from evaluation.core.submissions import FileError, SubmissionError, validate_submission_dir
from imaging.archives import DEFAULT_MAX_BYTES, DEFAULT_MAX_FILE_BYTES, ArchiveError, safe_extract_zip
from jobs import services as job_services

from ..models import Benchmark, Submission, SubmissionImage
from . import files

#: Files an archive may hold beyond one per benchmark image (so that extra names are reported by name).
EXTRA_FILES_ALLOWED = 20


def expected_images(benchmark: Benchmark) -> dict[str, tuple[tuple[int, ...], str]]:
    """``{name: (shape, dtype)}`` every submission to ``benchmark`` must match."""
    return {image.name: (image.shape, image.dtype) for image in benchmark.images.all()}


def expected_masks(benchmark: Benchmark) -> dict[str, tuple[tuple[int, ...], str]]:
    return {image.name: ((image.height, image.width), "uint8") for image in benchmark.images.all()}


def submission_limits(benchmark: Benchmark) -> dict[str, int]:
    """Archive limits: settings ``EVALUATION_SUBMISSION_MAX_FILES`` / ``_MAX_BYTES`` / ``_MAX_FILE_BYTES``."""
    count = benchmark.images.count()
    return {
        "max_files": getattr(settings, "EVALUATION_SUBMISSION_MAX_FILES", None) or count + EXTRA_FILES_ALLOWED,
        "max_bytes": getattr(settings, "EVALUATION_SUBMISSION_MAX_BYTES", DEFAULT_MAX_BYTES),
        "max_file_bytes": getattr(settings, "EVALUATION_SUBMISSION_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES),
    }


def _content_root(folder: Path) -> Path:
    entries = [p for p in folder.iterdir() if p.name not in ("__MACOSX", ".DS_Store")]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return folder


def _unpack_and_check(archive, expected: dict, tmp: Path, label: str, limits: dict) -> dict[str, Path]:
    source = files.copy_upload(archive, tmp / f"{label}.zip")
    dest = tmp / label
    try:
        safe_extract_zip(source, dest, **limits)
    except ArchiveError as exc:
        raise SubmissionError(exc.errors) from exc
    report = validate_submission_dir(expected, _content_root(dest), max_pixels=settings.MAX_IMAGE_PIXELS)
    report.raise_for_errors()
    return report.files


def _check_metadata(*, method_name: str, paper_url: str, code_url: str, masks_used: str) -> str:
    method_name = (method_name or "").strip()
    if not method_name:
        raise ValueError("A submission needs a method name.")
    if len(method_name) > 200:
        raise ValueError("The method name is longer than 200 characters.")
    for label, url in (("paper_url", paper_url), ("code_url", code_url)):
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except DjangoValidationError:
                raise ValueError(f"{label} is not an http(s) URL: {url!r}") from None
    if masks_used not in Submission.Masks.values:
        raise ValueError(f"masks_used must be one of {', '.join(Submission.Masks.values)}, got {masks_used!r}.")
    return method_name


def next_version(*, benchmark: Benchmark, user, method_name: str, is_baseline: bool = False) -> int:
    qs = Submission.objects.filter(benchmark=benchmark, method_name=method_name, is_baseline=is_baseline)
    qs = qs.filter(created_by=user) if user is not None else qs.filter(created_by__isnull=True)
    return (qs.aggregate(v=Max("version"))["v"] or 0) + 1


def _store_images(submission: Submission, images: dict[str, Path], masks: dict[str, Path], stored: list[str]) -> None:
    """Copy the files one by one (no transaction held), then create their rows together."""
    base = files.submission_base(submission)
    rows = []
    for name, path in images.items():
        file_name = files.store_file(f"{base}/{name}{path.suffix.lower()}", path)
        stored.append(file_name)
        mask_name = ""
        if name in masks:
            mask_name = files.store_file(f"{base}/masks/{name}{masks[name].suffix.lower()}", masks[name])
            stored.append(mask_name)
        rows.append(SubmissionImage(submission=submission, name=name, file=file_name, mask=mask_name))
    SubmissionImage.objects.bulk_create(rows)


def submission_create(
    *,
    benchmark: Benchmark,
    user,
    method_name: str,
    archive=None,
    masks_archive=None,
    paper_url: str = "",
    code_url: str = "",
    patch_wise: bool = False,
    masks_used: str = Submission.Masks.NONE,
    notes: str = "",
    enqueue: bool = True,
) -> Submission:
    """Create the next version of ``method_name`` by ``user`` on ``benchmark``.

    With ``archive`` (a path or an uploaded file) the restorations are validated, stored and a
    scoring job is started; without it the submission is a draft that takes images one by one
    (``submission_image_put``) until ``submission_finalise``.

    Raises
    ------
    SubmissionError
        The archive or its files are refused (every problem listed); nothing is kept.
    ValueError
        Bad metadata (empty method name, a URL that is not http(s), unknown ``masks_used``).
    """
    method_name = _check_metadata(method_name=method_name, paper_url=paper_url, code_url=code_url,
                                  masks_used=masks_used)
    if not benchmark.images.exists():
        raise ValueError(f"Benchmark {benchmark.name!r} has no images.")
    images: dict[str, Path] = {}
    masks: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="submission-") as tmp:
        if archive is not None:
            limits = submission_limits(benchmark)
            images = _unpack_and_check(archive, expected_images(benchmark), Path(tmp), "images", limits)
            if masks_archive is not None:
                masks = _unpack_and_check(masks_archive, expected_masks(benchmark), Path(tmp), "masks", limits)
        elif masks_archive is not None:
            raise ValueError("A masks archive comes with an archive of restorations.")
        stored: list[str] = []
        with transaction.atomic():
            submission = Submission.objects.create(
                benchmark=benchmark, method_name=method_name, created_by=user,
                version=next_version(benchmark=benchmark, user=user, method_name=method_name),
                paper_url=paper_url, code_url=code_url, patch_wise=patch_wise, masks_used=masks_used,
                notes=notes, state=Submission.State.PENDING if archive is not None else Submission.State.DRAFT)
        try:
            _store_images(submission, images, masks, stored)
        except BaseException:
            files.delete_names(stored)
            submission.delete()
            raise
    if archive is not None and enqueue:
        submission_score_enqueue(submission=submission, user=user)
    return submission


def _require_draft(submission: Submission) -> None:
    if submission.state != Submission.State.DRAFT:
        raise ValueError(f"Submission {submission.pk} is {submission.get_state_display().lower()}; "
                         "only drafts take images.")


def submission_image_put(*, submission: Submission, name: str, upload, filename: str, mask: bool = False
                         ) -> SubmissionImage:
    """Add (or replace) one restoration, or its mask, of a draft submission, after validating it.

    ``filename`` gives the format by its extension. Raises ``SubmissionError`` (nothing kept).
    """
    _require_draft(submission)
    expected = (expected_masks if mask else expected_images)(submission.benchmark)
    suffix = Path(filename or "").suffix.lower()
    if name not in expected:
        raise SubmissionError([FileError(name, "extra", f"{name!r} is not an image of this benchmark")])
    with tempfile.TemporaryDirectory(prefix="submission-image-") as tmp:
        path = files.copy_upload(upload, Path(tmp) / f"{name}{suffix}")
        report = validate_submission_dir({name: expected[name]}, tmp, max_pixels=settings.MAX_IMAGE_PIXELS)
        report.raise_for_errors()
        item = SubmissionImage.objects.filter(submission=submission, name=name).first()
        if mask and item is None:
            raise SubmissionError([FileError(name, "missing", "upload the restoration before its mask")])
        base = files.submission_base(submission)
        stored = files.store_file(f"{base}/{'masks/' if mask else ''}{name}{suffix}", path)
    if item is None:
        return SubmissionImage.objects.create(submission=submission, name=name, file=stored)
    old = item.mask.name if mask else item.file.name
    setattr(item, "mask" if mask else "file", stored)
    item.save()
    files.delete_names([old])
    return item


def submission_finalise(*, submission: Submission, user=None) -> Submission:
    """Close a draft: every benchmark image must have a restoration (and a mask if any has one)."""
    _require_draft(submission)
    items = {i.name: i for i in submission.images.all()}
    names = sorted(expected_images(submission.benchmark))
    errors = [FileError(n, "missing", "no file with this name was submitted") for n in names if n not in items]
    if any(i.mask for i in items.values()):
        errors += [FileError(n, "missing", "no mask with this name was submitted (masks are all or none)")
                   for n in names if n in items and not items[n].mask]
    if errors:
        raise SubmissionError(errors)
    submission.state = Submission.State.PENDING
    submission.save(update_fields=["state"])
    submission_score_enqueue(submission=submission, user=user)
    return submission


def submission_delete(*, submission: Submission) -> None:
    """Remove a submission and its stored files (baseline do-nothing rows share the inputs: kept)."""
    base = files.submission_base(submission) + "/"
    names = [n for i in submission.images.all() for n in (i.file.name, i.mask.name, i.display.name)
             if n and n.startswith(base)]
    submission.delete()
    files.delete_names(names)


def submission_score_enqueue(*, submission: Submission, user=None):
    """Start the job that scores ``submission`` (queue ``gpu``: LPIPS runs on a GPU where there is one)."""
    with transaction.atomic():  # the job is sent once the submission says it is pending
        job = job_services.job_submit(kind="submission.score", user=user or submission.created_by,
                                      params={"submission_id": submission.pk})
        Submission.objects.filter(pk=submission.pk).update(job=job, state=Submission.State.PENDING, error="")
    submission.job, submission.state = job, Submission.State.PENDING
    return job
