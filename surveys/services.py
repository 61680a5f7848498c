"""Writes of the surveys app: design a survey, build and publish its pairs, take part, answer.

Views, the API, tasks and commands call these; these call the pure core
(``surveys.core``) and the damage synthesis.
"""
from __future__ import annotations

import math
import time
from collections import Counter, defaultdict

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from imaging.io import encode_image, read_image
from jobs import services as job_services
from jobs.presentation import user_message
from surveys.core import crops, methods, plan, sources
from surveys.core.design import assign_trials

from .models import CROP_SIZES, Familiarity, Pair, Participant, Response, Survey


class SurveyError(ValueError):
    """A survey cannot be created, built or changed as asked; the message says why."""


class AnswerRejected(Exception):
    """A participant's submission that is refused; ``code`` names the reason, ``status`` the HTTP status."""

    def __init__(self, message: str, *, code: str, status: int = 409):
        super().__init__(message)
        self.code, self.status = code, status


MAX_PAIRS_PER_SIZE = 200
MAX_CATCH_TRIALS = 20
#: Longest response time stored (ms); a longer one is refused as malformed.
MAX_RESPONSE_MS = 3_600_000


# ---------------------------------------------------------------- designing a survey

def _unique_slug(title: str) -> str:
    base = slugify(title)[:60] or "survey"
    slug, n = base, 2
    while Survey.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_design(*, kind: int, title: str, crop_sizes: list[int], pairs_per_size: int, catch_trials: int,
                  um_per_px: float | None, damage_level: float) -> list[int]:
    if kind not in Survey.Kind.values:
        raise SurveyError(f"Survey kind must be 1 (real or synthetic) or 2 (which is more realistic), got {kind!r}.")
    if not title.strip():
        raise SurveyError("A survey needs a title.")
    sizes = sorted({int(s) for s in crop_sizes})
    if not sizes or set(sizes) - set(CROP_SIZES):
        raise SurveyError(f"Choose crop sizes among {', '.join(map(str, CROP_SIZES))} px, got {list(crop_sizes)}.")
    if pairs_per_size < 2 or pairs_per_size % 2 or pairs_per_size > MAX_PAIRS_PER_SIZE:
        raise SurveyError(f"Pairs per crop size must be even, from 2 to {MAX_PAIRS_PER_SIZE} (half negative and "
                          f"half positive damage), got {pairs_per_size}.")
    if not 0 <= catch_trials <= MAX_CATCH_TRIALS:
        raise SurveyError(f"Catch trials must be from 0 (off) to {MAX_CATCH_TRIALS}, got {catch_trials}.")
    if um_per_px is not None and not (math.isfinite(um_per_px) and um_per_px > 0):
        raise SurveyError(f"The pixel pitch must be a positive number of microns, got {um_per_px}.")
    if not (math.isfinite(damage_level) and 0 < damage_level <= 20):
        raise SurveyError(f"The damage level must be above 0 and at most 20, got {damage_level}.")
    return sizes


def _source_infos(survey_kind: int, source_dir: str) -> list[plan.SourceInfo]:
    """Sizes (and declared polarities) of the survey's source images; refuses a folder of the wrong layout."""
    try:
        if survey_kind == Survey.Kind.REAL_OR_SYNTHETIC:
            return [plan.SourceInfo(p.name, p.width, p.height, p.polarity)
                    for p in sources.find_image_pairs(source_dir)]
        return [plan.SourceInfo(name, w, h) for name, _, w, h in sources.find_images(source_dir)]
    except sources.SourceError as exc:
        raise SurveyError(str(exc)) from exc


