"""Checking one saved rep frame by frame, and measuring it by hand: the review page's frame stepper.

For a rep whose clip was kept (:mod:`knee_cv.store.measurements`), the
clinician steps through the rep's frames (the measured landmarks are drawn
in the clip), picks the stance leg's hip, knee or ankle or the other hip and
clicks where they see it (streamlit-image-coordinates); or, with the
three-click angle tool, clicks the hip, the knee and the ankle in turn on any
frame of the clip and reads the angle they make (:func:`next_angle_point`).
FPPA and pelvic drop are recomputed at once from the placed points with the
analysis' own functions (:func:`knee_cv.core.correction.clip_angles`: the
FPPA by :func:`knee_cv.core.kinematics.fppa`, a point not placed taken from
the landmarks); "Save measurement"
records them with the clinician's name, and the measurement becomes the
rep's reported value everywhere (review, history, PDF, CSV) until it is
undone, which is recorded too.

Placed points not yet saved live in the browser session only. The picture
shown is the clip's frame cropped to the legs and enlarged, so a point can be
placed to about one clip pixel. Angles are degrees: FPPA positive = valgus,
pelvic drop positive = the free leg's side lower.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

from knee_cv.app.markdown import escaped
from knee_cv.core.correction import clip_angles, correctable
from knee_cv.core.evidence import RepClip
from knee_cv.core.landmarks import Landmark
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.shown import rep_number, signed_angle
from knee_cv.media.rep_clips import clip_frame
from knee_cv.store import measurements
from knee_cv.store.evidence import MeasurementInfo

#: Colour of the points a clinician places (RGB): yellow, apart from the flag colours of the clip's overlay.
PLACED = (255, 214, 0)
#: Width of the enlarged picture on the page, pixels.
VIEW_WIDTH = 560
#: Margin around the legs in the enlarged picture, as a share of the legs' extent.
MARGIN = 0.3
#: The ways to place points: one chosen point at a time, or the three-click angle.
TOOLS = {"points": "Move one point", "angle": "Angle: click hip, knee, ankle"}


def next_angle_point(leg: str, placed: Mapping[str, tuple[float, float]]) -> tuple[Landmark, bool]:
    """What the next click of the three-click angle places: the stance leg's hip, knee, then ankle.

    Parameters
    ----------
    leg : {"left", "right"}
        The stance leg.
    placed : mapping of str to (float, float)
        The points placed on this frame so far, by landmark name.

    Returns
    -------
    landmark : Landmark
        The first of hip, knee and ankle not placed yet; the hip again once all three are.
    restart : bool
        True when all three are placed: the click starts a new angle (the three are cleared first).

    Examples
    --------
    >>> next_angle_point("right", {"RIGHT_HIP": (1.0, 2.0)})
    (<Landmark.RIGHT_KNEE: 26>, False)
    """
    three = correctable(leg)[:3]
    pending = [lm for lm in three if lm.name not in placed]
    return (pending[0], False) if pending else (three[0], True)


@st.cache_data(max_entries=64, show_spinner=False)
def _frame(mp4: bytes, position: int) -> np.ndarray:
    return clip_frame(mp4, position)


def point_name(landmark: Landmark) -> str:
    """The landmark's name as a person reads it: "Right knee" for ``Landmark.RIGHT_KNEE``."""
    return landmark.name.replace("_", " ").capitalize()


def view_box(clip: RepClip, position: int, placed: dict[str, tuple[float, float]]) -> tuple[int, int, int, int]:
    """The part of a clip frame shown enlarged: the hips, knees and ankles (measured and placed) with a margin.

    Returns
    -------
    x0, y0, x1, y1 : int
        Clip pixels; the whole frame when no point is known.
    """
    frame_h, frame_w = (int(v) for v in _frame_size(clip))
    legs = [lm for leg in ("LEFT", "RIGHT") for lm in (f"{leg}_HIP", f"{leg}_KNEE", f"{leg}_ANKLE")]
    known = [clip.xy[position, Landmark[name]] * clip.scale for name in legs]
    known += [np.asarray(xy) * clip.scale for xy in placed.values()]
    points = np.array([p for p in known if np.isfinite(p).all()])
    if not len(points):
        return 0, 0, frame_w, frame_h
    lo, hi = points.min(axis=0), points.max(axis=0)
    margin = MARGIN * float((hi - lo).max()) + 20
    x0, y0 = np.floor(lo - margin).astype(int).clip(0, [frame_w, frame_h])
    x1, y1 = np.ceil(hi + margin).astype(int).clip(0, [frame_w, frame_h])
    return int(x0), int(y0), int(x1), int(y1)


def _frame_size(clip: RepClip) -> tuple[int, int]:
    """Height and width of the clip's frames, pixels."""
    return _frame(clip.mp4, 0).shape[:2]


def _points(clip: RepClip, position: int, placed: dict[str, tuple[float, float]], leg: str) -> dict[str, tuple[float, float]]:
    """The correctable points on a frame: those placed, the measured ones elsewhere (upright-frame pixels)."""
    return {
        lm.name: placed.get(lm.name, cast("tuple[float, float]", tuple(float(v) for v in clip.xy[position, lm])))  # x, y
        for lm in correctable(leg)
    }


