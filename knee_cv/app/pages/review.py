"""Clinician review page: the queue of flagged reps, the patient list, subjects, history, reports.

Reads and writes the store (:mod:`knee_cv.store.sessions`, ``KNEE_CV_DB_URL`` or the
user's SQLite file). Behind :func:`knee_cv.app.auth.require_reviewer`: open on
127.0.0.1, a login anywhere else. A review is appended to the flag's
history; the computed result is never changed. A rep whose clip was kept
can be stepped through frame by frame and measured by hand
(:mod:`knee_cv.app.rep_check`); the measurement, recorded with the
clinician's name, is the rep's reported value here, in the history, the PDF
and the CSV. What may be shown of a rep follows :mod:`knee_cv.core.shown`.
Under a session, the patient's home exercise plan can be edited, prescribed
with the clinician's name and printed (:mod:`knee_cv.app.prescribe`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from streamlit.delta_generator import DeltaGenerator

from knee_cv.app import auth
from knee_cv.app.baseline import baseline_comparison, session_label
from knee_cv.app.markdown import escaped, file_stem, literal
from knee_cv.app.prescribe import prescription_editor
from knee_cv.app.rep_check import rep_check
from knee_cv.core.labels import SIDES, Leg
from knee_cv.core.rerated import measured_rep
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.shown import number, rep_label, shown, signed_angle
from knee_cv.core.thresholds import load_thresholds
from knee_cv.errors import KneeCvError
from knee_cv.palette import HEX
from knee_cv.report import exports
from knee_cv.report import pdf as report
from knee_cv.store import measurements
from knee_cv.store import sessions as store

LEG_COLOURS = {leg: HEX[leg] for leg in ("left", "right", "both")}  # knee_cv.palette: legs never red
QUEUE_PAGE = 5  # reps shown at once in the queue
MEASURED = ("knee_valgus", "pelvic_drop")  # the criteria a hand measurement decides again (FPPA, pelvic drop)


def _rep(analysis: Analysis, rep_index: int) -> Rep:
    return next(rep for rep in analysis.reps if rep.index == rep_index)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _rep_numbers(analysis: Analysis, rep: Rep, container: DeltaGenerator, session_id: int, db_url: str) -> None:
    """The rep's values as shown (:func:`knee_cv.core.shown.shown`): blank when unreliable, a measurement's with its source.

    A measured rep's knee valgus and pelvic drop flags are decided again from
    the measured values (:func:`knee_cv.core.rerated.measured_rep`) and said
    under its numbers.
    """
    standing = measurements.standing_measurements(session_id, db_url=db_url).get(rep.index)
    values = shown(rep, standing.measured() if standing else None)
    cols = container.columns(3)
    cols[0].metric("FPPA", signed_angle(values.fppa_deg), help="Positive = valgus (knee inward).")
    cols[1].metric("Pelvic drop", signed_angle(values.pelvic_drop_deg), help="Positive = free-leg side lower.")
    cols[2].metric("Trunk lean", signed_angle(values.trunk_lean_deg), help="Positive = toward the stance leg.")
    cols = container.columns(3)
    cols[0].metric("Knee flexion", signed_angle(values.knee_flexion_deg))
    cols[1].metric(
        "Depth", f"{values.depth:.0%}" if math.isfinite(values.depth) else "—", help="Hip drop as a fraction of leg length."
    )
    cols[2].metric("Knee wobble", number(values.knee_wobble, 3, missing="—"), help="Fraction of leg length.")
    if standing is not None:
        container.caption(
            escaped(
                f"FPPA and pelvic drop {values.source} (automatic: FPPA "
                f"{signed_angle(rep.fppa_bottom_deg)}, pelvic drop "
                f"{signed_angle(rep.pelvic_drop_bottom_deg)})."
            )
        )
        flags = [f for f in measured_rep(rep, standing.measured(), analysis.thresholds).flags if f.criterion in MEASURED]
        found = " ".join(f.reason for f in flags) if flags else "neither knee valgus nor pelvic drop crosses its threshold."
        container.markdown("**On the measured values:** " + escaped(found))
    if values.withheld:
        container.warning(f"Angles not shown, {values.withheld}")


def _trace(analysis: Analysis, rep: Rep) -> go.Figure | None:
    """FPPA and pelvic drop through one rep, the deepest frame marked (a scrubber over the rep)."""
    series = analysis.series
    if not len(series):
        return None
    t = series.t
    pad = 0.5
    window = (t >= rep.t_start - pad) & (t <= rep.t_end + pad)
    fig = go.Figure()
    for leg in Leg(rep.leg).sides:
        fig.add_scatter(
            x=t[window], y=series.leg(leg).fppa[window], name=f"FPPA {leg} (°)", mode="lines", line_color=LEG_COLOURS.get(leg)
        )
    fig.add_scatter(
        x=t[window], y=series.pelvic_drop[window], name="Pelvic drop (°)", mode="lines", line={"dash": "dot", "color": "#555"}
    )
    fig.add_vrect(x0=rep.t_start, x1=rep.t_end, fillcolor="#999", opacity=0.12, line_width=0)
    fig.add_vline(x=rep.t_bottom, line_dash="dash", annotation_text="deepest", line_color="#333")
    fig.update_layout(
        height=220, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="time (s)", legend={"orientation": "h", "y": -0.35}
    )
    return fig


def _review_form(flag: store.FlagItem, reviewer: str, db_url: str) -> None:
    with st.form(f"flag-{flag.flag_id}", border=True):
        st.markdown(
            f"**{flag.criterion.replace('_', ' ').capitalize()}**: {flag.reason}  \n"
            f"<small>threshold source: {flag.source}</small>",
            unsafe_allow_html=True,
        )
        note = st.text_input("Note", key=f"note-{flag.flag_id}", placeholder="why (required to dismiss)")
        left, right = st.columns(2)
        confirm = left.form_submit_button("Confirm", type="primary", width="stretch")
        dismiss = right.form_submit_button("Dismiss", width="stretch")
    if confirm or dismiss:
        if not reviewer:
            st.error("Enter your name in the sidebar first: it is recorded with each review.")
        elif dismiss and not note.strip():
            st.error("Say why you dismiss this flag in the note (for example: tracking error at the hip).")
        else:
            store.add_review(
                flag.flag_id,
                store.Decision.CONFIRM if confirm else store.Decision.DISMISS,
                reviewer=reviewer,
                note=note.strip(),
                db_url=db_url,
            )
            st.toast(f"{'Confirmed' if confirm else 'Dismissed'}: {flag.criterion.replace('_', ' ')}")
            st.rerun()


def _queue(reviewer: str, db_url: str, subjects: list[store.SubjectInfo]) -> None:
    codes = [s.code for s in subjects]
    choice = st.selectbox("Subject", ["All subjects", *codes], key="queue_subject")
    queue = store.review_queue(subject_id=None if choice == "All subjects" else choice, db_url=db_url)
    if not queue:
        st.success("No flags waiting for review.")
        return
    by_rep: dict[tuple[int, int], list[store.FlagItem]] = {}
    for flag in queue:
        by_rep.setdefault((flag.session_id, flag.rep_index), []).append(flag)
    st.caption(f"{_plural(len(queue), 'flag')} on {_plural(len(by_rep), 'rep')} waiting, oldest session first.")
    for (session_id, rep_index), flags in list(by_rep.items())[:QUEUE_PAGE]:
        analysis = store.load_analysis(session_id, db_url=db_url)  # not cached: SQLite reuses a deleted id
        rep = _rep(analysis, rep_index)
        first = flags[0]
        with st.container(border=True):
            st.subheader(f"{literal(first.subject)} · session {session_id} ({first.recorded_at:%Y-%m-%d}) · {rep_label(rep)}")
            picture, numbers = st.columns([1, 2])
            jpeg = store.load_key_frames(session_id, db_url=db_url).get(rep_index)
            if jpeg:
                picture.image(jpeg, caption="Deepest frame", width=260)
            else:
                picture.info("No key frame was saved for this rep.")
            _rep_numbers(analysis, rep, numbers, session_id, db_url)
            figure = _trace(analysis, rep)
            if figure is not None:
                numbers.plotly_chart(figure, width="stretch", key=f"trace-{session_id}-{rep_index}")
            if st.toggle("Check this rep frame by frame", key=f"open-check-{session_id}-{rep_index}"):
                rep_check(session_id, analysis, rep, reviewer, db_url, "queue")
            for flag in flags:
                _review_form(flag, reviewer, db_url)


def _history_figure(rows: list[store.HistoryRow], sdd: float) -> go.Figure:
    """FPPA and pelvic drop per session and leg; FPPA with the ± SDD band around each leg's first value."""
    titles = ("FPPA (°, + = valgus)", "Pelvic drop (°, + = free side lower)")
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles)
    for leg in LEG_COLOURS:
        leg_rows = [r for r in rows if r.leg == leg]
        if not leg_rows:
            continue
        x = [r.recorded_at for r in leg_rows]
        colour = LEG_COLOURS[leg]
        baseline = next((r.fppa_deg for r in leg_rows if math.isfinite(r.fppa_deg)), float("nan"))
        if math.isfinite(baseline):
            fig.add_scatter(
                x=[x[0], x[-1], x[-1], x[0]],
                y=[baseline - sdd] * 2 + [baseline + sdd] * 2,
                fill="toself",
                fillcolor=colour,
                opacity=0.12,
                line_width=0,
                mode="lines",
                name=f"{leg}: first measured session ± {sdd:.0f}° (SDD)",
                hoverinfo="skip",
                row=1,
                col=1,
            )
        fig.add_scatter(
            x=x, y=[r.fppa_deg for r in leg_rows], mode="lines+markers", name=f"FPPA {leg}", line_color=colour, row=1, col=1
        )
        fig.add_scatter(
            x=x,
            y=[r.pelvic_drop_deg for r in leg_rows],
            mode="lines+markers",
            name=f"Pelvic drop {leg}",
            line_color=colour,
            line_dash="dot",
            row=1,
            col=2,
        )
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend={"orientation": "h", "y": -0.2})
    return fig


