"""Which way the camera sees the person: frontal, oblique or side, per frame.

The cue is the body's width against its height in the image: the mean of
shoulder width and hip width divided by trunk length (hip midpoint to
shoulder midpoint). Facing the camera (or turned away) the widths show in
full; from the side they shrink toward 0 while the trunk keeps its length.

Thresholds, measured on real MediaPipe tracks (../shared/landmarks, 5th-95th
percentile of the ratio per clip, portrait 1080 x 1920 assumed for the CSVs):

* sls_front_ref_01 (frontal, single-leg squats): 0.50 - 0.83, median 0.58
* sls_side_left_ref_01 / sls_side_right_ref_01 (side): 0.04 - 0.21, median 0.10 / 0.13
* pistol_side_ref_01 (side, deep pistol squats, torso folds): 0.07 - 0.35, median 0.18
* synthetic frontal person (shoulders 0.38 m, hips 0.28 m, trunk 0.52 m): 0.63

So ratio < ``side_max`` (0.25) is "side", >= ``frontal_min`` (0.45)
is "frontal" (about 45 deg of turn from a 0.64 frontal ratio, cos 45 = 0.71),
and between is "oblique". The ratio is median-filtered over about
``smooth_s`` (0.5 s) before labelling so that labels do not flicker. The
numbers are the ``[view]`` table of thresholds.toml.
"""

from __future__ import annotations

import numpy as np

from knee_cv.core.filters import rolling_median
from knee_cv.core.kinematics import hip_midpoint, shoulder_midpoint
from knee_cv.core.labels import View
from knee_cv.core.landmarks import Landmark
from knee_cv.core.stats import frame_interval_s
from knee_cv.core.threshold_tables import ViewTable


def width_ratio(xy: np.ndarray) -> np.ndarray:
    """Mean of shoulder and hip width over trunk length, per frame.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks in pixels.

    Returns
    -------
    ndarray, shape (T,)
        Dimensionless; about 0.5-0.8 frontal, under 0.25 side. NaN where a
        shoulder or hip is missing or the trunk has no length.
    """
    shoulders = np.hypot(*(xy[:, Landmark.LEFT_SHOULDER] - xy[:, Landmark.RIGHT_SHOULDER]).T)
    hips = np.hypot(*(xy[:, Landmark.LEFT_HIP] - xy[:, Landmark.RIGHT_HIP]).T)
    trunk = np.hypot(*(shoulder_midpoint(xy) - hip_midpoint(xy)).T)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 0.5 * (shoulders + hips) / trunk
    return np.where(trunk > 0, ratio, np.nan)


def classify_view(
    xy: np.ndarray, visibility: np.ndarray | None = None, t: np.ndarray | None = None, *, params: ViewTable
) -> tuple[np.ndarray, np.ndarray]:
    """Label each frame "frontal", "oblique", "side" or "none".

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks in pixels (NaN where missing).
    visibility : ndarray, shape (T, 33), optional
        When given, the confidence is scaled by the mean visibility of the
        shoulders and hips.
    t : ndarray, shape (T,), optional
        Frame times in seconds, to size the 0.5 s smoothing window; 30 fps
        is assumed without it.
    params : ViewTable
        The ``view`` table of the thresholds in use (cut-offs, smoothing;
        :func:`knee_cv.core.thresholds.load_thresholds`).

    Returns
    -------
    labels : ndarray of str, shape (T,)
        "none" where shoulders or hips are missing (no pose).
    confidence : ndarray, shape (T,)
        In [0, 1]: 0.5 on a threshold, 1 at ``full_confidence_margin`` (0.15)
        or more from the nearest one (times the visibility, if given); 0 for "none".
    """
    p = params
    side_max, frontal_min = p.side_max, p.frontal_min
    fps = 1.0 / frame_interval_s(t, default=1 / 30) if t is not None else 30.0
    raw = width_ratio(xy)
    ratio = np.where(np.isfinite(raw), rolling_median(raw, int(round(p.smooth_s * fps)) | 1), np.nan)
    labels = np.full(len(ratio), View.NONE.value, dtype=object)
    labels[ratio < side_max] = View.SIDE.value
    labels[(ratio >= side_max) & (ratio < frontal_min)] = View.OBLIQUE.value
    labels[ratio >= frontal_min] = View.FRONTAL.value
    margin = np.minimum(np.abs(ratio - side_max), np.abs(ratio - frontal_min))
    confidence = np.clip(0.5 + 0.5 * margin / p.full_confidence_margin, 0.0, 1.0)
    if visibility is not None:
        torso = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
        confidence = confidence * np.clip(np.nan_to_num(visibility[:, torso]).mean(axis=1), 0, 1)
    confidence = np.where(np.isfinite(ratio), confidence, 0.0)
    return labels.astype(str), confidence


def dominant_view(labels: np.ndarray, confidence: np.ndarray, frames: np.ndarray | slice) -> tuple[View, float]:
    """The most common view over some frames, ignoring "none", and its mean confidence.

    Parameters
    ----------
    labels, confidence : ndarray, shape (T,)
        From :func:`classify_view`.
    frames : ndarray of bool or int, or slice
        The frames to look at (a boolean mask, indices, or a slice such as
        the last frames of a live stream).

    Returns
    -------
    view : View
        ``View.NONE`` when no frame there has a view.
    confidence : float
        Mean confidence of the frames with that view, in [0, 1].
    """
    chosen = np.asarray(labels)[frames]
    seen = chosen[chosen != View.NONE.value]
    if not seen.size:
        return View.NONE, 0.0
    names, counts = np.unique(seen, return_counts=True)
    view = View(str(names[np.argmax(counts)]))
    conf = np.asarray(confidence, dtype=float)[frames][chosen == view]
    return view, float(np.nanmean(conf)) if np.isfinite(conf).any() else 0.0


def view_stretches(t: np.ndarray, labels: np.ndarray) -> list[tuple[float, float, str]]:
    """Runs of equal labels as (start s, end s, label).

    Parameters
    ----------
    t : ndarray, shape (T,)
        Frame times, seconds.
    labels : ndarray of str, shape (T,)

    Returns
    -------
    list of (float, float, str)
        One tuple per run, in time order; ``end`` is the time of the run's last frame.
    """
    labels = np.asarray(labels)
    if not len(labels):
        return []
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [len(labels)]]) - 1
    return [(float(t[a]), float(t[b]), str(labels[a])) for a, b in zip(starts, stops)]