def survey_create(*, kind: int, title: str, source_dir: str, damage_model, crop_sizes: list[int],
                  pairs_per_size: int = 4, catch_trials: int = 2, seed: int = 0, instructions: str = "",
                  um_per_px: float | None = None, damage_level: float = 1.0, method_b: str = "",
                  damage_model_b=None, overlay_dir: str = "", exclude_flagged: bool = True, user=None) -> Survey:
    """Create a draft survey after checking its design and that its source folder is usable."""
    sizes = _check_design(kind=kind, title=title, crop_sizes=crop_sizes, pairs_per_size=pairs_per_size,
                          catch_trials=catch_trials, um_per_px=um_per_px, damage_level=damage_level)
    if damage_model is None:
        raise SurveyError("Choose a damage model.")
    if kind == Survey.Kind.MORE_REALISTIC:
        if method_b not in Survey.MethodB.values:
            raise SurveyError(f"Choose method B: {', '.join(Survey.MethodB.values)}.")
        if method_b == Survey.MethodB.MODEL and (damage_model_b is None or damage_model_b.pk == damage_model.pk):
            raise SurveyError("Method B 'a second damage model' needs a damage model other than model A.")
        if method_b == Survey.MethodB.OVERLAY_IMAGES:
            try:
                sources.find_images(overlay_dir)
            except sources.SourceError as exc:
                raise SurveyError(f"Overlay folder: {exc}") from exc
    else:
        method_b, damage_model_b, overlay_dir = "", None, ""
    infos = _source_infos(kind, source_dir)
    largest = max(min(s.width, s.height) for s in infos)
    too_big = [s for s in sizes if s > largest]
    if too_big:
        raise SurveyError(f"No image is large enough for {', '.join(map(str, too_big))} px crops "
                          f"(the largest shorter side is {largest} px).")
    return Survey.objects.create(
        kind=kind, title=title.strip(), slug=_unique_slug(title), instructions=instructions, source_dir=source_dir,
        um_per_px=um_per_px, damage_model=damage_model, method_b=method_b if kind == 2 else "",
        damage_model_b=damage_model_b if method_b == Survey.MethodB.MODEL else None,
        overlay_dir=overlay_dir if method_b == Survey.MethodB.OVERLAY_IMAGES else "", damage_level=damage_level,
        crop_sizes=sizes, pairs_per_size=pairs_per_size, catch_trials=catch_trials, seed=int(seed),
        exclude_flagged=exclude_flagged, created_by=user)


def _delete_pairs(survey: Survey) -> None:
    for pair in survey.pairs.all():
        pair.image_a.delete(save=False)
        pair.image_b.delete(save=False)
    survey.pairs.all().delete()


def survey_build_enqueue(*, survey: Survey, user=None):
    """(Re)build the survey's pairs in a job on the ``gpu`` queue; a draft or ready survey only."""
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        if survey.state not in (Survey.State.DRAFT, Survey.State.READY):
            raise SurveyError(f"A {survey.get_state_display().lower()} survey cannot be rebuilt; only a draft or "
                              "a ready one can.")
        _delete_pairs(survey)
        job = job_services.job_submit(kind="survey.build_pairs", user=user, params={"survey_id": survey.pk})
        survey.state, survey.build_error, survey.build_summary, survey.build_job = (
            Survey.State.BUILDING, "", {}, job)
        survey.save(update_fields=["state", "build_error", "build_summary", "build_job"])
    return job


# ---------------------------------------------------------------- building the pairs

def _damage_methods(survey: Survey, *, device: str | None):
    from synthesis.services import artefact_bank, damage_model_core

    bank = artefact_bank()
    method_a = methods.ModelDamage(damage_model_core(survey.damage_model), bank, label=survey.damage_model.label,
                                   damage_level=survey.damage_level, device=device)
    if survey.kind == Survey.Kind.REAL_OR_SYNTHETIC or survey.method_b == "":
        return method_a, None
    if survey.method_b == Survey.MethodB.MODEL:
        method_b = methods.ModelDamage(damage_model_core(survey.damage_model_b), bank,
                                       label=survey.damage_model_b.label, damage_level=survey.damage_level,
                                       device=device)
    elif survey.method_b == Survey.MethodB.UNIFORM:
        method_b = methods.UniformDamage(method_a.model, bank, damage_level=survey.damage_level)
    else:
        method_b = methods.OverlayImageDamage.from_folder(survey.overlay_dir, max_pixels=settings.MAX_IMAGE_PIXELS)
    return method_a, method_b


def _read(path) -> object:
    return read_image(path, max_pixels=settings.MAX_IMAGE_PIXELS)


def _survey_specs(survey: Survey) -> tuple[list[plan.PairSpec], list[str], dict]:
    """The survey's plan; for survey 1 the polarity of undeclared pairs is measured from their pixels."""
    kw = dict(crop_sizes=survey.crop_sizes, pairs_per_size=survey.pairs_per_size, catch_trials=survey.catch_trials,
              seed=survey.seed)
    if survey.kind == Survey.Kind.MORE_REALISTIC:
        paths = {name: path for name, path, _, _ in sources.find_images(survey.source_dir)}
        return plan.plan_two_methods(_source_infos(survey.kind, survey.source_dir), **kw), [], paths
    pairs = sources.find_image_pairs(survey.source_dir)
    infos = []
    for p in pairs:
        polarity = p.polarity
        if polarity is None:
            try:
                polarity = crops.measure_polarity(_read(p.damaged), _read(p.restored))
            except ValueError as exc:
                raise SurveyError(f"{p.name}: {exc}") from exc
        infos.append(plan.SourceInfo(p.name, p.width, p.height, polarity))
    specs, notes = plan.plan_real_vs_synthetic(infos, **kw)
    return specs, notes, {p.name: p for p in pairs}


