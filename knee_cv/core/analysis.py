"""``analyze()``: from a pose track to an :class:`Analysis`.

The steps: clean the landmarks (:func:`knee_cv.core.filters.clean`), classify
the camera view, compute the per-frame kinematics, find the reps and their
stance legs, measure and flag each rep, summarise the session and pick the
exercises. NumPy/SciPy only, vectorized over frames (videos and track files
reach it through :mod:`knee_cv.pipeline`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from knee_cv.core import kinematics as kin
from knee_cv.core.assessment import (
    FILMING_ADVICE,
    FrameQuality,
    LegQuality,
    assess_rep,
    leg_name,
    summarize,
)
from knee_cv.core.criteria import CANT_TELL
from knee_cv.core.exercises import recommend_for, safety_note
from knee_cv.core.filters import clean
from knee_cv.core.labels import SIDES, Exercise, Leg, View, is_frontal
from knee_cv.core.landmarks import BODY_LANDMARKS, Landmark
from knee_cv.core.orientation import lying_quarter, not_upright_message
from knee_cv.core.reps import Segment, find_dips, stance_legs
from knee_cv.core.result import Analysis
from knee_cv.core.series import FrameSeries, LegSeries
from knee_cv.core.shown import likely, number, shown
from knee_cv.core.shown import rating as shown_rating
from knee_cv.core.stats import frame_interval_s, robust_sd
from knee_cv.core.threshold_tables import FilterTable, Thresholds
from knee_cv.core.thresholds import load_thresholds, validate_thresholds
from knee_cv.core.track import LIVE_SOURCE, PoseTrack
from knee_cv.core.uncertainty import Geometry, PlacementError
from knee_cv.core.view import classify_view, dominant_view
from knee_cv.errors import TrackError


def measured_landmarks(track: PoseTrack, filters: FilterTable, live: bool = False) -> np.ndarray:
    """The landmark positions the analysis measures, for drawing what was measured.

    Parameters
    ----------
    track : PoseTrack
    filters : FilterTable
        The ``filters`` table the analysis used (``Analysis.thresholds``).
    live : bool
        As for :func:`analyze`.

    Returns
    -------
    ndarray, shape (T, 33, 2)
        Pixels: the cleaned positions (:func:`knee_cv.core.filters.clean`) of
        :data:`BODY_LANDMARKS`, exactly those the angles come from, and the
        raw positions of the other landmarks (face, arms, feet). NaN where a
        measured landmark was rejected.
    """
    xy = track.xy.copy()
    if len(track):
        xy[:, list(BODY_LANDMARKS)] = clean(track, live=live, landmarks=BODY_LANDMARKS, params=filters)[:, list(BODY_LANDMARKS)]
    return xy


def standing_leg_length(xy: np.ndarray) -> float:
    """Leg length of the standing body in pixels: 90th percentile of the longer leg per frame."""
    longer = np.fmax(kin.leg_length(xy, Leg.LEFT), kin.leg_length(xy, Leg.RIGHT))
    finite = longer[np.isfinite(longer)]
    return float(np.percentile(finite, 90)) if finite.size else float("nan")


def _hip_above_knee(xy: np.ndarray, leg: str, standing: np.ndarray) -> np.ndarray:
    """Height of the hip above the knee, as a fraction of the standing thigh length, shape (T,)."""
    hip, knee, _ = kin.leg_points(xy, leg)
    thigh = np.hypot(*(knee - hip).T)
    reference = thigh[standing & np.isfinite(thigh)]
    if not reference.size:
        reference = thigh[np.isfinite(thigh)]
    length = float(np.median(reference)) if reference.size else float("nan")
    return (knee[:, 1] - hip[:, 1]) / length


def _slow_frames_message(interval_s: float) -> str:
    """What to change when a video's frames are ``interval_s`` seconds apart, too far for a squat."""
    return (
        f"The video has only one frame every {interval_s:.2g} s, too few to follow a squat: the deepest "
        "point of a rep falls between frames. Film in the camera's normal video mode (25-30 frames a "
        "second), not time-lapse."
    )


