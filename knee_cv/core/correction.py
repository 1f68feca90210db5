"""FPPA and pelvic drop from points a clinician placed on one frame, with the analysis' own functions.

A clinician who sees the knee elsewhere than the pose model put it moves the
point (the review page); the angles are then computed from the corrected
points by :func:`knee_cv.core.kinematics.fppa` and
:func:`knee_cv.core.kinematics.pelvic_drop`, exactly as the analysis computes
them from the landmarks, with the same level reference for the pelvis.

Points are pixels of the upright frame the track was measured in (origin
top-left, y down; see :class:`knee_cv.core.track.PoseTrack`). Angles are in
degrees: FPPA positive = valgus, pelvic drop positive = the free leg's side
lower.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from knee_cv.core import kinematics as kin
from knee_cv.core.evidence import RepClip
from knee_cv.core.landmarks import NUM_LANDMARKS, Landmark
from knee_cv.core.result import Analysis, Rep


def correctable(leg: str) -> tuple[Landmark, Landmark, Landmark, Landmark]:
    """The points a clinician may place for a rep on ``leg``: its hip, knee and ankle, then the other hip.

    FPPA needs the first three (and the other hip for which side is medial);
    pelvic drop needs both hips.

    Parameters
    ----------
    leg : {"left", "right"}
        The stance leg, the person's own.
    """
    hip, knee, ankle = kin.LEG_LANDMARKS[leg]
    other = kin.LEG_LANDMARKS["right" if leg == "left" else "left"][0]
    return hip, knee, ankle, other


def angles_from_points(
    points: Mapping[Landmark, tuple[float, float]],
    leg: str,
    roll_deg: float,
) -> tuple[float, float]:
    """FPPA and pelvic drop of one frame from placed points.

    Parameters
    ----------
    points : mapping of Landmark to (x, y)
        Pixel positions of at least :func:`correctable` ``(leg)``.
    leg : {"left", "right"}
        The stance leg.
    roll_deg : float
        The level reference of the pelvis (see :func:`level_roll`), in the
        :func:`knee_cv.core.kinematics.pelvic_tilt` convention.

    Returns
    -------
    fppa_deg, pelvic_drop_deg : float
        Degrees; NaN where a needed point is missing (or, for pelvic drop,
        the reference is unknown).
    """
    xy = np.full((1, NUM_LANDMARKS, 2), np.nan)
    for landmark, (x, y) in points.items():
        xy[0, int(landmark)] = (float(x), float(y))
    fppa = float(kin.fppa(xy, leg)[0])
    drop = float(kin.pelvic_drop(xy, leg, roll_deg)[0])
    return fppa, drop


def level_roll(analysis: Analysis, rep: Rep, frames: np.ndarray, xy: np.ndarray) -> float:
    """The hip-line tilt taken as level for ``rep``'s pelvic drop, degrees (:func:`kinematics.camera_roll` convention).

    The session's camera roll when it was taken from frames on both feet;
    otherwise (the reference was each rep's start) it is recovered from the
    saved series: on every frame of the rep, tilt of the measured hips minus
    the pelvic drop computed from them, whose median is the reference (the
    same on every frame of a rep).

    Parameters
    ----------
    analysis : Analysis
        The saved analysis (its summary, and its series where needed).
    rep : Rep
    frames : ndarray of int, shape (N,)
        Track rows of the rep's frames whose landmarks are given.
    xy : ndarray, shape (N, 33, 2)
        The landmarks measured on those frames, pixels.

    Returns
    -------
    float
        NaN where neither is known (a session saved without series, whose
        reference was the rep's start).
    """
    roll = analysis.summary.camera_roll_deg
    if math.isfinite(roll):
        return float(roll)
    if not len(analysis.series) or rep.leg not in ("left", "right") or not len(frames):
        return math.nan
    sign = 1.0 if rep.leg == "right" else -1.0
    frames = np.asarray(frames, dtype=int)
    inside = (frames >= 0) & (frames < len(analysis.series.t))  # a series that does not cover them tells nothing
    drop = analysis.series.pelvic_drop[frames[inside]]
    values = kin.pelvic_tilt(np.asarray(xy, dtype=float)[inside]) - drop * sign
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else math.nan


def clip_angles(
    analysis: Analysis,
    rep: Rep,
    clip: RepClip,
    points: Mapping[Landmark, tuple[float, float]],
) -> tuple[float, float]:
    """FPPA and pelvic drop of ``rep`` from points placed on a frame of its clip, degrees.

    :func:`angles_from_points` with the rep's stance leg and its level
    reference (:func:`level_roll` over the clip's frames).
    """
    return angles_from_points(points, str(rep.leg), level_roll(analysis, rep, clip.frames, clip.xy))
