"""Reading video files: checks, upright RGB frames and real timestamps.

Everything here decodes with PyAV (FFmpeg). Three rules hold throughout:

* Frames come out **upright**: the phone's rotation tag (the display
  matrix) is applied to the pixels, because PyAV does not do it.
* Timestamps are the frames' real presentation times (PTS x time base), so a
  variable-frame-rate phone clip keeps its true timing. The container's
  frame count is never trusted.
* A file a person can get wrong (not a video, a photo, sound only, cut off,
  too big, too long) raises :class:`knee_cv.errors.VideoError` with a
  sentence that says what to do.

Damaged files
-------------
A file that breaks off part-way (an interrupted upload or copy) is decoded
up to the break. If the readable part lasts at least
``VideoLimits.min_partial_s`` seconds those frames are kept, and a warning
is logged; a shorter readable part raises :class:`VideoError`. A file cut so
early that its index is missing cannot be opened at all and raises too.
"""

from __future__ import annotations

import codecs
import io
import itertools
import logging
import math
import queue
import stat
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import TypeVar, cast

import av
import numpy as np

from knee_cv.errors import VideoError

_log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: File endings taken as videos: the upload picker's types and what ``knee-cv batch`` picks from a folder.
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv", ".3gp")

_RE_EXPORT = "Export the clip again from the phone's gallery as MP4 (H.264) and upload that."

#: FFmpeg demuxers that read single pictures, not video.
_IMAGE_DEMUXERS = ("image2", "image2pipe")


@dataclass(frozen=True)
class VideoLimits:
    """Limits a video must meet before it is decoded.

    Attributes
    ----------
    max_bytes : int
        Largest file size, in bytes (default 500 MB).
    max_pixels : int
        Largest picture area, width x height in pixels (default 16.8 million,
        a little above 4K UHD).
    max_side : int
        Largest width or height, in pixels (default 8192).
    min_side : int
        Smallest width or height, in pixels (default 32). The pose model
        looks at the person in a 256-pixel square; a picture under 32 pixels
        a side leaves a few pixels per limb, and shrinking it for inference
        or drawing would round a side down to nothing.
    max_aspect : float
        Largest ratio of the long side to the short side (default 4). Phone
        and camera clips are at most 2.4:1 (21:9 cinema); a narrower strip
        cannot hold a standing person, and shrunk for the model its short
        side would vanish (an 8000 x 8 clip made OpenCV fail).
    max_duration_s : float
        Longest clip, in seconds (default 600 s = 10 minutes).
    min_partial_s : float
        A damaged file that stops decoding part-way is kept only if the part
        that decoded lasts at least this long, in seconds (default 1 s).
    """

    max_bytes: int = 500_000_000
    max_pixels: int = 16_800_000
    max_side: int = 8192
    min_side: int = 32
    max_aspect: float = 4.0
    max_duration_s: float = 600.0
    min_partial_s: float = 1.0


@dataclass
class VideoInfo:
    """What :func:`probe` learned about a video file.

    Attributes
    ----------
    path : Path
        The file.
    width, height : int
        Size of the **upright** picture in pixels, after the rotation tag is
        applied (a portrait phone clip stored as 1920x1080 reports 1080x1920).
    rotation : int
        Counter-clockwise rotation applied to the stored pixels to make
        them upright, in degrees: one of 0, 90, 180, -90 (FFmpeg's display
        matrix convention; -90 means turned 90 degrees clockwise, as a
        portrait phone clip usually needs).
    fps : float
        Nominal frame rate in frames per second, as the container states it
        (NaN if it states none). Real frame times can differ (variable frame
        rate); use the timestamps from :func:`iter_frames`.
    duration_s : float
        Duration the container states, in seconds (NaN if it states none).
    codec : str
        Name of the video codec, for example ``"h264"``, ``"hevc"``, ``"vp9"``.
    claimed_frames : int or None
        Frame count the container states (None if it states none). It can
        be wrong; :func:`iter_frames` never relies on it.
    size_bytes : int
        File size in bytes.
    start_time_s : float
        Presentation time of the first frame on the stream's own clock, in
        seconds; the times :func:`iter_frames` yields count from it.
    """

    path: Path
    width: int
    height: int
    rotation: int
    fps: float
    duration_s: float
    codec: str
    claimed_frames: int | None
    size_bytes: int
    start_time_s: float