def _gap_message(track: PoseTrack, start: float, end: float) -> str:
    """What a stretch from ``start`` to ``end`` (s) without frames means, for a file or a live webcam."""
    if track.source == LIVE_SOURCE:
        return (
            f"No camera frame was measured from {start:.1f} s to {end:.1f} s (the camera paused, or the "
            "computer was too busy to keep up). The results cover the rest."
        )
    return (
        f"The video could not be read from {start:.1f} s to {end:.1f} s: the file is damaged or cut off "
        "there (an interrupted upload or copy?). The results cover the rest; export the clip again "
        "from the phone's gallery for a full analysis."
    )


def _recording_problems(track: PoseTrack, thresholds: Thresholds) -> tuple[list[str], bool]:
    """Messages about the recording (each saying what to change) and whether any blocks measuring.

    They start with what was done to the frames before the pose model (a
    mirrored picture flipped back, a turned one set upright: see
    :meth:`knee_cv.core.orientation.Orientation.notes`).
    """
    session = thresholds.session
    messages, blocking = track.orientation.notes(), False
    n_pose = int(track.has_pose.sum())
    if n_pose == 0:
        return [f"No person was found in the video. {FILMING_ADVICE} Use good light."], True
    lying = not_upright_message(track.xy, thresholds.orientation)
    if lying:
        messages.append(lying)
        blocking = True
    if track.detection_rate < session.min_detection:
        messages.append(
            f"A person was found in only {100 * track.detection_rate:.0f} % of the frames. {FILMING_ADVICE} Use good light."
        )
        blocking = True
    interval = frame_interval_s(track.t)
    slow = interval > thresholds.frame_rate.max_interval_s
    if n_pose < session.min_frames:
        messages.append(
            _slow_frames_message(interval)
            if slow
            else f"The recording is too short ({n_pose} frames with a person). Record 3-5 slow single-leg squats on each leg."
        )
        blocking = True
    elif slow:
        messages.append(_slow_frames_message(interval))
    body = track.xy[track.has_pose][:, list(BODY_LANDMARKS)]
    size = np.array([track.width, track.height], dtype=float)
    cut_off = ((body < 0) | (body > size)).any(axis=(1, 2)).mean()
    if cut_off > session.cut_off_share:
        messages.append(f"Part of the body was outside the picture in {100 * cut_off:.0f} % of the frames. {FILMING_ADVICE}")
        blocking = blocking or cut_off > session.cut_off_blocking
    for start, end in track.unread_stretches(session.max_unread_s):
        messages.append(_gap_message(track, start, end))
    crowded = float(np.mean(track.people > 1))
    if crowded > session.two_people_share:
        messages.append(
            f"More than one person was in view in {100 * crowded:.0f} % of the frames, so the analysis "
            "may have followed the wrong person. Film with only the person doing the squats in view."
        )
    return messages, blocking


