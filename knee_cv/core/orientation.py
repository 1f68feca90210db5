"""Which way up the body is in the picture, and how a video's frames were set right for the pose model.

Two things can make left, right, up and down in the picture differ from the
person's:

* **Turned pixels.** A phone held sideways or upside down, or a video
  edited that way, with no rotation tag to set it upright, shows the body
  on its side or head down. MediaPipe still finds the body and names its
  joints correctly, but the analysis reads "down" as the picture's y axis,
  so depth, the stance leg and the hip's height come out wrong.
  :func:`upright_turn` finds the turn from the landmarks;
  :func:`knee_cv.pipeline.track_of` then runs the pose model again on
  frames turned upright, and :func:`knee_cv.core.analysis.analyze` measures
  nothing on a body that is still not upright.
* **A mirrored picture** (most phones' selfie camera). It cannot be told
  from the pixels: the person says so, and the frames are flipped back
  before the pose model, so MediaPipe's left and right are the person's own
  (MediaPipe names landmarks from the person's side, so it runs on the unmirrored frame).

:class:`Orientation` says what was done to a video's upright frames before
the pose model saw them; a :class:`~knee_cv.core.track.PoseTrack` keeps it,
so what is drawn on the frames (:mod:`knee_cv.media.render`) is done to them
the same way and lines up with the landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knee_cv.core.arrays import FloatArray
from knee_cv.core.landmarks import Landmark
from knee_cv.core.threshold_tables import OrientationTable

#: How a video is turned, by the quarter turns of the person's head from straight up, clockwise.
_TURNED = {
    1: "on its side (the person's head toward the picture's right edge)",
    2: "upside down",
    3: "on its side (the person's head toward the picture's left edge)",
}


@dataclass(frozen=True)
class Orientation:
    """What was done to a video's upright frames before the pose model saw them.

    First a left-right flip (when ``mirrored``), then a clockwise turn by
    ``turned_deg``. Landmark pixels of a track made so are in the picture
    after both.

    Attributes
    ----------
    mirrored : bool
        The frames were flipped left-right: the video was filmed mirrored
        (a selfie camera), as the person said.
    turned_deg : int
        Clockwise turn in degrees: 0, 90, 180 or 270 (see :func:`upright_turn`).
    """

    mirrored: bool = False
    turned_deg: int = 0

    def __post_init__(self) -> None:
        if self.turned_deg not in (0, 90, 180, 270):
            raise ValueError(f"turned_deg must be 0, 90, 180 or 270, not {self.turned_deg!r}")

    def apply(self, image: np.ndarray) -> np.ndarray:
        """The picture as the pose model sees it.

        Parameters
        ----------
        image : ndarray, shape (H, W, ...)
            A video frame, upright as the file stores it (rotation tag applied).

        Returns
        -------
        ndarray
            Flipped left-right when ``mirrored``, then turned clockwise by
            ``turned_deg``; C-contiguous. The same array when nothing is done.
        """
        if not self.mirrored and not self.turned_deg:
            return image
        flipped = image[:, ::-1] if self.mirrored else image
        return np.ascontiguousarray(np.rot90(flipped, k=-(self.turned_deg // 90)))

    def size(self, width: int, height: int) -> tuple[int, int]:
        """Width and height in pixels, after :meth:`apply`, of a ``width`` x ``height`` frame."""
        return (height, width) if self.turned_deg in (90, 270) else (width, height)

    def notes(self) -> list[str]:
        """Sentences for the result saying what was done (none when nothing was)."""
        notes = []
        if self.mirrored:
            notes.append(
                "Filmed with the selfie camera (mirrored picture), as chosen: the picture was flipped "
                "back before measuring, so left and right are the person's own."
            )
        if self.turned_deg:
            turned = "upside down" if self.turned_deg == 180 else "on its side"
            notes.append(
                f"The video was {turned}: its pixels are turned and no rotation tag sets them upright, so "
                f"it was turned {_turn_text(self.turned_deg)} before measuring."
            )
        return notes


#: Nothing done: the frames as the file shows them upright.
AS_FILMED = Orientation()


def _turn_text(turned_deg: int) -> str:
    """``"90° clockwise"``, ``"180°"`` or ``"90° counterclockwise"``."""
    return {90: "90° clockwise", 180: "180°", 270: "90° counterclockwise"}[turned_deg]


def body_direction_deg(xy: FloatArray) -> FloatArray:
    """Direction of the body's long axis in the picture, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels (x right, y down).

    Returns
    -------
    ndarray, shape (T,)
        Degrees in (-180, 180] of the line from the ankles' midpoint to the
        shoulders' midpoint, clockwise from straight up in the picture:
        0 = head above the feet, 90 = head toward the right edge, 180 = upside
        down, -90 = head toward the left edge. NaN where a point is missing.
        Ankles to shoulders rather than along the trunk: a person on one leg
        keeps the shoulders over the foot, so a leaning trunk hardly moves it.
    """
    shoulders = xy[:, [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]].mean(axis=1)
    ankles = xy[:, [Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE]].mean(axis=1)
    up = shoulders - ankles
    direction: FloatArray = np.degrees(np.arctan2(up[:, 0], -up[:, 1]))
    return direction


def lying_quarter(xy: np.ndarray, params: OrientationTable) -> int:
    """How the body lies in the picture, in quarter turns of its head clockwise from straight up.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmark pixels.
    params : OrientationTable
        ``thresholds.orientation``: ``min_share``.

    Returns
    -------
    int
        0 upright, 1 head to the right, 2 upside down, 3 head to the left:
        the quarter (within 45 deg, :func:`body_direction_deg`) of most
        frames with a body, when it holds more than ``min_share`` of them;
        0 otherwise (no body, or no clear direction).
    """
    direction = body_direction_deg(xy)
    direction = direction[np.isfinite(direction)]
    if not direction.size:
        return 0
    shares = np.bincount(np.round(direction / 90).astype(int) % 4, minlength=4) / direction.size
    quarter = int(np.argmax(shares))
    return quarter if shares[quarter] > params.min_share else 0


def upright_turn(xy: np.ndarray, params: OrientationTable) -> int:
    """Clockwise turn of the picture, in degrees, that stands the body upright.

    Parameters
    ----------
    xy, params
        As for :func:`lying_quarter`.

    Returns
    -------
    int
        0 (upright already, or no clear direction), 90 (the head pointed
        left), 180 (upside down) or 270 (the head pointed right).
    """
    return (360 - 90 * lying_quarter(xy, params)) % 360


def not_upright_message(xy: np.ndarray, params: OrientationTable) -> str:
    """The message for a body that is not upright in the picture ("" when it is).

    Nothing is measured on such a body; the message says how to set it right.
    """
    quarter = lying_quarter(xy, params)
    if not quarter:
        return ""
    return (
        f"The video is {_TURNED[quarter]}: its pixels are turned, with no rotation tag to set them upright. "
        f"Nothing was measured. Turn the video {_turn_text(upright_turn(xy, params))} (a phone's gallery "
        "editor can rotate it) and analyse it again."
    )
