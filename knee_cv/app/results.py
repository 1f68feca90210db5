"""The results section shared by the upload page and the live page.

:func:`show_results` draws everything for one :class:`Processed`: the
"cannot measure" state, summary cards, plots, per-rep table with each rep's
reasons and findings, thumbnails, exercises with the safety note, downloads
and the "save to subject" form; then the annotated video, which is drawn in
the background while the person reads the rest (a progress bar holds its
place). :func:`analyze_bytes` is the whole upload flow for a file's bytes (it
is what the AppTest tests drive).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from streamlit.delta_generator import DeltaGenerator

from knee_cv.app import auth
from knee_cv.app.exercise_view import exercises_section
from knee_cv.app.keep_clips import clips_of, keep_clips_choice
from knee_cv.app.markdown import escaped, literal
from knee_cv.app.processing import POLL_S, PendingVideo, process_with_progress, rep_table
from knee_cv.core.assessment import leg_name
from knee_cv.core.labels import Leg
from knee_cv.core.result import Analysis
from knee_cv.core.shown import WITHHELD
from knee_cv.errors import KneeCvError
from knee_cv.media.render import rep_colour
from knee_cv.pipeline import Processed
from knee_cv.report import tables as report_tables
from knee_cv.store import sessions as store

FPPA_HELP = (
    "Frontal plane projection angle at the deepest point of each rep, averaged over the reliable reps: "
    "the angle between thigh (hip to knee) and shank (knee to ankle) in the picture. 0° = straight; "
    "positive = valgus (knee moves inward), negative = varus (knee outward). "
    + Analysis.ACCURACY + " Read it as a screen, not a measurement to the degree."
)
PELVIC_HELP = (
    "Tilt of the line through both hips at the deepest point; positive = the free leg's side is lower. "
    "Measured against your hip line while standing on both feet, when the video has such a moment (that "
    "also corrects a tilted camera); otherwise against the start of each rep, so it is the drop during the rep."
)
RATING_HELP = (
    "Good / fair / poor in the spirit of Crossley et al. 2011 (knee, pelvis, trunk and depth together). "
    "A screening aid, not a diagnosis."
)

#: What to change when a video cannot be measured (mirrors the How to film page).
FILMING_TIPS = (
    "Film from the front, camera at hip height, 2 to 3 m away.",
    "Keep the whole body in the picture, head to feet, for the whole clip.",
    "Only one person in the picture.",
    "Good light from the front, no strong light behind you.",
    "Squat until the knee is bent about 60 degrees, hip still above the knee, not a deep pistol squat.",
    "Do 5 slow single-leg squats on each leg, standing still for a moment between them.",
)


def _deg(value: float) -> str:
    """A signed angle for a card, or an em dash for NaN."""
    return f"{value:+.1f}°" if math.isfinite(value) else "—"


def summary_cards(analysis: Analysis) -> None:
    """Cards: reps, stance leg, mean FPPA, pelvic drop and rating, per stance leg."""
    summary = analysis.summary
    if not summary.legs:
        st.metric("Reps", summary.n_reps)
    for leg in sorted(summary.legs, key=lambda leg: -leg.n_reps):
        cols = st.columns(5)
        cols[0].metric("Reps", leg.n_reps, help="Reps found on this leg; reliable ones feed the averages.",
                       delta=f"{leg.n_reliable} reliable", delta_color="off")
        cols[1].metric("Stance leg", leg.leg.capitalize(), help="The leg you stood on (your own left or right).")
        cols[2].metric("Mean FPPA", _deg(leg.fppa_deg), help=FPPA_HELP)
        cols[3].metric("Pelvic drop", _deg(leg.pelvic_drop_deg), help=PELVIC_HELP)
        cols[4].metric("Rating", (leg.rating or "not rated").capitalize(), help=RATING_HELP)
        if leg.rating_reasons:
            st.caption("\n".join(f"- {reason}" for reason in leg.rating_reasons))
    if level := analysis.level_note():
        st.caption(level)
    st.caption(f"Conventions: {Analysis.CONVENTIONS}")


def rep_dataframe(analysis: Analysis) -> None:
    """The per-rep table with units and help on every column.

    Unreliable reps are listed without angles or depth (the blanks of
    :data:`knee_cv.core.shown.WITHHELD`), and the angle columns are
    left out when the session is not measurable (the downloads keep the raw
    values). The reasons and findings, too long for a cell, are listed under
    the table (:func:`rep_notes`).
    """
    table = rep_table(analysis)
    if table.empty:
        return
    table.insert(0, "rep", table["index"] + 1)
    table["reliable"] = table["reliable"].astype(bool)
    angles = ["fppa_bottom_deg", "fppa_peak_deg", "pelvic_drop_bottom_deg", "trunk_lean_deg", "knee_wobble"]
    table.loc[~table["reliable"], [name for name in WITHHELD if name in table]] = float("nan")
    columns = {
        "rep": st.column_config.NumberColumn("Rep", help="Rep number, in time order."),
        "leg": st.column_config.TextColumn("Stance leg"),
        "t_bottom": st.column_config.NumberColumn("Deepest at", format="%.1f s"),
        "fppa_bottom_deg": st.column_config.NumberColumn("FPPA", format="%+.1f°", help=FPPA_HELP),
        "fppa_peak_deg": st.column_config.NumberColumn("Peak FPPA", format="%+.1f°",
                                                       help="Largest FPPA during the rep (positive = valgus)."),
        "pelvic_drop_bottom_deg": st.column_config.NumberColumn("Pelvic drop", format="%+.1f°", help=PELVIC_HELP),
        "trunk_lean_deg": st.column_config.NumberColumn(
            "Trunk lean", format="%+.1f°", help="Hip-to-shoulder line from the picture's vertical (keep the phone upright); "
                 "positive = toward the stance leg."),
        "depth": st.column_config.NumberColumn("Depth", format="%.2f",
                                               help="Hip drop at the deepest point, as a fraction of leg length."),
        "knee_wobble": st.column_config.NumberColumn(
            "Knee wobble", format="%.3f", help="Spread of the knee's side-to-side offset, as a fraction of leg length."),
        "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="%.2f"),
        "reliable": st.column_config.CheckboxColumn("Reliable", help="Unreliable reps are left out of the averages."),
    }
    order = [name for name in columns if analysis.summary.measurable or name not in angles]
    st.dataframe(table, column_config=columns, column_order=order, hide_index=True,
                 width="stretch", placeholder="—")  # a withheld angle reads as a dash, not "None"


def rep_notes(analysis: Analysis) -> None:
    """One line per rep with something to say: why it is unreliable, or what was found."""
    lines = []
    for rep in analysis.reps:
        legs = leg_name(rep.leg)
        if not rep.reliable:
            lines.append(f"- **Rep {rep.index + 1}, {legs}: unreliable**, no angles shown: "
                         + "; ".join(rep.unreliable_reasons))
        elif rep.flags:
            lines.append(f"- **Rep {rep.index + 1}, {legs}:** " + " ".join(flag.reason for flag in rep.flags))
    if lines:
        st.markdown("\n".join(lines))


def _threshold(analysis: Analysis, name: str) -> float:
    """The ``value`` of a threshold table, NaN if absent."""
    entry = analysis.thresholds.get(name, {})
    value = entry.get("value") if isinstance(entry, dict) else None
    return float(value) if value is not None else math.nan


def _rgba(colour: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({colour[0]},{colour[1]},{colour[2]},{alpha})"


#: One colour per plotted series, whichever of them a clip has.
TRACE_COLOURS = {"fppa_left": "#0068c9", "fppa_right": "#83c9ff", "pelvic_drop": "#ff2b2b", "hip_drop": "#ffabab"}


def _stance_only(analysis: Analysis, side: Leg) -> np.ndarray:
    """FPPA of ``side`` with NaN outside the reps that stand on it (a free leg's angle means nothing)."""
    t = analysis.series.t
    values = analysis.series.leg(side).fppa.copy()
    keep = np.zeros(t.shape, dtype=bool)
    for rep in analysis.reps:
        if side in Leg(rep.leg).sides:
            keep |= (t >= rep.t_start) & (t <= rep.t_end)
    values[~keep] = np.nan
    return values


def time_plots(analysis: Analysis) -> go.Figure:
    """FPPA, pelvic drop and depth over time, reps shaded in their flag colour, thresholds dashed.

    Each leg's FPPA is drawn only during the reps it stands on. Only depth
    is plotted when the session is not measurable (the angles would be wrong).
    A threshold's value is named in its subplot's title, so no label sits
    on the reps' labels.
    """
    series = analysis.series
    t = series.t
    rows = [
        ("FPPA (°)", [("fppa_left", "left leg", _stance_only(analysis, Leg.LEFT)),
                      ("fppa_right", "right leg", _stance_only(analysis, Leg.RIGHT))], "knee_valgus"),
        ("Pelvic drop (°)", [("pelvic_drop", "pelvic drop", series.pelvic_drop)], "pelvic_drop"),
        ("Depth (× leg length)", [("hip_drop", "hip drop", series.hip_drop)], "shallow"),
    ]
    if not analysis.summary.measurable:
        rows = rows[-1:]
    limits = [_threshold(analysis, threshold) for _, _, threshold in rows]
    titles = [f"{title}, threshold {value:g} dashed" if math.isfinite(value) else title
              for (title, _, _), value in zip(rows, limits)]
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=titles)
    for row, ((title, traces, _), value) in enumerate(zip(rows, limits), start=1):
        for key, label, y in traces:
            if np.isfinite(y).any():
                fig.add_trace(go.Scatter(x=t, y=y, name=label, mode="lines", line_color=TRACE_COLOURS[key]),
                              row=row, col=1)
        if math.isfinite(value):
            fig.add_hline(y=value, line_dash="dash", line_color="firebrick", row=row, col=1)
        fig.update_yaxes(title_text=title, row=row, col=1)
    for rep in analysis.reps:
        fig.add_vrect(x0=rep.t_start, x1=rep.t_end, fillcolor=_rgba(rep_colour(rep), 0.18), line_width=0,
                      annotation_text=f"Rep {rep.index + 1}", annotation_position="top left",
                      row="all", col=1)
    fig.update_xaxes(title_text="time (s)", row=len(rows), col=1)
    fig.update_layout(height=220 + 200 * len(rows), margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.08))
    return fig


