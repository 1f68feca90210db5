"""Reading rep clips, and recording clinicians' measurements of reps (and their undoing).

A clinician who checks a rep on the review page steps through its clip and
places the stance leg's hip, knee and ankle and the other hip where they see
them on one frame. :func:`add_measurement` computes FPPA and pelvic drop from
those points with the analysis' own functions
(:func:`knee_cv.core.correction.clip_angles`) and appends the measurement:
who, when, which frame, the points, the values and the rep's automatic
values. It becomes the rep's reported value (:func:`standing_measurements`;
shown as "measured by NAME on frame N") until it is undone
(:func:`undo_measurement`, recorded too). Nothing is overwritten: the
measurements table is the audit log (:func:`measurement_log`).

Points are pixels of the upright frame the track was measured in (origin
top-left, y down); angles are degrees, FPPA positive = valgus, pelvic drop
positive = the free leg's side lower. Every failure is a
:class:`~knee_cv.errors.StoreError` whose message says what to do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from sqlalchemy import func, select

from knee_cv.core.correction import clip_angles, correctable
from knee_cv.core.evidence import RepClip
from knee_cv.core.landmarks import Landmark
from knee_cv.errors import StoreError
from knee_cv.store import evidence, text
from knee_cv.store.evidence import MeasurementInfo
from knee_cv.store.sessions import MAX_ID, _now, _session, _session_row, load_analysis
from knee_cv.store.tables import MeasurementRow, RepClipRow


def clip_sizes(session_id: int, *, db_url: str | None = None) -> dict[int, int]:
    """Bytes of each kept rep clip of a session, by ``Rep.index`` (empty when none was kept)."""
    with _session(db_url) as db:
        session = _session_row(db, session_id)
        query = select(RepClipRow.rep_index, func.length(RepClipRow.mp4) + func.length(RepClipRow.landmarks_npz))
        return {int(i): int(n) for i, n in db.execute(query.where(RepClipRow.session_id == session.id))}


def load_rep_clip(session_id: int, rep_index: int, *, db_url: str | None = None) -> RepClip | None:
    """The kept clip of one rep, or None (none was kept: no consent, or saved before clips were kept)."""
    with _session(db_url) as db:
        session = _session_row(db, session_id)
        row = db.scalar(select(RepClipRow).where(RepClipRow.session_id == session.id, RepClipRow.rep_index == int(rep_index)))
        return None if row is None else evidence.clip_of(row)


def measurement_log(session_id: int, *, db_url: str | None = None) -> list[MeasurementInfo]:
    """Every measurement of a session's reps, oldest first, undone ones included (with who undid them)."""
    with _session(db_url) as db:
        return evidence.measurement_infos(_session_row(db, session_id).measurements)


def standing_measurements(session_id: int, *, db_url: str | None = None) -> dict[int, MeasurementInfo]:
    """Each rep's reported measurement (the latest not undone), by ``Rep.index``."""
    return evidence.standing(measurement_log(session_id, db_url=db_url))


