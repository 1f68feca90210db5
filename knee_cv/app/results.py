"""The results section shared by the upload page and the live page.

:func:`show_results` draws everything for one :class:`Processed`: the
"cannot measure" state, summary cards, plots, per-rep table with each rep's
reasons and findings, thumbnails, exercises with the safety note, downloads
and the "save to subject" form; then the annotated video, which is drawn in
the background while the person reads the rest (a progress bar holds its
place). :func:`analyze_bytes` is the whole upload flow for a file's bytes (it
is what the AppTest tests drive).

On the upload page (a :class:`~knee_cv.core.context.SessionContext` given)
the runner's answer comes first: the plain verdict and the next step
(:mod:`knee_cv.app.verdict_view`), her annotated video, the deepest moment of
each squat, how to do the exercises; the numbers, thresholds, citations and
sign conventions follow in "Details for your physio". Colours come from
:mod:`knee_cv.palette`; every image has alt text and the charts no toolbar.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

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
from knee_cv.app.verdict_view import verdict_section
from knee_cv.core.assessment import leg_name
from knee_cv.core.context import SessionContext
from knee_cv.core.criteria import CANT_TELL
from knee_cv.core.labels import Leg
from knee_cv.core.plan import plan_for
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.shown import WITHHELD, likely, rep_label, signed_angle
from knee_cv.core.verdict import rep_in_words
from knee_cv.errors import KneeCvError
from knee_cv.media.render import rep_colour
from knee_cv.palette import HEX
from knee_cv.pipeline import Processed
from knee_cv.report import exports
from knee_cv.report import tables as report_tables
from knee_cv.store import sessions as store

FPPA_HELP = (
    "Frontal plane projection angle at the deepest point of each rep, averaged over the reliable reps: "
    "the angle between thigh (hip to knee) and shank (knee to ankle) in the picture. 0° = straight; "
    "positive = valgus (knee moves inward), negative = varus (knee outward). "
    + Analysis.ACCURACY
    + " Read it as a screen, not a measurement to the degree."
)
PELVIC_HELP = (
    "Tilt of the line through both hips at the deepest point; positive = the free leg's side is lower. "
    "Measured against your hip line while standing on both feet, when the video has such a moment (that "
    "also corrects a tilted camera); otherwise against the start of each rep, so it is the drop during the rep."
)
RATING_HELP = (
    "Good / fair / poor in the spirit of Crossley et al. 2011 (knee, pelvis, trunk and depth together). "
    "A screening aid, not a diagnosis. 'Could be good to poor' below it: the likely ranges of FPPA or pelvic "
    "drop hold a threshold, so this video cannot decide between those ratings."
)

#: What to change when a video cannot be measured (mirrors the How to film page).
FILMING_TIPS = (
    "Film from the front, camera at hip height, 2 to 3 m away.",
    "Keep the whole body in the picture, head to feet, for the whole clip.",
    "Only one person in the picture.",
    "Good light from the front, no strong light behind you.",
    "Start and finish standing on both feet, for a moment each.",
    "Squat down only until your hip is still clearly above your knee, not a deep pistol squat.",
    "Do 5 slow single-leg squats on each leg, standing still for a moment between them.",
)


def _range(value: float, low: float, high: float) -> str | None:
    """The "likely A to B°" part of :func:`knee_cv.core.shown.likely`, for a card's delta line (None without one)."""
    text = likely(value, low, high, "°")
    return text.split(", ", 1)[1] + "°" if ", likely " in text else None


def _card(column: DeltaGenerator, label: str, value: str | int, help_text: str, below: str | None) -> None:
    """One summary card: ``value`` large, ``below`` it in a grey pill (its range, or how many were reliable)."""
    column.metric(label, value, help=help_text, delta=below, delta_color="off", delta_arrow="off")


