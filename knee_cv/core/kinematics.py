"""Per-frame 2D kinematics from pose landmarks in image pixels.

Coordinate system
-----------------
Every function takes ``xy``, an array of shape (T, 33, 2) of landmark
positions in image pixels (origin top-left, x to the right, **y down**),
indexed by :class:`knee_cv.core.landmarks.Landmark`. Left and right are the
person's own. Results are arrays of shape (T,), one value a frame, and are
NaN wherever a landmark they need is NaN (NaN in, NaN out; never 0).

Directions are defined from the body, not from the image, so that every
measure means the same thing whether the person faces the camera or turns
their back to it, and whether the frame is mirrored:

* **medial** (for one leg) = toward the other hip;
* **the person's left** in the image = the direction from the right hip and
  shoulder to the left ones (:func:`left_direction`).

Angles are in degrees.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from knee_cv.core.arrays import BoolArray, FloatArray
from knee_cv.core.landmarks import Landmark
from knee_cv.core.stats import finite_median

#: Hip, knee and ankle landmark of each leg (the person's own sides).
LEG_LANDMARKS = {
    "left": (Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    "right": (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
}

#: Percentile of the hip-midpoint y taken as the standing hip height by :func:`hip_drop`.
STANDING_PERCENTILE = 5.0


def _other(leg: str) -> str:
    return "right" if leg == "left" else "left"


def _check_leg(leg: str) -> None:
    if leg not in LEG_LANDMARKS:
        raise ValueError(f"leg must be 'left' or 'right', not {leg!r}")


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """The z component of the 2D cross product a x b, over the last axis."""
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def _nonzero_sign(value: FloatArray) -> FloatArray:
    """sign(value), with NaN where the value is 0 (direction undefined)."""
    sign = np.sign(value)
    return np.where(sign == 0, np.nan, sign)


def leg_points(xy: FloatArray, leg: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Hip, knee and ankle of one leg.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks in image pixels.
    leg : {"left", "right"}
        The person's own leg.

    Returns
    -------
    hip, knee, ankle : ndarray, shape (T, 2)
        Pixel positions (views into ``xy``).
    """
    _check_leg(leg)
    hip, knee, ankle = LEG_LANDMARKS[leg]
    return xy[:, hip], xy[:, knee], xy[:, ankle]


def _medial_sign(xy: FloatArray, leg: str) -> FloatArray:
    """+1 where the other hip lies left of the hip->ankle direction (cross > 0), else -1."""
    hip, _, ankle = leg_points(xy, leg)
    other_hip = LEG_LANDMARKS[_other(leg)][0]
    return _nonzero_sign(_cross(ankle - hip, xy[:, other_hip] - hip))


def fppa(xy: FloatArray, leg: str) -> FloatArray:
    """Frontal plane projection angle (FPPA) of one knee, per frame.

    The angle between the thigh (hip -> knee) and the shank (knee -> ankle)
    in the image plane, that is 180 deg minus the inner hip-knee-ankle angle.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks in image pixels.
    leg : {"left", "right"}
        The person's own leg.

    Returns
    -------
    ndarray, shape (T,)
        Degrees in (-180, 180]. 0 = straight leg; **positive = valgus** (knee
        medial of the hip-ankle line, medial meaning toward the other hip);
        negative = varus. Invariant to image translation, scale and in-plane
        rotation, and unchanged by mirroring the frame. NaN where the hip,
        knee, ankle or other hip is NaN, or the other hip lies exactly on
        the hip-ankle line.

    Notes
    -----
    Meaningful in a frontal (or back) view only; in a side view the knee's
    forward bend shows up as a large FPPA.
    """
    hip, knee, ankle = leg_points(xy, leg)
    thigh, shank = knee - hip, ankle - knee
    turn = np.degrees(np.arctan2(_cross(thigh, shank), _dot(thigh, shank)))
    # The knee lies on the side of the hip->ankle line where cross(ankle-hip, knee-hip) =
    # -cross(thigh, shank) points; valgus when that is the other hip's side.
    return -turn * _medial_sign(xy, leg)


def knee_offset(xy: FloatArray, leg: str) -> FloatArray:
    """Signed distance of the knee from the hip-ankle line, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks in image pixels.
    leg : {"left", "right"}
        The person's own leg.

    Returns
    -------
    ndarray, shape (T,)
        Perpendicular distance of the knee from the line through hip and
        ankle, divided by the hip-ankle distance (dimensionless). Positive =
        medial (toward the other hip), as for :func:`fppa`. NaN where a
        point is NaN.
    """
    hip, knee, ankle = leg_points(xy, leg)
    axis = ankle - hip
    return _cross(axis, knee - hip) / _dot(axis, axis) * _medial_sign(xy, leg)