def _unreadable(path: Path, exc: OSError) -> VideoError:
    """The sentence for a file the operating system will not let us read (permissions, a bad path)."""
    reason = (exc.strerror or str(exc)).lower()
    return VideoError(
        f"{path.name} cannot be opened ({reason}). Check that the file is there and that you may read it, "
        "or copy it to another folder and choose the copy."
    )


def _check_file(path: Path, limits: VideoLimits) -> int:
    """Return the file size in bytes after checking the file exists, can be read and fits."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise VideoError(f"The file {path} does not exist. Check the path, or upload the video again.") from None
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if stat.S_ISDIR(status.st_mode):
        raise VideoError(f"{path} is a folder, not a video file. Choose the video file itself.")
    if not stat.S_ISREG(status.st_mode):
        raise VideoError(f"{path} is a device or a pipe, not a video file. Choose the video file itself.")
    size = status.st_size
    if size == 0:
        raise VideoError(f"The file {path.name} is empty (0 bytes): the upload or copy failed. {_RE_EXPORT}")
    if size > limits.max_bytes:
        raise VideoError(
            f"The file {path.name} is too large ({size / 1e6:.0f} MB; the limit is "
            f"{limits.max_bytes / 1e6:.0f} MB). Trim the clip to the squats only, or export it at a "
            "lower resolution (1080p is plenty), and upload that."
        )
    return size


def _looks_like_text(path: Path) -> bool:
    """True if the start of the file is readable UTF-8 text without NUL bytes (False if it cannot be read)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if b"\0" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character may straddle the cut
    except UnicodeDecodeError:
        return False
    return True


def _open(path: Path) -> av.container.InputContainer:
    """Open ``path`` with PyAV, turning FFmpeg's and the operating system's refusals into a VideoError."""
    try:
        return av.open(str(path), mode="r", metadata_errors="replace")  # tags need not be UTF-8
    except OSError as exc:  # PyAV's errors for permissions and paths are OSErrors too
        raise _unreadable(path, exc) from exc
    except av.error.FFmpegError as exc:
        if _looks_like_text(path):
            raise VideoError(f"{path.name} is a text file, not a video. Choose the video file itself.") from exc
        raise VideoError(
            f"{path.name} is not a video format knee_cv can read (it may be damaged or incompletely copied). {_RE_EXPORT}"
        ) from exc


#: Container tags that may hold when a clip was filmed: the MP4/MOV muxers' and Apple's.
CREATION_TAGS = ("com.apple.quicktime.creationdate", "creation_time")


def creation_time(source: bytes | str | Path) -> datetime | None:
    """When a video file says it was filmed, from its container's or its video stream's tags.

    Parameters
    ----------
    source : bytes, str or Path
        The file's content (an upload), or its path (only its header is read).

    Returns
    -------
    datetime or None
        Timezone-aware (UTC when the tag has no offset); None when the file
        has no such tag, the tag is not an ISO 8601 time, or the file cannot
        be opened (that error is for the analysis to report).
    """
    try:
        opened = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        with av.open(opened, mode="r", metadata_errors="replace") as container:
            tags = [dict(container.metadata)] + [dict(stream.metadata) for stream in container.streams.video]
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    for name in CREATION_TAGS:
        for found in tags:
            text = found.get(name, "").strip()
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None