def summary_cards(analysis: Analysis) -> None:
    """Cards: reps, stance leg, mean FPPA, pelvic drop and rating, per stance leg."""
    summary = analysis.summary
    if not summary.legs:
        st.metric("Reps", summary.n_reps)
    for leg in sorted(summary.legs, key=lambda leg: -leg.n_reps):
        cols = st.columns(5)
        reps_help = "Reps found on this leg; reliable ones feed the averages."
        _card(cols[0], "Reps", leg.n_reps, reps_help, f"{leg.n_reliable} reliable")
        cols[1].metric("Stance leg", leg.leg.capitalize(), help="The leg you stood on (your own left or right).")
        fppa_range = _range(leg.fppa_deg, leg.fppa_low_deg, leg.fppa_high_deg)
        _card(cols[2], "Mean FPPA", signed_angle(leg.fppa_deg), FPPA_HELP, fppa_range)
        _card(
            cols[3],
            "Pelvic drop",
            signed_angle(leg.pelvic_drop_deg),
            PELVIC_HELP,
            _range(leg.pelvic_drop_deg, leg.pelvic_drop_low_deg, leg.pelvic_drop_high_deg),
        )
        could_be = f"could be {leg.rating_best} to {leg.rating_worst}" if leg.rating_best != leg.rating_worst else None
        _card(cols[4], "Rating", (leg.rating or "not rated").capitalize(), RATING_HELP, could_be)
        if leg.rating_reasons:
            st.caption("\n".join(f"- {reason}" for reason in leg.rating_reasons))
    if level := analysis.level_note():
        st.caption(level)
    st.caption(f"Conventions: {Analysis.CONVENTIONS}")


#: The rep table's text columns of a value with its interval (:func:`knee_cv.core.shown.likely`):
#: the value, low and high fields, the unit and the scale.
INTERVAL_COLUMNS = {
    "fppa_likely": ("fppa_bottom_deg", "fppa_low_deg", "fppa_high_deg", "°", 1.0),
    "knee_displacement_likely": ("knee_displacement", "knee_displacement_low", "knee_displacement_high", " %", 100.0),
    "pelvic_drop_likely": ("pelvic_drop_bottom_deg", "pelvic_drop_low_deg", "pelvic_drop_high_deg", "°", 1.0),
}


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
    angles = ["fppa_likely", "fppa_peak_deg", "knee_displacement_likely", "pelvic_drop_likely", "trunk_lean_deg", "knee_wobble"]
    table.loc[~table["reliable"], [name for name in WITHHELD if name in table]] = float("nan")
    for name, (value, low, high, unit, scale) in INTERVAL_COLUMNS.items():
        table[name] = [
            None if not math.isfinite(row[value]) else likely(row[value], row[low], row[high], unit, scale)
            for _, row in table.iterrows()
        ]
    columns = {
        "rep": st.column_config.NumberColumn("Rep", help="Rep number, in time order."),
        "leg": st.column_config.TextColumn("Stance leg"),
        "t_bottom": st.column_config.NumberColumn("Deepest at", format="%.1f s"),
        "fppa_likely": st.column_config.TextColumn("FPPA", help=FPPA_HELP + " " + Analysis.INTERVALS),
        "fppa_peak_deg": st.column_config.NumberColumn(
            "Peak FPPA", format="%+.1f°", help="Largest FPPA during the rep (positive = valgus)."
        ),
        "knee_displacement_likely": st.column_config.TextColumn(
            "Knee displacement",
            help="The knee's distance from the hip-to-ankle line at the deepest point, as a share "
            "of leg length; positive = inward. It hardly moves when the knee point slides along the leg.",
        ),
        "pelvic_drop_likely": st.column_config.TextColumn("Pelvic drop", help=PELVIC_HELP),
        "trunk_lean_deg": st.column_config.NumberColumn(
            "Trunk lean",
            format="%+.1f°",
            help="Hip-to-shoulder line from the picture's vertical (keep the phone upright); positive = toward the stance leg.",
        ),
        "depth": st.column_config.NumberColumn(
            "Depth", format="%.2f", help="Hip drop at the deepest point, as a fraction of leg length."
        ),
        "knee_wobble": st.column_config.NumberColumn(
            "Knee wobble", format="%.3f", help="Spread of the knee's side-to-side offset, as a fraction of leg length."
        ),
        "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="%.2f"),
        "reliable": st.column_config.CheckboxColumn("Reliable", help="Unreliable reps are left out of the averages."),
    }
    order = [name for name in columns if analysis.summary.measurable or name not in angles]
    st.dataframe(
        table, column_config=columns, column_order=order, hide_index=True, width="stretch", placeholder="—"
    )  # a withheld angle reads as a dash, not "None"


