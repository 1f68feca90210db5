"""The pipeline behind the results section, in worker threads with progress readouts.

:func:`process_with_progress` runs :func:`knee_cv.pipeline.process_video`
(plain Python: bytes in, a :class:`~knee_cv.pipeline.Processed` out, all
but the annotated video) in a server-wide worker thread while the script
thread draws a progress bar, and hands back the result as soon as the
analysis and the thumbnails are done, with a :class:`PendingVideo`: the
annotated video (:func:`knee_cv.pipeline.add_video`) drawn afterwards in a
second worker, with its own progress, while the person reads the results.
Results are cached by the file's SHA-256 (with the face blur, mirror and
sex settings), so a rerun, or the same file uploaded again, is instant, and the
cached entry gains its video when it is drawn. The cache is shared by every
visitor, so it holds nothing of the uploader: the jobs run under a neutral
file name (:func:`knee_cv.pipeline.upload_name`) and each visitor gets a copy
named after their own file (:meth:`~knee_cv.pipeline.Processed.named`). The
pose model is resolved once per server (:func:`pose_model`).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from knee_cv.core.result import Analysis
from knee_cv.errors import KneeCvError
from knee_cv.media.models import ModelInfo, ensure_model
from knee_cv.media.video import VIDEO_SUFFIXES
from knee_cv.pipeline import Processed, add_video, process_video, upload_name

#: Upload types accepted by the file picker.
VIDEO_TYPES = tuple(suffix.lstrip(".") for suffix in VIDEO_SUFFIXES)
#: How many processed videos the server keeps in memory.
CACHE_ENTRIES = 8
#: Seconds between two progress readouts.
POLL_S = 0.25
#: Nice value of the thread that draws the annotated videos (and of the threads it starts).
VIDEO_NICE = 10
#: What a result is cached by: the file's SHA-256, blur the face, mirrored, sex (None: not given).
CacheKey = tuple[str, bool, bool, str | None]


def rep_table(analysis: Analysis) -> pd.DataFrame:
    """The per-rep rows of :meth:`Analysis.rep_rows` as a DataFrame (NaN for missing values)."""
    return pd.DataFrame(analysis.rep_rows())


@st.cache_resource(show_spinner="Loading the pose model...")
def pose_model() -> ModelInfo:
    """The pose model, found or built once per server."""
    return ensure_model()


class _Progress:
    """Latest progress report from a worker thread (read by the script thread).

    Parameters
    ----------
    waiting : str
        What to say before the job starts (another one is in the worker).
    """

    def __init__(self, waiting: str) -> None:
        self.waiting = waiting
        self.stage: str | None = None
        self.done: int = 0
        self.total: int | None = None
        self.started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self.started:
            self.started[stage] = time.perf_counter()
        self.stage, self.done, self.total = stage, done, total

    def text(self) -> tuple[float, str]:
        """Fraction done (0-1) and a sentence: frames done and time left."""
        stage, done, total = self.stage, self.done, self.total
        if stage is None:
            return 0.0, self.waiting
        if stage == "analysis":
            return 0.95, "Measuring each rep..."
        elapsed = time.perf_counter() - self.started[stage]
        label = "Finding the body in each frame" if stage == "pose" else "Drawing the annotated video"
        if not total:
            return 0.0, f"{label}: {done} frames"
        share = min(done / total, 1.0)
        left = elapsed / done * (total - done) if done else float("nan")
        left_text = f", about {left:.0f} s left" if left == left else ""
        return (0.95 * share if stage == "pose" else share), f"{label}: {done} of {total} frames{left_text}"


def _nothing() -> None:
    """The default :attr:`_Job.settle`: nothing to put away."""


@dataclass
class _Job:
    """Work in a worker thread, its progress, and what puts its result away once done (idempotent)."""

    future: Future[Processed]
    progress: _Progress
    settle: Callable[[], None] = _nothing


@dataclass
class PendingVideo:
    """An annotated video being drawn in the server's video worker, for a result already shown.

    Attributes
    ----------
    job : _Job
        The worker's job; its result is the Processed with the video.
    name : str or None
        The visitor's file name: the result is named after it
        (:meth:`Processed.named`) and errors say it instead of the neutral
        name. None keeps the result's own name (a live session).
    """

    job: _Job
    name: str | None = None

    def done(self) -> bool:
        """Whether the video is drawn (or failed)."""
        return self.job.future.done()

    def status(self) -> tuple[float, str]:
        """Fraction done (0-1) and a sentence for the progress bar."""
        return self.job.progress.text()

    def result(self) -> Processed:
        """The result with its annotated video (waits for it).

        Raises
        ------
        knee_cv.errors.KneeCvError
            When the video could not be drawn, naming the visitor's file.
        """
        try:
            processed = self.job.future.result()
            self.job.settle()  # into the cache now: the done-callback may not have run yet
        except KneeCvError as error:
            raise _named_error(error, self.name) from error
        return processed if self.name is None else processed.named(self.name)


def _named_error(error: KneeCvError, name: str | None) -> KneeCvError:
    """``error`` with the visitor's file name in place of the neutral one (as it is when ``name`` is None)."""
    return error if name is None else type(error)(str(error).replace(upload_name(name), name))


