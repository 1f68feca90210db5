"""Drawing on frames: skeleton, stance-leg lines, readouts, face blur, annotated video.

All frames here are RGB ``uint8`` arrays of shape (H, W, 3), upright, and all
landmark coordinates are pixels in that frame (origin top-left, y down),
indexed by :class:`knee_cv.core.landmarks.Landmark`. Landmarks that are NaN are
not drawn. Colours are RGB tuples. Drawing functions change the frame in
place and return it.

Angles shown use the conventions of :class:`knee_cv.core.result.Analysis`:
FPPA positive = valgus (knee inward), pelvic drop positive = free-leg side
lower.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from knee_cv import palette
from knee_cv.core.analysis import measured_landmarks
from knee_cv.core.criteria import MAJOR
from knee_cv.core.labels import SIDES, Leg
from knee_cv.core.landmarks import SKELETON_EDGES, Landmark
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.shown import rep_label, signed_angle
from knee_cv.core.stats import frame_interval_s
from knee_cv.core.track import PoseTrack
from knee_cv.errors import VideoError
from knee_cv.media.h264 import h264_writer
from knee_cv.media.video import frames_in_background, iter_frames, keyframe_times, probe

#: Colour of a rep with no finding (RGB; the palette's sky blue, knee_cv.palette).
OK = palette.rgb("ok")
#: Colour of a rep flagged for knee valgus or pelvic drop (RGB; vermillion, the only red).
FLAGGED = palette.rgb("flag")
#: Colour of a rep with another finding (trunk lean, wobble, shallow) (RGB; orange).
CAUTION = palette.rgb("minor")
#: Colour of a rep that could not be measured reliably (RGB; grey).
UNRELIABLE = palette.rgb("unreliable")
#: Colour of the stance leg between reps (RGB).
NEUTRAL = (90, 170, 255)
#: Colour of the skeleton (RGB).
SKELETON = (235, 235, 235)

#: Face landmarks used to place the blur.
FACE = (
    Landmark.NOSE,
    Landmark.LEFT_EYE_INNER,
    Landmark.LEFT_EYE,
    Landmark.LEFT_EYE_OUTER,
    Landmark.RIGHT_EYE_INNER,
    Landmark.RIGHT_EYE,
    Landmark.RIGHT_EYE_OUTER,
    Landmark.LEFT_EAR,
    Landmark.RIGHT_EAR,
    Landmark.MOUTH_LEFT,
    Landmark.MOUTH_RIGHT,
)

#: x264 speed preset of the annotated video: "ultrafast" encodes a 1280x674 frame in
#: about 3.3 ms on a busy 2-core machine ("superfast": 6.4 ms), at about 1.7 Mbit/s
#: at 24 fps instead of 1.2 (the live recording uses it too).
X264_PRESET = "ultrafast"
#: Frame width over which the readouts' font scale is 1 (text about 22 px tall): the text keeps a share of the
#: frame's width, so a video shown across a phone (about 360 px) still has readouts about 9 px tall.
READOUT_WIDTH_PX = 850
#: Longest side of the annotated video, in pixels (larger clips are scaled down):
#: 720p, 1280 x 720 landscape or 720 x 1280 portrait.
MAX_VIDEO_SIDE = 1280


def rep_colour(rep: Rep) -> tuple[int, int, int]:
    """The flag colour of a rep.

    Returns
    -------
    tuple of int
        :data:`UNRELIABLE` if the rep is not reliable, :data:`FLAGGED` if it
        has a flag of a major criterion (knee valgus, pelvic drop:
        :data:`knee_cv.core.criteria.MAJOR`), :data:`CAUTION` if it has any other
        flag, else :data:`OK`.
    """
    if not rep.reliable:
        return UNRELIABLE
    criteria = {flag.criterion for flag in rep.flags}
    if criteria & MAJOR:
        return FLAGGED
    return CAUTION if criteria else OK


def _scale(frame: np.ndarray) -> int:
    """Line thickness in pixels suited to the frame size."""
    thickness: int = max(2, round(min(frame.shape[:2]) / 180))
    return thickness


def _point(xy: np.ndarray, landmark: Landmark) -> tuple[int, int] | None:
    """Integer pixel position of a landmark, or None where it is NaN."""
    x, y = xy[landmark]
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    return int(round(x)), int(round(y))


def _leg_joints(leg: str) -> tuple[Landmark, Landmark, Landmark]:
    """Hip, knee and ankle landmarks of the person's ``"left"`` or ``"right"`` leg."""
    side = leg.upper()
    return Landmark[f"{side}_HIP"], Landmark[f"{side}_KNEE"], Landmark[f"{side}_ANKLE"]