def _left_right(rows: list[store.HistoryRow]) -> pd.DataFrame:
    """One row a session: each leg's FPPA and pelvic drop (measurements counted) and FPPA left minus right."""
    table = pd.DataFrame(
        [
            {
                "session": r.session_id,
                "date": f"{r.recorded_at:%Y-%m-%d}",
                "leg": r.leg,
                "FPPA (°)": r.fppa_deg,
                "pelvic drop (°)": r.pelvic_drop_deg,
            }
            for r in rows
        ]
    )
    # pivot, not pivot_table(dropna=False): that one crossed every session with every date
    wide = table.pivot(index=["session", "date"], columns="leg", values=["FPPA (°)", "pelvic drop (°)"])
    wide.columns = [" ".join(map(str, column)) for column in wide.columns]  # ("FPPA (°)", "left"): "FPPA (°) left"
    if {"FPPA (°) left", "FPPA (°) right"} <= set(wide.columns):
        wide["FPPA left − right (°)"] = wide["FPPA (°) left"] - wide["FPPA (°) right"]
    return wide.reset_index().round(1)


def _measurement_log(session_id: int, db_url: str) -> pd.DataFrame:
    """Every hand measurement of a session's reps and its undoing, oldest first."""
    rows = []
    for m in measurements.measurement_log(session_id, db_url=db_url):
        rows.append(
            {
                "rep": m.rep_index + 1,
                "frame": m.frame + 1,
                "FPPA (°)": m.fppa_deg,
                "pelvic drop (°)": m.pelvic_drop_deg,
                "automatic FPPA (°)": m.auto_fppa_deg,
                "by": m.measured_by,
                "when": f"{m.created_at:%Y-%m-%d %H:%M} UTC",
                "undone": f"by {m.undone_by}, {m.undone_at:%Y-%m-%d %H:%M} UTC" if m.undone_by else "",
            }
        )
    return pd.DataFrame(rows).round(1)


