"""Who may do what: the one permission model of the site, used by every view, API and selector.

Roles (``webapp.roles``): **anonymous** (no account), **survey participant** (no account: the participant token
in the URL is the credential, and it opens that participant's own survey session only), **user** (any account:
restores scans, follows their own jobs), **annotator**, **researcher** and **administrator** (the administrator
group or a superuser, everywhere; ``is_staff`` only opens Django's admin site).

``can(user, action, obj=None)`` answers one question; ``RULES`` below says, per action, who may. Actions on an
object take it as ``obj`` (a scan, a restoration, a submission...). Around it:

- ``require(user, action, obj)`` raises ``PermissionDenied`` (HTTP 403) with the rule's reason;
- ``permission_required(action)`` is the view decorator of pages (anonymous people are sent to log in first);
- ``Allowed(action)`` is the DRF permission class of the APIs (anonymous callers get 401);
- ``visible(user, kind, queryset)`` narrows a queryset to what the user may see (selectors use it).

Nothing here imports an app: objects are read by their fields (``created_by_id``, a job's too).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from rest_framework.permissions import BasePermission

from .roles import ADMINISTRATOR, ANNOTATOR, RESEARCHER, has_role

ANONYMOUS, PARTICIPANT, USER = "anonymous", "participant", "user"


def is_administrator(user) -> bool:
    return bool(user and user.is_authenticated) and has_role(user, ADMINISTRATOR)


def is_researcher(user) -> bool:
    """Researchers and administrators."""
    return bool(user and user.is_authenticated) and has_role(user, RESEARCHER)


def is_annotator(user) -> bool:
    """Annotators (and researchers and administrators, who may do all an annotator does)."""
    return bool(user and user.is_authenticated) and has_role(user, ANNOTATOR, RESEARCHER)


def _anyone(user, obj) -> bool:
    return True


def _signed_in(user, obj) -> bool:
    return bool(user and user.is_authenticated)


def _researcher(user, obj) -> bool:
    return is_researcher(user)


def _administrator(user, obj) -> bool:
    return is_administrator(user)


def _owner(field: str) -> Callable:
    """Its owner (``obj.<field>``) or an administrator."""
    def rule(user, obj) -> bool:
        return _signed_in(user, obj) and (is_administrator(user) or getattr(obj, field, None) == user.pk)
    return rule


def _scan_open(user, scan) -> bool:
    """Researchers every scan; an annotator the scans assigned to them; a restorer the review scans of their
    restorations (the scans of a review set they created)."""
    if is_researcher(user):
        return True
    if not _signed_in(user, scan):
        return False
    if scan.dataset.kind == "review" and scan.created_by_id == user.pk:
        return True
    return scan.assignments.filter(annotator=user).exists()


def _scan_image(user, scan) -> bool:
    """A scan's own image file: whoever may open the scan; a review scan's (a restoration's input, not copied) only
    its restorer's and administrators', as the restoration's own files."""
    if getattr(scan.dataset, "kind", "") == "review":
        return _owner("created_by_id")(user, scan)
    return _scan_open(user, scan)


def _dataset_open(user, dataset) -> bool:
    """Researchers every dataset; an annotator the datasets that hold a scan assigned to them."""
    if is_researcher(user):
        return True
    return _signed_in(user, dataset) and dataset.scans.filter(assignments__annotator=user).exists()


def _submission_view(user, submission) -> bool:
    """Submitted rows are public; a draft is seen by its submitter and administrators."""
    return submission.state != "draft" or _owner("created_by_id")(user, submission)


def _submission_withdraw(user, submission) -> bool:
    """The submitter withdraws a draft; an administrator removes any submission."""
    return is_administrator(user) or (submission.state == "draft" and _owner("created_by_id")(user, submission))


@dataclass(frozen=True)
class Rule:
    who: Callable  # (user, obj) -> bool
    reason: str     # the sentence of the 403 when it says no


RESEARCHERS = "Only researchers and administrators may do this."

#: action -> who may, and why not. Reading the leaderboard is open to anyone; the rest needs an account.
RULES: dict[str, Rule] = {
    "account": Rule(_signed_in, "Log in first."),
    "researcher": Rule(_researcher, RESEARCHERS),
    # annotation
    "annotation.view": Rule(_signed_in, "Log in to see the annotation pages."),
    "annotation.set.view": Rule(_dataset_open, "No scan of this annotation set is assigned to you."),
    "annotation.set.create": Rule(_researcher, "Only researchers and administrators create annotation sets."),
    "annotation.scan.view": Rule(_scan_open, "This scan is not assigned to you."),
    "annotation.scan.edit": Rule(_scan_open, "This scan is not assigned to you."),
    "annotation.scan.image": Rule(_scan_image, "This scan's image is not yours to download."),
    "annotation.scan.upload": Rule(_researcher, "Only researchers and administrators upload scans for annotation."),
    "annotation.scan.assign": Rule(_researcher, "Only researchers and administrators assign scans to annotators."),
    "annotation.scan.view_all": Rule(_researcher, "Annotators see the scans assigned to them."),
    "annotation.bank.view": Rule(_researcher, "Only researchers and administrators see the artefact bank."),
    # synthesis
    "synthesis.view": Rule(_signed_in, "Log in to see the damage models."),
    "synthesis.model.fit": Rule(_researcher, RESEARCHERS),
    "synthesis.preview.create": Rule(_researcher, RESEARCHERS),
    "synthesis.dataset.create": Rule(_researcher, RESEARCHERS),
    "synthesis.dataset.delete": Rule(_researcher, RESEARCHERS),
    "synthesis.dataset.download": Rule(_researcher, RESEARCHERS),
    "synthesis.dataset.folder": Rule(_researcher, RESEARCHERS),  # the server folder it was written to
    # restoration: any account restores; each sees their own
    "restoration.create": Rule(_signed_in, "Log in to restore a scan."),
    "restoration.view": Rule(_owner("created_by_id"), "This restoration is not yours."),
    "restoration.view_all": Rule(_administrator, "Only administrators see everyone's restorations."),
    "restoration.train": Rule(_researcher, "Only researchers and administrators train networks."),
    "restoration.promote": Rule(_researcher, "Only researchers and administrators promote a detector to default."),
    "restoration.roll.view": Rule(_owner("created_by_id"), "This roll is not yours."),
    # evaluation
    "evaluation.view": Rule(_anyone, ""),
    "evaluation.benchmark.import": Rule(_researcher, RESEARCHERS),
    "evaluation.baselines.run": Rule(_researcher, RESEARCHERS),
    # the hidden ground truth (expert restorations, their masks and previews): administrators only, whoever imported
    "evaluation.ground_truth.view": Rule(_administrator, "The ground truth is hidden: only administrators see it."),
    "evaluation.submission.create": Rule(_researcher, "Only researchers and administrators submit to a benchmark."),
    "evaluation.submission.view": Rule(_submission_view, "Drafts are seen by their submitter only."),
    "evaluation.submission.edit": Rule(_owner("created_by_id"), "This is not your submission."),
    "evaluation.submission.withdraw": Rule(_submission_withdraw, "Only drafts can be withdrawn; ask an "
                                                                 "administrator to remove a scored row."),
    # surveys: researchers design and read them; participants take them by their token (surveys.views)
    "surveys.view": Rule(_signed_in, "Log in to see the surveys."),
    "surveys.manage": Rule(_researcher, "Only researchers and administrators design and read surveys."),
    # jobs: everyone follows their own
    "jobs.list": Rule(_signed_in, "Log in to follow your jobs."),
    "jobs.view": Rule(_owner("created_by_id"), "This job is not yours."),
    "jobs.view_all": Rule(_administrator, "Only administrators see everyone's jobs."),
    "jobs.control": Rule(_owner("created_by_id"), "This job is not yours."),
    "jobs.diagnostic": Rule(_signed_in, "Log in to start a job."),
}


def can(user, action: str, obj=None) -> bool:
    """Whether ``user`` (``request.user``; anonymous included) may do ``action`` (to ``obj``)."""
    try:
        rule = RULES[action]
    except KeyError:
        raise ValueError(f"Unknown action {action!r}; known: {', '.join(sorted(RULES))}") from None
    return bool(rule.who(user, obj))


def require(user, action: str, obj=None) -> None:
    """Raise ``PermissionDenied`` (HTTP 403, the rule's reason) unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise PermissionDenied(RULES[action].reason)


def permission_required(action: str):
    """View decorator: log in first (a redirect), then ``require(request.user, action)`` (the styled 403)."""
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require(request.user, action)
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


def Allowed(action: str, *, read: str | None = None) -> type[BasePermission]:  # noqa: N802 (a class factory)
    """A DRF permission class for ``action`` (``read``: another action for GET/HEAD/OPTIONS, e.g. open reads).

    Anonymous callers who may not are told to authenticate (401 with ``WWW-Authenticate``), others get 403.
    """
    class _Allowed(BasePermission):
        message = RULES[action].reason

        def has_permission(self, request, view) -> bool:
            chosen = read if read and request.method in ("GET", "HEAD", "OPTIONS") else action
            self.message = RULES[chosen].reason
            return can(request.user, chosen)

    _Allowed.__name__ = _Allowed.__qualname__ = f"Allowed[{action}{'|' + read if read else ''}]"
    return _Allowed


def _scans(user, qs):
    if is_researcher(user):
        return qs
    if not _signed_in(user, None):
        return qs.none()
    assigned = qs.model.objects.filter(assignments__annotator=user).values("pk")
    return qs.filter(Q(pk__in=assigned) | Q(dataset__kind="review", created_by=user))


def _owned(field: str) -> Callable:
    def scope(user, qs):
        if is_administrator(user):
            return qs
        return qs.filter(**{field: user}) if _signed_in(user, None) else qs.none()
    return scope


def _submissions(user, qs):
    if is_administrator(user):
        return qs
    submitted = qs.exclude(state="draft")
    return submitted | qs.filter(created_by=user) if _signed_in(user, None) else submitted


def _annotation_sets(user, qs):
    if is_researcher(user):
        return qs
    if not _signed_in(user, None):
        return qs.none()
    return qs.filter(pk__in=qs.model.objects.filter(scans__assignments__annotator=user).values("pk"))


#: kind -> how a queryset of it narrows to what a user may see
_SCOPES: dict[str, Callable] = {
    "scan": _scans,
    "restoration": _owned("created_by"),
    "roll": _owned("created_by"),
    "job": _owned("created_by"),
    "submission": _submissions,
    "annotation_set": _annotation_sets,
}


def visible(user, kind: str, queryset):
    """``queryset`` (of ``kind``: scan, restoration, roll, job, submission, annotation_set) narrowed to what
    ``user`` may see."""
    try:
        scope = _SCOPES[kind]
    except KeyError:
        raise ValueError(f"Unknown kind {kind!r}; known: {', '.join(sorted(_SCOPES))}") from None
    return scope(user, queryset)
