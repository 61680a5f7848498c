"""Reads of the surveys app: lists, a participant's next trial, trial records, results, CSV rows."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Q, QuerySet

from surveys.core import stats
from surveys.core.plots import results_figures

from .models import Familiarity, Pair, Participant, Response, Survey

#: Row labels of the results table (the paper's Table 2).
GROUP_LABELS = {"not": "Not familiar", "somewhat": "Somewhat familiar", "very": "Very familiar",
                stats.OVERALL: "Overall"}

CSV_COLUMNS = [
    "survey", "kind", "participant", "slot", "familiarity", "finished", "position", "pair_index", "catch",
    "source", "crop_size", "polarity", "a_left", "choice", "chose_a", "correct", "response_ms", "blur_count",
    "answered_at",
]


def survey_list() -> QuerySet[Survey]:
    return Survey.objects.select_related("damage_model").annotate(
        pair_count=Count("pairs", distinct=True),
        participant_count=Count("participants", distinct=True),
        finished_count=Count("participants", filter=Q(participants__finished_at__isnull=False), distinct=True),
    )


def participant_trial(*, participant: Participant) -> dict | None:
    """The participant's current trial (the first unanswered one) with its progress, or None when all are done."""
    answered = set(participant.responses.values_list("position", flat=True))
    total = len(participant.plan)
    position = next((i for i in range(total) if i not in answered), None)
    if position is None:
        return None
    trial = participant.plan[position]
    return {"position": position, "number": position + 1, "total": total, "answered": len(answered),
            "percent": round(100 * len(answered) / total) if total else 100,
            "pair": Pair.objects.get(pk=trial["pair"]), "a_left": trial["a_left"]}


def participant_image(*, participant: Participant, position: int, side: str):
    """The file shown on ``side`` ('left' or 'right') of trial ``position``, or None when there is none."""
    if side not in ("left", "right") or not 0 <= position < len(participant.plan):
        return None
    trial = participant.plan[position]
    pair = Pair.objects.filter(pk=trial["pair"], survey_id=participant.survey_id).first()
    if pair is None:
        return None
    show_a = (side == "left") == trial["a_left"]
    return pair.image_a if show_a else pair.image_b


def _responses(survey: Survey) -> QuerySet[Response]:
    return Response.objects.filter(participant__survey=survey).select_related("participant", "pair").order_by(
        "participant__slot", "position")


def survey_records(*, survey: Survey, finished_only: bool = True) -> list[stats.TrialRecord]:
    """Every answered trial as a pure-core record (by default of participants who finished)."""
    qs = _responses(survey).exclude(participant__familiarity="")
    if finished_only:
        qs = qs.filter(participant__finished_at__isnull=False)
    return [
        stats.TrialRecord(
            participant=str(r.participant.token), group=r.participant.familiarity, crop_size=r.pair.crop_size,
            success=bool(r.correct) if r.correct is not None else r.chose_a, chose_left=r.choice == "left",
            catch=r.pair.is_catch, response_ms=r.response_ms)
        for r in qs
    ]


def survey_results(*, survey: Survey) -> dict:
    """Table 2, tests, attention flags, per-participant scores and figures of a survey's finished participants."""
    records = survey_records(survey=survey)
    groups = list(Familiarity.values)
    summary = stats.summarise(records, crop_sizes=survey.crop_sizes, groups=groups,
                              exclude_flagged=survey.exclude_flagged)
    participants = {str(p.token): p for p in survey.participants.all()}
    medians = stats.response_medians(records)
    blurs: dict[str, int] = {}
    for token, count in Response.objects.filter(participant__survey=survey).values_list("participant__token",
                                                                                        "blur_count"):
        blurs[str(token)] = blurs.get(str(token), 0) + count
    rows = []
    for token, score in sorted(summary["participants"].items(), key=lambda kv: participants[kv[0]].slot):
        rows.append({"token": token, "slot": participants[token].slot, **score,
                     "group_label": GROUP_LABELS[score["group"]],
                     "median_ms": medians.get(token),
                     "median_s": None if medians.get(token) is None else medians[token] / 1000,
                     "blurs": blurs.get(token, 0),
                     "attention": summary["attention"].get(token, {})})
    flagged_rows = sorted(({"token": t, "slot": participants[t].slot, **summary["attention"][t]}
                           for t in summary["flagged"]), key=lambda row: row["slot"])
    return {
        **summary,
        "participant_rows": rows,
        "flagged_rows": flagged_rows,
        "started": len(participants),
        "finished": sum(p.finished_at is not None for p in participants.values()),
        "group_labels": GROUP_LABELS,
        "figures": results_figures(summary, groups=groups, labels=GROUP_LABELS, score_name=survey.score_name),
    }


def survey_csv_rows(*, survey: Survey) -> Iterator[list]:
    """One row per answered trial (all participants, finished or not), after a header row."""
    yield CSV_COLUMNS
    for r in _responses(survey):
        p = r.participant
        yield [
            survey.slug, survey.kind, str(p.token), p.slot, p.familiarity, int(p.finished_at is not None), r.position,
            r.pair.index, int(r.pair.is_catch), r.pair.source, r.pair.crop_size, r.pair.polarity, int(r.a_left),
            r.choice, int(r.chose_a), "" if r.correct is None else int(r.correct), r.response_ms, r.blur_count,
            r.created_at.isoformat(),
        ]