def _in_the_background() -> None:
    """Lower this thread's CPU priority (nice 10), and so that of the threads it starts (decoder, x264).

    The annotated video is drawn while the person reads the results: their
    browser (on this computer, often), the server's answers (the rep table's
    script, the thumbnails) and the next upload's pose stage come first. Linux
    keeps a priority per thread; elsewhere nothing changes.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), VIDEO_NICE)
    except (AttributeError, OSError):
        pass


@dataclass
class _Server:
    """Server-wide state by (SHA-256, blur, mirrored, sex): results (newest last), analyses and videos in flight."""

    results: OrderedDict[CacheKey, Processed] = field(default_factory=OrderedDict)
    jobs: dict[CacheKey, _Job] = field(default_factory=dict)
    videos: dict[CacheKey, _Job] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: One video at a time: pose tracking already uses every core.
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="knee_cv-process")
    )
    #: Annotated videos, one at a time, beside the next upload's analysis, at a low priority.
    video_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="knee_cv-video", initializer=_in_the_background
        )
    )

    def finish(self, key: CacheKey, future: Future[Processed], jobs: dict[CacheKey, _Job]) -> None:
        """Move a finished job (of ``jobs``) into the cache, over a result without video; errors are not cached; idempotent.

        Only the job of ``future`` is taken out of ``jobs``: a later job for the
        same key (a video drawn again after a failure) stays.
        """
        with self.lock:
            job = jobs.get(key)
            if job is None or job.future is not future:
                return
            del jobs[key]
            if future.exception() is not None:
                return
            self.results[key] = future.result()
            self.results.move_to_end(key)
            while len(self.results) > CACHE_ENTRIES:
                self.results.popitem(last=False)


@st.cache_resource
def _server() -> _Server:
    """The one :class:`_Server` of this Streamlit server."""
    return _Server()


def cached(key: CacheKey) -> Processed | None:
    """The cached result for ``(sha256, blur_face, mirrored, sex)``, or None."""
    server = _server()
    with server.lock:
        if key in server.results:
            server.results.move_to_end(key)
        return server.results.get(key)


def start_video(data: bytes, processed: Processed, *, blur_face: bool = False) -> PendingVideo:
    """Draw ``processed``'s annotated video from ``data`` in the server's video worker (a live session's).

    Nothing is cached: the result is this visitor's own.
    """
    progress = _Progress("Waiting for another annotated video to finish...")
    future = _server().video_pool.submit(add_video, data, processed, blur_face=blur_face, stage=progress)
    return PendingVideo(_Job(future, progress))


def process_with_progress(
    data: bytes,
    name: str,
    *,
    blur_face: bool = False,
    mirrored: bool = False,
    sex: str | None = None,
) -> tuple[Processed, PendingVideo | None]:
    """:func:`process_video` with a live progress bar, cached by the file's SHA-256.

    The work runs in a server-wide worker thread, one video at a time. If
    the page reruns while it runs (the person clicks something), the job
    goes on and the new run follows the same job instead of starting again;
    its result lands in the cache either way.

    Returns
    -------
    processed : Processed
        The result named after ``name``, as soon as the analysis and the
        thumbnails are done (with its video when the cache has it).
    video : PendingVideo or None
        The annotated video being drawn; None when ``processed`` has it
        already or there is no pose to draw.

    Raises
    ------
    knee_cv.errors.KneeCvError
        As :func:`process_video` (errors are not cached), with ``name`` in
        the message where the file is named.
    """
    key = (hashlib.sha256(data).hexdigest(), bool(blur_face), bool(mirrored), sex)
    try:
        processed = _shared_result(key, data, name, blur_face, mirrored)
    except KneeCvError as error:
        raise _named_error(error, name) from error
    pending = None
    if processed.video is None and processed.track.has_pose.any():
        pending = PendingVideo(_video_job(key, data, processed, blur_face), name)
    return processed.named(name), pending


def _shared_result(key: CacheKey, data: bytes, name: str, blur_face: bool, mirrored: bool) -> Processed:
    """The server-wide result for these bytes, computed under a neutral name (see the module docstring)."""
    hit = cached(key)
    if hit is not None:
        return hit
    model = pose_model()
    server = _server()
    with server.lock:
        if key in server.results:
            return server.results[key]
        if key not in server.jobs:
            progress = _Progress("Waiting for the video before this one to finish...")
            future = server.pool.submit(
                process_video,
                data,
                upload_name(name),
                blur_face=blur_face,
                model=model,
                stage=progress,
                mirrored=mirrored,
                sex=key[3],
            )
            server.jobs[key] = _Job(future, progress)
            future.add_done_callback(lambda done: server.finish(key, done, server.jobs))
        job = server.jobs[key]
    bar = st.progress(0.0, text="Opening the video...")
    while not job.future.done():
        fraction, text = job.progress.text()
        bar.progress(fraction, text=text)
        time.sleep(POLL_S)
    bar.empty()
    server.finish(key, job.future, server.jobs)  # the done-callback may not have run yet
    return job.future.result()


def _video_job(key: CacheKey, data: bytes, processed: Processed, blur_face: bool) -> _Job:
    """The server-wide job drawing the cached result's annotated video: the one in flight, or a new one."""
    server = _server()
    with server.lock:
        if key not in server.videos:
            progress = _Progress("Waiting for another annotated video to finish...")
            future = server.video_pool.submit(add_video, data, processed, blur_face=blur_face, stage=progress)
            server.videos[key] = _Job(future, progress, lambda: server.finish(key, future, server.videos))
            future.add_done_callback(lambda done: server.finish(key, done, server.videos))
        return server.videos[key]