def _video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """Return the first video stream, set up for threaded decoding."""
    if container.format.name in _IMAGE_DEMUXERS or container.format.name.endswith("_pipe"):
        raise VideoError(f"{path.name} looks like a still image, not a video. Record the squats as a video and upload that.")
    if not container.streams.video:
        if container.streams.audio:
            raise VideoError(
                f"{path.name} holds only sound, no picture. Upload the video file itself (MP4 or MOV), not an audio recording."
            )
        raise VideoError(f"{path.name} holds no video (it may be incompletely copied). {_RE_EXPORT}")
    stream = container.streams.video[0]
    if stream.codec_context is None:  # FFmpeg knows no decoder for the codec the file names
        raise VideoError(f"{path.name} uses a video codec knee_cv cannot read (or its header is damaged). {_RE_EXPORT}")
    if stream.time_base is None:
        raise VideoError(f"{path.name} does not say how its frame times are counted (no time base). {_RE_EXPORT}")
    stream.thread_type = "AUTO"
    return stream


def _time_base(stream: av.video.stream.VideoStream) -> Fraction:
    """The stream's time base in seconds per tick; :func:`_video_stream` refused streams without one."""
    assert stream.time_base is not None, "a stream from _video_stream has a time base"
    return stream.time_base


def _check_size(width: int, height: int, path: Path, limits: VideoLimits) -> None:
    """Raise VideoError for an absurd picture size in pixels (as stored; 0 = not stated, passes)."""
    if not width or not height:
        return
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise VideoError(
            f"{path.name} has a picture of {width}x{height} pixels, larger than knee_cv accepts "
            f"(at most {limits.max_side} pixels a side and {limits.max_pixels / 1e6:.1f} million in all). "
            "Export the clip at 1080p or 4K and upload that."
        )
    if min(width, height) < limits.min_side:
        raise VideoError(
            f"{path.name} has a picture of {width}x{height} pixels, too small to show a person's joints "
            f"(at least {limits.min_side} pixels a side). Film at 480p or more and upload that."
        )
    if max(width, height) > limits.max_aspect * min(width, height):
        raise VideoError(
            f"{path.name} has a picture of {width}x{height} pixels, a strip too narrow to hold a person "
            f"(its long side may be at most {limits.max_aspect:g} times its short side). Film with the phone's ordinary camera, "
            "upright or on its side, without cropping, and upload that."
        )


def _check_duration(duration_s: float, path: Path, limits: VideoLimits) -> None:
    """Raise VideoError if ``duration_s`` (seconds) exceeds the limit; NaN passes."""
    if duration_s > limits.max_duration_s:
        raise VideoError(
            f"{path.name} lasts {duration_s:.1f} s, longer than the limit of "
            f"{limits.max_duration_s:.1f} s. Trim the clip to the squats only and upload that."
        )


def _rotation(frame: av.VideoFrame) -> int:
    """Counter-clockwise display rotation of ``frame`` in degrees, snapped to 0, 90, 180 or -90."""
    quarter_turns = round(frame.rotation / 90) % 4
    return {0: 0, 1: 90, 2: 180, 3: -90}[quarter_turns]


def _upright_rgb(frame: av.VideoFrame, rotation: int, long_side: int | None = None) -> np.ndarray:
    """Decode ``frame`` to an upright RGB uint8 array, shape (H, W, 3), shrunk to ``long_side`` if given."""
    rgb = frame.to_ndarray(format="rgb24") if long_side is None else _small_rgb(frame, long_side)
    if rotation == 0:
        return np.ascontiguousarray(rgb)  # MediaPipe ignores row strides
    return np.ascontiguousarray(np.rot90(rgb, k=rotation // 90))


def _interpolation(scale: float) -> int:
    """OpenCV's way to shrink by ``scale`` (< 1): averaging areas from halving on, bilinear above.

    Bilinear has too few pixels to skip to alias above a half, and OpenCV's
    area averaging is fast only for whole-number factors (measured from
    1280 x 720 to 960 x 540: 5.9 ms a frame against 2.1 ms bilinear).
    """
    import cv2

    return cv2.INTER_AREA if scale <= 0.5 else cv2.INTER_LINEAR


def shrink(rgb: np.ndarray, long_side: int) -> np.ndarray:
    """``rgb`` (H, W, 3) shrunk so its long side is at most ``long_side`` pixels, C-contiguous."""
    import cv2

    height, width = rgb.shape[:2]
    scale = long_side / max(height, width)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, (round(width * scale), round(height * scale)), interpolation=_interpolation(scale))


def _plane(frame: av.VideoFrame, index: int) -> np.ndarray:
    """One picture plane of ``frame`` as a (height, width) uint8 array view, row padding dropped."""
    plane = frame.planes[index]
    return np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)[: plane.height, : plane.width]


