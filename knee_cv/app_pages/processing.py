"""From uploaded bytes to everything the results section shows, with a progress readout.

:func:`process_video` is plain Python (no Streamlit): bytes in, a
:class:`Processed` out. :func:`process_with_progress` runs it in a worker
thread while the script thread draws a progress bar, and caches the result
by the file's SHA-256, so a rerun (or the same file uploaded again) is
instant. The pose model is resolved once per server (:func:`pose_model`).
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from knee_cv.analysis import analyze
from knee_cv.models import ModelInfo, ensure_model
from knee_cv.pose import track_video
from knee_cv.render import annotate_video
from knee_cv.result import Analysis
from knee_cv.track import PoseTrack

#: Upload types accepted by the file picker.
VIDEO_TYPES = ("mp4", "mov", "m4v", "webm", "avi")
#: How many processed videos the server keeps in memory.
CACHE_ENTRIES = 8

Stage = Callable[[str, int, "int | None"], None]


@dataclass
class Processed:
    """Everything the results section shows for one video (or live session).

    Attributes
    ----------
    analysis : Analysis
    track : PoseTrack
    video : bytes or None
        The annotated H.264 MP4, None when no pose was found to draw.
    thumbnails : dict of int to bytes
        JPEG of each rep's deepest frame, by ``Rep.index``.
    sha256 : str
        Hex SHA-256 of the source bytes ("" for live sessions).
    timings : dict of str to float
        Seconds spent in each stage (``pose``, ``analysis``, ``video``).
    """

    analysis: Analysis
    track: PoseTrack
    video: bytes | None
    thumbnails: dict[int, bytes]
    sha256: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def rep_table(analysis: Analysis) -> pd.DataFrame:
    """The per-rep rows of :meth:`Analysis.rep_rows` as a DataFrame (NaN for missing values)."""
    return pd.DataFrame(analysis.rep_rows())


def _annotate(
    path: Path, track: PoseTrack, analysis: Analysis, blur_face: bool, report: Stage, timings: dict[str, float]
) -> tuple[bytes | None, dict[int, bytes]]:
    """Annotated MP4 bytes and thumbnails of ``path``; (None, {}) when no pose was found."""
    if not track.has_pose.any():
        return None, {}
    start = time.perf_counter()
    out = path.with_name("annotated.mp4")
    thumbnails = annotate_video(path, track, analysis, out, blur_face=blur_face,
                                progress=lambda done, total: report("video", done, total))
    timings["video"] = time.perf_counter() - start
    return out.read_bytes(), thumbnails


def process_video(
    data: bytes,
    name: str,
    *,
    blur_face: bool = False,
    model: ModelInfo | None = None,
    stage: Stage | None = None,
) -> Processed:
    """Track, analyse and annotate a video given as bytes.

    The bytes go to a temporary folder that is deleted before returning:
    nothing of the video stays on disk.

    Parameters
    ----------
    data : bytes
        The video file's content.
    name : str
        Its file name (the suffix helps FFmpeg; shown in results).
    blur_face : bool
        Pixelate the face in the annotated video and the thumbnails.
    model : ModelInfo, optional
        The pose model (default: :func:`knee_cv.models.ensure_model`).
    stage : callable, optional
        Called as ``stage(name, done, total)`` with ``name`` one of
        ``"pose"``, ``"analysis"``, ``"video"``; ``done`` and ``total`` are
        frames (``total`` may be None).

    Returns
    -------
    Processed

    Raises
    ------
    knee_cv.errors.KneeCvError
        For a file that is not a usable video (with a message to show).
    """
    report = stage or (lambda *_: None)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="knee_cv_") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower() or '.mp4'}"
        path.write_bytes(data)
        start = time.perf_counter()
        track = track_video(path, model_path=model.path if model else None,
                            progress=lambda done, total: report("pose", done, total))
        track.source = name
        timings["pose"] = time.perf_counter() - start
        report("analysis", 0, None)
        start = time.perf_counter()
        analysis = analyze(track)
        timings["analysis"] = time.perf_counter() - start
        video, thumbnails = _annotate(path, track, analysis, blur_face, report, timings)
    return Processed(analysis, track, video, thumbnails, hashlib.sha256(data).hexdigest(), timings)


def process_recording(recording: bytes | None, track: PoseTrack, *, blur_face: bool = False) -> Processed:
    """Analyse a live session's track and annotate its in-memory recording.

    Parameters
    ----------
    recording : bytes or None
        MP4 of the camera frames (same clock as ``track.t``); None gives
        results without a video and thumbnails.
    track : PoseTrack
        The landmarks measured live.
    blur_face : bool
        Pixelate the face in the annotated video and the thumbnails.

    Returns
    -------
    Processed
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    analysis = analyze(track)
    timings["analysis"] = time.perf_counter() - start
    video, thumbnails = None, {}
    if recording:
        with tempfile.TemporaryDirectory(prefix="knee_cv_") as folder:
            path = Path(folder) / "live.mp4"
            path.write_bytes(recording)
            video, thumbnails = _annotate(path, track, analysis, blur_face, lambda *_: None, timings)
    return Processed(analysis, track, video, thumbnails, timings=timings)


