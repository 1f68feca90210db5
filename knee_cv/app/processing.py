"""The pipeline behind the results section, in a worker thread with a progress readout.

:func:`process_with_progress` runs :func:`knee_cv.pipeline.process_video`
(plain Python: bytes in, a :class:`~knee_cv.pipeline.Processed` out) in a
server-wide worker thread while the script thread draws a progress bar, and
caches the result by the file's SHA-256, so a rerun (or the same file
uploaded again) is instant. The cache is shared by every visitor, so it holds
nothing of the uploader: the job runs under a neutral file name
(:func:`knee_cv.pipeline.upload_name`) and each visitor gets a copy named
after their own file (:meth:`~knee_cv.pipeline.Processed.named`). The pose
model is resolved once per server (:func:`pose_model`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from knee_cv.core.result import Analysis
from knee_cv.errors import KneeCvError
from knee_cv.media.models import ModelInfo, ensure_model
from knee_cv.media.video import VIDEO_SUFFIXES
from knee_cv.pipeline import Processed, process_video, upload_name

#: Upload types accepted by the file picker.
VIDEO_TYPES = tuple(suffix.lstrip(".") for suffix in VIDEO_SUFFIXES)
#: How many processed videos the server keeps in memory.
CACHE_ENTRIES = 8


def rep_table(analysis: Analysis) -> pd.DataFrame:
    """The per-rep rows of :meth:`Analysis.rep_rows` as a DataFrame (NaN for missing values)."""
    return pd.DataFrame(analysis.rep_rows())


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
    """Server-wide state: finished results (newest last) and jobs in flight, by (SHA-256, blur, mirrored)."""

    results: OrderedDict = field(default_factory=OrderedDict)
    jobs: dict = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: One video at a time: pose tracking already uses every core.
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="knee_cv-process"))

    def finish(self, key: tuple[str, bool, bool], future: Future) -> None:
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


def cached(key: tuple[str, bool, bool]) -> Processed | None:
    """The cached result for ``(sha256, blur_face, mirrored)``, or None."""
    server = _server()
    with server.lock:
        if key in server.results:
            server.results.move_to_end(key)
        return server.results.get(key)


def process_with_progress(data: bytes, name: str, *, blur_face: bool = False, mirrored: bool = False) -> Processed:
    """:func:`process_video` with a live progress bar, cached by the file's SHA-256.

    The work runs in a server-wide worker thread, one video at a time. If
    the page reruns while it runs (the person clicks something), the job
    goes on and the new run follows the same job instead of starting again;
    its result lands in the cache either way.

    Raises
    ------
    knee_cv.errors.KneeCvError
        As :func:`process_video` (errors are not cached), with ``name`` in
        the message where the file is named.
    """
    try:
        return _shared_result(data, name, blur_face, mirrored).named(name)
    except KneeCvError as error:
        raise type(error)(str(error).replace(upload_name(name), name)) from error


def _shared_result(data: bytes, name: str, blur_face: bool, mirrored: bool) -> Processed:
    """The server-wide result for these bytes, computed under a neutral name (see the module docstring)."""
    key = (hashlib.sha256(data).hexdigest(), bool(blur_face), bool(mirrored))
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
            future = server.pool.submit(process_video, data, upload_name(name), blur_face=blur_face, model=model,
                                        stage=progress, mirrored=mirrored)
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