def _picture(
    clip: RepClip, position: int, placed: dict[str, tuple[float, float]], leg: str, box: tuple[int, int, int, int]
) -> np.ndarray:
    """The frame cropped to ``box`` and enlarged to :data:`VIEW_WIDTH` pixels wide, with the placed points.

    Once a point is placed, the leg through the placed points (the measured
    ones where none was placed) is drawn in thin :data:`PLACED` lines and
    each placed point ringed; the clip's own overlay shows the measured leg.
    """
    x0, y0, x1, y1 = box
    zoom = VIEW_WIDTH / (x1 - x0)
    crop = _frame(clip.mp4, position)[y0:y1, x0:x1]
    image = cv2.resize(crop, (VIEW_WIDTH, max(1, round((y1 - y0) * zoom))), interpolation=cv2.INTER_CUBIC)
    if placed:
        points = _points(clip, position, placed, leg)
        at = {name: tuple(int(round(v)) for v in (np.asarray(xy) * clip.scale - (x0, y0)) * zoom) for name, xy in points.items()}
        hip, knee, ankle, _ = (lm.name for lm in correctable(leg))
        for a, b in ((hip, knee), (knee, ankle)):
            cv2.line(image, at[a], at[b], PLACED, 2, cv2.LINE_AA)
        for name in placed:
            cv2.circle(image, at[name], 7, PLACED, 2, cv2.LINE_AA)
            cv2.drawMarker(image, at[name], PLACED, cv2.MARKER_CROSS, 8, 1, cv2.LINE_AA)
    return image


@dataclass(frozen=True)
class _Check:
    """One rep being checked: the saved session's rep, its kept clip, who checks and where its widgets live."""

    session_id: int
    analysis: Analysis
    rep: Rep
    clip: RepClip
    reviewer: str
    db_url: str
    base: str  # the prefix of its widgets' keys

    @property
    def leg(self) -> str:
        return str(self.rep.leg)


def rep_check(session_id: int, analysis: Analysis, rep: Rep, reviewer: str, db_url: str, place: str) -> None:
    """The frame stepper and hand measurement of one saved rep (see the module notes).

    ``place`` names where on the page it is drawn (its widgets' keys), so the
    same rep can be open in two places at once.
    """
    clip = measurements.load_rep_clip(session_id, rep.index, db_url=db_url)
    if clip is None:
        st.caption("No clip was kept of this rep (saved without clips, or before clips were kept).")
        return
    check = _Check(session_id, analysis, rep, clip, reviewer, db_url, f"check-{place}-{session_id}-{rep.index}")
    standing = measurements.standing_measurements(session_id, db_url=db_url).get(rep.index)
    if standing is not None:
        _standing(standing, rep, reviewer, db_url, check.base)
    if check.leg not in ("left", "right"):
        st.caption("A squat on both legs: step through its frames; only a single-leg rep can be measured by hand.")
    frame = _stepper(check)
    position = [int(f) for f in clip.frames].index(frame)
    drafts: dict[int, dict[str, tuple[float, float]]] = st.session_state.setdefault(f"{check.base}-placed", {})
    placed = drafts.get(frame, {})
    # the saved measurement's points are drawn on its frame; they are no draft (nothing to save again)
    drawn = standing.points if not placed and standing is not None and standing.frame == frame else placed
    if check.leg not in ("left", "right"):
        st.image(_frame(clip.mp4, position), width=VIEW_WIDTH)
        return
    tool = st.radio("Tool", list(TOOLS), key=f"{check.base}-tool", horizontal=True, format_func=TOOLS.__getitem__)
    target = _target(check, tool, placed)
    box = view_box(clip, position, drawn)

    def place_clicked() -> None:
        click = st.session_state.get(f"{check.base}-click")
        if not click:
            return
        x0, y0, x1, y1 = box
        x = x0 + click["x"] * (x1 - x0) / click["width"]
        y = y0 + click["y"] * (y1 - y0) / click["height"]
        point, name = drafts.setdefault(frame, {}), target.name
        if tool == "angle":
            landmark, restart = next_angle_point(check.leg, point)
            if restart:
                point.clear()
            name = landmark.name
        point[name] = (x / float(clip.scale[0]), y / float(clip.scale[1]))

    picture, numbers = st.columns([3, 2])
    with picture:
        streamlit_image_coordinates(
            _picture(clip, position, drawn, check.leg, box),
            key=f"{check.base}-click",
            on_click=place_clicked,
            image_format="JPEG",
            jpeg_quality=92,
            cursor="crosshair",
        )
        st.caption(
            "The landmarks as measured are drawn in the clip; the points placed by hand are ringed in yellow. "
            f"Frame {frame + 1} of the video, {float(clip.t[position]):.2f} s."
        )
    with numbers:
        _numbers(check, tool, frame, drafts, bool(drawn))


