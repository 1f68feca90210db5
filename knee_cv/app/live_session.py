"""The live webcam session: the guided protocol, per-frame pose and overlay, and the final track.

A :class:`LiveSession` is the state behind one webcam stream, in three threads:

* :meth:`LiveSession.on_frame`, the streamlit-webrtc video callback (the
  WebRTC worker thread), never waits for the pose model: it hands the camera
  frame to the pose thread (replacing one still waiting: a frame the model
  had no time for is skipped, not queued) and returns the frame at once with
  the latest overlay drawn on it: skeleton, stance leg, and the guided
  protocol (:func:`knee_cv.media.live_overlay.draw_protocol`). Every camera
  frame comes back, and the delay is that of drawing, not of the model; the
  skeleton drawn is that of the latest frame the model finished, one
  inference (tens of ms) behind.
* The pose thread runs the model on the **unmirrored** frame, keeps landmarks
  and times in a buffer, hands the frame to an in-memory :class:`Recorder`
  (the recording holds exactly the frames measured), smooths the stance
  leg's FPPA and the pelvic drop causally (One Euro), checks the framing
  (:func:`knee_cv.core.framing.check_framing`) and steps the
  :class:`knee_cv.core.protocol.Protocol`.
* The analysis thread hands the buffer about twice a second to a worker
  process (:class:`knee_cv.app.live_analysis.LiveAnalyser`) that re-runs
  :func:`knee_cv.core.analysis.analyze` on it, out of the server's
  interpreter lock: the reps (the same analysis as the final result), the
  live stance and view, the camera roll of the standing reference.

When the stream stops, :meth:`LiveSession.track` gives the whole
:class:`PoseTrack` and :meth:`LiveSession.recording` the video it was
measured on.

Frame sizes may change during a WebRTC stream (the sender adapts the
resolution); landmarks are kept normalized and scaled to the first frame's
size, which keeps angles true because the aspect ratio does not change.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from knee_cv.app.live_analysis import LiveAnalyser
from knee_cv.app.recorder import Recorder
from knee_cv.core import kinematics as kin
from knee_cv.core.filters import OneEuroFilter
from knee_cv.core.framing import FramingLimits, check_framing
from knee_cv.core.labels import FRONTAL_VIEWS, SIDES, Leg, View
from knee_cv.core.landmarks import NUM_LANDMARKS
from knee_cv.core.protocol import Display, Protocol, ProtocolSettings
from knee_cv.core.result import Rep
from knee_cv.core.stats import frame_interval_s
from knee_cv.core.thresholds import load_thresholds
from knee_cv.core.track import LIVE_SOURCE, PoseTrack
from knee_cv.media.live_overlay import draw_protocol
from knee_cv.media.pose import LivePoseEstimator
from knee_cv.media.render import NEUTRAL, draw_leg, draw_skeleton

#: Seconds between two runs of the live analysis.
ANALYSIS_INTERVAL_S = 0.5
#: Longest live session kept, in seconds (older frames are dropped).
MAX_SECONDS = 300.0


@dataclass
class LiveStatus:
    """What the page shows beside the live image.

    Attributes
    ----------
    frames : int
        Camera frames received.
    frames_measured : int
        Frames the pose model ran on (the others came while it was busy).
    frames_with_pose : int
        Frames where a person was found.
    reps : int
        Reps found so far by the live analysis.
    stance_leg : Leg or None
        None when unknown.
    fppa_deg : float
        Current smoothed FPPA of the stance leg, degrees, positive = valgus
        (NaN when unknown or when the view is not frontal).
    pelvic_drop_deg : float
        Current smoothed pelvic drop, degrees, positive = free-leg side lower,
        against the camera roll of the standing reference (level when there is
        none yet); NaN without a single stance leg.
    view : View
        Camera view of the last frames (:func:`knee_cv.core.view.classify_view`); FPPA is shown only in
        frontal and oblique views.
    shown : Display or None
        The guided protocol's state, None before the first measured frame.
    announcements : list of (int, str)
        The protocol's announcements so far (to speak aloud).
    """

    frames: int = 0
    frames_measured: int = 0
    frames_with_pose: int = 0
    reps: int = 0
    stance_leg: Leg | None = None
    fppa_deg: float = float("nan")
    pelvic_drop_deg: float = float("nan")
    view: View = View.NONE
    shown: Display | None = None
    announcements: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Overlay:
    """What the pose thread last measured, for drawing on the frames that follow."""

    xy: np.ndarray
    visibility: np.ndarray
    size: tuple[int, int]
    leg: Leg | None
    shown: Display
    fppa_deg: float
    pelvic_drop_deg: float


class LiveSession:
    """State of one webcam stream (thread-safe); its pose and analysis threads start at once (the model loads).

    Parameters
    ----------
    model_path : path-like, optional
        Pose model for :class:`knee_cv.media.pose.LivePoseEstimator`.
    reps_per_leg : int, optional
        Squats asked on each leg; default: the ``[protocol]`` thresholds' (5).
    """

    def __init__(self, model_path: str | Path | None = None, reps_per_leg: int | None = None) -> None:
        self._model_path = model_path
        thresholds = load_thresholds()
        self._planted = float(thresholds.stance.planted_tolerance)
        self._limits = FramingLimits.from_thresholds(thresholds)
        self.protocol = Protocol(ProtocolSettings.from_thresholds(thresholds, reps_per_leg))
        self._lock = threading.Lock()
        self._waiting = threading.Condition()
        self._next: tuple[float, np.ndarray] | None = None
        self._posted = -math.inf
        self._overlay: _Overlay | None = None
        self._estimator: LivePoseEstimator | None = None
        readout = thresholds.filters
        self._filter = OneEuroFilter(
            min_cutoff=float(readout.live_readout_min_cutoff),
            beta=float(readout.live_readout_beta),
            d_cutoff=float(readout.live_readout_d_cutoff),
        )
        self._t: list[float] = []
        self._xy: list[np.ndarray] = []
        self._visibility: list[np.ndarray] = []
        self._size = (0, 0)
        self._t0: float | None = None
        self._reps: list[Rep] = []
        self._analysed_to = -math.inf
        self._roll = 0.0
        self.status = LiveStatus()
        self._stop = threading.Event()
        #: Set once the pose model is loaded (a second or more): frames before it pass without an overlay.
        self.ready = threading.Event()
        self._analyser = LiveAnalyser()
        self._recorder: Recorder | None = None
        self._recording: bytes | None = None
        self._threads = [
            threading.Thread(target=self._pose_loop, name="knee_cv-live-pose", daemon=True),
            threading.Thread(target=self._analyse_loop, name="knee_cv-live-analysis", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------ WebRTC thread
    def on_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """The streamlit-webrtc video callback: hand the frame to the pose thread, return it with the latest overlay.

        Frames after :meth:`close`, and a frame whose time does not come after
        the last one (the pose model and the analysis need increasing times),
        pass as they are.
        """
        if self._stop.is_set():
            return frame
        rgb = frame.to_ndarray(format="rgb24")
        stamp = frame.time if frame.time is not None else time.monotonic()
        if self._t0 is None:
            self._t0, self._size = stamp, (rgb.shape[1], rgb.shape[0])
            self._recorder = Recorder(*self._size)
        t = stamp - self._t0
        with self._lock:
            self.status.frames += 1
        if t <= self._posted:
            return frame
        self._posted = t
        with self._waiting:
            self._next = (t, rgb)
            self._waiting.notify()
        overlay = self._overlay
        if overlay is None:
            return frame
        shown = rgb.copy()  # the pose thread reads ``rgb``
        self._draw(shown, overlay)
        out = av.VideoFrame.from_ndarray(shown, format="rgb24")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

    @staticmethod
    def _draw(rgb: np.ndarray, overlay: _Overlay) -> None:
        """The overlay on one frame: skeleton and stance leg (scaled to this frame's size), then the protocol."""
        height, width = rgb.shape[:2]
        xy = overlay.xy * (width / overlay.size[0], height / overlay.size[1])
        draw_skeleton(rgb, xy, overlay.visibility)
        for side in overlay.leg.sides if overlay.leg else ():
            draw_leg(rgb, xy, side, NEUTRAL)
        draw_protocol(rgb, overlay.shown, overlay.fppa_deg, overlay.pelvic_drop_deg)

    # ------------------------------------------------------------ pose thread
    def _pose_loop(self) -> None:
        self._estimator = LivePoseEstimator(self._model_path)
        self.ready.set()
        while True:
            with self._waiting:
                while self._next is None and not self._stop.is_set():
                    self._waiting.wait()
                if self._stop.is_set():
                    return
                if self._next is None:
                    continue
                (t, rgb), self._next = self._next, None
            self._measure(t, rgb)

    def _measure(self, t: float, rgb: np.ndarray) -> None:
        """Pose, buffer, smoothing, framing and the protocol's step for one frame."""
        assert self._recorder is not None and self._estimator is not None, "frames come after the first one set both up"
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
            status.frames_measured += 1
            status.frames_with_pose += int(xy is not None)
            leg, view, reps, analysed_to, roll = (status.stance_leg, status.view, self._reps, self._analysed_to, self._roll)
        single = leg if leg in SIDES else None
        fppa = drop = np.nan
        if xy is not None:
            values = [float(kin.fppa(xy[None], side)[0]) if view in FRONTAL_VIEWS else np.nan for side in SIDES]
            values.append(
                float(kin.pelvic_drop(xy[None], single, roll)[0]) if single is not None and view in FRONTAL_VIEWS else np.nan
            )
            smooth = self._filter(t, np.array(values))
            if single is not None:
                fppa, drop = float(smooth[SIDES.index(single)]), float(smooth[2])
        framing = check_framing(xy, visibility, width, height, view, self._limits)
        self.protocol.update(t, framing, leg is Leg.BOTH, reps, analysed_to)
        shown = self.protocol.display()
        with self._lock:
            status.fppa_deg, status.pelvic_drop_deg, status.shown = fppa, drop, shown
            status.announcements = list(self.protocol.announcements)
        if xy is not None:
            self._overlay = _Overlay(xy, np.asarray(visibility, dtype=float), (width, height), leg, shown, fppa, drop)
        elif self._overlay is not None:
            self._overlay = _Overlay(
                np.full((NUM_LANDMARKS, 2), np.nan), np.zeros(NUM_LANDMARKS), (width, height), None, shown, np.nan, np.nan
            )

    def _trim(self) -> None:
        """Drop frames older than :data:`MAX_SECONDS` (caller holds the lock)."""
        while self._t and self._t[-1] - self._t[0] > MAX_SECONDS:
            del self._t[0], self._xy[0], self._visibility[0]

    # ------------------------------------------------------------ analysis thread
    def _analyse_loop(self) -> None:
        """Every :data:`ANALYSIS_INTERVAL_S`, the frames so far through the worker process (this thread only waits)."""
        while not self._stop.wait(ANALYSIS_INTERVAL_S):
            track = self.track()
            if len(track) < 2:
                continue
            try:
                result = self._analyser.submit(track).result()
            except (CancelledError, BrokenProcessPool, RuntimeError):  # closed, or the worker is gone
                return
            with self._lock:
                self.status.reps = len(result.reps)
                self.status.stance_leg = result.stance
                self.status.view = result.view
                self._reps, self._analysed_to, self._roll = result.reps, result.analysed_to, result.roll_deg

    # ------------------------------------------------------------ script thread
    def track(self) -> PoseTrack:
        """Everything measured so far as a PoseTrack.

        Times are seconds from the first frame (the same clock as
        :meth:`recording`), pixels are those of the first frame's size.
        """
        with self._lock:
            t = np.array(self._t, dtype=float)
            xy = np.array(self._xy, dtype=float).reshape(len(t), NUM_LANDMARKS, 2)
            visibility = np.array(self._visibility, dtype=float).reshape(len(t), NUM_LANDMARKS)
            width, height = self._size
        n = len(t)
        fps = 1.0 / frame_interval_s(t, default=1 / 30)
        return PoseTrack(
            t=t,
            xy=xy * (width, height),
            visibility=visibility,
            presence=np.full((n, NUM_LANDMARKS), np.nan),
            world=np.full((n, NUM_LANDMARKS, 3), np.nan),
            width=width,
            height=height,
            fps=fps,
            source=LIVE_SOURCE,
            model=self._estimator.model.model_id if self._estimator else "unknown",
        )

    def snapshot(self) -> LiveStatus:
        """A copy of the current status."""
        with self._lock:
            return LiveStatus(**vars(self.status))

    def recording(self) -> bytes | None:
        """The measured camera frames as an MP4 (in memory), after the stream stopped; None if none came.

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
        """Stop the pose and analysis threads and the recorder, and release the model."""
        self._stop.set()
        self._analyser.close()
        with self._waiting:
            self._waiting.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
        self.recording()
        if self._estimator is not None:
            self._estimator.close()