def rep_notes(analysis: Analysis) -> None:
    """One line per rep with something to say: why it is unreliable, or what was found."""
    lines = []
    for rep in analysis.reps:
        legs = leg_name(rep.leg)
        if not rep.reliable:
            lines.append(
                f"- **{rep_label(rep, with_leg=False)}, {legs}: unreliable**, no angles shown: "
                + "; ".join(rep.unreliable_reasons)
            )
        elif rep.flags or rep.undecided:
            flagged = {flag.criterion for flag in rep.flags}
            unsure = [f"{name.replace('_', ' ').capitalize()}: {CANT_TELL}." for name in rep.undecided if name not in flagged]
            lines.append(f"- **{rep_label(rep, with_leg=False)}, {legs}:** " + " ".join([f.reason for f in rep.flags] + unsure))
    if lines:
        st.markdown("\n".join(lines))


def _rgba(colour: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({colour[0]},{colour[1]},{colour[2]},{alpha})"


#: One colour per plotted series, whichever of them a clip has (knee_cv.palette: legs blue and green,
#: the pelvis purple, red only for the thresholds that make a flag).
TRACE_COLOURS = {"fppa_left": HEX["left"], "fppa_right": HEX["right"], "pelvic_drop": HEX["pelvis"], "hip_drop": HEX["both"]}
#: The charts without Plotly's toolbar (it covered the subplot titles on a phone).
CHART_CONFIG = {"displayModeBar": False}


def _stance_only(analysis: Analysis, side: Leg) -> np.ndarray:
    """FPPA of ``side`` with NaN outside the reps that stand on it (a free leg's angle means nothing)."""
    series = analysis.series
    t = series.t
    values = series.leg(side).fppa.copy()
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
    on the reps' labels. Each reliable rep's FPPA and pelvic drop at its
    deepest point are drawn as a dot with the interval that likely holds
    the true value (:mod:`knee_cv.core.uncertainty`); the lines are the
    per-frame values, without one.
    """
    series = analysis.series
    t = series.t
    rows = [
        (
            "FPPA (°)",
            [
                ("fppa_left", "left leg", _stance_only(analysis, Leg.LEFT)),
                ("fppa_right", "right leg", _stance_only(analysis, Leg.RIGHT)),
            ],
            "knee_valgus",
        ),
        ("Pelvic drop (°)", [("pelvic_drop", "pelvic drop", series.pelvic_drop)], "pelvic_drop"),
        ("Depth (× leg length)", [("hip_drop", "hip drop", series.hip_drop)], "shallow"),
    ]
    if not analysis.summary.measurable:
        rows = rows[-1:]
    limits = [analysis.thresholds.limit(threshold).value for _, _, threshold in rows]
    titles = [
        f"{title}, threshold {value:g} dashed" if math.isfinite(value) else title for (title, _, _), value in zip(rows, limits)
    ]
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=titles)
    for row, ((title, traces, _), value) in enumerate(zip(rows, limits), start=1):
        for key, label, y in traces:
            if np.isfinite(y).any():
                fig.add_trace(go.Scatter(x=t, y=y, name=label, mode="lines", line_color=TRACE_COLOURS[key]), row=row, col=1)
        if math.isfinite(value):
            fig.add_hline(y=value, line_dash="dash", line_color=HEX["flag"], row=row, col=1)
        fig.update_yaxes(title_text=title, row=row, col=1)
    if analysis.summary.measurable:
        _rep_intervals(fig, analysis)
    for rep in analysis.reps:
        fig.add_vrect(
            x0=rep.t_start,
            x1=rep.t_end,
            fillcolor=_rgba(rep_colour(rep), 0.18),
            line_width=0,
            annotation_text=rep_label(rep, with_leg=False),
            annotation_position="top left",
            row="all",
            col=1,
        )
    fig.update_xaxes(title_text="time (s)", row=len(rows), col=1)
    fig.update_layout(height=220 + 200 * len(rows), margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.08))
    return fig


def _rep_intervals(fig: go.Figure, analysis: Analysis) -> None:
    """Each reliable rep's deepest-point FPPA (row 1) and pelvic drop (row 2) as a dot with its likely range."""
    reps = [rep for rep in analysis.reps if rep.reliable]
    # Each row: its number, a rep's (value, low, high) and the colour of its dot.
    rows: tuple[tuple[int, Callable[[Rep], tuple[float, float, float]], Callable[[Rep], str]], ...] = (
        (
            1,
            lambda r: (r.fppa_bottom_deg, r.fppa_low_deg, r.fppa_high_deg),
            lambda r: TRACE_COLOURS.get(f"fppa_{r.leg}", HEX["both"]),
        ),
        (2, lambda r: (r.pelvic_drop_bottom_deg, r.pelvic_drop_low_deg, r.pelvic_drop_high_deg), lambda r: HEX["pelvis"]),
    )
    for row, values, colour in rows:
        shown = [(rep, *values(rep)) for rep in reps if np.isfinite(values(rep)).all()]
        if not shown:
            continue
        fig.add_trace(
            go.Scatter(
                x=[rep.t_bottom for rep, *_ in shown],
                y=[value for _, value, _, _ in shown],
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[high - value for _, value, _, high in shown],
                    arrayminus=[value - low for _, value, low, _ in shown],
                    thickness=2,
                    width=6,
                ),
                mode="markers",
                marker=dict(color=[colour(rep) for rep, *_ in shown], size=9, line=dict(color="black", width=1)),
                name="rep, likely range",
                legendgroup="likely",
                showlegend=row == 1,
                customdata=[(low, high) for _, _, low, high in shown],
                hovertemplate="%{y:.0f}° at the deepest point, likely %{customdata[0]:.0f} to "
                "%{customdata[1]:.0f}<extra></extra>",
            ),
            row=row,
            col=1,
        )