@st.cache_resource(show_spinner="Loading the pose model...")
def pose_model() -> ModelInfo:
    """The pose model, found or built once per server."""
    return ensure_model()


class _Progress:
    """Latest progress report from the worker thread (read by the script thread)."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.done, self.total = 0, None
        self.started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self.started:
            self.started[stage] = time.perf_counter()
        self.stage, self.done, self.total = stage, done, total

    def text(self) -> tuple[float, str]:
        """Fraction done (0-1) and a sentence: frames done and time left."""
        stage, done, total = self.stage, self.done, self.total
        if stage is None:
            return 0.0, "Waiting for the video before this one to finish..."
        if stage == "analysis":
            return 0.85, "Measuring each rep..."
        elapsed = time.perf_counter() - self.started[stage]
        label = "Finding the body in each frame" if stage == "pose" else "Drawing the annotated video"
        if not total:
            return (0.0 if stage == "pose" else 0.85), f"{label}: {done} frames"
        share = min(done / total, 1.0)
        left = elapsed / done * (total - done) if done else float("nan")
        left_text = f", about {left:.0f} s left" if left == left else ""
        fraction = 0.85 * share if stage == "pose" else 0.85 + 0.15 * share
        return fraction, f"{label}: {done} of {total} frames{left_text}"


@dataclass
class _Server:
    """Server-wide state: finished results (newest last) and jobs in flight, by (SHA-256, blur)."""

    results: OrderedDict = field(default_factory=OrderedDict)
    jobs: dict = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: One video at a time: pose tracking already uses every core.
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="knee_cv-process"))

    def finish(self, key: tuple[str, bool], future: Future) -> None:
        """Move a finished job's result into the cache (errors are not cached); idempotent."""
        with self.lock:
            self.jobs.pop(key, None)
            if future.exception() is None:
                self.results[key] = future.result()
                while len(self.results) > CACHE_ENTRIES:
                    self.results.popitem(last=False)


@st.cache_resource
def _server() -> _Server:
    """The one :class:`_Server` of this Streamlit server."""
    return _Server()


def cached(key: tuple[str, bool]) -> Processed | None:
    """The cached result for ``(sha256, blur_face)``, or None."""
    server = _server()
    with server.lock:
        if key in server.results:
            server.results.move_to_end(key)
        return server.results.get(key)


def process_with_progress(data: bytes, name: str, *, blur_face: bool = False) -> Processed:
    """:func:`process_video` with a live progress bar, cached by the file's SHA-256.

    The work runs in a server-wide worker thread, one video at a time. If
    the page reruns while it runs (the person clicks something), the job
    goes on and the new run follows the same job instead of starting again;
    its result lands in the cache either way.

    Raises
    ------
    knee_cv.errors.KneeCvError
        As :func:`process_video` (errors are not cached).
    """
    key = (hashlib.sha256(data).hexdigest(), bool(blur_face))
    hit = cached(key)
    if hit is not None:
        return hit
    model = pose_model()
    server = _server()
    with server.lock:
        if key in server.results:
            return server.results[key]
        if key not in server.jobs:
            progress = _Progress()
            future = server.pool.submit(process_video, data, name, blur_face=blur_face, model=model, stage=progress)
            server.jobs[key] = (future, progress)
            future.add_done_callback(lambda done: server.finish(key, done))
        future, progress = server.jobs[key]
    bar = st.progress(0.0, text="Opening the video...")
    while not future.done():
        fraction, text = progress.text()
        bar.progress(fraction, text=text)
        time.sleep(0.25)
    bar.empty()
    server.finish(key, future)  # the done-callback may not have run yet
    return future.result()
