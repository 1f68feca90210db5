"""Short H.264 clips of each rep, cut from the annotated video, for the clinician to check later.

:func:`rep_clips` makes one :class:`~knee_cv.core.evidence.RepClip` per rep:
the rep's frames of the annotated video (:func:`knee_cv.media.render.annotate_video`:
the measured landmarks drawn, the face blurred when that was chosen), one
frame per analysed frame, scaled to fit 1280 x 720 (either way up) and
encoded small, with the landmarks measured on each frame. :func:`clip_frame`
decodes one frame of such a clip for the review page's frame stepper.

The size of what is kept is bounded: a rep longer than :data:`MAX_CLIP_S` is
cut to that around its deepest frame; a clip over ``max_clip_bytes`` is
encoded again smaller, and left out if it still is; clips stop once the
session's clips would pass ``max_total_bytes`` (the store's limits:
:data:`knee_cv.store.evidence.MAX_CLIP_BYTES`, :data:`knee_cv.store.evidence.MAX_SESSION_CLIP_BYTES`).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

from knee_cv.core.analysis import measured_landmarks
from knee_cv.core.evidence import RepClip
from knee_cv.core.landmarks import BODY_LANDMARKS
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.stats import frame_interval_s
from knee_cv.core.track import PoseTrack
from knee_cv.media.h264 import h264_writer
from knee_cv.media.video import iter_frames, probe

#: Largest clip, long side by short side, in pixels ("720p").
MAX_SIZE = (1280, 720)
#: Longest stretch of a rep kept, seconds, centred on its deepest frame (a rep is 1-3 s).
MAX_CLIP_S = 8.0
#: x264 quality and speed of a clip: CRF 28 keeps the knee's outline clear at about 150 kB a second
#: of 720p; a clip over the byte limit is made again at the second setting (half the size, CRF 33).
ENCODINGS = ((1.0, 28), (0.5, 33))
X264_PRESET = "veryfast"


def _fit(width: int, height: int, factor: float = 1.0) -> tuple[int, int]:
    """Even output size within :data:`MAX_SIZE` (either way up), times ``factor``; never larger than the input."""
    long_side, short_side = max(width, height), min(width, height)
    scale = min(1.0, MAX_SIZE[0] / long_side, MAX_SIZE[1] / short_side) * factor
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _annotated_scale(width: int, height: int, track: PoseTrack) -> float:
    """Annotated-video pixels per track pixel.

    :func:`knee_cv.media.render.annotate_video` draws the upright frame at its
    own size (an odd last row or column cut off) or shrunk by one factor, the
    shrunk width over the frame's.
    """
    if width in (track.width, track.width - 1) and height in (track.height, track.height - 1):
        return 1.0
    return width / track.width


def _window(track: PoseTrack, rep: Rep) -> np.ndarray:
    """Track rows of the rep, at most :data:`MAX_CLIP_S` around its deepest frame."""
    rows = np.arange(rep.start_frame, rep.end_frame + 1)
    t = track.t[rows]
    half = MAX_CLIP_S / 2
    centre = min(max(rep.t_bottom, t[0] + half), t[-1] - half) if t[-1] - t[0] > MAX_CLIP_S else rep.t_bottom
    return rows[np.abs(t - centre) <= half] if t[-1] - t[0] > MAX_CLIP_S else rows


def _matched_frames(path: Path, t: np.ndarray) -> dict[int, np.ndarray]:
    """The annotated video's frame nearest each time of ``t`` (within half a step), by position in ``t``."""
    step = frame_interval_s(t, default=1 / 30)
    best: dict[int, tuple[float, np.ndarray]] = {}
    for time, rgb in iter_frames(path, start_s=max(0.0, t[0] - step), stop_s=t[-1] + step):
        i = int(np.argmin(np.abs(t - time)))
        gap = abs(t[i] - time)
        if gap <= step / 2 and (i not in best or gap < best[i][0]):
            best[i] = (gap, rgb)
    return {i: rgb for i, (_, rgb) in best.items()}


def _encode(frames: list[np.ndarray], t: np.ndarray, size: tuple[int, int], crf: int, fps: float, path: Path) -> bytes:
    """H.264 MP4 of ``frames`` shown at times ``t`` (s), scaled to ``size``, written at ``path`` (a scratch file)."""
    with h264_writer(path, fps, preset=X264_PRESET, crf=crf) as out:
        out.stream.width, out.stream.height = size
        for rgb, time in zip(frames, t):
            image = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if rgb.shape[1::-1] != size else rgb
            out.write(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24"), time)
    return path.read_bytes()


def rep_clips(
    video: bytes,
    track: PoseTrack,
    analysis: Analysis,
    *,
    max_clip_bytes: int,
    max_total_bytes: int,
) -> dict[int, RepClip]:
    """One clip per rep (by ``Rep.index``), cut from the annotated video.

    Parameters
    ----------
    video : bytes
        The annotated MP4 of ``track`` (:attr:`knee_cv.pipeline.Processed.video`):
        its frame times are the track's.
    track : PoseTrack
        The analysed track (frame times, frame size, landmarks).
    analysis : Analysis
        Its analysis (the reps; the landmark filters it used).
    max_clip_bytes, max_total_bytes : int
        Largest clip, and largest sum of the clips, in bytes (see the module notes).

    Returns
    -------
    dict of int to RepClip
        Reps whose frames could not be found in the video, or that did not
        fit the limits, have none.

    Raises
    ------
    knee_cv.errors.VideoError
        The video cannot be read.
    """
    if not analysis.reps:
        return {}
    measured = np.full(track.xy.shape, np.nan)  # the body's landmarks only: those the angles come from
    body = list(BODY_LANDMARKS)
    measured[:, body] = measured_landmarks(track, filters=analysis.thresholds.filters)[:, body]
    clips: dict[int, RepClip] = {}
    total = 0
    with tempfile.TemporaryDirectory(prefix="knee_cv_clips_") as folder:
        path = Path(folder) / "annotated.mp4"
        path.write_bytes(video)
        info = probe(path)
        shrink = _annotated_scale(info.width, info.height, track)
        for rep in analysis.reps:
            rows = _window(track, rep)
            found = _matched_frames(path, track.t[rows])
            keep = sorted(found)
            if not keep:
                continue
            rows = rows[keep]
            frames = [found[i] for i in keep]
            clip = None
            for factor, crf in ENCODINGS:
                size = _fit(info.width, info.height, factor)  # the annotated video has no rotation tag
                mp4 = _encode(frames, track.t[rows], size, crf, track.fps, Path(folder) / "clip.mp4")
                if len(mp4) <= max_clip_bytes:
                    clip = RepClip(
                        mp4=mp4,
                        frames=rows.astype(np.int64),
                        t=track.t[rows].astype(float),
                        xy=measured[rows],
                        scale=shrink * np.array([size[0] / info.width, size[1] / info.height]),
                    )
                    break
            if clip is None or total + len(clip.mp4) > max_total_bytes:
                continue
            total += len(clip.mp4)
            clips[rep.index] = clip
    return clips


def clip_frame(mp4: bytes, position: int) -> np.ndarray:
    """Frame ``position`` (0-based) of a clip, RGB uint8 of shape (H, W, 3).

    Raises
    ------
    IndexError
        The clip has fewer frames.
    """
    with av.open(io.BytesIO(mp4), mode="r") as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == position:
                return frame.to_ndarray(format="rgb24")
    raise IndexError(f"the clip has no frame {position}")