def _alt(rep: Rep, legs: str) -> str:
    return (
        f"{rep_label(rep, with_leg=False)} at its deepest point, standing on the {legs}, with lines drawn along the "
        "thigh and shin of the standing leg"
    )


def thumbnails(processed: Processed) -> None:
    """The deepest frame of each rep, with the stance leg's lines and its FPPA."""
    reps = [rep for rep in processed.analysis.reps if rep.index in processed.thumbnails]
    if not reps:
        return
    per_row = 4
    for start in range(0, len(reps), per_row):
        cols = st.columns(per_row)
        for col, rep in zip(cols, reps[start : start + per_row]):
            angle = (
                f"FPPA {likely(rep.fppa_bottom_deg, rep.fppa_low_deg, rep.fppa_high_deg, '°')}"
                if rep.reliable
                else "not measurable"
            )
            legs = leg_name(rep.leg)
            col.image(
                processed.thumbnails[rep.index], caption=f"{rep_label(rep, with_leg=False)}, {legs}: {angle}", alt=_alt(rep, legs)
            )


#: Width of a squat's picture in the runner's section, px: several side by side, also on a phone.
SQUAT_PICTURE_PX = 160


def squat_pictures(processed: Processed) -> None:
    """The deepest moment of each squat, small and side by side, captioned in plain words (no numbers)."""
    reps = [rep for rep in processed.analysis.reps if rep.index in processed.thumbnails]
    if not reps:
        return
    st.subheader("The deepest moment of each squat")
    captions = [f"Squat {rep.index + 1}, {leg_name(rep.leg)}: {rep_in_words(rep)}" for rep in reps]
    st.image(
        [processed.thumbnails[rep.index] for rep in reps],
        caption=captions,
        width=SQUAT_PICTURE_PX,
        alt=[_alt(rep, leg_name(rep.leg)) for rep in reps],
    )