def _store_pair(survey: Survey, spec: plan.PairSpec, rendered: crops.RenderedPair) -> Pair:
    pair = Pair(survey=survey, index=spec.index, is_catch=spec.catch, source=spec.source, crop_size=spec.crop_size,
                crop_x=rendered.x, crop_y=rendered.y, polarity=spec.polarity, seed=spec.seed, meta=rendered.meta)
    for side, image in (("a", rendered.a), ("b", rendered.b)):
        data = encode_image(crops.as_display(image), fmt="PNG")
        getattr(pair, f"image_{side}").save(f"pair-{spec.index:04d}-{side}.png", ContentFile(data), save=False)
    pair.save()
    return pair


def survey_build_pairs(*, survey: Survey, progress=None, device: str | None = None) -> dict:
    """Render every pair of the plan that is not stored yet (resumable), then mark the survey ready."""
    started = time.monotonic()
    try:
        specs, notes, where = _survey_specs(survey)
    except (sources.SourceError, ValueError) as exc:
        raise SurveyError(str(exc)) from exc
    done = set(survey.pairs.values_list("index", flat=True))
    todo: dict[str, list[plan.PairSpec]] = defaultdict(list)
    for spec in specs:
        if spec.index not in done:
            todo[spec.source].append(spec)
    method_a, method_b = _damage_methods(survey, device=device)
    count, total = len(done), len(specs)
    if progress:
        progress(count, total, f"{count} of {total} pairs")
    for name, items in sorted(todo.items()):
        if survey.kind == Survey.Kind.REAL_OR_SYNTHETIC:
            damaged, restored = _read(where[name].damaged), _read(where[name].restored)
            mask = crops.damage_mask(damaged, restored)
        else:
            clean = _read(where[name])
        for spec in items:
            if survey.kind == Survey.Kind.REAL_OR_SYNTHETIC:
                rendered = crops.render_real_vs_synthetic(damaged, restored, spec=spec, method=method_a,
                                                          um_per_px=survey.um_per_px, mask=mask)
            else:
                rendered = crops.render_two_methods(clean, spec=spec, method_a=method_a, method_b=method_b,
                                                    um_per_px=survey.um_per_px)
            _store_pair(survey, spec, rendered)
            count += 1
            if progress:
                progress(count, total, f"{count} of {total} pairs")
    balance = Counter(f"{s.crop_size} px {s.polarity}" for s in specs if not s.catch)
    summary = {"pairs": total, "regular": sum(not s.catch for s in specs), "catch": sum(s.catch for s in specs),
               "balance": dict(sorted(balance.items())), "notes": notes, "device": device or "default",
               "seconds": round(time.monotonic() - started, 2)}
    Survey.objects.filter(pk=survey.pk, state=Survey.State.BUILDING).update(
        state=Survey.State.READY, build_summary=summary, build_error="")
    survey.refresh_from_db()
    return summary


def survey_build_failed(*, survey: Survey, error: str) -> None:
    """Back to draft with the reason, so that the researcher can fix the design and rebuild."""
    Survey.objects.filter(pk=survey.pk, state=Survey.State.BUILDING).update(
        state=Survey.State.DRAFT, build_error=error[:2000])


def survey_build_now(*, survey: Survey, device: str | None = None) -> dict:
    """Build synchronously (demo content, commands): the same as the job, in this process."""
    Survey.objects.filter(pk=survey.pk).update(state=Survey.State.BUILDING)
    survey.refresh_from_db()
    try:
        return survey_build_pairs(survey=survey, device=device)
    except Exception as exc:
        survey_build_failed(survey=survey, error=user_message(exc))
        raise


def survey_publish(*, survey: Survey, previewed: bool) -> Survey:
    if survey.state != Survey.State.READY:
        raise SurveyError(f"Only a survey whose pairs are built can be published; this one is "
                          f"{survey.get_state_display().lower()}.")
    if not previewed:
        raise SurveyError("Confirm that you have previewed every pair before publishing.")
    if not survey.pairs.filter(is_catch=False).exists():
        raise SurveyError("The survey has no pairs.")
    survey.state, survey.published_at = Survey.State.PUBLISHED, timezone.now()
    survey.save(update_fields=["state", "published_at"])
    return survey


