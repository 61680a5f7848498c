"""Pages of the surveys app: researchers design, build, publish and read surveys; participants take them."""
from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from webapp.permissions import can, permission_required

from . import selectors, services
from .forms import FamiliarityForm, SurveyForm
from .models import Pair, Participant, Survey

researcher_required = permission_required("surveys.manage")


# ---------------------------------------------------------------- researchers

@permission_required("surveys.view")
def index(request):
    is_researcher = can(request.user, "surveys.manage")
    surveys = selectors.survey_list() if is_researcher else Survey.objects.none()
    return render(request, "surveys/index.html", {"surveys": surveys, "is_researcher": is_researcher})


@researcher_required
def survey_create(request):
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            survey = services.survey_create(user=request.user, **data)
        except services.SurveyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Survey {survey.title!r} created. Build its pairs next.")
            return redirect("surveys:detail", survey_id=survey.pk)
    return render(request, "surveys/create.html", {"form": form}, status=400 if form.errors else 200)


@researcher_required
def survey_detail(request, survey_id: int):
    survey = get_object_or_404(selectors.survey_list(), pk=survey_id)
    public_url = request.build_absolute_uri(reverse("surveys:take", args=[survey.token]))
    return render(request, "surveys/detail.html", {
        "survey": survey, "pairs": survey.pairs.order_by("index"), "public_url": public_url,
    })


def _act(request, survey_id: int, action, success: str):
    survey = get_object_or_404(Survey, pk=survey_id)
    try:
        action(survey)
    except services.SurveyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("surveys:detail", survey_id=survey_id)


@require_POST
@researcher_required
def survey_build(request, survey_id: int):
    return _act(request, survey_id, lambda s: services.survey_build_enqueue(survey=s, user=request.user),
                "Building the pairs: the page shows the job's progress.")


@require_POST
@researcher_required
def survey_publish(request, survey_id: int):
    return _act(request, survey_id,
                lambda s: services.survey_publish(survey=s, previewed=request.POST.get("previewed") == "on"),
                "Published: participants can now take the survey from its public link.")


@require_POST
@researcher_required
def survey_close(request, survey_id: int):
    return _act(request, survey_id, lambda s: services.survey_close(survey=s), "Closed: no more answers.")


@researcher_required
def survey_results(request, survey_id: int):
    survey = get_object_or_404(Survey, pk=survey_id)
    results = selectors.survey_results(survey=survey)
    return render(request, "surveys/results.html", {"survey": survey, "results": results,
                                                     "figures": results["figures"]})


@researcher_required
def pair_image(request, survey_id: int, pair_id: int, side: str):
    pair = get_object_or_404(Pair, pk=pair_id, survey_id=survey_id)
    if side not in ("a", "b"):
        raise Http404("No such image")
    return FileResponse(getattr(pair, f"image_{side}").open("rb"), content_type="image/png")


# ---------------------------------------------------------------- participants (no account)

def _session_key(survey: Survey) -> str:
    return f"survey-participant-{survey.pk}"


def _link_leads_nowhere(request, *, unknown: bool):
    """A participant's link that opens no survey: its 404 in the participants' layout (no site navigation)."""
    return render(request, "surveys/take_missing.html", {"unknown": unknown}, status=404)


def take(request, token):
    """The public link: consent, then a participant with a balanced plan (one per browser session)."""
    survey = Survey.objects.filter(token=token).first()
    if survey is None or survey.state not in (Survey.State.PUBLISHED, Survey.State.CLOSED):
        return _link_leads_nowhere(request, unknown=survey is None)
    known = request.session.get(_session_key(survey))
    if known and Participant.objects.filter(token=known, survey=survey).exists():
        return redirect("surveys:participant", token=known)
    if not survey.is_open:
        return render(request, "surveys/take_closed.html", {"survey": survey}, status=410)
    error = ""
    if request.method == "POST":
        if request.POST.get("consent") != "on":
            error = "Please tick the box to give your consent, or close this page if you do not wish to take part."
        else:
            try:
                participant = services.participant_start(survey=survey,
                                                         user_agent=request.headers.get("user-agent", ""))
            except services.AnswerRejected as exc:
                error = str(exc)
            else:
                request.session[_session_key(survey)] = str(participant.token)
                return redirect("surveys:participant", token=participant.token)
    trials = survey.pairs.count()
    return render(request, "surveys/take_consent.html",
                  {"survey": survey, "error": error, "trials": trials, "minutes": max(1, round(trials * 8 / 60))},
                  status=400 if error else 200)


def participant(request, token):
    """Where a participant is: familiarity question, current trial, or thank-you page (a reload resumes)."""
    who = Participant.objects.select_related("survey").filter(token=token).first()
    if who is None or who.survey.state not in (Survey.State.PUBLISHED, Survey.State.CLOSED):
        return _link_leads_nowhere(request, unknown=who is None)
    survey = who.survey
    if who.finished_at:
        return render(request, "surveys/take_done.html", {"survey": survey, "participant": who})
    if not survey.is_open:
        return render(request, "surveys/take_closed.html", {"survey": survey}, status=410)
    if not who.familiarity:
        form = FamiliarityForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.participant_set_familiarity(participant=who, familiarity=form.cleaned_data["familiarity"])
            except services.AnswerRejected as exc:
                messages.error(request, str(exc))
            return redirect("surveys:participant", token=token)
        return render(request, "surveys/take_familiarity.html", {"survey": survey, "form": form},
                      status=400 if form.errors else 200)
    if request.method == "POST":
        messages.info(request, "Your familiarity was recorded already.")
        return redirect("surveys:participant", token=token)
    trial = selectors.participant_trial(participant=who)
    if trial is None:  # all answered (finished_at is set by the last answer)
        return render(request, "surveys/take_done.html", {"survey": survey, "participant": who})
    return render(request, "surveys/take_trial.html", {"survey": survey, "participant": who, "trial": trial})


def trial_image(request, token, position: int, side: str):
    who = get_object_or_404(Participant.objects.select_related("survey"), token=token)
    if who.survey.state not in (Survey.State.PUBLISHED, Survey.State.CLOSED):
        raise Http404("This survey is not published.")
    image = selectors.participant_image(participant=who, position=position, side=side)
    if image is None:
        raise Http404("No such image")
    response = FileResponse(image.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
