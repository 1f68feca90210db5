"""The PoseTrack: one person's pose landmarks over the frames of a video."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from knee_cv.core.arrays import BoolArray
from knee_cv.core.landmarks import NUM_LANDMARKS
from knee_cv.core.orientation import AS_FILMED, Orientation

#: Shortest time between two frames, in seconds: 0.1 ms, a tenth of the frame interval of a
#: 1000 fps high-speed camera. Frames closer than that come from a broken clock, not a camera,
#: and the smoothing filters cannot be set up for them (their equations turn singular).
MIN_FRAME_STEP_S = 1e-4
#: Most frames a track's span may hold at its median step between frames: 216 000, an hour at
#: 60 fps. The rep finder resamples the track evenly at that step, so one frame time far off (a
#: broken clock: a frame at 1e7 s in a 30 s track) would make it allocate gigabytes.
MAX_EVEN_FRAMES = 216_000
#: Largest frame width or height, in pixels: eight times the 8192 pixels a video may have
#: (``VideoLimits.max_side``). A larger number is a damaged file, not a camera.
MAX_FRAME_SIDE_PX = 65_536
#: ``PoseTrack.source`` of a track measured from a live webcam: its gaps are frames the camera or a busy
#: computer did not deliver, not a damaged file.
LIVE_SOURCE = "live webcam"


@dataclass(eq=False)
class PoseTrack:
    """Pose landmarks of one person, one row per video frame.

    Coordinates are image pixels with the origin at the top-left corner of
    the upright frame (after ``orientation``), x to the right and y down. Frames where no pose was
    found hold NaN in every landmark field (never 0).

    Attributes
    ----------
    t : ndarray, shape (T,)
        Time of each frame in seconds from the start of the video (real
        presentation timestamps, so variable frame rate is kept).
    xy : ndarray, shape (T, 33, 2)
        Landmark position in pixels, indexed by :class:`knee_cv.core.landmarks.Landmark`.
    visibility : ndarray, shape (T, 33)
        MediaPipe's visibility score in [0, 1]. It can stay near 1 for
        joints that are hidden or out of frame, so it is not trusted alone.
    presence : ndarray, shape (T, 33)
        MediaPipe's presence score in [0, 1] (NaN where the source has none).
    world : ndarray, shape (T, 33, 3)
        MediaPipe world landmarks in metres, hip-centred (NaN where absent).
        Depth from one camera is unreliable; the analysis does not use it.
    width, height : int
        Size of the upright frame in pixels.
    fps : float
        Nominal frame rate (frames per second) of the source.
    model : str
        Identifier of the pose model, for example ``"full sha256:ab12..."``.
    people : ndarray of int, shape (T,)
        How many people the model found in each frame (0 where none).
    source : str
        Where the track came from (file name), for display only.
    duration_s : float
        Length of the source video in seconds as its container states it
        (NaN where unknown). Frames missing toward it show a damaged or cut
        off file (see :meth:`unread_stretches`).
    orientation : Orientation
        What was done to the video's frames before the pose model saw them
        (flipped back from a mirrored recording, turned upright); ``xy``,
        ``width`` and ``height`` are those of the frames so changed.
    """

    t: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    width: int
    height: int
    fps: float
    model: str = "unknown"
    people: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled in __post_init__
    source: str = ""
    duration_s: float = math.nan
    orientation: Orientation = AS_FILMED

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=float)
        n = self.t.shape[0]
        self.xy = np.asarray(self.xy, dtype=float).reshape(n, NUM_LANDMARKS, 2)
        self.visibility = np.asarray(self.visibility, dtype=float).reshape(n, NUM_LANDMARKS)
        self.presence = np.asarray(self.presence, dtype=float).reshape(n, NUM_LANDMARKS)
        self.world = np.asarray(self.world, dtype=float).reshape(n, NUM_LANDMARKS, 3)
        if self.people is None:
            self.people = self.has_pose.astype(int)
        self.people = np.asarray(self.people, dtype=int).reshape(n)
        self.width = int(self.width)
        self.height = int(self.height)
        self.fps = float(self.fps)
        self.duration_s = float(self.duration_s)

    @classmethod
    def empty(cls, n_frames: int, **metadata: Any) -> PoseTrack:
        """A track of ``n_frames`` frames with no pose anywhere (all NaN)."""
        nan = np.full
        return cls(
            t=metadata.pop("t", np.arange(n_frames) / metadata.get("fps", 30.0)),
            xy=nan((n_frames, NUM_LANDMARKS, 2), np.nan),
            visibility=nan((n_frames, NUM_LANDMARKS), np.nan),
            presence=nan((n_frames, NUM_LANDMARKS), np.nan),
            world=nan((n_frames, NUM_LANDMARKS, 3), np.nan),
            people=np.zeros(n_frames, dtype=int),
            **metadata,
        )

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def has_pose(self) -> BoolArray:
        """Boolean array, shape (T,): True where a pose was found in the frame."""
        found: BoolArray = np.isfinite(self.xy).all(axis=(1, 2))
        return found

    @property
    def detection_rate(self) -> float:
        """Share of frames with a pose, in [0, 1] (0 for an empty track)."""
        return float(self.has_pose.mean()) if len(self) else 0.0

    @property
    def max_people(self) -> int:
        """The largest number of people seen in any one frame."""
        return int(self.people.max()) if len(self) else 0

    def problem(self) -> str | None:
        """Why the analysis cannot use this track, as a clause to show; None when it can.

        The frame times must be finite, increase by at least
        :data:`MIN_FRAME_STEP_S` seconds from frame to frame and span at most
        :data:`MAX_EVEN_FRAMES` median steps, and the frame size must be 1 to
        :data:`MAX_FRAME_SIDE_PX` pixels a side. Landmarks
        may be anything (missing, NaN or off the picture): the analysis
        reports what it cannot measure.

        Returns
        -------
        str or None
            For example ``"the time of frame 3 is nan s"`` or ``"frame 12 comes
            0 s after the one before it (frame times must increase by at least
            0.0001 s)"``.
        """
        if not (1 <= self.width <= MAX_FRAME_SIDE_PX and 1 <= self.height <= MAX_FRAME_SIDE_PX):
            return f"its frame size is {self.width} x {self.height} pixels (each side must be 1 to {MAX_FRAME_SIDE_PX} pixels)"
        bad = np.flatnonzero(~np.isfinite(self.t))
        if bad.size:
            return f"the time of frame {bad[0]} is {self.t[bad[0]]} s"
        steps = np.diff(self.t)
        close = np.flatnonzero(steps < MIN_FRAME_STEP_S)
        if close.size:
            return (
                f"frame {close[0] + 1} comes {steps[close[0]]:.6g} s after the one before it (frame times "
                f"must increase by at least {MIN_FRAME_STEP_S:g} s)"
            )
        if len(steps) and self.t[-1] - self.t[0] > MAX_EVEN_FRAMES * np.median(steps):
            return (
                f"its frames span {self.t[-1] - self.t[0]:.6g} s, more than {MAX_EVEN_FRAMES} times their usual "
                f"step of {np.median(steps):.6g} s, so a frame time is far off"
            )
        return None

    def unread_stretches(self, min_s: float) -> list[tuple[float, float]]:
        """Stretches of the video longer than ``min_s`` seconds without a single frame.

        A frame row exists for every decoded frame, with or without a pose,
        so such a stretch means frames could not be read: the file is damaged
        there or ends early (frames stop before ``duration_s``).

        Returns
        -------
        list of (start_s, end_s)
            Seconds from the start of the video, in time order.
        """
        ends = np.concatenate([self.t, [self.duration_s]]) if math.isfinite(self.duration_s) else self.t
        if not ends.size:
            return []
        gaps = np.flatnonzero(np.diff(ends) > min_s)
        return [(float(ends[i]), float(ends[i + 1])) for i in gaps]

    def slice(self, start: int, stop: int) -> PoseTrack:
        """The frames ``start:stop`` as a new track (times are kept as they are)."""
        part = slice(start, stop)
        return PoseTrack(
            t=self.t[part],
            xy=self.xy[part],
            visibility=self.visibility[part],
            presence=self.presence[part],
            world=self.world[part],
            width=self.width,
            height=self.height,
            fps=self.fps,
            model=self.model,
            people=self.people[part],
            source=self.source,
            duration_s=self.duration_s,
            orientation=self.orientation,
        )

    def equals(self, other: PoseTrack) -> bool:
        """True when every array and field is identical (NaN equal to NaN)."""
        arrays = ("t", "xy", "visibility", "presence", "world", "people", "duration_s")
        same_arrays = all(np.array_equal(getattr(self, a), getattr(other, a), equal_nan=a != "people") for a in arrays)
        scalars = ("width", "height", "fps", "model", "source", "orientation")
        return same_arrays and all(getattr(self, s) == getattr(other, s) for s in scalars)