def add_measurement(
    session_id: int,
    rep_index: int,
    *,
    frame: int,
    points: Mapping[str, tuple[float, float]],
    measured_by: str,
    db_url: str | None = None,
) -> MeasurementInfo:
    """Record a clinician's measurement of one rep from points placed on one frame of its clip.

    Parameters
    ----------
    session_id, rep_index : int
        The rep (``Rep.index``, from 0).
    frame : int
        The analysed track's row the points were placed on: one of the
        clip's frames (:attr:`RepClip.frames`).
    points : mapping of str to (float, float)
        Pixels of the upright frame, by landmark name, exactly the points of
        :func:`knee_cv.core.correction.correctable` for the rep's stance leg
        (``"RIGHT_HIP"``, ``"RIGHT_KNEE"``, ``"RIGHT_ANKLE"``, ``"LEFT_HIP"``
        for the right leg).
    measured_by : str
        The logged-in clinician.

    Returns
    -------
    MeasurementInfo
        With FPPA and pelvic drop computed from the points.

    Raises
    ------
    StoreError
        The session, rep or clip is unknown, the rep is a two-leg squat, the
        frame is not one of the clip's, the points are not those asked for,
        or they make no FPPA (two points on top of each other).
    """
    measured_by = text.person_name(measured_by, "The name of who measures")
    with _session(db_url) as db:
        saved_at = _session_row(db, session_id).created_at  # to tell it from a later session given its id
    analysis = load_analysis(session_id, db_url=db_url)
    rep = next((r for r in analysis.reps if r.index == int(rep_index)), None)
    if rep is None:
        raise StoreError(f"Session {session_id} has no rep {int(rep_index) + 1}.")
    if rep.leg not in ("left", "right"):
        raise StoreError(f"Rep {rep.index + 1} is a squat on both legs: only a single-leg rep can be measured by hand.")
    clip = load_rep_clip(session_id, rep.index, db_url=db_url)
    if clip is None:
        raise StoreError(f"No clip was kept of rep {rep.index + 1}, so it cannot be measured by hand.")
    where = [i for i, row in enumerate(clip.frames) if int(row) == int(frame)]
    if not where:
        raise StoreError(f"Frame {int(frame) + 1} is not one of rep {rep.index + 1}'s frames.")
    wanted = {landmark.name for landmark in correctable(str(rep.leg))}
    placed = {name: (float(x), float(y)) for name, (x, y) in points.items()}
    if set(placed) != wanted or not all(math.isfinite(v) for xy in placed.values() for v in xy):
        raise StoreError(f"A measurement of rep {rep.index + 1} needs exactly the points {sorted(wanted)}, each with a position.")
    fppa, drop = clip_angles(analysis, rep, clip, {Landmark[name]: xy for name, xy in placed.items()})
    if not math.isfinite(fppa):
        raise StoreError("These points make no knee angle (two of them are on top of each other); place them again.")
    row = MeasurementRow(
        session_id=int(session_id),
        rep_index=rep.index,
        action="measure",
        measured_by=measured_by,
        created_at=_now(),
        frame=int(frame),
        t_s=float(clip.t[where[0]]),
        points_json=json.dumps(placed),
        fppa_deg=fppa,
        pelvic_drop_deg=drop if math.isfinite(drop) else None,
        auto_fppa_deg=_finite(rep.fppa_bottom_deg),
        auto_pelvic_drop_deg=_finite(rep.pelvic_drop_bottom_deg),
    )
    with _session(db_url) as db, db.begin():
        if _session_row(db, session_id).created_at != saved_at:
            raise StoreError(f"Session {session_id} was deleted while the measurement was made; nothing was saved.")
        db.add(row)
        db.flush()
        return evidence.measurement_infos([row])[0]


def undo_measurement(measurement_id: int, *, undone_by: str, db_url: str | None = None) -> None:
    """Undo a measurement (recorded: who, when); the rep's earlier measurement, if any, or its automatic value stands again.

    Raises
    ------
    StoreError
        No such measurement, or it was undone already.
    """
    undone_by = text.person_name(undone_by, "The name of who undoes")
    with _session(db_url) as db, db.begin():
        row = db.get(MeasurementRow, int(measurement_id)) if 1 <= int(measurement_id) <= MAX_ID else None
        if row is None or row.action != "measure":
            raise StoreError(f"No measurement with id {measurement_id}; its session may have been deleted.")
        done = db.scalar(select(MeasurementRow.id).where(MeasurementRow.undoes_id == row.id))
        if done is not None:
            raise StoreError(f"The measurement of rep {row.rep_index + 1} was undone already.")
        db.add(
            MeasurementRow(
                session_id=row.session_id,
                rep_index=row.rep_index,
                action="undo",
                undoes_id=row.id,
                measured_by=undone_by,
                created_at=_now(),
            )
        )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