def exercises(analysis: Analysis) -> None:
    """The safety note, then the home plan: a picture, steps and doses per exercise, and the printable sheet."""
    exercises_section(analysis)


def downloads(processed: Processed, key: str, context: SessionContext | None = None) -> DeltaGenerator:
    """Download buttons: per-rep CSV, full JSON; returns the place of the annotated video's (:func:`video_button`).

    With ``context`` (the upload page's options) the CSV starts with its
    columns (:meth:`SessionContext.columns`) and the JSON has it as ``context``.
    """
    analysis = processed.analysis
    stem = Path(analysis.source or "knee_cv").stem
    cols = st.columns(3)
    # the same table as `knee-cv analyze --csv` and a batch's reps.csv: reps from 1, unreliable measures blank
    table = report_tables.rep_table(analysis, context.columns() if context else None)
    cols[0].download_button(
        "Per-rep CSV", table.to_csv(index=False), f"{stem}_reps.csv", "text/csv", key=f"{key}_csv", width="stretch"
    )
    cols[1].download_button(
        "Full result (JSON)",
        exports.analysis_json(analysis, context),
        f"{stem}_analysis.json",
        "application/json",
        key=f"{key}_json",
        width="stretch",
    )
    return cols[2].empty()


def video_button(place: DeltaGenerator, processed: Processed, key: str) -> None:
    """The annotated video's download button in ``place``, when there is a video."""
    if processed.video is not None:
        stem = Path(processed.analysis.source or "knee_cv").stem
        place.download_button(
            "Annotated video (MP4)", processed.video, f"{stem}_annotated.mp4", "video/mp4", key=f"{key}_mp4", width="stretch"
        )


def save_form(processed: Processed, key: str, context: SessionContext | None = None, filmed_at: datetime | None = None) -> None:
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
            _save(processed, subject, saver, keep_clips, context, filmed_at)


def _save(
    processed: Processed,
    subject: str,
    saver: str,
    keep_clips: bool = False,
    context: SessionContext | None = None,
    filmed_at: datetime | None = None,
) -> None:
    """One save of ``processed`` to ``subject`` by ``saver`` (with rep clips when agreed), and what happened, in one sentence.

    ``context`` is kept with the session; ``filmed_at`` (the file's creation
    time, when its day is the filming date given) is its recording time.
    """
    try:
        saved = store.save_analysis(
            processed.analysis,
            subject,
            saved_by=saver,
            key_frames=processed.thumbnails,
            rep_clips=clips_of(processed) if keep_clips else None,
            video_hash=processed.sha256 or None,
            content_id=processed.sha256 or processed.recording_id,
            settings={"mirrored": processed.track.orientation.mirrored},
            context=context,
            recorded_at=filmed_at,
        )
    except KneeCvError as error:
        st.error(escaped(str(error)))
        return
    code = literal(store.get_session(saved.id).subject)
    if saved.created:
        st.success(f"Saved as session {saved.id} of {code}. Open it on the Clinician review page.")
    else:
        kept = saved.context.differences(context) if saved.context is not None and context is not None else []
        st.info(
            f"Already saved as session {saved.id} of {code}; nothing new was saved."
            + (f" It keeps what was given the first time: {'; '.join(kept)}." if kept else "")
        )


def cannot_measure(analysis: Analysis) -> None:
    """Say why there are no numbers and what to change."""
    st.error("The knee and pelvis angles cannot be measured in this video, so none are shown.", icon=":material/block:")
    for message in analysis.summary.messages:
        st.markdown(f"- {message}")
    st.markdown("**What to change**\n" + "\n".join(f"- {tip}" for tip in FILMING_TIPS))