def analyze(
    track: PoseTrack,
    *,
    thresholds: Thresholds | None = None,
    sex: str | None = None,
    live: bool = False,
) -> Analysis:
    """Analyse single-leg squats: reps, knee valgus, pelvic drop, summary, exercises.

    Parameters
    ----------
    track : PoseTrack
        The pose track (for a video or a track file see
        :func:`knee_cv.pipeline.analyze_source`).
    thresholds : Thresholds, optional
        From :func:`knee_cv.core.thresholds.load_thresholds`; default: the
        packaged thresholds for ``sex``.
    sex : {"female", "male"}, optional
        Picks sex-specific thresholds when ``thresholds`` is not given.
    live : bool
        Smooth with the causal filter used for the live webcam.

    Returns
    -------
    Analysis
        Per-frame series (NaN where not measurable), reps, shallow dips,
        summary, recommendations, safety note and the thresholds used. A
        body upside down or on its side in the picture
        (:func:`knee_cv.core.orientation.lying_quarter`) is not measured: no
        view, no reps, and a message saying how to turn the video.

    Raises
    ------
    knee_cv.errors.TrackError
        The frame times are not finite and increasing, or the frame size is
        unusable (:meth:`PoseTrack.problem`); track files are checked when
        read, a track built in Python is checked here.
    knee_cv.errors.ThresholdsError
        ``thresholds`` given that do not hold (a number made infinite with
        :func:`dataclasses.replace`, say; :func:`knee_cv.core.thresholds.validate_thresholds`): one sentence
        naming the key.
    """
    problem = track.problem()
    if problem is not None:
        raise TrackError(
            f"This pose track cannot be analysed: {problem}. Make the track again from the video "
            "(knee-cv pose VIDEO -o track.csv)."
        )
    if thresholds is None:
        thresholds = load_thresholds(sex=sex)
    else:
        validate_thresholds(thresholds.as_dict())
    n = len(track)
    messages, blocking = _recording_problems(track, thresholds)
    measure = n > 0 and not lying_quarter(track.xy, thresholds.orientation)

    xy = clean(track, live=live, landmarks=BODY_LANDMARKS, params=thresholds.filters) if n else track.xy
    no_views = (np.full(n, str(View.NONE)), np.zeros(n))
    views, view_conf = classify_view(xy, track.visibility, track.t, params=thresholds.view) if measure else no_views
    views = np.asarray(views).astype(str)
    view_conf = np.asarray(view_conf, dtype=float)
    leg_px = standing_leg_length(xy)
    drop = kin.hip_drop(xy, leg_px)
    feet = kin.ankle_height_difference(xy)
    per_leg = {
        leg: LegSeries(fppa=kin.fppa(xy, leg), knee_offset=kin.knee_offset(xy, leg), knee_flexion=kin.knee_flexion(xy, leg))
        for leg in SIDES
    }

    segments, shallow = find_dips(track.t, drop, **thresholds.reps.segmentation()) if measure else ([], [])
    # Where a knee was gated out (the far leg in a side view) its raw position still tells
    # how much it bends, which is all the stance-leg decision needs.
    flexion = {
        leg: np.where(np.isnan(per_leg[leg].knee_flexion), kin.knee_flexion(track.xy, leg), per_leg[leg].knee_flexion)
        for leg in SIDES
    }
    legs = stance_legs(
        segments,
        ankle_left=xy[:, Landmark.LEFT_ANKLE],
        ankle_right=xy[:, Landmark.RIGHT_ANKLE],
        leg_length_px=leg_px,
        ankle_height_difference=feet,
        knee_flexion_left=flexion[Leg.LEFT],
        knee_flexion_right=flexion[Leg.RIGHT],
        frontal=is_frontal(views),
        oblique=views == View.OBLIQUE,
        params=thresholds.stance,
    )
    stance = np.full(n, "", dtype=object)
    for seg, leg in zip(segments, legs):
        stance[seg.start : seg.end + 1] = leg
    stance = stance.astype(str)
    standing = (drop < thresholds.standing.max_hip_drop) & (np.abs(feet) < thresholds.standing.max_feet)
    roll, roll_sd, roll_source, pelvic_reference = _camera_roll(xy, track.t, standing, segments, thresholds)
    series = FrameSeries(
        t=track.t,
        left=per_leg[Leg.LEFT],
        right=per_leg[Leg.RIGHT],
        # The hip-line reference is the pelvis's, not the camera's (on real clips the two-foot hip line
        # tilts 7-12 deg while the scene's verticals are within 1.5 deg): the trunk is read against the
        # image vertical, as the filming advice (phone upright) makes it the true one.
        pelvic_drop=kin.pelvic_drop(xy, stance, roll),
        trunk_lean=kin.trunk_lean(xy, stance),
        hip_drop=drop,
        hip_height=kin.hip_height(xy),
        view=views,
        view_confidence=view_conf,
        stance_leg=stance,
    )
    size = np.array([track.width, track.height], dtype=float)
    leg_quality = {}
    for leg in SIDES:
        points = list(kin.LEG_LANDMARKS[leg])
        raw = track.xy[:, points]
        inside = ((raw >= 0) & (raw <= size)).all(axis=(1, 2))
        confident = np.all(track.visibility[:, points] >= thresholds.confidence.min_visibility, axis=1)
        leg_quality[leg] = LegQuality(
            visible=inside & confident, hip_above_knee=_hip_above_knee(xy, leg, standing), fppa_raw=kin.fppa(track.xy, leg)
        )
    quality = FrameQuality(pose=track.has_pose, left=leg_quality[Leg.LEFT], right=leg_quality[Leg.RIGHT])

    geometry = Geometry(
        xy=xy, leg_px=leg_px, roll_deg=roll, roll_sd_deg=roll_sd, model=PlacementError.from_table(thresholds.placement_error)
    )
    reps = [
        assess_rep(i, seg, leg, series, quality, thresholds, pelvic_reference, geometry)
        for i, (seg, leg) in enumerate(zip(segments, legs))
    ]
    if n and not reps and not blocking:
        messages.append(
            f"No squat was found: the hips never went down by {100 * thresholds.reps.min_depth:.0f} % "
            "of leg length. Do 3-5 slow single-leg squats on each leg, standing tall between them."
        )
    in_reps = stance != ""
    view, view_confidence = dominant_view(views, view_conf, in_reps if in_reps.any() else track.has_pose)
    exercise = _exercise(legs)
    summary = summarize(
        reps,
        view=view,
        view_confidence=view_confidence,
        exercise=exercise,
        messages=messages,
        thresholds=thresholds,
        blocking=blocking,
    )
    summary.camera_roll_deg = float(roll) if np.ndim(roll) == 0 else float("nan")  # a per-frame roll has no one value
    summary.camera_roll_source = roll_source
    t = track.t
    return Analysis(
        series=_frontal_only(series),
        reps=reps,
        shallow_dips=[(float(t[s.start]), float(t[s.bottom]), float(t[s.end])) for s in shallow],
        summary=summary,
        recommendations=recommend_for(reps),
        safety_note=safety_note(),
        thresholds=thresholds,
        model=track.model,
        source=track.source,
    )