def thumbnails(processed: Processed) -> None:
    """The deepest frame of each rep, with the stance leg's lines and its FPPA."""
    reps = [rep for rep in processed.analysis.reps if rep.index in processed.thumbnails]
    if not reps:
        return
    per_row = 4
    for start in range(0, len(reps), per_row):
        cols = st.columns(per_row)
        for col, rep in zip(cols, reps[start:start + per_row]):
            angle = f"FPPA {_deg(rep.fppa_bottom_deg)}" if rep.reliable else "not measurable"
            legs = leg_name(rep.leg)
            col.image(processed.thumbnails[rep.index], caption=f"Rep {rep.index + 1}, {legs}: {angle}")


def exercises(analysis: Analysis) -> None:
    """The safety note, then the home plan: a picture, steps and doses per exercise, and the printable sheet."""
    exercises_section(analysis)


def downloads(processed: Processed, key: str) -> DeltaGenerator:
    """Download buttons: per-rep CSV, full JSON; returns the place of the annotated video's (:func:`video_button`)."""
    analysis = processed.analysis
    stem = Path(analysis.source or "knee_cv").stem
    cols = st.columns(3)
    # the same table as `knee-cv analyze --csv` and a batch's reps.csv: reps from 1, unreliable measures blank
    cols[0].download_button("Per-rep CSV", report_tables.rep_table(analysis).to_csv(index=False), f"{stem}_reps.csv",
                            "text/csv", key=f"{key}_csv", width="stretch")
    cols[1].download_button("Full result (JSON)", analysis.to_json(), f"{stem}_analysis.json",
                            "application/json", key=f"{key}_json", width="stretch")
    return cols[2].empty()