def show_results(
    processed: Processed,
    key: str = "results",
    video: PendingVideo | None = None,
    context: SessionContext | None = None,
    filmed_at: datetime | None = None,
) -> Processed:
    """The whole results section for one processed video or live session.

    With ``context`` (the upload page) the runner's answer comes first
    (:func:`_runner_sections`); without it (the live page) the numbers do
    (:func:`_clinical_sections`). When the session is not measurable (side
    view, body cut off, nobody...) the page says what went wrong and what to
    change; the reps found are still listed, marked unreliable, without angles.

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
    context : SessionContext, optional
        What the person gave with her clip: her verdict is worded by it, and
        the exports and a saved session keep it.
    filmed_at : datetime, optional
        When the clip was filmed (its file's creation time): a saved
        session's recording time.

    Returns
    -------
    Processed
        ``processed`` with its video once ``video`` is done (``processed``
        itself without one, or when the video failed: the reason is shown).
    """
    has_video = processed.video is not None or video is not None
    if context is None:
        places = _clinical_sections(processed, key, has_video)
    else:
        places = _runner_sections(processed, key, has_video, context, filmed_at)
    video_place, button_place, timings_place = places
    if video is not None and processed.video is None and video_place is not None:
        processed = _await(video, video_place) or processed
    if video_place is not None and processed.video is not None:
        video_place.video(processed.video, format="video/mp4", alt=VIDEO_ALT)
    if button_place is not None:
        video_button(button_place, processed, key)
    if timings_place is not None:
        _timings(timings_place, processed)
    return processed


#: Places filled once the annotated video is drawn: the video's, its download button's, the timings'.
_Places = tuple[DeltaGenerator | None, DeltaGenerator | None, DeltaGenerator | None]

VIDEO_ALT = (
    "Your video with the body's points and lines drawn on it; the standing leg's thigh and shin are "
    "coloured by what each squat showed"
)

#: What the annotated video's colours mean (knee_cv.palette; media/render draws them).
VIDEO_KEY = (
    "The standing leg is drawn in **:red[red]** on a squat where the knee moved inward or the hip "
    "dropped, **:orange[orange]** for a smaller point (upper body leaning, knee wobbling, a shallow "
    "squat), **sky blue** when nothing stood out, and **grey** when the squat could not be measured. "
    "The box in the corner counts the squats, names the leg you stand on (stance) and shows, in "
    "degrees, how far the knee moved inward (FPPA) and the hip dropped (pelvic drop)."
)


def _clinical_sections(processed: Processed, key: str, has_video: bool) -> _Places:
    """The numbers first: cards, the chart beside the video, every rep, thumbnails, exercises, downloads."""
    analysis = processed.analysis
    summary = analysis.summary
    st.header("Results")
    if summary.measurable:
        for message in summary.messages:
            st.info(message)
        summary_cards(analysis)
    else:
        cannot_measure(analysis)
    if not analysis.reps:
        if summary.measurable:
            st.warning("No squat rep was found. " + FILMING_TIPS[-1])
        return (st.empty() if has_video else None), None, None
    plot_area: Any = st  # the page itself, or the column beside the video
    video_place = None
    if has_video:
        left, plot_area = st.columns([2, 3])
        video_place = left.empty()
    if len(analysis.series):
        plot_area.plotly_chart(time_plots(analysis), width="stretch", key=f"{key}_plot", config=CHART_CONFIG, alt=CHART_ALT)
    st.subheader("Every rep")
    rep_dataframe(analysis)
    rep_notes(analysis)
    thumbnails(processed)
    exercises(analysis)
    st.subheader("Downloads")
    button_place = downloads(processed, key)
    save_form(processed, key)
    return video_place, button_place, st.empty()


CHART_ALT = (
    "Chart of the knee angle, pelvic drop and depth over time, each squat shaded, the thresholds dashed, "
    "each squat's deepest point a dot with its likely range"
)


def _video_place(processed: Processed) -> DeltaGenerator:
    """Where the annotated video goes: wide enough to read its overlay.

    A portrait clip gets two fifths of the page, a landscape one four fifths; a phone's column takes the whole width.
    """
    portrait = processed.track.height > processed.track.width
    video, key = st.columns([2, 3] if portrait else [4, 1])
    key.caption(VIDEO_KEY)
    return video.empty()