def survey_close(*, survey: Survey) -> Survey:
    if survey.state != Survey.State.PUBLISHED:
        raise SurveyError("Only a published survey can be closed.")
    survey.state, survey.closed_at = Survey.State.CLOSED, timezone.now()
    survey.save(update_fields=["state", "closed_at"])
    return survey


# ---------------------------------------------------------------- taking part

def participant_start(*, survey: Survey, user_agent: str = "") -> Participant:
    """A new participant with the next slot and its balanced trial plan (after consent)."""
    if not survey.is_open:
        raise AnswerRejected("This survey is not open for answers.", code="closed", status=403)
    pairs = list(survey.pairs.order_by("index").values_list("pk", "is_catch"))
    regular = [pk for pk, catch in pairs if not catch]
    catch = [pk for pk, catch in pairs if catch]
    for _ in range(5):
        try:
            with transaction.atomic():
                last = survey.participants.aggregate(m=Max("slot"))["m"]
                slot = 0 if last is None else last + 1
                trials = assign_trials(regular=regular, catch=catch, slot=slot, seed=survey.seed)
                return Participant.objects.create(
                    survey=survey, slot=slot, consent_at=timezone.now(), user_agent=user_agent[:300],
                    plan=[{"pair": t.pair, "a_left": t.a_left, "catch": t.catch} for t in trials])
        except IntegrityError:  # another participant took the slot at the same moment
            continue
    raise AnswerRejected("Too many people are starting at once; please reload the page.", code="busy", status=503)


def participant_set_familiarity(*, participant: Participant, familiarity: str) -> Participant:
    if familiarity not in Familiarity.values:
        raise AnswerRejected(f"Choose one of: {', '.join(Familiarity.labels)}.", code="invalid", status=400)
    if participant.familiarity and participant.familiarity != familiarity:
        raise AnswerRejected("Your familiarity was recorded already and cannot be changed.", code="already_answered")
    if not participant.familiarity:
        participant.familiarity = familiarity
        participant.save(update_fields=["familiarity"])
    return participant


def response_record(*, participant: Participant, position: int, pair_id: int, choice: str, response_ms: int,
                    blur_count: int) -> Response:
    """Store one answer: only the participant's current trial, once; refusals say why and change nothing."""
    survey = participant.survey
    if not survey.is_open:
        raise AnswerRejected("This survey is closed; answers are no longer accepted. Your earlier answers are kept.",
                             code="closed", status=403)
    if not participant.familiarity:
        raise AnswerRejected("Answer the familiarity question first.", code="familiarity_missing")
    plan_ = participant.plan
    if not 0 <= position < len(plan_):
        raise AnswerRejected(f"There is no trial {position + 1}; this survey has {len(plan_)} trials.",
                             code="invalid", status=400)
    trial = plan_[position]
    if trial["pair"] != pair_id:
        raise AnswerRejected(f"Trial {position + 1} shows another pair; reload the page.", code="wrong_pair",
                             status=400)
    if choice not in Response.Side.values:
        raise AnswerRejected("The choice must be 'left' or 'right'.", code="invalid", status=400)
    if not (0 <= response_ms <= MAX_RESPONSE_MS and 0 <= blur_count):
        raise AnswerRejected(f"response_ms must be from 0 to {MAX_RESPONSE_MS} and blur_count at least 0.",
                             code="invalid", status=400)
    answered = set(participant.responses.values_list("position", flat=True))
    if position in answered:
        raise AnswerRejected(f"Trial {position + 1} was answered already; your first answer is kept.",
                             code="already_answered")
    current = next(i for i in range(len(plan_)) if i not in answered)
    if position != current:
        raise AnswerRejected(f"Trial {position + 1} is not your current trial ({current + 1}); reload the page.",
                             code="not_current")
    chose_a = (choice == Response.Side.LEFT) == trial["a_left"]
    is_scored = survey.kind == Survey.Kind.REAL_OR_SYNTHETIC or trial["catch"]
    try:
        with transaction.atomic():
            response = Response.objects.create(
                participant=participant, pair_id=pair_id, position=position, a_left=trial["a_left"], choice=choice,
                chose_a=chose_a, correct=chose_a if is_scored else None, response_ms=response_ms,
                blur_count=blur_count)
            if len(answered) + 1 == len(plan_):
                Participant.objects.filter(pk=participant.pk).update(finished_at=timezone.now())
    except IntegrityError:  # the same answer sent twice at once
        raise AnswerRejected(f"Trial {position + 1} was answered already; your first answer is kept.",
                             code="already_answered") from None
    return response