def knee_flexion(xy: FloatArray, leg: str) -> FloatArray:
    """Knee bend seen in the image plane, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks in image pixels.
    leg : {"left", "right"}
        The person's own leg.

    Returns
    -------
    ndarray, shape (T,)
        180 deg minus the inner hip-knee-ankle angle, in [0, 180] deg;
        0 = straight. A true knee flexion only in a side view (in an oblique
        view it is foreshortened, in a frontal view it shows only valgus/varus).
    """
    hip, knee, ankle = leg_points(xy, leg)
    thigh, shank = knee - hip, ankle - knee
    return np.degrees(np.arctan2(np.abs(_cross(thigh, shank)), _dot(thigh, shank)))


def left_direction(xy: FloatArray) -> FloatArray:
    """Which way the person's left points along the image x axis, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)

    Returns
    -------
    ndarray, shape (T,)
        +1 where the person's left hip and shoulder lie to the image right
        of the right ones (person facing the camera, unmirrored), -1 where
        to the left (back to the camera, or a mirrored frame); NaN where the
        hips and shoulders are missing or exactly aligned.
    """
    hips = xy[:, Landmark.LEFT_HIP, 0] - xy[:, Landmark.RIGHT_HIP, 0]
    shoulders = xy[:, Landmark.LEFT_SHOULDER, 0] - xy[:, Landmark.RIGHT_SHOULDER, 0]
    return _nonzero_sign(np.where(np.isnan(shoulders), hips, hips + shoulders))


def pelvic_tilt(xy: FloatArray) -> FloatArray:
    """Tilt of the line through both hips in the image, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)

    Returns
    -------
    ndarray, shape (T,)
        ``atan2(y_left_hip - y_right_hip, |x_left_hip - x_right_hip|)`` in
        degrees: **positive when the person's left hip is lower** in the
        image (larger y), whichever way the person faces. 0 = level. Near
        +-90 deg in a side view, where it means nothing.
    """
    left, right = xy[:, Landmark.LEFT_HIP], xy[:, Landmark.RIGHT_HIP]
    return np.degrees(np.arctan2(left[:, 1] - right[:, 1], np.abs(left[:, 0] - right[:, 0])))


def _stance_sign(stance_leg: str | NDArray[np.str_]) -> FloatArray | float:
    """+1 for a right stance leg, -1 for left (so that sign * left-lower tilt = free side lower)."""
    stance = np.asarray(stance_leg)
    if stance.ndim == 0:
        _check_leg(str(stance))
        return 1.0 if str(stance) == "right" else -1.0
    return np.where(stance == "right", 1.0, np.where(stance == "left", -1.0, np.nan))


def pelvic_drop(xy: FloatArray, stance_leg: str | NDArray[np.str_], roll_deg: float | FloatArray = 0.0) -> FloatArray:
    """Contralateral pelvic drop, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
    stance_leg : {"left", "right"} or array of str, shape (T,)
        The leg the person stands on (per frame if an array; other labels
        give NaN).
    roll_deg : float or ndarray, shape (T,)
        Camera roll as returned by :func:`camera_roll`, in the
        :func:`pelvic_tilt` convention (the tilt a level pelvis shows).

    Returns
    -------
    ndarray, shape (T,)
        ``pelvic_tilt - roll_deg`` in degrees, signed so that **positive =
        the free (non-stance) leg's side is lower**.
    """
    return (pelvic_tilt(xy) - roll_deg) * _stance_sign(stance_leg)


def camera_roll(xy: FloatArray, standing_mask: BoolArray) -> float:
    """Camera roll estimated from frames where the person stands on both feet.

    Method: the median of :func:`pelvic_tilt` over the standing frames. A
    person standing on both feet holds the pelvis about level, so the tilt
    left is the camera's. The ankle line is not used: a foot placed a little
    forward shifts its ankle in y through perspective.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
    standing_mask : ndarray of bool, shape (T,)
        True on frames where the person stands on both feet.

    Returns
    -------
    float
        Roll in degrees, in the :func:`pelvic_tilt` convention (positive =
        the person's left side appears lower), ready to pass as ``roll_deg``.
        NaN when no standing frame has both hips (the caller decides whether
        to assume 0 and say so).
    """
    return finite_median(pelvic_tilt(xy)[np.asarray(standing_mask, dtype=bool)])


