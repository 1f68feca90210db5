"""Is the person framed for a frontal single-leg squat? One frame's landmarks against the live protocol's limits.

The live guided protocol (:mod:`knee_cv.core.protocol`) waits until the whole
body is in the picture, facing the camera, at a distance where it fills
enough of the picture to measure and not so much that a squat leaves it.
:func:`check_framing` says whether that holds for one frame and, when it
does not, the one thing to do about it, as a short sentence a person can
follow from 3 m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knee_cv.core.labels import View
from knee_cv.core.landmarks import BODY_LANDMARKS, Landmark
from knee_cv.core.threshold_tables import Thresholds

#: The points that must be in the picture: head, shoulders, hips, knees, ankles.
BODY_POINTS = (Landmark.NOSE, *BODY_LANDMARKS)
_FEET = (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)

NOBODY = "Step into the picture"
FEET_OUT = "Step back: your feet are out of the picture"
HEAD_OUT = "Step back: your head is out of the picture"
OFF_CENTRE = "Move to the middle of the picture"
TOO_FAR = "Come closer to the camera"
TOO_NEAR = "Step back from the camera"
TURN = "Turn to face the camera"
LOOKING = "Hold still"


@dataclass(frozen=True)
class FramingLimits:
    """What counts as well framed (the ``[protocol]`` table of the thresholds).

    Attributes
    ----------
    min_visibility : float
        Landmark visibility below which a body point counts as not seen.
    margin : float
        A body point closer than this to the picture's edge (fraction of
        the frame size) counts as out of the picture.
    min_body_height, max_body_height : float
        Allowed height of the body, nose to the lower ankle, as a fraction
        of the picture's height.
    """

    min_visibility: float
    margin: float
    min_body_height: float
    max_body_height: float

    @classmethod
    def from_thresholds(cls, thresholds: Thresholds) -> FramingLimits:
        """The limits in the ``[protocol]`` table of ``thresholds`` (:func:`knee_cv.core.thresholds.load_thresholds`)."""
        table = thresholds.protocol
        return cls(
            min_visibility=float(table.min_visibility),
            margin=float(table.frame_margin),
            min_body_height=float(table.min_body_height),
            max_body_height=float(table.max_body_height),
        )


@dataclass(frozen=True)
class Framing:
    """One frame's framing: whether it holds and what to do when it does not.

    Attributes
    ----------
    ok : bool
        Whole body in view, facing the camera, at a good distance.
    prompt : str
        What to do, empty when ``ok``.
    body_height : float
        Nose to the lower ankle as a fraction of the picture's height (NaN
        when not seen).
    """

    ok: bool
    prompt: str
    body_height: float = float("nan")


def check_framing(
    xy: np.ndarray | None,
    visibility: np.ndarray | None,
    width: int,
    height: int,
    view: View,
    limits: FramingLimits,
) -> Framing:
    """Check one frame's framing for the guided protocol.

    Parameters
    ----------
    xy : ndarray, shape (33, 2), or None
        Landmark pixels (origin top-left, y down), None or NaN where nobody
        was found.
    visibility : ndarray, shape (33,), or None
        Landmark visibility (NaN counts as not seen).
    width, height : int
        Frame size in pixels.
    view : View
        The camera view of the last frames (:func:`knee_cv.core.view.dominant_view`);
        :attr:`View.NONE` while none has been told.
    limits : FramingLimits
        What counts as well framed.

    Returns
    -------
    Framing
        The first problem found, in the order: nobody, feet out, head out,
        off to a side, too far, too near, no view told yet, not facing the camera.

    Examples
    --------
    >>> from knee_cv.core.thresholds import load_thresholds
    >>> limits = FramingLimits.from_thresholds(load_thresholds())
    >>> check_framing(None, None, 640, 360, View.NONE, limits).prompt
    'Step into the picture'
    """
    if xy is None or visibility is None:
        return Framing(False, NOBODY)
    points = np.asarray(xy, dtype=float)[list(BODY_POINTS)]
    seen = np.nan_to_num(np.asarray(visibility, dtype=float)[list(BODY_POINTS)]) >= limits.min_visibility
    seen &= np.isfinite(points).all(axis=1)
    if not seen.any():
        return Framing(False, NOBODY)
    size = np.array([width, height], dtype=float)
    low, high = limits.margin * size, (1 - limits.margin) * size
    inside = seen & (points >= low).all(axis=1) & (points <= high).all(axis=1)
    feet = [BODY_POINTS.index(point) for point in _FEET]
    if not inside[feet].all():
        return Framing(False, FEET_OUT)
    if not inside[BODY_POINTS.index(Landmark.NOSE)]:
        return Framing(False, HEAD_OUT)
    body = float((points[feet, 1].max() - points[BODY_POINTS.index(Landmark.NOSE), 1]) / height)
    if not inside.all():
        return Framing(False, OFF_CENTRE, body)
    if body < limits.min_body_height:
        return Framing(False, TOO_FAR, body)
    if body > limits.max_body_height:
        return Framing(False, TOO_NEAR, body)
    if view is View.NONE:  # no view told yet (the first analysis of the frames is under way)
        return Framing(False, LOOKING, body)
    if view is not View.FRONTAL:
        return Framing(False, TURN, body)
    return Framing(True, "", body)