def _robust_sd(values: np.ndarray) -> float:
    """:func:`~knee_cv.core.stats.robust_sd` of the finite values, deg (0 with fewer than 3)."""
    sd = robust_sd(values)
    return sd if np.isfinite(sd) else 0.0


def _camera_roll(
    xy: np.ndarray,
    t: np.ndarray,
    standing: np.ndarray,
    segments: list[Segment],
    thresholds: Thresholds,
) -> tuple[float | np.ndarray, float | np.ndarray, str, str]:
    """Camera roll to remove from pelvic drop, where it came from, and the reference.

    With frames on both feet, the roll is the median hip-line tilt over them
    (:func:`knee_cv.core.kinematics.camera_roll`): drop is then measured against
    level ground. Without them (a clip that starts with the foot already
    lifted), each rep's own start is the reference: the median tilt over
    ``thresholds.standing.rep_start_s`` seconds up to the rep's first
    frame is taken as level, so the drop is its change during the rep and a
    tilted phone does not show as pelvic drop.

    Returns
    -------
    roll : float or ndarray, shape (T,)
        Degrees in the :func:`knee_cv.core.kinematics.pelvic_tilt` convention
        (per frame when taken per rep; NaN outside reps then).
    spread : float or ndarray, shape (T,)
        How uncertain that reference is: the robust standard deviation of
        the hip-line tilt over the frames it was taken from, deg (per frame
        like ``roll``); an input to pelvic drop's interval.
    source : str
        For people: what the roll was estimated from.
    reference : {"level", "rep start"}
    """
    roll = kin.camera_roll(xy, standing) if standing.any() else float("nan")
    tilt = kin.pelvic_tilt(xy)
    if np.isfinite(roll):
        return roll, _robust_sd(tilt[standing]), "frames standing on both feet", "level"
    per_frame, spread = np.full(len(t), np.nan), np.full(len(t), np.nan)
    lead = thresholds.standing.rep_start_s
    for seg in segments:
        before = (t >= t[seg.start] - lead) & (t <= t[seg.start])
        values = tilt[before & np.isfinite(tilt)]
        per_frame[seg.start : seg.end + 1] = np.median(values) if values.size else np.nan
        spread[seg.start : seg.end + 1] = _robust_sd(values)
    return per_frame, spread, "each rep's start (no frames on both feet)", "rep start"


def _frontal_only(series: FrameSeries) -> FrameSeries:
    """The series with each angle set to NaN in the views where it means nothing.

    From the side, FPPA shows knee flexion and the hip line shows the pelvis
    turning, not dropping; from the front, the 2D knee angle shows valgus or
    varus, not flexion: those numbers would mislead on a plot.
    """
    frontal = series.frontal()

    def in_frontal(values: np.ndarray) -> np.ndarray:
        return np.where(frontal, values, np.nan)

    def in_sagittal(values: np.ndarray) -> np.ndarray:
        return np.where(frontal, np.nan, values)

    legs = {
        side: replace(
            series.leg(side), fppa=in_frontal(series.leg(side).fppa), knee_flexion=in_sagittal(series.leg(side).knee_flexion)
        )
        for side in SIDES
    }
    return replace(
        series,
        left=legs[Leg.LEFT],
        right=legs[Leg.RIGHT],
        pelvic_drop=in_frontal(series.pelvic_drop),
        trunk_lean=in_frontal(series.trunk_lean),
    )