def _midpoint(xy: FloatArray, a: Landmark, b: Landmark) -> FloatArray:
    return 0.5 * (xy[:, a] + xy[:, b])


def hip_midpoint(xy: FloatArray) -> FloatArray:
    """Midpoint of the two hips, shape (T, 2), pixels."""
    return _midpoint(xy, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)


def shoulder_midpoint(xy: FloatArray) -> FloatArray:
    """Midpoint of the two shoulders, shape (T, 2), pixels."""
    return _midpoint(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)


def trunk_lean(xy: FloatArray, stance_leg: str | NDArray[np.str_], roll_deg: float | FloatArray = 0.0) -> FloatArray:
    """Lateral trunk lean, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
    stance_leg : {"left", "right"} or array of str, shape (T,)
    roll_deg : float or ndarray, shape (T,)
        Camera roll in the :func:`pelvic_tilt` convention. A roll that makes
        the left side look lower by r also tilts the image vertical by r
        toward the person's left, so r is subtracted from the leftward lean.

    Returns
    -------
    ndarray, shape (T,)
        Angle of the hip-midpoint -> shoulder-midpoint line from the image
        vertical, in degrees; **positive = toward the stance leg's side**.
        Forward lean in a frontal view does not show. NaN where the hips,
        shoulders or the person's facing (:func:`left_direction`) are missing.
    """
    trunk = shoulder_midpoint(xy) - hip_midpoint(xy)
    lean_left = np.degrees(np.arctan2(trunk[:, 0] * left_direction(xy), -trunk[:, 1]))
    return -(lean_left - roll_deg) * _stance_sign(stance_leg)


def leg_length(xy: FloatArray, leg: str) -> FloatArray:
    """Image length of one leg, hip -> knee plus knee -> ankle, in pixels, shape (T,)."""
    hip, knee, ankle = leg_points(xy, leg)
    length: FloatArray = np.hypot(*(knee - hip).T) + np.hypot(*(ankle - knee).T)
    return length


def _median_leg_length(xy: FloatArray) -> float:
    """Median over frames of the mean of both legs' lengths (pixels; NaN if none)."""
    left, right = leg_length(xy, "left"), leg_length(xy, "right")
    per_frame = np.where(np.isnan(left), right, np.where(np.isnan(right), left, 0.5 * (left + right)))
    return finite_median(per_frame)


def hip_drop(xy: FloatArray, leg_length_px: float | FloatArray) -> FloatArray:
    """How far the hips went down from standing, as a fraction of leg length.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
    leg_length_px : float or ndarray, shape (T,)
        Standing leg length in pixels (for example the median of
        :func:`leg_length` of the stance leg).

    Returns
    -------
    ndarray, shape (T,)
        ``(hip_mid_y - standing_y) / leg_length_px``: 0 standing, positive
        lower. The standing reference ``standing_y`` is the
        :data:`STANDING_PERCENTILE` (5th) percentile of the hip-midpoint y
        over the clip: the hips' highest position, robust to a few
        glitched frames. NaN where the hips are missing.
    """
    hip_y = hip_midpoint(xy)[:, 1]
    finite = hip_y[np.isfinite(hip_y)]
    if not finite.size:
        return np.full(len(xy), np.nan)
    return (hip_y - np.percentile(finite, STANDING_PERCENTILE)) / leg_length_px


def hip_height(xy: FloatArray) -> FloatArray:
    """Height of the hips above the foot on the ground, in leg lengths.

    Returns
    -------
    ndarray, shape (T,)
        (y of the lower ankle - hip-midpoint y) / median leg length, where
        the lower ankle (larger y) is the one on the ground in a single-leg
        squat, and the median leg length is taken over the clip (mean of
        both legs per frame). About 1 standing, smaller when squatting;
        larger = more upright. NaN where both ankles or a hip is missing.
    """
    ankles_y = xy[:, [Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 1]
    ground_y = np.fmax(ankles_y[:, 0], ankles_y[:, 1])
    return (ground_y - hip_midpoint(xy)[:, 1]) / _median_leg_length(xy)


def ankle_height_difference(xy: FloatArray) -> FloatArray:
    """Which foot is higher in the image, per frame.

    Returns
    -------
    ndarray, shape (T,)
        (right ankle y - left ankle y) / median leg length over the clip.
        Positive = the right ankle is lower in the image, so the **left foot
        is lifted**; negative = the right foot is lifted. NaN where an ankle
        is missing.
    """
    diff = xy[:, Landmark.RIGHT_ANKLE, 1] - xy[:, Landmark.LEFT_ANKLE, 1]
    return diff / _median_leg_length(xy)
