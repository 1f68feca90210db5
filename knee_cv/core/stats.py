"""Summary statistics over the finite values of an array: NaN marks a missing value and is left out.

Used wherever a per-frame or per-rep series is reduced to one number (the
bottom values of a rep, a clip's leg length, the camera roll, the landmark
jitter), so a missing frame never becomes a 0 and an all-missing series gives
NaN, never a warning.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from knee_cv.core.arrays import FloatArray

#: The factor that makes the median absolute deviation estimate the standard deviation of normal data.
MAD_TO_SD = 1.4826


def finite(values: np.ndarray | Sequence[float]) -> FloatArray:
    """The finite values, flattened, in their order (NaN and +-inf left out)."""
    array: FloatArray = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


def finite_median(values: np.ndarray | Sequence[float]) -> float:
    """Median of the finite values of ``values`` (any shape); NaN when none is finite.

    Examples
    --------
    >>> finite_median([3.0, float("nan"), 1.0, 2.0])
    2.0
    >>> finite_median([float("nan")])
    nan
    """
    kept = finite(values)
    return float(np.median(kept)) if kept.size else float("nan")


def frame_interval_s(t: np.ndarray | Sequence[float], default: float = float("nan")) -> float:
    """Median time between frames, s, of the frame times ``t`` (s, increasing); ``default`` with fewer than 2.

    Examples
    --------
    >>> frame_interval_s([0.0, 0.04, 0.08, 0.2]), frame_interval_s([1.0], default=1 / 30)
    (0.04, 0.03333333333333333)
    """
    return float(np.median(np.diff(t))) if len(t) > 1 else default


def robust_sd(values: np.ndarray | Sequence[float], min_count: int = 3) -> float:
    """Robust standard deviation: :data:`MAD_TO_SD` x the median absolute deviation of the finite values.

    Parameters
    ----------
    values : array_like
        Any shape; NaN is left out. In the values' unit.
    min_count : int
        Fewer finite values than this give NaN.

    Returns
    -------
    float
        In the values' unit; NaN with fewer than ``min_count`` finite values.
    """
    kept = finite(values)
    if kept.size < min_count:
        return float("nan")
    return float(MAD_TO_SD * np.median(np.abs(kept - np.median(kept))))
