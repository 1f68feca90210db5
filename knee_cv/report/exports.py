"""Exports of an analysis: per-rep CSV, full JSON and a subject's history CSV.

Units and signs follow :mod:`knee_cv.core.result`: angles in degrees, FPPA
positive = valgus, pelvic drop positive = free-leg side lower, trunk lean
positive = toward the stance leg, depth and knee wobble as fractions of leg
length. Missing values are empty cells in CSV and ``null`` in JSON; reps keep
their ``index`` (from 0).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from knee_cv.core.result import Analysis
from knee_cv.fileio import write_atomically
from knee_cv.store import sessions as store


def write_reps_csv(analysis: Analysis, path: str | Path) -> Path:
    """Write one row per rep (see :meth:`Analysis.rep_rows`); NaN as an empty cell.

    The file is written whole or not at all (:func:`knee_cv.fileio.write_atomically`,
    which raises a :class:`~knee_cv.errors.KneeCvError` when it cannot be).
    Returns the path written.
    """
    table = pd.DataFrame(analysis.rep_rows())
    return write_atomically(path, lambda temporary: table.to_csv(temporary, index=False))


def write_json(analysis: Analysis, path: str | Path, *, include_series: bool = True) -> Path:
    """Write the whole result as JSON (:meth:`Analysis.to_json`; NaN as ``null``).

    Written whole or not at all, like :func:`write_reps_csv`. Returns the path written.
    """
    text = analysis.to_json(include_series=include_series)
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def write_history_csv(subject_id: str, path: str | Path, *, db_url: str | None = None) -> Path:
    """Write a subject's history: one row per session and stance leg (see :func:`knee_cv.store.sessions.history`).

    Written whole or not at all, like :func:`write_reps_csv`. Returns the path written.
    """
    text = history_csv(subject_id, db_url=db_url)
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def history_csv(subject_id: str, *, db_url: str | None = None) -> str:
    """A subject's history as CSV text (for a download button)."""
    columns = [
        "subject", "session_id", "recorded_at", "leg", "n_reps", "n_reliable", "fppa_deg",
        "pelvic_drop_deg", "trunk_lean_deg", "knee_wobble", "depth", "rating",
    ]
    return pd.DataFrame(store.history_rows(subject_id, db_url=db_url), columns=columns).to_csv(index=False)