def _side_by_side(analysis: Analysis, session_id: int, db_url: str) -> None:
    """The deepest frame of every rep, left leg's beside right leg's, at the same width."""
    frames = store.load_key_frames(session_id, db_url=db_url)
    legs = [(side, [rep for rep in analysis.reps if rep.leg == side and rep.index in frames]) for side in SIDES]
    legs = [(side, reps) for side, reps in legs if reps]
    if len(legs) < 2:
        return
    st.markdown("#### Left and right, deepest frames")
    measured = measurements.standing_measurements(session_id, db_url=db_url)
    columns = st.columns(2)
    for column, (side, reps) in zip(columns, legs):
        column.markdown(f"**{side.capitalize()} leg**")
        cells = column.columns(min(len(reps), 3))
        for i, rep in enumerate(reps):
            values = shown(rep, measured[rep.index].measured() if rep.index in measured else None)
            cells[i % len(cells)].image(
                frames[rep.index], width="stretch", caption=f"Rep {values.number}: FPPA {signed_angle(values.fppa_deg)}"
            )


def _review_log(session_id: int, db_url: str) -> pd.DataFrame:
    rows = []
    for flag in store.list_flags(session_id=session_id, db_url=db_url):
        base = {"rep": flag.rep_index + 1, "leg": flag.leg, "finding": flag.reason}
        if not flag.reviews:
            rows.append(base | {"decision": "not reviewed", "by": "", "when": "", "note": ""})
        for review in flag.reviews:
            rows.append(
                base
                | {
                    "decision": review.decision,
                    "by": review.reviewer,
                    "when": f"{review.created_at:%Y-%m-%d %H:%M} UTC",
                    "note": review.note,
                }
            )
    return pd.DataFrame(rows)


