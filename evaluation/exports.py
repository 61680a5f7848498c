"""Per-image scores as CSV or JSON (the download of the leaderboard page and the API)."""
from __future__ import annotations

import csv
import io
import json
import math

from evaluation.core.ranking import to_public

from .selectors import EXPORT_KEYS

COLUMNS = ("benchmark", "submission_id", "method", "version", "submitter", "is_baseline", "image",
           "card_version") + EXPORT_KEYS


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else
                                                         ("inf" if value > 0 else "-inf"))
    return str(value)


def scores_csv(rows: list[dict]) -> str:
    """One line per (row, image); non-finite values written as ``inf`` / ``nan``, absent ones empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in COLUMNS])
    return out.getvalue()


def scores_json(rows: list[dict], *, benchmark, card_version: str) -> str:
    """Strict JSON: ``{"benchmark", "threshold", "dilation", "card_version", "rows": [...]}``, non-finite as null."""
    body = {"benchmark": benchmark.name, "threshold": benchmark.threshold, "dilation": benchmark.dilation,
            "card_version": card_version, "columns": list(COLUMNS), "rows": rows}
    return json.dumps(to_public(body), allow_nan=False)
