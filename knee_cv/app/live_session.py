"""The live webcam session: per-frame pose, overlay, a running rep count, and the final track.

A :class:`LiveSession` is the state behind one webcam stream. Its
:meth:`LiveSession.on_frame` is the streamlit-webrtc video callback (it runs
in the WebRTC worker thread): it runs the pose model on the **unmirrored**
camera frame, keeps the landmarks and timestamps in a buffer, and draws the
skeleton, the stance leg and its FPPA (smoothed causally with a One Euro
filter), and hands the camera frame to an in-memory :class:`Recorder`. A
background thread re-runs :func:`knee_cv.core.analysis.analyze` on the
buffer about twice a second for the live rep counter and the stance leg, so
the count is the same analysis the final result uses. When the stream stops,
:meth:`LiveSession.track` gives the whole :class:`PoseTrack` and
:meth:`LiveSession.recording` the video it was measured on.

Frame sizes may change during a WebRTC stream (the sender adapts the
resolution); landmarks are kept normalized and scaled to the first frame's
size, which keeps angles true because the aspect ratio does not change.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import av
import numpy as np

from knee_cv.app.recorder import Recorder
from knee_cv.core import kinematics as kin
from knee_cv.core.analysis import analyze
from knee_cv.core.filters import OneEuroFilter
from knee_cv.core.labels import FRONTAL_VIEWS, SIDES, Leg, View
from knee_cv.core.landmarks import NUM_LANDMARKS
from knee_cv.core.reps import lifted_foot_stance
from knee_cv.core.track import PoseTrack
from knee_cv.core.view import dominant_view
from knee_cv.media.pose import LivePoseEstimator
from knee_cv.media.render import NEUTRAL, annotate_frame

#: Seconds between two runs of the live analysis.
ANALYSIS_INTERVAL_S = 0.5
#: Frames over which the lifted foot is judged for the live stance leg.
STANCE_WINDOW = 10
#: Longest live session kept, in seconds (older frames are dropped).
MAX_SECONDS = 300.0


@dataclass
class LiveStatus:
    """What the page shows beside the live image.

    Attributes
    ----------
    frames : int
        Frames received.
    frames_with_pose : int
        Frames where a person was found.
    reps : int
        Reps found so far by the live analysis.
    stance_leg : Leg or None
        None when unknown.
    fppa_deg : float
        Current smoothed FPPA of the stance leg, degrees, positive = valgus
        (NaN when unknown or when the view is not frontal).
    view : View
        Camera view of the last frames (:func:`knee_cv.core.view.classify_view`); FPPA is shown only in
        frontal and oblique views.
    """

    frames: int = 0
    frames_with_pose: int = 0
    reps: int = 0
    stance_leg: Leg | None = None
    fppa_deg: float = float("nan")
    view: View = View.NONE


class LiveSession:
    """State of one webcam stream (thread-safe).

    Parameters
    ----------
    model_path : path-like, optional
        Pose model for :class:`knee_cv.media.pose.LivePoseEstimator`.
    """

    def __init__(self, model_path=None) -> None:
        self._model_path = model_path
        self._lock = threading.Lock()
        self._estimator: LivePoseEstimator | None = None
        self._filter = OneEuroFilter(min_cutoff=1.0, beta=0.05)
        self._t: list[float] = []
        self._xy: list[np.ndarray] = []
        self._visibility: list[np.ndarray] = []
        self._size = (0, 0)
        self._t0: float | None = None
        self.status = LiveStatus()
        self._stop = threading.Event()
        self._analyser: threading.Thread | None = None
        self._recorder: Recorder | None = None
        self._recording: bytes | None = None

    # ------------------------------------------------------------ WebRTC thread
    def on_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """The streamlit-webrtc video callback: pose, buffer, overlay (frames after :meth:`close` pass as they are)."""
        if self._stop.is_set():
            return frame
        rgb = frame.to_ndarray(format="rgb24")
        stamp = frame.time if frame.time is not None else time.monotonic()
        if self._estimator is None:
            self._estimator = LivePoseEstimator(self._model_path)
            self._start_analyser()
        if self._t0 is None:
            self._t0, self._size = stamp, (rgb.shape[1], rgb.shape[0])
            self._recorder = Recorder(*self._size)
        t = stamp - self._t0
        with self._lock:
            stale = bool(self._t) and t <= self._t[-1]
        if stale:  # a repeated or earlier camera time: the pose model and the analysis need increasing times
            return frame
        self._recorder.add(t, rgb)
        xy, visibility = self._estimator.process(rgb, t)
        height, width = rgb.shape[:2]
        with self._lock:
            self._t.append(t)
            if xy is None:
                self._xy.append(np.full((NUM_LANDMARKS, 2), np.nan))
                self._visibility.append(np.full(NUM_LANDMARKS, np.nan))
            else:
                self._xy.append(xy / (width, height))
                self._visibility.append(np.asarray(visibility, dtype=float))
            self._trim()
            status = self.status
            status.frames += 1
            status.frames_with_pose += int(xy is not None)
            leg = status.stance_leg
            frontal = status.view in FRONTAL_VIEWS
        if xy is not None:
            sides = leg.sides if leg and frontal else ()
            fppa = {side: float(kin.fppa(xy[None], side)[0]) for side in sides}
            smooth = self._filter(t, np.array([fppa.get(side, np.nan) for side in SIDES]))
            fppa = {side: value for side, value in zip(SIDES, smooth) if side in sides}
            self.status.fppa_deg = fppa.get(leg, np.nan) if leg in SIDES else np.nan
            label = f"Reps: {status.reps}" + ("" if frontal else f" ({status.view} view: no FPPA)")
            rgb = annotate_frame(rgb.copy(), xy, visibility, leg=leg, fppa_deg=fppa, rep_label=label,
                                 colour=NEUTRAL)
        out = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

    def _trim(self) -> None:
        """Drop frames older than :data:`MAX_SECONDS` (caller holds the lock)."""
        while self._t and self._t[-1] - self._t[0] > MAX_SECONDS:
            del self._t[0], self._xy[0], self._visibility[0]

    # ------------------------------------------------------------ analysis thread
    def _start_analyser(self) -> None:
        self._analyser = threading.Thread(target=self._analyse_loop, name="knee_cv-live-analysis", daemon=True)
        self._analyser.start()

    def _analyse_loop(self) -> None:
        while not self._stop.wait(ANALYSIS_INTERVAL_S):
            track = self.track()
            if len(track) < 2:
                continue
            analysis = analyze(track, live=True)
            recent = slice(-STANCE_WINDOW, None)
            stance = lifted_foot_stance(kin.ankle_height_difference(track.xy[recent]),
                                        analysis.thresholds["stance"]["planted_tolerance"])
            view, _ = dominant_view(analysis.series.view, analysis.series.view_confidence, recent)
            with self._lock:
                self.status.reps = len(analysis.reps)
                self.status.stance_leg = stance
                self.status.view = view

    # ------------------------------------------------------------ script thread
    def track(self) -> PoseTrack:
        """Everything seen so far as a PoseTrack.

        Times are seconds from the first frame (the same clock as
        :meth:`recording`), pixels are those of the first frame's size.
        """
        with self._lock:
            t = np.array(self._t, dtype=float)
            xy = np.array(self._xy, dtype=float).reshape(len(t), NUM_LANDMARKS, 2)
            visibility = np.array(self._visibility, dtype=float).reshape(len(t), NUM_LANDMARKS)
            width, height = self._size
        n = len(t)
        fps = 1.0 / float(np.median(np.diff(t))) if n > 1 else 30.0
        return PoseTrack(
            t=t, xy=xy * (width, height), visibility=visibility,
            presence=np.full((n, NUM_LANDMARKS), np.nan), world=np.full((n, NUM_LANDMARKS, 3), np.nan),
            width=width, height=height, fps=fps, source="live webcam",
            model=self._estimator.model.model_id if self._estimator else "unknown",
        )

    def snapshot(self) -> LiveStatus:
        """A copy of the current status."""
        with self._lock:
            return LiveStatus(**vars(self.status))

    def recording(self) -> bytes | None:
        """The camera frames as an MP4 (in memory), after the stream stopped; None if none came.

        The recording ends at the first call; later frames are not added.
        """
        if self._recorder is not None and self._recording is None:
            self._recording = self._recorder.finish()
        return self._recording

    @property
    def dropped_frames(self) -> int:
        """Frames left out of the recording because the encoder fell behind."""
        return self._recorder.dropped if self._recorder is not None else 0

    def close(self) -> None:
        """Stop the analysis thread and the recorder, and release the model."""
        self._stop.set()
        if self._analyser is not None:
            self._analyser.join(timeout=5)
        self.recording()
        if self._estimator is not None:
            self._estimator.close()