def video_button(place: DeltaGenerator, processed: Processed, key: str) -> None:
    """The annotated video's download button in ``place``, when there is a video."""
    if processed.video is not None:
        stem = Path(processed.analysis.source or "knee_cv").stem
        place.download_button("Annotated video (MP4)", processed.video, f"{stem}_annotated.mp4", "video/mp4",
                              key=f"{key}_mp4", width="stretch")


def save_form(processed: Processed, key: str) -> None:
    """Save the analysis to a subject in the clinic's store, for a clinician (nothing is stored otherwise).

    Beyond this computer the clinician logs in first (:func:`knee_cv.app.auth.clinician`); the
    saver recorded is the logged-in name. Saving the same result twice finds the first session.
    """
    with st.expander("Save to a subject (clinician)"):
        st.caption("Nothing is stored unless a clinician saves it here. Use a pseudonymous code, not a name.")
        saver = auth.clinician(f"{key}-save")
        if saver is None:
            st.caption("Saving needs a clinician: log in (or, on this computer, enter your name in the sidebar).")
            return
        with st.form(f"{key}_save"):
            subject = st.text_input("Subject code", placeholder="e.g. RUN-017")
            keep_clips = keep_clips_choice(key)
            submitted = st.form_submit_button("Save to subject")
        if submitted:
            _save(processed, subject, saver, keep_clips)