def _runner_sections(
    processed: Processed, key: str, has_video: bool, context: SessionContext, filmed_at: datetime | None
) -> _Places:
    """The runner's answer first (verdict, next step, her video, her squats), then the details for her physio."""
    analysis = processed.analysis
    verdict_section(analysis, context)
    if not analysis.summary.measurable:
        cannot_measure(analysis)
    elif not analysis.reps:
        st.warning("No squat rep was found. " + FILMING_TIPS[-1])
    video_place = None
    if has_video:
        st.subheader("Your video, marked up")
        video_place = _video_place(processed)
    squat_pictures(processed)
    if analysis.summary.measurable and plan_for(analysis).exercises:
        with st.expander("How to do the exercises: pictures, steps and doses", icon=":material/fitness_center:"):
            exercises(analysis)
    if analysis.reps:
        with st.expander(DETAILS, icon=":material/clinical_notes:"):
            details(analysis, key, context)
    st.subheader("Downloads")
    button_place = downloads(processed, key, context)
    save_form(processed, key, context, filmed_at)
    return video_place, button_place, st.empty()


#: The heading of the numbers, for a physiotherapist.
DETAILS = "Details for your physio"

#: Each term of the details in plain words, with its sign.
GLOSSARY = (
    "**In plain words:** **FPPA** (frontal plane projection angle) = how far the knee moved inward, seen from the "
    "front: 0° is a straight line from hip over knee to ankle, positive (**valgus**) = knee inward, negative "
    "(**varus**) = knee outward. **Pelvic drop** = how far the hip on the lifted-leg side dropped; negative = it "
    "rose. **Trunk lean** = the upper body leaning to the side; positive = toward the standing leg. **Knee wobble** "
    "= the knee moving from side to side, as a share of leg length. **Depth** = how far the hips went down, as a "
    "share of leg length. A **reliable** rep is one the video showed well enough to measure."
)


def details(analysis: Analysis, key: str, context: SessionContext) -> None:
    """The numbers for a physiotherapist: cards, the cut-offs used and their sources, the chart, every rep."""
    st.caption(
        "The measurements behind the result, with the cut-offs and their sources, for a physiotherapist. " + Analysis.ACCURACY
    )
    st.markdown(GLOSSARY)
    if analysis.summary.measurable:
        for message in analysis.summary.messages:
            st.caption(message)
        summary_cards(analysis)
    knee = analysis.thresholds.knee_valgus
    given = context.sex or "not given, so the sex-neutral default"
    st.caption(
        f"Knee valgus cut-off used: FPPA {knee.value:g}° (sex {given}; {knee.source}). "
        "Each finding's threshold and source are in the rep notes below."
    )
    if len(analysis.series):
        st.plotly_chart(time_plots(analysis), width="stretch", key=f"{key}_plot", config=CHART_CONFIG, alt=CHART_ALT)
    st.markdown("**Every rep**")
    rep_dataframe(analysis)
    rep_notes(analysis)


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


def analyze_bytes(
    data: bytes, name: str, *, blur_face: bool = False, context: SessionContext | None = None, filmed_at: datetime | None = None
) -> Processed | None:
    """Process an uploaded file and show its results, then its annotated video, or the error a person can act on.

    Parameters
    ----------
    data : bytes
    name : str
        Her file's name: results and errors say it.
    blur_face : bool
    context : SessionContext, optional
        Her options (default: nothing given): ``sex`` picks the cut-offs,
        ``mirrored`` flips the frames back; all of it words the verdict and
        goes with the exports and a save.
    filmed_at : datetime, optional
        The file's creation time, when its day is the filming date given.

    Returns
    -------
    Processed or None
        None when the file could not be analysed (the error is shown).
    """
    context = context or SessionContext()
    try:
        processed, video = process_with_progress(data, name, blur_face=blur_face, mirrored=context.mirrored, sex=context.sex)
    except KneeCvError as error:
        st.error(escaped(str(error)), icon=":material/block:")
        return None
    return show_results(processed, key="upload", video=video, context=context, filmed_at=filmed_at)
