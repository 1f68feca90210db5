"""Exports of an analysis: the per-rep and per-frame CSV tables, full JSON and a subject's history CSV.

The CSV tables are those of :mod:`knee_cv.report.tables` (units in the column
names, numbers rounded to what is measured, reps numbered from 1); units and
signs follow :mod:`knee_cv.core.result`: angles in degrees, FPPA positive =
valgus, pelvic drop positive = free-leg side lower, trunk lean positive =
toward the stance leg. Missing values are empty cells in CSV and ``null`` in
JSON (which keeps full precision and reps' ``index`` from 0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from knee_cv.core.context import SessionContext
from knee_cv.core.result import Analysis
from knee_cv.fileio import write_atomically
from knee_cv.report.tables import frame_table, rep_table
from knee_cv.store import sessions as store


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` as CSV without its index; NaN as an empty cell.

    The file is written whole or not at all (:func:`knee_cv.fileio.write_atomically`,
    which raises a :class:`~knee_cv.errors.KneeCvError` when it cannot be).
    Returns the path written.
    """
    return write_atomically(path, lambda temporary: table.to_csv(temporary, index=False))


def write_reps_csv(analysis: Analysis, path: str | Path, ids: Mapping[str, Any] | None = None) -> Path:
    """Write one row per rep (:func:`knee_cv.report.tables.rep_table`, ``ids`` first), like :func:`write_table`."""
    return write_table(rep_table(analysis, ids), path)


def write_frames_csv(analysis: Analysis, path: str | Path, ids: Mapping[str, Any] | None = None) -> Path:
    """Write one row per frame (:func:`knee_cv.report.tables.frame_table`, ``ids`` first), like :func:`write_table`."""
    return write_table(frame_table(analysis, ids), path)


def write_json(analysis: Analysis, path: str | Path, *, include_series: bool = True) -> Path:
    """Write the whole result as JSON (:meth:`Analysis.to_json`; NaN as ``null``).

    Written whole or not at all, like :func:`write_table`. Returns the path written.
    """
    text = analysis.to_json(include_series=include_series)
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def analysis_json(analysis: Analysis, context: SessionContext | None = None) -> str:
    """The whole result as JSON (:meth:`Analysis.to_json`), with what the person gave as ``context`` first.

    Parameters
    ----------
    analysis : Analysis
    context : SessionContext, optional
        Sex, painful side, date filmed and selfie camera
        (:meth:`SessionContext.as_dict`); without it the JSON is
        :meth:`Analysis.to_json`'s.
    """
    if context is None:
        return analysis.to_json()
    return json.dumps({"context": context.as_dict()} | json.loads(analysis.to_json()), indent=2)


def write_history_csv(subject_id: str, path: str | Path, *, db_url: str | None = None) -> Path:
    """Write a subject's history: one row per session and stance leg (see :func:`knee_cv.store.sessions.history`).

    Written whole or not at all, like :func:`write_table`. Returns the path written.
    """
    text = history_csv(subject_id, db_url=db_url)
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def history_csv(subject_id: str, *, db_url: str | None = None) -> str:
    """A subject's history as CSV text (for a download button)."""
    columns = [
        "subject",
        "session_id",
        "recorded_at",
        "leg",
        "n_reps",
        "n_reliable",
        "fppa_deg",
        "pelvic_drop_deg",
        "trunk_lean_deg",
        "knee_wobble",
        "depth",
        "rating",
        "measured",
        "automatic_fppa_deg",
        "automatic_rating",
    ]
    return pd.DataFrame(store.history_rows(subject_id, db_url=db_url), columns=columns).to_csv(index=False)
