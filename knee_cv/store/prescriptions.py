"""Clinicians' prescriptions: a patient's home exercise plan as the clinician set it, kept with a session.

On the review page a clinician adds, removes and reorders the exercises of
a session's home plan (:func:`knee_cv.core.plan.plan_for`) and changes their
days a week, doses and notes; :func:`save_prescription` appends the result
with who and when. Nothing is overwritten: the newest prescription is the
plan in force, the older ones stay as its history
(:func:`list_prescriptions`), and all go with the session when it is deleted.
A subject's next session starts from the newest prescription of its
earlier sessions (:func:`latest_prescription`).

Items are plain dicts as :func:`knee_cv.core.plan.plan_items` gives them;
every failure is a :class:`~knee_cv.errors.StoreError` in one sentence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from knee_cv.core import plan as plans
from knee_cv.core.exercises import load_catalog
from knee_cv.errors import StoreError
from knee_cv.store import text
from knee_cv.store.sessions import _now, _session, _session_row, _subject_row
from knee_cv.store.tables import PrescriptionRow, SessionRow

MAX_NOTE = 500
"""Longest note on one exercise, in characters."""


@dataclass(frozen=True)
class PrescriptionInfo:
    """One saved prescription: the exercises in order (plain dicts), made on ``session_id`` by whom, when (UTC)."""

    id: int
    session_id: int
    prescribed_by: str
    created_at: datetime
    items: tuple[dict[str, Any], ...]

    def plan(self) -> plans.Plan:
        """The prescribed plan, steps and pictures from the catalog."""
        return plans.plan_from_items(self.items)


def _checked(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``items`` as they are stored: exercises the catalog knows, numbers in range, notes storable."""
    checked = [dict(item) for item in items]
    known = load_catalog()["exercises"]
    unknown = [str(item.get("key")) for item in checked if item.get("key") not in known]
    if unknown:
        raise StoreError(f"The exercise catalog has no exercise {unknown[0]!r}; choose one from the list.")
    for item in checked:
        note = text.free_text(str(item.get("note", "")).strip(), f"in the note on {known[item['key']]['name']}")
        if len(note) > MAX_NOTE:
            raise StoreError(f"The note on {known[item['key']]['name']} is {len(note)} characters long; use at most {MAX_NOTE}.")
        item["note"] = note
    try:
        return plans.plan_items(plans.plan_from_items(checked))
    except (ValueError, TypeError, KeyError) as error:
        raise StoreError(
            str(error)
            if isinstance(error, ValueError)
            else "A prescription item lacks its days or doses; start again from the plan."
        ) from error


def _info(row: PrescriptionRow) -> PrescriptionInfo:
    return PrescriptionInfo(
        id=row.id,
        session_id=row.session_id,
        prescribed_by=row.prescribed_by,
        created_at=row.created_at,
        items=tuple(json.loads(row.items_json)),
    )


def save_prescription(
    session_id: int,
    plan_items: Iterable[Mapping[str, Any]],
    *,
    prescribed_by: str,
    db_url: str | None = None,
) -> PrescriptionInfo:
    """Append a clinician's home exercise plan for a session's patient.

    Parameters
    ----------
    session_id : int
        The session it is made on.
    plan_items : iterable of mapping
        The exercises in order, as :func:`knee_cv.core.plan.plan_items`
        gives them (an empty list prescribes no exercise).
    prescribed_by : str
        The logged-in clinician.

    Returns
    -------
    PrescriptionInfo
        The saved prescription.

    Raises
    ------
    StoreError
        Unknown session or exercise, an exercise twice, a number out of
        range, a note too long or holding a control character, or an empty
        name.
    """
    prescribed_by = text.person_name(prescribed_by, "The name of who prescribes")
    items = _checked(plan_items)
    with _session(db_url) as db, db.begin():
        _session_row(db, session_id)
        row = PrescriptionRow(
            session_id=int(session_id),
            prescribed_by=prescribed_by,
            created_at=_now(),
            items_json=json.dumps(items, allow_nan=False),
        )
        db.add(row)
        db.flush()
        return _info(row)


def list_prescriptions(session_id: int, *, db_url: str | None = None) -> list[PrescriptionInfo]:
    """Every prescription made on a session, oldest first (the audit log)."""
    with _session(db_url) as db:
        return [_info(row) for row in _session_row(db, session_id).prescriptions]


def latest_prescription(
    *, session_id: int | None = None, subject_code: str | None = None, db_url: str | None = None
) -> PrescriptionInfo | None:
    """The prescription in force for a session or a subject, or None when none was made.

    Parameters
    ----------
    session_id : int, optional
        The session's newest prescription; without one, the newest made on
        the subject's earlier sessions (recorded before it), so a new session
        starts from the plan the patient has.
    subject_code : str, optional
        The newest prescription of any of the subject's sessions.
        Give exactly one of the two.
    """
    if (session_id is None) == (subject_code is None):
        raise TypeError("give exactly one of session_id and subject_code")
    with _session(db_url) as db:
        if session_id is not None:
            session = _session_row(db, session_id)
            subject_id, before = session.subject_id, session.recorded_at
            own = session.prescriptions
            if own:
                return _info(own[-1])
        else:
            assert subject_code is not None  # exactly one of the two was given
            subject_id, before = _subject_row(db, subject_code).id, None
        query = (
            select(PrescriptionRow)
            .join(SessionRow, SessionRow.id == PrescriptionRow.session_id)
            .where(SessionRow.subject_id == subject_id)
        )
        if before is not None:
            query = query.where(SessionRow.recorded_at <= before)
        row = db.scalar(query.order_by(PrescriptionRow.created_at.desc(), PrescriptionRow.id.desc()).limit(1))
        return None if row is None else _info(row)