def _stepper(check: _Check) -> int:
    """The previous and next buttons and the frame slider over the rep's clip; the frame chosen (a track row)."""
    frames = [int(f) for f in check.clip.frames]
    key = f"{check.base}-frame"
    if key not in st.session_state:
        st.session_state[key] = min(frames, key=lambda f: abs(f - check.rep.bottom_frame))

    def step(by: int) -> None:
        i = frames.index(st.session_state[key])
        st.session_state[key] = frames[min(max(i + by, 0), len(frames) - 1)]

    back, ahead, _ = st.columns([1, 1, 3])
    back.button("◀ Previous frame", key=f"{check.base}-back", on_click=step, args=(-1,), width="stretch")
    ahead.button("Next frame ▶", key=f"{check.base}-ahead", on_click=step, args=(1,), width="stretch")
    times = dict(zip(frames, check.clip.t))
    return int(
        st.select_slider(
            "Frame",
            frames,
            key=key,
            format_func=lambda f: f"{f + 1} ({times[f]:.2f} s{', deepest' if f == check.rep.bottom_frame else ''})",
        )
    )


def _target(check: _Check, tool: str, placed: Mapping[str, tuple[float, float]]) -> Landmark:
    """The point the next click places: chosen by the clinician, or the three-click angle's next one (said)."""
    choices = list(correctable(check.leg))
    if tool != "angle":
        return st.radio(
            "Click on the picture to place the",
            choices,
            index=1,
            key=f"{check.base}-point",
            horizontal=True,
            format_func=point_name,
        )
    target, done = next_angle_point(check.leg, placed)
    st.caption(
        "Hip, knee and ankle clicked; a fourth click starts a new angle."
        if done
        else f"Click the {point_name(target).lower()} ({choices.index(target) + 1} of 3), on any frame."
    )
    return target


def _numbers(check: _Check, tool: str, frame: int, drafts: dict[int, dict[str, tuple[float, float]]], drawn: bool) -> None:
    """FPPA on the frame, automatic and from the placed points, with the buttons to save or clear them."""
    rep, clip = check.rep, check.clip
    position = [int(f) for f in clip.frames].index(frame)
    placed = drafts.get(frame, {})
    automatic, _ = clip_angles(check.analysis, rep, clip, {lm: tuple(clip.xy[position, lm]) for lm in correctable(check.leg)})
    st.metric("FPPA on this frame, automatic", signed_angle(automatic), help="Positive = valgus (knee inward).")
    if not placed:
        st.caption(
            "Ringed: the saved measurement's points. Place a point to measure again."
            if drawn
            else "Place a point to measure this frame by hand."
        )
        return
    if tool == "angle" and not next_angle_point(check.leg, placed)[1]:
        st.caption(f"{len([lm for lm in correctable(check.leg)[:3] if lm.name in placed])} of 3 points clicked.")
        return
    points = _points(clip, position, placed, check.leg)
    fppa, drop = clip_angles(check.analysis, rep, clip, {Landmark[name]: xy for name, xy in points.items()})
    label = "Angle from your three clicks (FPPA)" if tool == "angle" else "FPPA from your points"
    st.metric(label, signed_angle(fppa), delta=f"{fppa - automatic:+.1f}° from automatic", delta_color="off")
    st.metric("Pelvic drop from your points", signed_angle(drop), help="Positive = the free leg's side lower.")
    if st.button("Save measurement", key=f"{check.base}-save", type="primary"):
        if not check.reviewer:
            st.error("Enter your name in the sidebar first: it is recorded with the measurement.")
            return
        measurements.add_measurement(
            check.session_id, rep.index, frame=frame, points=points, measured_by=check.reviewer, db_url=check.db_url
        )
        drafts.pop(frame, None)
        st.toast(f"Measured rep {rep_number(rep)}: FPPA {signed_angle(fppa)}.")
        st.rerun()
    if st.button("Clear my points", key=f"{check.base}-clear"):
        drafts.pop(frame, None)
        st.rerun()


def _standing(info: MeasurementInfo, rep: Rep, reviewer: str, db_url: str, base: str) -> None:
    """The rep's reported measurement, with its undo."""
    measured = info.measured()
    st.info(
        escaped(
            f"FPPA {signed_angle(measured.fppa_deg)}, pelvic drop {signed_angle(measured.pelvic_drop_deg)}: "
            f"{measured.source}, {info.created_at:%Y-%m-%d %H:%M} UTC (automatic: FPPA "
            f"{signed_angle(info.auto_fppa_deg)}, pelvic drop {signed_angle(info.auto_pelvic_drop_deg)})."
        ),
        icon=":material/straighten:",
    )
    if st.button("Undo this measurement", key=f"{base}-undo-{info.id}"):
        if not reviewer:
            st.error("Enter your name in the sidebar first: it is recorded with the undo.")
            return
        measurements.undo_measurement(info.id, undone_by=reviewer, db_url=db_url)
        st.toast(f"Undid the measurement of rep {rep_number(rep)}.")
        st.rerun()