def _exercise(legs: list[Leg]) -> Exercise:
    """``"single-leg"``, ``"double-leg"`` (most reps on both feet) or ``"no squat"``."""
    if not legs:
        return Exercise.NO_SQUAT
    return Exercise.DOUBLE_LEG if sum(leg == Leg.BOTH for leg in legs) > len(legs) / 2 else Exercise.SINGLE_LEG


def format_text(analysis: Analysis) -> str:
    """The analysis as plain text for the terminal.

    Parameters
    ----------
    analysis : Analysis

    Returns
    -------
    str
        The per-rep table (reps numbered from 1; an unreliable rep's angles
        and depth blank, "-", with the reason: :func:`knee_cv.core.shown.shown`), the
        summary (with the sign conventions), the messages, the
        recommendations and the safety note.
    """
    s = analysis.summary
    lines = [
        f"knee_cv analysis of {analysis.source or 'a pose track'}",
        f"View: {s.view} (confidence {s.view_confidence:.2f}); exercise: {s.exercise}; "
        f"reps: {s.n_reps} ({s.n_reliable} reliable); shallow dips: {len(analysis.shallow_dips)}",
        "",
    ]
    header = (
        f"{'#':>2} {'leg':5} {'bottom s':>8} {'depth%':>6} {'FPPA deg':<20} {'peak':>6} {'knee displ. %':<19} "
        f"{'pelvis deg':<19} {'trunk':>6} {'wobble':>6} {'conf':>5}  notes"
    )
    lines += [header, "-" * len(header)]
    for r in analysis.reps:
        v = shown(r)
        flagged = {f.criterion for f in r.flags}
        cant_tell = [f"{name.replace('_', ' ')}: {CANT_TELL}." for name in r.undecided if name not in flagged]
        notes = v.withheld or " ".join([f.reason for f in r.flags] + cant_tell)
        lines.append(
            f"{v.number:>2} {r.leg:5} {r.t_bottom:8.2f} {number(v.depth, 0, scale=100):>6} "
            f"{likely(v.fppa_deg, v.fppa_low_deg, v.fppa_high_deg, ''):<20} {number(v.fppa_peak_deg):>6} "
            f"{likely(v.knee_displacement, v.knee_displacement_low, v.knee_displacement_high, '', 100):<19} "
            f"{likely(v.pelvic_drop_deg, v.pelvic_drop_low_deg, v.pelvic_drop_high_deg, ''):<19} "
            f"{number(v.trunk_lean_deg):>6} {number(v.knee_wobble, 3):>6} {r.confidence:5.2f}  "
            f"{notes or 'ok'}"
        )
    lines += ["", "Angles in degrees. " + Analysis.CONVENTIONS + " " + Analysis.INTERVALS]
    if level := analysis.level_note():
        lines.append(level.replace("°", " deg"))
    lines.append("")
    for leg in s.legs:
        lines.append(
            f"{leg_name(leg.leg)}: {leg.n_reliable}/{leg.n_reps} reliable reps; mean FPPA "
            f"{likely(leg.fppa_deg, leg.fppa_low_deg, leg.fppa_high_deg)}, pelvic drop "
            f"{likely(leg.pelvic_drop_deg, leg.pelvic_drop_low_deg, leg.pelvic_drop_high_deg)}, "
            f"trunk lean {number(leg.trunk_lean_deg)}, "
            f"wobble {number(leg.knee_wobble, 3)}, depth {number(leg.depth, 0, scale=100)} %; "
            f"rating: {shown_rating(leg.rating, leg.rating_best, leg.rating_worst)}"
        )
    lines.append(f"Overall rating: {shown_rating(s.rating, s.rating_best, s.rating_worst)} (in the spirit of Crossley 2011)")
    lines += [f"  - {reason}" for reason in s.rating_reasons]
    lines += [f"Note: {message}" for message in s.messages]
    if analysis.recommendations:
        lines += ["", "Suggested exercises:"]
        for rec in analysis.recommendations:
            lines += [f"* {rec.name}: {rec.how} Dosage: {rec.dosage}", f"  {rec.why}"]
    lines += ["", "Safety: " + analysis.safety_note]
    return "\n".join(lines)
