"""The review page's comparison of a session with an earlier one (the baseline), the same leg side by side.

For a subject with more than one session, the clinician picks an earlier
session (filmed, else saved, on or before this one's day; the first by default) and a stance leg both sessions have; each
session shows the deepest frame of that leg's deepest rep (:func:`deepest_rep`)
at the same width, the rep's FPPA and pelvic drop as shown
(:func:`knee_cv.core.shown.shown`, a clinician's measurement with its source),
and the leg's means and rating from the history
(:func:`knee_cv.store.sessions.history`, measurements counted), then the
change in mean FPPA against the smallest detectable difference between days.

Angles are degrees: FPPA positive = valgus, pelvic drop positive = the free
leg's side lower; depth is a fraction of leg length.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from knee_cv.app.markdown import escaped
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.shown import Measured, rep_label, shown, signed_angle, visible
from knee_cv.store import measurements
from knee_cv.store import sessions as store


def deepest_rep(reps: Iterable[Rep], leg: str, with_frame: Iterable[int]) -> Rep | None:
    """The rep of ``leg`` to show a session by: the deepest one with a key frame, reliable reps first.

    Parameters
    ----------
    reps : iterable of Rep
    leg : {"left", "right", "both"}
    with_frame : iterable of int
        ``Rep.index`` of the reps whose deepest frame was saved.

    Returns
    -------
    Rep or None
        None when no rep of ``leg`` has a key frame. Among reliable reps
        (their depth shown, :func:`knee_cv.core.shown.visible`) the deepest;
        failing those, the first.
    """
    framed = set(with_frame)
    mine = [rep for rep in reps if rep.leg == leg and rep.index in framed]
    if not mine:
        return None

    def depth(rep: Rep) -> float:
        value = visible(rep).depth
        return value if math.isfinite(value) else -math.inf

    return max(mine, key=depth)


def session_day(session: store.SessionInfo) -> date:
    """The day a session's clip was filmed when the person gave it, else the day it was saved (UTC)."""
    return session.context.filmed_on or session.recorded_at.date()


def session_label(session: store.SessionInfo) -> str:
    """A session in a picker: its id, the day it was filmed (else recorded) and its video."""
    when = f"filmed {session.context.filmed_on:%Y-%m-%d}" if session.context.filmed_on else f"{session.recorded_at:%Y-%m-%d}"
    return f"{session.id}: {when} {session.source}"


def _session_column(
    column: DeltaGenerator,
    info: store.SessionInfo,
    analysis: Analysis,
    leg: str,
    frames: Mapping[int, bytes],
    measured: Mapping[int, Measured],
    row: store.HistoryRow | None,
) -> None:
    """One session's picture and numbers for ``leg`` in ``column``."""
    column.markdown(f"**Session {escaped(session_label(info))}**")
    rep = deepest_rep(analysis.reps, leg, frames)
    if rep is None:
        column.info("No deepest frame was saved for this leg.")
    else:
        values = shown(rep, measured.get(rep.index))
        column.image(
            frames[rep.index],
            width="stretch",
            caption=f"{rep_label(rep)}: FPPA {signed_angle(values.fppa_deg)}, pelvic drop {signed_angle(values.pelvic_drop_deg)}",
        )
        if values.source and rep.index in measured:
            column.caption(escaped(f"FPPA and pelvic drop {values.source}."))
        elif values.withheld:
            column.caption(escaped(f"Angles not shown, {values.withheld}."))
    if row is not None:
        column.metric("Mean FPPA", signed_angle(row.fppa_deg), help="Over the leg's reliable or measured reps; + = valgus.")
        column.metric("Mean pelvic drop", signed_angle(row.pelvic_drop_deg), help="+ = free-leg side lower.")
        column.caption(f"{row.n_reliable} of {row.n_reps} reps reliable; rating: {row.rating_shown or 'not rated'}")


def baseline_comparison(code: str, sessions: list[store.SessionInfo], session_id: int, analysis: Analysis, db_url: str) -> None:
    """Compare a session with an earlier one of the subject ``code``, one leg side by side (see the module notes).

    Parameters
    ----------
    code : str
        The subject.
    sessions : list of SessionInfo
        The subject's sessions, oldest first.
    session_id : int
        The session shown (``analysis`` is its result).
    analysis : Analysis
    db_url : str
    """
    day = session_day(next(s for s in sessions if s.id == session_id))
    earlier = sorted((s for s in sessions if s.id != session_id and session_day(s) <= day), key=session_day)
    if not earlier:
        return
    st.markdown("#### This session against an earlier one")
    pick, side = st.columns(2)
    base_id = pick.selectbox(
        "Earlier session",
        [s.id for s in earlier],
        key=f"baseline-{session_id}",
        format_func=lambda i: next(session_label(s) for s in earlier if s.id == i),
    )
    base = store.load_analysis(base_id, db_url=db_url)
    legs = [
        leg
        for leg in ("left", "right", "both")
        if any(r.leg == leg for r in analysis.reps) and any(r.leg == leg for r in base.reps)
    ]
    if not legs:
        st.caption("The two sessions have no stance leg in common.")
        return
    leg = side.selectbox("Stance leg", legs, key=f"baseline-leg-{session_id}")
    rows = {(r.session_id, r.leg): r for r in store.history(code, db_url=db_url)}
    info = {s.id: s for s in sessions}
    then, now = st.columns(2)
    for column, sid, result in ((then, base_id, base), (now, session_id, analysis)):
        measured = {i: m.measured() for i, m in measurements.standing_measurements(sid, db_url=db_url).items()}
        _session_column(column, info[sid], result, leg, store.load_key_frames(sid, db_url=db_url), measured, rows.get((sid, leg)))
    before, after = rows.get((base_id, leg)), rows.get((session_id, leg))
    if before is not None and after is not None and math.isfinite(before.fppa_deg) and math.isfinite(after.fppa_deg):
        sdd = analysis.thresholds.smallest_detectable_difference.value
        change = after.fppa_deg - before.fppa_deg
        verdict = "more than" if abs(change) >= sdd else "within"
        st.caption(
            f"Mean FPPA changed by {change:+.1f}°, {verdict} the {sdd:.0f}° smallest detectable difference "
            "between days (Munro, Herrington and Carolan 2012)."
        )