def draw_skeleton(
    frame: np.ndarray,
    xy: np.ndarray,
    visibility: np.ndarray | None = None,
    *,
    min_visibility: float = 0.5,
    colour: tuple[int, int, int] = SKELETON,
) -> np.ndarray:
    """Draw the body's bones (:data:`knee_cv.core.landmarks.SKELETON_EDGES`) and joints.

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        RGB frame, drawn on in place.
    xy : ndarray, shape (33, 2)
        Landmark pixels; NaN landmarks are skipped.
    visibility : ndarray, shape (33,), optional
        MediaPipe visibility; bones with an end below ``min_visibility``
        are skipped (NaN visibility counts as visible).
    min_visibility : float
        Drawing threshold (MediaPipe's own is 0.5).
    colour : tuple of int
        RGB colour of the bones.

    Returns
    -------
    ndarray
        ``frame``.
    """
    thick = max(1, _scale(frame) // 2)

    def shown(landmark: Landmark) -> tuple[int, int] | None:
        if visibility is not None and visibility[landmark] < min_visibility:
            return None
        return _point(xy, landmark)

    for a, b in SKELETON_EDGES:
        pa, pb = shown(a), shown(b)
        if pa is not None and pb is not None:
            cv2.line(frame, pa, pb, colour, thick, cv2.LINE_AA)
    for a in {landmark for edge in SKELETON_EDGES for landmark in edge}:
        pa = shown(a)
        if pa is not None:
            cv2.circle(frame, pa, thick + 1, colour, -1, cv2.LINE_AA)
    return frame


def draw_leg(frame: np.ndarray, xy: np.ndarray, leg: str, colour: tuple[int, int, int]) -> np.ndarray:
    """Draw the thigh (hip->knee) and shank (knee->ankle) of one leg, thick, in ``colour``.

    A thin hip->ankle line is drawn as well: the knee's distance from it
    is what FPPA measures (knee inside it = valgus).

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        RGB frame, drawn on in place.
    xy : ndarray, shape (33, 2)
        Landmark pixels; nothing is drawn if a joint of the leg is NaN.
    leg : {"left", "right"}
        The person's own leg.
    colour : tuple of int
        RGB colour.

    Returns
    -------
    ndarray
        ``frame``.
    """
    hip, knee, ankle = (_point(xy, joint) for joint in _leg_joints(leg))
    if hip is None or knee is None or ankle is None:
        return frame
    thick = _scale(frame)
    cv2.line(frame, hip, ankle, colour, max(1, thick // 3), cv2.LINE_AA)
    cv2.line(frame, hip, knee, colour, thick * 2, cv2.LINE_AA)
    cv2.line(frame, knee, ankle, colour, thick * 2, cv2.LINE_AA)
    for joint in (hip, knee, ankle):
        cv2.circle(frame, joint, thick * 2, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(frame, joint, thick * 2, colour, max(1, thick // 2), cv2.LINE_AA)
    return frame


def draw_readouts(frame: np.ndarray, lines: Sequence[str], colour: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Write text lines in a dark box at the frame's top-left corner.

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        RGB frame, drawn on in place.
    lines : sequence of str
        ASCII text, one entry a line (OpenCV fonts have no degree sign).
    colour : tuple of int
        RGB colour of a bar at the box's left edge (the flag colour).

    Returns
    -------
    ndarray
        ``frame``.
    """
    if not lines:
        return frame
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = max(0.45, frame.shape[1] / READOUT_WIDTH_PX)
    weight = max(1, round(scale * 2))
    sizes = [cv2.getTextSize(line, font, scale, weight)[0] for line in lines]
    line_h = max(h for _, h in sizes) * 1.8
    pad = int(line_h * 0.4)
    box_w = max(w for w, _ in sizes) + 3 * pad
    box_h = int(line_h * len(lines)) + pad
    box_w, box_h = min(box_w, frame.shape[1]), min(box_h, frame.shape[0])
    region = frame[:box_h, :box_w]
    region[:] = (region * 0.35).astype(np.uint8)
    frame[:box_h, : max(3, pad // 2)] = colour
    for row, line in enumerate(lines):
        y = int(line_h * (row + 1))
        cv2.putText(frame, line, (2 * pad, y), font, scale, (255, 255, 255), weight, cv2.LINE_AA)
    return frame


def pixelate_face(frame: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Pixelate the face, located from the face landmarks (nose, eyes, ears, mouth).

    The blurred box covers the face landmarks plus a margin of the face's
    own size (at least a fifth of the shoulder width, so a face seen from
    the side is covered too). Nothing happens when no face landmark is known.

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        RGB frame, changed in place.
    xy : ndarray, shape (33, 2)
        Landmark pixels.

    Returns
    -------
    ndarray
        ``frame``.
    """
    face = xy[list(FACE)]
    face = face[np.isfinite(face).all(axis=1)]
    if not len(face):
        return frame
    lo, hi = face.min(axis=0), face.max(axis=0)
    shoulders = xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]]
    shoulder_w = float(np.abs(np.diff(shoulders[:, 0]))[0]) if np.isfinite(shoulders).all() else 0.0
    margin = max(float((hi - lo).max()), shoulder_w / 5, 8.0)
    height, width = frame.shape[:2]
    x0, y0 = (np.floor(lo - margin)).astype(int).clip(0, [width, height])
    x1, y1 = (np.ceil(hi + margin)).astype(int).clip(0, [width, height])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return frame
    region = frame[y0:y1, x0:x1]
    small = cv2.resize(region, (max(1, (x1 - x0) // 12), max(1, (y1 - y0) // 12)), interpolation=cv2.INTER_AREA)
    frame[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    return frame


def _readout(value: float) -> str:
    """An angle on the video: "+12.3 deg", "--" for NaN (the video's font has neither ° nor an em dash)."""
    return signed_angle(value, " deg", "--")


def annotate_frame(
    frame: np.ndarray,
    xy: np.ndarray,
    visibility: np.ndarray | None = None,
    *,
    leg: str | None = None,
    fppa_deg: Mapping[str, float] | None = None,
    pelvic_drop_deg: float = float("nan"),
    rep_label: str = "",
    colour: tuple[int, int, int] = NEUTRAL,
    face_blur: bool = False,
) -> np.ndarray:
    """Draw everything a viewer needs on one frame: the shared overlay of video and live.

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        RGB frame, drawn on in place.
    xy : ndarray, shape (33, 2)
        Landmark pixels (NaN where unknown).
    visibility : ndarray, shape (33,), optional
        Landmark visibility, for the skeleton.
    leg : {"left", "right", "both"} or None
        Stance leg (``"both"`` for a two-leg squat), drawn thick in
        ``colour``; None draws no leg lines.
    fppa_deg : mapping of str to float, optional
        FPPA per leg (``"left"``, ``"right"``) in degrees, positive = valgus;
        the stance legs' values are shown (NaN or absent shows ``--``).
    pelvic_drop_deg : float
        Pelvic drop in degrees, positive = free-leg side lower (NaN shows ``--``).
    rep_label : str
        For example ``"Rep 2 of 5"`` or ``"Reps: 3"``; empty for none.
    colour : tuple of int
        RGB flag colour of the leg lines and the readout bar.
    face_blur : bool
        Pixelate the face first (:func:`pixelate_face`).

    Returns
    -------
    ndarray
        ``frame``.
    """
    if face_blur:
        pixelate_face(frame, xy)
    draw_skeleton(frame, xy, visibility)
    fppa_deg = fppa_deg or {}
    lines = [rep_label] if rep_label else []
    legs = Leg(leg).sides if leg else ()
    for side in legs:
        draw_leg(frame, xy, side, colour)
    if leg and len(legs) == 1:
        lines += [f"Stance: {leg}", f"FPPA {_readout(fppa_deg.get(leg, np.nan))}"]
    elif legs:
        lines += [
            "Stance: both legs",
            f"FPPA L {_readout(fppa_deg.get('left', np.nan))} R {_readout(fppa_deg.get('right', np.nan))}",
        ]
    lines.append(f"Pelvic drop {_readout(pelvic_drop_deg)}")
    return draw_readouts(frame, lines, colour)


def _rep_at(reps: Sequence[Rep], t: float) -> Rep | None:
    """The rep whose [t_start, t_end] holds ``t`` (s), else None."""
    for rep in reps:
        if rep.t_start <= t <= rep.t_end:
            return rep
    return None


def _nearest_rep(reps: Sequence[Rep], t: float) -> Rep | None:
    """The rep whose middle is closest in time to ``t`` (s); None if there are none."""
    if not reps:
        return None
    return min(reps, key=lambda rep: abs((rep.t_start + rep.t_end) / 2 - t))


def _frame_overlay(analysis: Analysis, index: int, t: float) -> dict[str, Any]:
    """Keyword arguments of :func:`annotate_frame` for row ``index`` of the analysis at time ``t``.

    Angles are left out (shown as ``--``) during unreliable reps and
    everywhere when the session is not measurable, so no wrong number is shown.
    """
    rep = _rep_at(analysis.reps, t)
    near = rep or _nearest_rep(analysis.reps, t)
    leg = near.leg if near is not None else None
    series = analysis.series
    trusted = analysis.summary.measurable and (rep is None or rep.reliable)
    if not len(series) or not trusted:
        fppa, drop = {}, np.nan
    else:
        fppa, drop = {side: float(series.leg(side).fppa[index]) for side in SIDES}, float(series.pelvic_drop[index])
    if rep is not None:
        note = "" if rep.reliable else " (unreliable)"
        return dict(
            leg=leg,
            fppa_deg=fppa,
            pelvic_drop_deg=drop,
            rep_label=f"{rep_label(rep, with_leg=False)} of {len(analysis.reps)}{note}",
            colour=rep_colour(rep),
        )
    n_reps = len(analysis.reps)
    label = f"{n_reps} rep{'s' if n_reps > 1 else ''}" if n_reps else "No rep found"
    return dict(leg=leg, fppa_deg=fppa, pelvic_drop_deg=drop, rep_label=label, colour=NEUTRAL)


def annotate_video(
    video_path: str | Path,
    track: PoseTrack,
    analysis: Analysis,
    out_path: str | Path,
    blur_face: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
    *,
    max_side: int = MAX_VIDEO_SIDE,
) -> None:
    """Write the annotated video.

    Every frame gets the skeleton (the hips, knees, ankles and shoulders
    where the analysis measured them: cleaned, see
    :func:`knee_cv.core.analysis.measured_landmarks`), the stance leg's thigh and shank in its
    rep's flag colour (:func:`rep_colour`; :data:`NEUTRAL` between reps), the
    FPPA and pelvic-drop readouts and the rep number. The output is H.264
    (yuv420p, even size, ``+faststart``, :data:`X264_PRESET`) in MP4 with the
    source's real frame times, so browsers play it and can start before it is
    fully loaded. Frames are shrunk to ``max_side`` as they are decoded (in
    YUV, before their conversion to RGB), in a background thread, so a 1080p
    clip is never converted or drawn at full size. The rep thumbnails are
    :func:`rep_key_frames`' work: they need no video.

    Parameters
    ----------
    video_path : str or Path
        The video the track was made from.
    track : PoseTrack
        Its pose track; video frames are matched to track rows by time
        (nearest within half a frame), unmatched frames get no overlay. The
        frames are flipped and turned as the pose model saw them
        (``track.orientation``), so the overlay lines up and left and right
        are the person's own.
    analysis : Analysis
        The analysis of ``track`` (series rows = track rows).
    out_path : str or Path
        Destination ``.mp4``; overwritten.
    blur_face : bool
        Blur the face.
    progress : callable, optional
        Called as ``progress(frames_done, frames_total_estimate)``.
    max_side : int
        Longest side of the output in pixels; larger sources are scaled down.

    Raises
    ------
    knee_cv.errors.VideoError
        If the video cannot be read.
    """
    drawn = measured_landmarks(track, filters=analysis.thresholds.filters)
    step = frame_interval_s(track.t, default=1.0 / max(track.fps, 1.0))
    info = probe(video_path)
    full_width = track.orientation.size(info.width, info.height)[0]
    with h264_writer(out_path, track.fps, preset=X264_PRESET, crf=23) as out:
        decoded = iter_frames(video_path, long_side=max_side)
        frames = frames_in_background((t, track.orientation.apply(rgb)) for t, rgb in decoded)
        for done, (t, rgb) in enumerate(frames, start=1):
            frame = _even(rgb)
            if done == 1:
                factor = rgb.shape[1] / full_width
                out.stream.width, out.stream.height = frame.shape[1], frame.shape[0]
            index = int(np.argmin(np.abs(track.t - t))) if len(track) else -1
            if index >= 0 and abs(track.t[index] - t) <= step / 2:
                annotate_frame(
                    frame,
                    drawn[index] * factor,
                    track.visibility[index],
                    face_blur=blur_face,
                    **_frame_overlay(analysis, index, t),
                )
            yuv = np.asarray(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420), dtype=np.uint8)  # uint8 already: no copy
            out.write(av.VideoFrame.from_ndarray(yuv, format="yuv420p"), t)
            if progress is not None:
                progress(done, len(track))


def _even(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` with an odd last row or column cut off (H.264 yuv420p needs even sides).

    Frames shrunk as they are decoded are even already; only a small source of odd size is cut.
    """
    height, width = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    if (height, width) == rgb.shape[:2]:
        return rgb
    return np.ascontiguousarray(rgb[:height, :width])


def rep_thumbnail(
    frame: np.ndarray,
    xy: np.ndarray,
    rep: Rep,
    *,
    blur_face: bool = False,
    max_side: int = 480,
    quality: int = 85,
) -> bytes:
    """A JPEG of a rep's deepest frame with the stance leg's lines and its FPPA.

    The picture is cropped to the body (landmark bounding box plus a
    margin) and scaled so its longest side is at most ``max_side``.

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        The RGB frame at ``rep.bottom_frame``; not changed.
    xy : ndarray, shape (33, 2)
        Landmark pixels in that frame.
    rep : Rep
        The rep: its leg(s), colour (:func:`rep_colour`) and, if it is
        reliable, ``fppa_bottom_deg`` (degrees, positive = valgus) are drawn.
    blur_face : bool
        Blur the face.
    max_side : int
        Longest side of the thumbnail in pixels.
    quality : int
        JPEG quality, 0-100.

    Returns
    -------
    bytes
        The JPEG file.
    """
    image = frame.copy()
    if blur_face:
        pixelate_face(image, xy)
    colour = rep_colour(rep)
    draw_skeleton(image, xy)
    for side in Leg(rep.leg).sides:
        draw_leg(image, xy, side, colour)
    known = xy[np.isfinite(xy).all(axis=1)]
    if len(known):
        lo, hi = known.min(axis=0), known.max(axis=0)
        margin = 0.12 * (hi - lo).max()
        height, width = image.shape[:2]
        x0, y0 = np.floor(lo - margin).astype(int).clip(0, [width, height])
        x1, y1 = np.ceil(hi + margin).astype(int).clip(0, [width, height])
        if x1 - x0 > 8 and y1 - y0 > 8:
            image = np.ascontiguousarray(image[y0:y1, x0:x1])
    factor = min(1.0, max_side / max(image.shape[:2]))
    if factor < 1.0:
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    angle = f"FPPA {_readout(rep.fppa_bottom_deg)}" if rep.reliable else "FPPA not measurable"
    draw_readouts(image, [rep_label(rep), angle], colour)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode the thumbnail as JPEG")
    return jpeg.tobytes()


def rep_key_frames(
    video_path: str | Path,
    track: PoseTrack,
    analysis: Analysis,
    *,
    blur_face: bool = False,
    max_side: int = 480,
) -> dict[int, bytes]:
    """The thumbnail (:func:`rep_thumbnail`) of each rep's deepest frame, without writing a video.

    Each deepest frame is the video frame nearest in time to its track row
    (as :func:`annotate_video` matches them), so a track that skipped frames
    still gets the right picture, flipped and turned as the pose model saw it
    (``track.orientation``); the landmarks drawn are those measured
    (:func:`knee_cv.core.analysis.measured_landmarks`). Only the stretches
    that hold deepest frames are decoded: a rep is reached by seeking to the
    keyframe before it when one lies after the previous rep, else by decoding
    on from that rep (:func:`_seek_groups`). Reps before the second keyframe
    are decoded from the start without a seek: in MP4 files whose first
    frame is not listed as a sync sample, FFmpeg's seek to that stretch lands
    on the second keyframe, and finding the start again costs more than it saves.

    Returns
    -------
    dict of int to bytes
        JPEG per ``Rep.index``.
    """
    if not analysis.reps:
        return {}
    drawn = measured_landmarks(track, filters=analysis.thresholds.filters)
    half = frame_interval_s(track.t, default=1.0 / max(track.fps, 1.0)) / 2
    wanted = sorted((float(track.t[rep.bottom_frame]), rep.index) for rep in analysis.reps)
    best: dict[int, tuple[float, np.ndarray]] = {}
    keyframes = _keyframe_times(video_path)
    for group in _seek_groups(wanted, keyframes):
        seek = any(keyframes[0] < key <= group[0][0] for key in keyframes) if keyframes else False
        frames = iter_frames(
            video_path,
            start_s=group[0][0] - half if seek else 0.0,
            stop_s=group[-1][0] + half,
            near_s=[t_rep for t_rep, _ in group],
            near_tolerance_s=half,
        )
        for t, rgb in frames:
            for t_rep, index in group:
                gap = abs(t - t_rep)
                if gap <= half and (index not in best or gap < best[index][0]):
                    best[index] = (gap, rgb)
    reps = {rep.index: rep for rep in analysis.reps}
    return {
        index: rep_thumbnail(
            track.orientation.apply(rgb), drawn[reps[index].bottom_frame], reps[index], blur_face=blur_face, max_side=max_side
        )
        for index, (_, rgb) in sorted(best.items())
    }


def _keyframe_times(video_path: str | Path) -> list[float]:
    """Times (s, on :func:`iter_frames`' clock) of the video's keyframes, in order (:func:`keyframe_times`).

    Empty when the packets cannot be read: then every rep is decoded in one pass.
    """
    info = probe(video_path)
    try:
        return sorted(keyframe_times(info))
    except (av.error.FFmpegError, VideoError):
        return []


def _seek_groups(wanted: list[tuple[float, int]], keyframes: list[float]) -> list[list[tuple[float, int]]]:
    """``wanted`` (time, rep index; sorted by time) cut where a keyframe lies between two reps.

    Each group is decoded in one pass from a seek before its first rep; a
    keyframe after the previous rep makes a seek cheaper than decoding on.
    """
    groups = [[wanted[0]]]
    for previous, item in zip(wanted, wanted[1:]):
        if any(previous[0] < key <= item[0] for key in keyframes):
            groups.append([item])
        else:
            groups[-1].append(item)
    return groups
