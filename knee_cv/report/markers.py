"""A pose track's landmarks as motion-capture markers: Y up, in metres when the person's height is given.

Motion-capture files (TRC, C3D) hold 3D marker positions with Y up; a pose
track holds picture pixels with y down. :func:`marker_positions` turns the
one into the other the way Sports2D does for its TRC files: X to the
right, Y up, Z = 0 (one camera gives no depth), the origin at the picture's
bottom-left corner, and pixels scaled to metres by one factor taken from
the person's height. Without a height the numbers stay pixels (Y up), and
the files say so in their unit.

The scale
---------
MediaPipe has no landmark on top of the head, so the height in pixels is
taken from the legs: the standing leg (hip to ankle) is 0.491 of stature
(:data:`LEG_SHARE_OF_HEIGHT`), and its length in pixels is the 90th
percentile over the frames of the longer leg (the leg seen straight, not
bent or foreshortened). People's proportions differ from that mean by a few
per cent, and nothing corrects perspective or the camera's tilt, so the
metres are a scale for plotting and models, not a calibration.
"""

from __future__ import annotations

import numpy as np

from knee_cv.core import kinematics as kin
from knee_cv.core.labels import Leg
from knee_cv.core.landmarks import LANDMARK_NAMES
from knee_cv.core.track import PoseTrack
from knee_cv.errors import KneeCvError

#: Hip (greater trochanter, 0.530 of stature) to ankle (lateral malleolus, 0.039) as a share of
#: stature: Winter, Biomechanics and Motor Control of Human Movement (4th ed. 2009), figure 4.1.
LEG_SHARE_OF_HEIGHT = 0.491
#: Tallest and shortest heights accepted, in metres (a height in centimetres is caught).
HEIGHT_RANGE_M = (0.5, 2.72)
#: Percentile of the per-frame longer leg length taken as the standing leg, as in the analysis.
LEG_PERCENTILE = 90.0


def check_height(height_m: float | None) -> float | None:
    """``height_m`` when it is a plausible height in metres (or None); otherwise one sentence why not.

    Raises
    ------
    KneeCvError
        For a height outside :data:`HEIGHT_RANGE_M` (178 given for 1.78 m, say).
    """
    if height_m is None:
        return None
    low, high = HEIGHT_RANGE_M
    if not low <= height_m <= high:
        raise KneeCvError(
            f"A height of {height_m:g} m is not a person's height; give it in metres ({low:g} to {high:g}, for example 1.75)."
        )
    return float(height_m)


def metres_per_pixel(track: PoseTrack, height_m: float) -> float:
    """The scale from pixels to metres for a person ``height_m`` tall (see the module notes).

    Returns
    -------
    float
        Metres per pixel; NaN when no frame shows a whole leg.

    Examples
    --------
    >>> from knee_cv.media.trackio import load_track
    >>> round(metres_per_pixel(load_track("samples/squat_side_01.csv"), 1.75), 5)
    0.00282
    """
    longer = np.fmax(kin.leg_length(track.xy, Leg.LEFT), kin.leg_length(track.xy, Leg.RIGHT))
    finite = longer[np.isfinite(longer)]
    if not finite.size:
        return float("nan")
    return LEG_SHARE_OF_HEIGHT * height_m / float(np.percentile(finite, LEG_PERCENTILE))


def marker_positions(track: PoseTrack, height_m: float | None = None) -> tuple[np.ndarray, str]:
    """Every landmark of every frame as a marker position, X right, Y up, Z = 0.

    Parameters
    ----------
    track : PoseTrack
    height_m : float, optional
        The person's height in metres: positions in metres (:func:`metres_per_pixel`).
        None: positions in pixels.

    Returns
    -------
    positions : ndarray, shape (T, 33, 3)
        Origin at the bottom-left corner of the picture; NaN where the
        landmark is missing.
    units : {"m", "px"}

    Raises
    ------
    KneeCvError
        For an implausible height, or a height with no whole leg in any frame to scale by.
    """
    height_m = check_height(height_m)
    x, y = track.xy[..., 0], track.height - track.xy[..., 1]
    positions = np.stack([x, y, np.where(np.isfinite(x), 0.0, np.nan)], axis=-1)
    if height_m is None:
        return positions, "px"
    scale = metres_per_pixel(track, height_m)
    if not np.isfinite(scale):
        raise KneeCvError(
            "No frame shows a whole leg (hip, knee and ankle), so the pixels cannot be scaled to metres; "
            "leave out the height to write pixels."
        )
    return positions * scale, "m"


def marker_names() -> list[str]:
    """The markers' names: MediaPipe's 33 landmark names in their order (``nose``, ..., ``right_foot_index``)."""
    return list(LANDMARK_NAMES)


def data_rate_hz(track: PoseTrack) -> float:
    """The track's frame rate for formats that assume evenly spaced frames: 1 / the median step, Hz.

    The pose model runs at most 30 times a second, so a 60 fps clip gives a
    30 Hz track; a track of one frame gives its nominal ``fps``.
    """
    steps = np.diff(track.t)
    return float(1.0 / np.median(steps)) if steps.size else float(track.fps)