def _small_rgb(frame: av.VideoFrame, long_side: int) -> np.ndarray:
    """``frame`` in RGB with its long side shrunk to at most ``long_side`` pixels (even sides).

    4:2:0 frames (nearly every phone and camera clip) are shrunk in YUV and
    converted afterwards, so the full-size RGB picture is never made (measured
    on 1920 x 1012 H.264: 6.0 ms a frame with decoding, against 8.1 ms);
    other pixel formats are converted first.
    """
    import cv2

    scale = long_side / max(frame.width, frame.height)
    if scale >= 1.0:
        return frame.to_ndarray(format="rgb24")
    width, height = 2 * round(frame.width * scale / 2), 2 * round(frame.height * scale / 2)
    interpolation = _interpolation(scale)
    if frame.format.name not in ("yuv420p", "yuvj420p"):
        return cv2.resize(frame.to_ndarray(format="rgb24"), (width, height), interpolation=interpolation)
    i420 = np.empty((height * 3 // 2, width), np.uint8)
    luma = width * height
    cv2.resize(_plane(frame, 0), (width, height), dst=i420[:height], interpolation=interpolation)
    flat = i420.reshape(-1)
    for index, start in ((1, luma), (2, luma + luma // 4)):
        flat[start : start + luma // 4] = cv2.resize(
            _plane(frame, index), (width // 2, height // 2), interpolation=interpolation
        ).reshape(-1)
    return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)


def _container_duration_s(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    """Duration in seconds stated by the stream or the container, NaN if neither states one."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return math.nan


def probe(path: str | Path, limits: VideoLimits = VideoLimits()) -> VideoInfo:
    """Check that a file is a usable video and describe it.

    Opens the file, checks it against ``limits`` and decodes its first two
    frames (which also reveals the rotation tag). It does not decode the
    whole file: a file damaged further on is reported by :func:`iter_frames`.

    Parameters
    ----------
    path : str or Path
        The video file.
    limits : VideoLimits, optional
        File size, picture size and duration limits.

    Returns
    -------
    VideoInfo
        Upright size, rotation, nominal fps, stated duration and frame count,
        codec name and file size.

    Raises
    ------
    VideoError
        If the file is missing, empty, too large, not a video (random bytes,
        text, a still image), sound only, has no decodable frames or no
        timestamps (a bare stream), has an absurd picture size or lasts
        longer than the limit.
    """
    path = Path(path)
    size = _check_file(path, limits)
    with _open(path) as container:
        stream = _video_stream(container, path)
        _check_size(stream.codec_context.width, stream.codec_context.height, path, limits)
        duration_s = _container_duration_s(container, stream)
        _check_duration(duration_s, path, limits)
        first = _first_frames(container, stream, path)
        rotation = _rotation(first)
        width, height = first.width, first.height
        _check_size(width, height, path, limits)
        if rotation in (90, -90):
            width, height = height, width
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(
            path=path,
            width=width,
            height=height,
            rotation=rotation,
            fps=float(rate) if rate else math.nan,
            duration_s=duration_s,
            codec=stream.codec_context.name,
            claimed_frames=stream.frames or None,
            size_bytes=size,
            start_time_s=float((first.pts or 0) * _time_base(stream)),
        )


def _first_frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path) -> av.VideoFrame:
    """Decode up to two frames and return the first; reject files with fewer than two."""
    frames: list[av.VideoFrame] = []
    damaged = False
    try:
        for frame in _decode(container, stream):
            frames.append(frame)
            if len(frames) == 2:
                break
    except _Damaged:
        damaged = True  # judged below by how many frames came out
    if not frames:
        raise VideoError(
            f"Not a single frame of {path.name} could be decoded (the file is damaged or uses "
            f"a codec knee_cv cannot read). {_RE_EXPORT}"
        )
    if len(frames) == 1 and damaged:
        raise VideoError(
            f"{path.name} is damaged or cut off after its first frame. The upload or copy was probably interrupted. {_RE_EXPORT}"
        )
    if len(frames) == 1:
        raise VideoError(
            f"{path.name} holds a single picture: this looks like a still image, not a video. "
            "Record the squats as a video and upload that."
        )
    if frames[0].pts is None:
        raise VideoError(
            f"{path.name} is a bare video stream without timestamps, so the timing of its frames is unknown. {_RE_EXPORT}"
        )
    return frames[0]


class _Damaged(Exception):
    """Decoding cannot go on: the file is cut short or corrupt from here."""


def _decode(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Iterator[av.VideoFrame]:
    """Yield the decoded frames of ``stream`` in presentation order.

    Raises
    ------
    _Damaged
        After yielding every frame decoded before the damage, when the
        demuxer reports a packet cut short (a truncated file) or FFmpeg
        fails. Packets are checked explicitly because FFmpeg's frame-threaded
        decoder does not report such errors.
    """
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
            if packet.is_corrupt:
                yield from stream.decode(None)
                raise _Damaged("a packet is cut short: the file ends early")
            frames = packet.decode()
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            raise _Damaged(str(exc)) from exc
        yield from frames


def iter_frames(
    path: str | Path,
    limits: VideoLimits = VideoLimits(),
    *,
    start_s: float = 0.0,
    stop_s: float = math.inf,
    max_rate_hz: float = 0.0,
    long_side: int | None = None,
    near_s: Sequence[float] = (),
    near_tolerance_s: float = 0.0,
) -> Iterator[tuple[float, np.ndarray]]:
    """Decode a video into upright RGB frames with their real timestamps.

    The file is checked with :func:`probe` first. Frames are decoded with
    FFmpeg's threaded decoder, in presentation order.

    Parameters
    ----------
    path : str or Path
        The video file.
    limits : VideoLimits, optional
        Limits checked before and during decoding (the duration limit is
        checked against the real timestamps as well, since containers can
        misstate it).
    start_s, stop_s : float, optional
        Only the frames with ``start_s <= t < stop_s`` (seconds, on the clock
        of ``t`` below) are yielded, exactly as a full decode would give them.
        For ``start_s > 0`` decoding starts at a keyframe before it (the file
        is seeked, not decoded from the beginning; it is read from the start
        when no keyframe but the first lies before ``start_s``), and it ends
        at ``stop_s``.
    max_rate_hz : float, optional
        Most frames per second to yield (0, the default: every frame). A clip whose
        nominal rate is above it keeps every k-th frame, k being the smallest
        whole number that brings the nominal rate to at most ``max_rate_hz``
        (60 fps at a 30 Hz cap gives 30, 50 fps gives 25, 120 fps gives 30);
        see :func:`capped_rate`. The choice goes by the real timestamps (a
        frame is kept when it lies at least k - 1/2 nominal frame intervals
        after the last kept one), so where a variable-rate clip slows down, its
        slower frames are all kept. Skipped frames are decoded (later frames
        depend on them) but not converted to RGB.
    long_side : int, optional
        Shrink each frame so its long side is at most this many pixels
        (sides rounded to even numbers; a smaller frame is left as it is).
        Cheaper than shrinking the full-size frames afterwards.
    near_s, near_tolerance_s : sequence of float, float, optional
        With times given (s, the clock of ``t`` below), only the frames
        within ``near_tolerance_s`` of one of them are yielded; the others
        are decoded but not converted to RGB (a few pictures out of a
        stretch: the reps' key frames).

    Yields
    ------
    t : float
        Time of the frame in seconds from the first frame of the file (so
        the first is 0.0), from the frame's presentation timestamp times the
        stream's time base; strictly increasing. A frame whose timestamp is
        missing or does not increase (a broken file) is skipped with a logged
        warning.
    rgb : ndarray of uint8, shape (H, W, 3)
        The upright picture, RGB, rotation tag applied, C-contiguous.

    Raises
    ------
    VideoError
        Everything :func:`probe` raises; and, during iteration, a file that
        breaks off before ``limits.min_partial_s`` seconds decoded, or real
        timestamps beyond ``limits.max_duration_s``. A file that breaks off
        later ends the iteration early with a logged warning instead.
    """
    path = Path(path)
    info = probe(path, limits)
    rate = capped_rate(info.fps, max_rate_hz) if max_rate_hz else info.fps
    keep = _RateCap(rate, info.fps) if rate < info.fps else None
    seek = start_s > 0 and _seekable(info, start_s)
    for t, frame in _timed_frames(path, info, limits, start_s if seek else 0.0):
        if t >= stop_s:
            return
        if t < start_s or (keep is not None and not keep(t)):
            continue
        if near_s and not any(abs(t - near) <= near_tolerance_s for near in near_s):
            continue
        yield t, _upright_rgb(frame, info.rotation, long_side)


def capped_rate(fps: float, max_rate_hz: float) -> float:
    """The nominal rate, in frames per second, that ``iter_frames(max_rate_hz=...)`` keeps of ``fps``.

    ``fps / k`` for the smallest whole ``k`` with ``fps / k <= max_rate_hz``
    (1 % over the cap counts as on it, so 30.3 fps stays whole); ``fps``
    itself when it is unknown (NaN).
    """
    if not math.isfinite(fps) or fps <= 0:
        return fps
    return fps / max(1, math.ceil(fps / max_rate_hz - 0.01))


class _RateCap:
    """Keeps a frame when it lies at least one kept interval, less half a source interval, after the last kept one."""

    def __init__(self, rate: float, source_fps: float) -> None:
        self._min_step = 1.0 / rate - 0.5 / source_fps
        self._last = -math.inf

    def __call__(self, t: float) -> bool:
        if t - self._last < self._min_step:
            return False
        self._last = t
        return True


def keyframe_times(info: VideoInfo, until_s: float = math.inf) -> Iterator[float]:
    """Times (s, on :func:`iter_frames`' clock) of the video's keyframes, from its packets (nothing decoded).

    In decoding order; reading stops at the first packet decoded after
    ``until_s`` (no keyframe shown at or before ``until_s`` comes after it).

    Raises
    ------
    VideoError, av.error.FFmpegError
        When the file or its packets cannot be read.
    """
    with _open(info.path) as container:
        stream = _video_stream(container, info.path)
        tick = _time_base(stream)
        for packet in container.demux(stream):
            if packet.dts is not None and float(packet.dts * tick) - info.start_time_s > until_s:
                return
            if packet.is_keyframe and packet.pts is not None:
                yield float(packet.pts * tick) - info.start_time_s


def _seekable(info: VideoInfo, start_s: float) -> bool:
    """Whether a keyframe other than the first lies at or before ``start_s`` (s), from the packets (nothing decoded).

    Without one the file is read from the start instead of seeked: a seek to
    the first stretch of an MPEG-TS file (sls_front_hyva2, hyva3, hyva6,
    hyva_ja_paha: MPEG-TS named .mp4) lands on the second keyframe, and
    stepping back found the start only after three more opens of the file.
    Packets are read only up to the second keyframe or ``start_s``; when
    they cannot be read the file is seeked as before.
    """
    try:
        first_two = list(itertools.islice(keyframe_times(info, until_s=start_s), 2))
    except (av.error.FFmpegError, VideoError):
        return True
    return len(first_two) == 2 and first_two[1] <= start_s


def _timed_frames(
    path: Path,
    info: VideoInfo,
    limits: VideoLimits,
    seek_s: float,
) -> Iterator[tuple[float, av.VideoFrame]]:
    """Decoded frames with their time ``t`` (seconds from the first frame), from a keyframe at or before ``seek_s``.

    A seek lands on a keyframe whose *decoding* time is before the target, so
    with reordered frames it can land after ``seek_s``, and in an MPEG-TS file
    it can land on the next keyframe or at the end; then it seeks again further
    back (1 s, 2 s, 4 s...) in the same open file, down to decoding from the
    start (``seek_s`` 0: no seek).
    """
    with _open(path) as container:
        stream = _video_stream(container, path)
        back = 0.0
        while seek_s - back > 0:
            container.seek(math.floor((info.start_time_s + seek_s - back) / _time_base(stream)), stream=stream)
            frames = _checked_frames(container, stream, path, limits, info.start_time_s)
            first = next(frames, None)
            if first is not None and first[0] <= seek_s:
                yield first
                yield from frames
                return
            frames.close()
            back = 2 * back or 1.0
        if seek_s <= 0:
            yield from _checked_frames(container, stream, path, limits, info.start_time_s)
            return
    with _open(path) as container:  # every seek landed too late: from the start, unseeked
        yield from _checked_frames(container, _video_stream(container, path), path, limits, info.start_time_s)


def _checked_frames(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    limits: VideoLimits,
    start_time_s: float,
) -> Generator[tuple[float, av.VideoFrame], None, None]:
    """Frames with strictly increasing times from ``start_time_s``, the duration checked, damage handled."""
    last = -math.inf
    frames = _decode(container, stream)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except _Damaged as exc:
            _stop_at_damage(path, last, limits, exc)
            return
        if frame.pts is None:
            _log.warning("%s: a frame after %.4f s has no timestamp; skipped", path.name, last)
            continue
        t = float(frame.pts * _time_base(stream)) - start_time_s
        if t <= last:
            _log.warning("%s: frame at %.4f s does not follow %.4f s; skipped", path.name, t, last)
            continue
        _check_duration(t, path, limits)
        last = t
        yield t, frame


def _stop_at_damage(path: Path, last_t: float, limits: VideoLimits, exc: Exception) -> None:
    """Decide what a decoding failure after ``last_t`` seconds means (see the module notes)."""
    if last_t < limits.min_partial_s:
        readable = max(last_t, 0.0)
        raise VideoError(
            f"{path.name} is damaged or cut off: only {readable:.1f} s of it can be read. "
            f"The upload or copy was probably interrupted. {_RE_EXPORT}"
        ) from exc
    _log.warning("%s is damaged after %.2f s (%s); using the frames before it", path.name, last_t, exc)


class _Failed:
    """Carries an exception from the decoding thread to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()


def frames_in_background(iterator: Iterator[_T], maxsize: int = 8) -> Generator[_T, None, None]:
    """Run a frame iterator in a background thread, handing items over a queue.

    Decoding then overlaps with whatever the consumer does (pose inference).
    Items come out in the same order as from ``iterator``.

    Parameters
    ----------
    iterator : Iterator
        Any iterator, typically :func:`iter_frames`. It is consumed, and
        closed if it is a generator, in the background thread.
    maxsize : int, optional
        Most items decoded ahead of the consumer (bounds memory: 8 frames of
        1080p RGB is about 50 MB).

    Yields
    ------
    item
        The items of ``iterator``.

    Raises
    ------
    Exception
        Whatever ``iterator`` raised, re-raised in the consumer when it
        reaches that point (for example :class:`VideoError` for a damaged file).

    Notes
    -----
    If the consumer stops early (``break``, an exception, or ``close()``
    on this generator), the background thread is told to stop, closes
    ``iterator`` and ends; this call waits for it.
    """
    items: queue.Queue[object] = queue.Queue(maxsize=maxsize)  # the items of ``iterator``, then _DONE or a _Failed
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in iterator:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(_Failed(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="knee_cv-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield cast(_T, item)
    finally:
        stop.set()
        worker.join()