def _save(processed: Processed, subject: str, saver: str, keep_clips: bool = False) -> None:
    """One save of ``processed`` to ``subject`` by ``saver`` (with rep clips when agreed), and what happened, in one sentence."""
    try:
        saved = store.save_analysis(processed.analysis, subject, saved_by=saver, key_frames=processed.thumbnails,
                                    rep_clips=clips_of(processed) if keep_clips else None,
                                    video_hash=processed.sha256 or None,
                                    content_id=processed.sha256 or processed.recording_id,
                                    settings={"mirrored": processed.track.orientation.mirrored})
    except KneeCvError as error:
        st.error(escaped(str(error)))
        return
    code = literal(store.get_session(saved.id).subject)
    if saved.created:
        st.success(f"Saved as session {saved.id} of {code}. Open it on the Clinician review page.")
    else:
        st.info(f"Already saved as session {saved.id} of {code}; nothing new was saved.")


def cannot_measure(analysis: Analysis) -> None:
    """Say why there are no numbers and what to change."""
    st.error("The knee and pelvis angles cannot be measured in this video, so none are shown.", icon=":material/block:")
    for message in analysis.summary.messages:
        st.markdown(f"- {message}")
    st.markdown("**What to change**\n" + "\n".join(f"- {tip}" for tip in FILMING_TIPS))


def show_results(processed: Processed, key: str = "results", video: PendingVideo | None = None) -> Processed:
    """The whole results section for one processed video or live session.

    When the session is not measurable (side view, body cut off, nobody...)
    the summary cards are replaced by what went wrong and what to change;
    the reps found are still listed, marked unreliable, without angles.

    With ``video`` (the annotated video still being drawn) everything else
    is shown first, a progress bar stands where the video goes, and the
    video, its download button and the timings appear when it is drawn.

    Parameters
    ----------
    processed : Processed
    key : str
        Prefix of widget keys, unique per page.
    video : PendingVideo, optional
        ``processed``'s annotated video in the making.

    Returns
    -------
    Processed
        ``processed`` with its video once ``video`` is done (``processed``
        itself without one, or when the video failed: the reason is shown).
    """
    analysis = processed.analysis
    summary = analysis.summary
    st.header("Results")
    if summary.measurable:
        for message in summary.messages:
            st.info(message)
        summary_cards(analysis)
    else:
        cannot_measure(analysis)
    has_video = processed.video is not None or video is not None
    video_place = button_place = timings_place = None
    if not analysis.reps:
        if summary.measurable:
            st.warning("No squat rep was found. " + FILMING_TIPS[-1])
        video_place = st.empty() if has_video else None
    else:
        plot_area = st
        if has_video:
            left, plot_area = st.columns([2, 3])
            video_place = left.empty()
        if analysis.series is not None:
            plot_area.plotly_chart(time_plots(analysis), width="stretch", key=f"{key}_plot")
        st.subheader("Every rep")
        rep_dataframe(analysis)
        rep_notes(analysis)
        thumbnails(processed)
        exercises(analysis)
        st.subheader("Downloads")
        button_place = downloads(processed, key)
        save_form(processed, key)
        timings_place = st.empty()
    if video is not None and processed.video is None:
        processed = _await(video, video_place) or processed
    if video_place is not None and processed.video is not None:
        video_place.video(processed.video, format="video/mp4")
    if button_place is not None:
        video_button(button_place, processed, key)
    if timings_place is not None:
        _timings(timings_place, processed)
    return processed


def _await(video: PendingVideo, place: DeltaGenerator) -> Processed | None:
    """Show ``video``'s progress in ``place`` until it is drawn; its result, or None after showing why it failed."""
    while not video.done():
        fraction, text = video.status()
        place.progress(fraction, text=text)
        time.sleep(POLL_S)
    try:
        return video.result()
    except KneeCvError as error:
        place.error(escaped(str(error)), icon=":material/block:")
        return None


def _timings(place: DeltaGenerator, processed: Processed) -> None:
    """How long each stage took, in a caption."""
    if processed.timings:
        parts = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in processed.timings.items())
        place.caption(f"Processed on this computer in {sum(processed.timings.values()):.1f} s ({parts}).")


def analyze_bytes(data: bytes, name: str, *, blur_face: bool = False, mirrored: bool = False) -> Processed | None:
    """Process an uploaded file and show its results, then its annotated video, or the error a person can act on.

    Returns
    -------
    Processed or None
        None when the file could not be analysed (the error is shown).
    """
    try:
        processed, video = process_with_progress(data, name, blur_face=blur_face, mirrored=mirrored)
    except KneeCvError as error:
        st.error(escaped(str(error)), icon=":material/block:")
        return None
    return show_results(processed, key="upload", video=video)