def _delete(reviewer: str, delete: Callable[[str], object], done: str) -> None:
    """Run ``delete(reviewer)`` once a name is known (it is logged with the deletion), say ``done`` and rerun."""
    if not reviewer:
        st.error("Enter your name in the sidebar first: it is recorded with the deletion.")
        return
    delete(reviewer)
    st.toast(done)
    st.rerun()


def _delete_session(session_id: int, code: str, reviewer: str, db_url: str) -> None:
    """A confirmed, audited deletion of one session (the subject and its other sessions stay)."""
    with st.expander("Delete this session"):
        st.warning(
            f"Deletes session {session_id} of {literal(code)}: its reps, key frames and reviews, for good. "
            "The deletion is logged with your name."
        )
        sure = st.checkbox(f"Yes, delete session {session_id}", key=f"delete-session-sure-{session_id}")
        if st.button("Delete session", disabled=not sure, key=f"delete-session-{session_id}"):
            _delete(
                reviewer,
                lambda by: store.delete_session(session_id, deleted_by=by, db_url=db_url),
                f"Deleted session {session_id}.",
            )


def _deletion_log(db_url: str) -> None:
    deletions = store.list_deletions(db_url=db_url)
    if not deletions:
        return
    with st.expander(f"Deletion log ({len(deletions)})"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "when": f"{d.deleted_at:%Y-%m-%d %H:%M} UTC",
                        "by": d.deleted_by,
                        "what": d.what,
                        "subject": d.subject_code,
                        "session": d.session_id,
                        "sessions": d.n_sessions,
                    }
                    for d in reversed(deletions)
                ]
            ),
            hide_index=True,
            width="stretch",
            placeholder="—",
        )


def _patients(db_url: str) -> None:
    """The patient list: code, last session, sessions and open flags, with a code filter and an open-flags filter."""
    patients = store.patient_list(db_url=db_url)
    find_col, open_col = st.columns([2, 1], vertical_alignment="bottom")
    find = find_col.text_input("Find a code", key="patients_find", placeholder="part of a subject code")
    open_only = open_col.checkbox("Only with open flags", key="patients_open")
    listed = [p for p in patients if find.strip().casefold() in p.code.casefold() and (p.n_open_flags or not open_only)]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "subject": p.code,
                    "last session": p.last_session and f"{p.last_session:%Y-%m-%d}",
                    "sessions": p.n_sessions,
                    "open flags": p.n_open_flags,
                }
                for p in listed
            ],
            columns=["subject", "last session", "sessions", "open flags"],
        ),
        hide_index=True,
        width="stretch",
        placeholder="—",
    )


