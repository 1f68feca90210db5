"""The live session's running analysis, in a worker process of its own.

The live page re-analyses the growing track about twice a second (the reps
counted, the stance, the view, the standing reference's camera roll).
:func:`knee_cv.core.analysis.analyze` is numpy with Python loops between
(the causal filter steps frame by frame, the rep intervals), so in the
server's process it holds the interpreter lock for a few hundred ms of every
second on a long session, and the WebRTC thread, which takes that lock for
every packet, waits behind it: the picture is delayed. In a process of its
own it holds nothing of the server's; it runs at a lower CPU priority there,
so the stream and the pose model come first on a busy machine.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from knee_cv.core import kinematics as kin
from knee_cv.core.analysis import analyze
from knee_cv.core.labels import Leg, View
from knee_cv.core.reps import lifted_foot_stance
from knee_cv.core.result import Rep
from knee_cv.core.track import PoseTrack
from knee_cv.core.view import dominant_view

#: Frames over which the lifted foot and the view are judged for the live stance leg.
RECENT_FRAMES = 10
#: Niceness of the worker process: after the stream and the pose model.
WORKER_NICE = 5


@dataclass(frozen=True)
class LiveAnalysis:
    """What the live view takes from one analysis of the frames so far.

    Attributes
    ----------
    reps : list of Rep
        Every rep found, in time order (:attr:`knee_cv.core.result.Analysis.reps`).
    analysed_to : float
        Time of the last frame analysed, s.
    stance : Leg or None
        The stance of the last :data:`RECENT_FRAMES` frames, told by which foot is lifted.
    view : View
        The camera view of the last frames.
    roll_deg : float
        The camera roll taken from frames on both feet (0 when there are none yet), in the
        :func:`knee_cv.core.kinematics.pelvic_tilt` convention.
    """

    reps: list[Rep]
    analysed_to: float
    stance: Leg | None
    view: View
    roll_deg: float


def live_analysis(track: PoseTrack) -> LiveAnalysis:
    """Analyse the frames so far as the live view needs them (causal smoothing, as live).

    Parameters
    ----------
    track : PoseTrack
        At least two frames.

    Returns
    -------
    LiveAnalysis
    """
    analysis = analyze(track, live=True)
    recent = slice(-RECENT_FRAMES, None)
    stance = lifted_foot_stance(kin.ankle_height_difference(track.xy[recent]), analysis.thresholds.stance.planted_tolerance)
    view, _ = dominant_view(analysis.series.view, analysis.series.view_confidence, recent)
    roll = analysis.summary.camera_roll_deg
    return LiveAnalysis(
        reps=list(analysis.reps),
        analysed_to=float(track.t[-1]),
        stance=stance,
        view=view,
        roll_deg=float(roll) if roll is not None and math.isfinite(roll) else 0.0,
    )


def _lower_priority() -> None:
    """The worker's initializer: add :data:`WORKER_NICE` to its niceness (where the OS has one)."""
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):
        pass


class LiveAnalyser:
    """One worker process running :func:`live_analysis`, started at once (its imports take a second or two).

    Started with ``spawn`` (a fork of the threaded server could copy a held lock).
    """

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_lower_priority
        )
        self._pool.submit(int)  # start the process now, not at the first analysis

    def submit(self, track: PoseTrack) -> Future[LiveAnalysis]:
        """Analyse ``track`` in the worker; the future's result is a :class:`LiveAnalysis`."""
        return self._pool.submit(live_analysis, track)

    def close(self) -> None:
        """Stop the worker (a running analysis is abandoned)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
