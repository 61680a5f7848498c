"""How a job is shown to people: a sentence for its error, links for its result; never a traceback.

The job row keeps the whole story of a failure (the exception's type and message and the last
frames of its traceback, written by ``jobs.tasking``) for the admin and the worker's log. Pages and
the API show :func:`public_error` of it: the exception's message when the exception is about the
input (``ValueError`` and its subclasses: ``BenchmarkImportError``, ``DatasetError``,
``ImageError``, ...), else a generic sentence. A result is shown as :func:`result_links` (the
records it made, as links) and :func:`result_facts` (its other numbers and words), never as a
Python dict.
"""
from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

#: What a person reads when a job failed on something other than its input.
GENERIC_ERROR = ("The job stopped on an internal error. An administrator can read the details in the "
                 "admin's job record and in the worker's log.")

#: ValueErrors whose message is about Python's internals rather than the input.
_INTERNAL = {"UnicodeError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeTranslateError"}
#: The project's refusals of input (each a ``ValueError``), by name: the web process that shows a job has
#: not always imported the module that raised it in the worker. A test keeps this list complete.
USER_ERROR_NAMES = frozenset({
    "ValueError", "ArchiveError", "MetricInputError", "ImageError", "PolygonError", "FormatError",
    "DamageModelError", "DatasetError", "BankError", "FilterError", "TilingError", "CheckpointError",
    "MethodError", "InpaintError", "CorpusError", "RestorationError", "BenchmarkImportError", "ScoringError",
    "LayoutError", "SubmissionError", "SurveyError", "SourceError", "FolderNotAllowed",
})
_HEAD = re.compile(r"^(?P<name>[A-Za-z_][\w.]*): ?(?P<message>.*)$", re.DOTALL)


def _subclass_names(cls: type) -> set[str]:
    names = {cls.__name__}
    for sub in cls.__subclasses__():
        names |= _subclass_names(sub)
    return names


def is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a refusal of the input, whose message is written for the user."""
    return isinstance(exc, ValueError) and type(exc).__name__ not in _INTERNAL


def _without_server_paths(text: str) -> str:
    """``text`` with the project's folder left out of the paths in it (``var/media/...``)."""
    base = str(settings.BASE_DIR).rstrip("/") + "/"
    return text.replace(base, "")


def user_message(exc: BaseException) -> str:
    """The sentence a person is told about ``exc``."""
    if is_user_error(exc):
        return _without_server_paths(str(exc).strip()) or GENERIC_ERROR
    return GENERIC_ERROR


def public_error(stored: str) -> str:
    """The sentence to show for a job's stored ``error`` (``"Type: message\\n\\ntraceback"``); "" for none.

    The type is looked up by name among :data:`USER_ERROR_NAMES` and the subclasses of ``ValueError``
    loaded in this process.
    """
    stored = (stored or "").strip()
    if not stored:
        return ""
    head = stored.split("\n\n", 1)[0]
    match = _HEAD.match(head)
    if match is None or "Traceback (most recent call last)" in head:
        return GENERIC_ERROR
    name = match["name"].rsplit(".", 1)[-1]
    if name in _INTERNAL or (name not in USER_ERROR_NAMES and name not in _subclass_names(ValueError)):
        return GENERIC_ERROR
    return _without_server_paths(match["message"].strip()) or GENERIC_ERROR


#: Result keys that name a record, with the page that shows it and the words of its link.
_RECORD_PAGES = {
    "damage_model_id": ("synthesis:damage-model", "the damage model"),
    "preview_id": ("synthesis:preview", "the preview"),
    "dataset_id": ("synthesis:dataset", "the synthetic dataset"),
    "restoration_id": ("restoration:detail", "the restoration"),
    "benchmark_id": ("evaluation:benchmark", "the benchmark"),
    "submission_id": ("evaluation:submission", "the submission"),
    "survey_id": ("surveys:detail", "the survey"),
    "scan_id": ("annotation:scan", "the scan"),
}
#: Keys that are links already or that hold records shown on a list page.
_SPECIAL = {"url", "network_id", "model_id", "label"}


def result_links(result: dict[str, Any] | None) -> list[dict[str, str]]:
    """``[{"label", "url"}]``: the pages of what the job made, each once, in a stable order."""
    result = result or {}
    links: list[dict[str, str]] = []
    for key, (name, words) in _RECORD_PAGES.items():
        value = result.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                url = reverse(name, args=[value])
            except NoReverseMatch:
                continue
            label = result.get("label") if key == "damage_model_id" and result.get("label") else f"{words} #{value}"
            links.append({"label": f"Open {label}", "url": url})
    # "model_id": the key of jobs finished before the naming of issue 15 (read for one release)
    network_id = result.get("network_id", result.get("model_id"))
    if isinstance(network_id, int) and not isinstance(network_id, bool):
        links.append({"label": f"Open the network #{network_id}",
                      "url": reverse("restoration:networks") + f"#network-{network_id}"})
    url = result.get("url")
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//") \
            and all(link["url"] != url for link in links):
        links.append({"label": f"Open {url}", "url": url})
    return links


def can_retry(job) -> bool:
    """Whether the job page offers to start ``job`` again (``jobs.services.job_retry`` decides)."""
    retryable = getattr(type(job), "RETRYABLE_STATES", (type(job).State.FAILED, type(job).State.CANCELLED))
    return job.state in retryable


def _fact(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (int, str)):
        return _without_server_paths(str(value))
    if isinstance(value, dict) and all(isinstance(v, (int, float, str, bool)) for v in value.values()):
        return ", ".join(f"{k} {_fact(v)}" for k, v in value.items()) or None
    if isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value) and len(value) <= 20:
        return ", ".join(_fact(v) or "" for v in value) or None
    return None


def result_facts(result: dict[str, Any] | None, *, with_ids: bool = False) -> list[dict[str, str]]:
    """``[{"name", "value"}]``: the result's numbers and words, as a person reads them.

    Ids and links are left to :func:`result_links` (``with_ids``: kept, for a job's parameters);
    nested data (histories) is left out.
    """
    facts = []
    for key, value in (result or {}).items():
        if not with_ids and (key in _RECORD_PAGES or key in _SPECIAL):
            continue
        text = _fact(value)
        if text is not None:
            facts.append({"name": key.replace("_", " "), "value": text})
    return facts