def _subject(code: str, reviewer: str, db_url: str) -> None:
    subject = store.get_subject(code, db_url=db_url)
    with st.expander("Subject details"):
        with st.form(f"details-{code}"):
            sexes = ["unknown", "female", "male"]
            sides = ["unknown", "left", "right", "both", "none"]
            sex = st.selectbox("Sex (for reference values)", sexes, index=sexes.index(subject.sex or "unknown"))
            side = st.selectbox("Painful side", sides, index=sides.index(subject.painful_side or "unknown"))
            notes = st.text_area("Notes", value=subject.notes)
            if st.form_submit_button("Save details"):
                store.upsert_subject(
                    code,
                    sex=None if sex == "unknown" else sex,
                    painful_side=None if side == "unknown" else side,
                    notes=notes,
                    db_url=db_url,
                )
                st.rerun()
    sessions = store.list_sessions(code, db_url=db_url)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "session": s.id,
                    "recorded": f"{s.recorded_at:%Y-%m-%d %H:%M}",
                    "filmed": f"{s.context.filmed_on:%Y-%m-%d}" if s.context.filmed_on else "—",
                    "video": s.source,
                    "saved by": s.saved_by or "—",
                    "reps": s.n_reps,
                    "flags": s.n_flags,
                    "open flags": s.n_open_flags,
                    "rating": s.rating or "—",
                }
                for s in sessions
            ]
        ),
        hide_index=True,
        width="stretch",
        placeholder="—",
    )
    rows = store.history(code, db_url=db_url)
    if rows:
        st.markdown("#### History")
        sdd = load_thresholds(sex=subject.sex).smallest_detectable_difference.value
        st.plotly_chart(_history_figure(rows, sdd), width="stretch", key=f"history-{code}")
        st.caption(
            f"Shaded: each leg's first measured FPPA ± {sdd:.0f}°, the smallest change "
            "that is more than measurement noise (Munro, Herrington and Carolan 2012). Pelvic drop has no "
            "validated change threshold."
        )
        st.markdown("#### Left versus right")
        st.dataframe(_left_right(rows), hide_index=True, width="stretch", placeholder="—")
        st.download_button(
            "Download history (CSV)",
            exports.history_csv(code, db_url=db_url),
            file_name=f"{file_stem(code)}_history.csv",
            mime="text/csv",
        )
    if sessions:
        st.markdown("#### A session")
        session_id = st.selectbox(
            "Session",
            [s.id for s in reversed(sessions)],
            key=f"session-{code}",
            format_func=lambda i: next(session_label(s) for s in sessions if s.id == i),
        )
        st.dataframe(_review_log(session_id, db_url), hide_index=True, width="stretch", placeholder="—")
        analysis = store.load_analysis(session_id, db_url=db_url)
        _side_by_side(analysis, session_id, db_url)
        baseline_comparison(code, sessions, session_id, analysis, db_url)
        sizes = measurements.clip_sizes(session_id, db_url=db_url)
        if sizes:
            st.caption(f"{_plural(len(sizes), 'rep clip')} kept with this session, {sum(sizes.values()) / 1e6:.2f} MB.")
            chosen = st.selectbox(
                "Check a rep frame by frame",
                [None, *sorted(sizes)],
                key=f"check-rep-{session_id}",
                format_func=lambda i: "—" if i is None else rep_label(_rep(analysis, i)),
            )
            if chosen is not None:
                rep_check(session_id, analysis, _rep(analysis, chosen), reviewer, db_url, "session")
        log = _measurement_log(session_id, db_url)
        if not log.empty:
            st.markdown("##### Measurements by hand")
            st.dataframe(log, hide_index=True, width="stretch", placeholder="—")
        st.download_button(
            "Download PDF report",
            report.pdf_bytes(session_id, db_url=db_url),
            file_name=f"{file_stem(code)}_session_{session_id}.pdf",
            mime="application/pdf",
            key=f"pdf-{session_id}",
        )
        prescription_editor(code, session_id, analysis, reviewer, db_url)
        _delete_session(session_id, code, reviewer, db_url)
    with st.expander("Delete this subject"):
        st.warning(
            f"Deletes {literal(code)}'s {len(sessions)} sessions, reps, key frames and reviews for good. "
            "The deletion is logged with your name."
        )
        typed = st.text_input("Type the subject code to confirm", key=f"delete-{code}")
        if st.button("Delete subject", disabled=typed.strip() != code, key=f"delete-button-{code}"):
            _delete(
                reviewer,
                lambda by: store.delete_subject(code, deleted_by=by, db_url=db_url),
                f"Deleted {literal(code)} and all of its data.",
            )


def _pages(reviewer: str, db_url: str) -> None:
    subjects = store.list_subjects(db_url=db_url)
    if not subjects:
        st.info(
            "No saved sessions yet. Analyse a video and use “Save to subject”, or run "
            "`knee-cv analyze VIDEO --save --subject ID`."
        )
        _deletion_log(db_url)
        return
    n_open = store.count_open_flags(db_url=db_url)
    queue_tab, subjects_tab = st.tabs([f"Review queue ({n_open})", f"Subjects ({len(subjects)})"])
    with queue_tab:
        _queue(reviewer, db_url, subjects)
    with subjects_tab:
        _patients(db_url)
        code = st.selectbox("Subject", [s.code for s in subjects], key="subject")
        _subject(code, reviewer, db_url)
        _deletion_log(db_url)


def main() -> None:
    """Draw the review page: the login, then the review queue, the subjects and their sessions."""
    st.title("Clinician review")
    reviewer = auth.require_reviewer()
    try:
        _pages(reviewer, store.default_db_url())
    except KneeCvError as error:
        st.error(escaped(str(error)), icon=":material/block:")


main()
