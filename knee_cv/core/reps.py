"""Rep segmentation and the stance leg of each rep.

A rep is one descent and rise of the hip, found as a peak of the hip-drop
series (hip midpoint below its standing height, as a fraction of leg
length; positive = lower). Peaks are found with
:func:`scipy.signal.find_peaks` on a uniform time grid built from the real
timestamps, so variable frame rates and pauses do not bend the timing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import find_peaks

from knee_cv.core.arrays import FloatArray, IntArray
from knee_cv.core.filters import rolling_median
from knee_cv.core.labels import Leg
from knee_cv.core.stats import finite_median, frame_interval_s
from knee_cv.core.threshold_tables import StanceTable


@dataclass(frozen=True)
class Segment:
    """Frames of one dip of the hip.

    Attributes
    ----------
    start, bottom, end : int
        Frame indices into the analysed track: where the descent starts, the
        deepest frame (largest hip drop) and where the rise ends.
    depth : float
        Hip drop at ``bottom`` above the higher of the two standing bases
        around it, as a fraction of leg length (>= 0).
    partial : bool
        True when the recording starts or ends during the rep, on the way
        up or down, so its true deepest point may not have been filmed.
    """

    start: int
    bottom: int
    end: int
    depth: float
    partial: bool = False


def _uniform_grid(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Resample the finite samples of ``values`` onto an even time grid (median step)."""
    ok = np.isfinite(t) & np.isfinite(values)
    t_ok, v_ok = t[ok], values[ok]
    step = frame_interval_s(t_ok)
    grid = np.arange(t_ok[0], t_ok[-1] + step / 2, step)
    return grid, np.interp(grid, t_ok, v_ok)


def find_dips(
    t: np.ndarray,
    hip_drop: np.ndarray,
    *,
    min_depth: float,
    min_prominence: float,
    min_interval_s: float,
    edge_fraction: float,
    merge_fraction: float,
    min_relative_depth: float,
    rest_speed: float,
    rest_s: float,
) -> tuple[list[Segment], list[Segment]]:
    """Split a hip-drop series into reps and shallow dips.

    Parameters
    ----------
    t : ndarray, shape (T,)
        Frame times in seconds, increasing (gaps and variable steps allowed).
    hip_drop : ndarray, shape (T,)
        Hip-midpoint drop below standing, fraction of leg length, positive =
        lower. NaN frames are bridged by linear interpolation for the search
        and never chosen as the deepest frame.
    min_depth : float
        Dips at least this deep (fraction of leg length) are reps.
    min_prominence : float
        Dips shallower than this are ignored as noise; those between this
        and ``min_depth`` are returned as shallow dips.
    min_interval_s : float
        Smallest time between two bottoms; a pause at the bottom with small
        bobs stays one rep.
    edge_fraction : float
        The rep starts (ends) at the last (first) frame before (after) the
        bottom where the hip is within this share of the dip from its
        standing base.
    merge_fraction : float
        Two bottoms are one rep (a pause with bobbing) unless the hip rises
        between them by more than this share of the shallower one's depth.
    min_relative_depth : float
        A dip shallower than this share of the median depth of the dips
        that pass ``min_depth`` is shallow too (a bob during the rise, a
        half-hearted dip among full reps).
    rest_speed : float
        Leg lengths per second under which the hip is at rest: a rep ends
        (starts) where the hip comes to rest after rising most of the way,
        even if it drifts further later (the person walks toward the camera).
    rest_s : float
        Seconds the hip must stay slower than ``rest_speed`` to count as at rest.

    The keywords are the ``[reps]`` table of the thresholds
    (:meth:`knee_cv.core.threshold_tables.RepTable.segmentation`).

    Returns
    -------
    reps, shallow : list of Segment
        In time order. A rep cut off by the start or end of the recording
        counts when the part filmed is deep enough; it is marked ``partial``.
    """
    t = np.asarray(t, dtype=float)
    hip_drop = np.asarray(hip_drop, dtype=float)
    finite = np.isfinite(hip_drop) & np.isfinite(t)
    if finite.sum() < 3:
        return [], []
    grid, drop = _uniform_grid(t, hip_drop)
    step = grid[1] - grid[0] if len(grid) > 1 else 1.0
    # Pad both ends with the lowest hip position so that a rep cut off by the recording
    # (the hip already or still low at the edge) shows as a peak at the edge.
    low = drop.min()
    padded = np.concatenate([[low], drop, [low]])
    peaks, _ = find_peaks(padded, prominence=min_prominence, distance=max(1, int(round(min_interval_s / step))))
    peaks = peaks - 1
    peaks = _merge_bobs(drop, peaks, merge_fraction)
    # Standing base between neighbouring bottoms: the lowest hip drop between them.
    bounds = np.concatenate([[0], peaks, [len(drop) - 1]])
    bases = [int(a + np.argmin(drop[a : b + 1])) for a, b in zip(bounds[:-1], bounds[1:])]
    # Fastest hip movement within +-rest_s/2 of each grid point (leg lengths per second).
    speed = np.gradient(drop, step) if len(drop) > 1 else np.zeros_like(drop)
    speed = maximum_filter1d(np.abs(speed), size=max(1, int(round(rest_s / step))), mode="nearest")
    frame_of = np.clip(np.searchsorted(t, grid), 0, len(t) - 1)
    segments = []
    for k, peak in enumerate(peaks):
        left = _local_base(drop, speed, bases[k], peak, merge_fraction, rest_speed)
        right = _local_base(drop, speed, bases[k + 1], peak, merge_fraction, rest_speed)
        # A side is cut off by the recording when it starts (ends) with the hip still most of
        # the way down: that side has no standing base, so the other side's is used.
        cut_l = bases[k] == 0 and drop[0] - drop[bases[k + 1]] > merge_fraction * (drop[peak] - drop[bases[k + 1]])
        cut_r = bases[k + 1] == len(drop) - 1 and drop[-1] - drop[bases[k]] > merge_fraction * (drop[peak] - drop[bases[k]])
        partial = peak in (0, len(drop) - 1) or cut_l or cut_r
        # Depth is measured from the lowest points around the dip (the standing height).
        base_l = drop[bases[k + 1]] if peak == 0 or cut_l else drop[bases[k]]
        base_r = drop[bases[k]] if peak == len(drop) - 1 or cut_r else drop[bases[k + 1]]
        level_l = drop[left] + edge_fraction * (drop[peak] - drop[left])
        level_r = drop[right] + edge_fraction * (drop[peak] - drop[right])
        start = left + int(np.flatnonzero(drop[left : peak + 1] <= level_l)[-1])
        end = peak + int(np.flatnonzero(drop[peak : right + 1] <= level_r)[0])
        f_start, f_end = int(frame_of[start]), int(frame_of[end])
        window = np.where(finite[f_start : f_end + 1], hip_drop[f_start : f_end + 1], -np.inf)
        bottom = f_start + int(np.argmax(window))
        depth = float(hip_drop[bottom] - max(base_l, base_r))
        segments.append(Segment(start=f_start, bottom=bottom, end=f_end, depth=depth, partial=partial))
    deep = [s.depth for s in segments if s.depth >= min_depth]
    cut = max(min_depth, min_relative_depth * float(np.median(deep))) if deep else min_depth
    reps = [s for s in segments if s.depth >= cut]
    shallow = [s for s in segments if min_prominence <= s.depth < cut]
    return reps, shallow


def _local_base(drop: np.ndarray, speed: np.ndarray, base: int, peak: int, merge_fraction: float, rest_speed: float) -> int:
    """The standing base of a dip on one side: where the hip came to rest after (before) the bottom.

    The lowest point between two bottoms is the standing base unless the hip
    came to rest higher on the way there: a person who rises, stands, then
    turns or walks toward the camera changes the hip's height in the image
    slowly, without squatting, and those frames belong to no rep. So the base
    is the first frame from the bottom toward the lowest point where the hip
    has risen by more than ``merge_fraction`` of the dip and moves slower
    than ``rest_speed`` (leg lengths per second) for :data:`REST_S` around
    that frame (``speed`` is that running maximum); without one, the lowest
    point.
    """
    side = np.arange(peak, base - 1, -1) if base < peak else np.arange(peak, base + 1)
    risen = drop[peak] - drop[side] > merge_fraction * (drop[peak] - drop[base])
    resting = risen & (speed[side] < rest_speed)
    return int(side[np.argmax(resting)]) if resting.any() else base


def _merge_bobs(drop: np.ndarray, peaks: np.ndarray, merge_fraction: float) -> np.ndarray:
    """Join bottoms not separated by a real rise (bobbing during a pause at the bottom).

    Two neighbouring bottoms stay separate only when the hip rises between
    them by more than ``merge_fraction`` of the shallower one's depth below
    the higher of the standing bases outside the pair (as for a peak's
    prominence); otherwise the deeper one is kept.
    """
    kept = [int(p) for p in peaks]
    k = 0
    while k + 1 < len(kept):
        p1, p2 = kept[k], kept[k + 1]
        before = drop[kept[k - 1] if k else 0 : p1 + 1].min()
        after = drop[p2 : kept[k + 2] + 1 if k + 2 < len(kept) else len(drop)].min()
        saddle = drop[p1 : p2 + 1].min()
        lower = min(drop[p1], drop[p2])
        if lower - saddle < merge_fraction * (lower - max(before, after)):
            kept[k : k + 2] = [p1 if drop[p1] >= drop[p2] else p2]
        else:
            k += 1
    return np.asarray(kept, dtype=int)


def reduce_segments(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(values[start:stop])`` for every segment at once (``ufunc.reduceat``).

    Parameters
    ----------
    ufunc : numpy ufunc
        For example ``np.add``, or ``np.fmax`` / ``np.fmin`` (which skip NaN).
    values : ndarray, shape (T, ...)
    starts, stops : ndarray of int, shape (K,)
        Frame ranges, ``stops`` exclusive, each ``stop > start``; they may
        overlap.

    Returns
    -------
    ndarray, shape (K, ...)
    """
    values = np.asarray(values)
    padded = np.concatenate([values, values[:1]])  # lets a stop equal T
    bounds = np.empty(2 * len(starts), dtype=np.intp)
    bounds[0::2], bounds[1::2] = starts, stops
    return ufunc.reduceat(padded, bounds, axis=0)[0::2]


def _segment_spread(points: np.ndarray, starts: IntArray, stops: IntArray) -> FloatArray:
    """Root-mean-square distance of 2D points from their mean, per segment (NaN if none seen)."""
    seen = np.isfinite(points).all(axis=1)
    filled = np.where(seen[:, None], points, 0.0)
    count = reduce_segments(np.add, seen.astype(float), starts, stops)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = reduce_segments(np.add, filled, starts, stops) / count
        mean_sq = reduce_segments(np.add, filled**2, starts, stops) / count
        spread: FloatArray = np.sqrt(np.clip(mean_sq - mean**2, 0.0, None).sum(axis=1))
        return spread


def lifted_foot_stance(ankle_height_difference: np.ndarray, planted_tolerance: float) -> Leg | None:
    """The stance leg told by which foot is lifted, for a few recent frames (the live view).

    Parameters
    ----------
    ankle_height_difference : ndarray, shape (T,)
        (right ankle y - left ankle y) / leg length: positive = left ankle
        higher in the image (:func:`knee_cv.core.kinematics.ankle_height_difference`).
    planted_tolerance : float
        Median height difference (fraction of leg length) up to which both
        feet count as level: the ``stance`` table's value, as for :func:`stance_legs`.

    Returns
    -------
    Leg or None
        ``Leg.RIGHT`` when the left foot is lifted, ``Leg.LEFT`` when the right
        one is, ``Leg.BOTH`` when neither, None without ankles.
    """
    median = finite_median(ankle_height_difference)
    if not np.isfinite(median):
        return None
    if median > planted_tolerance:
        return Leg.RIGHT
    if median < -planted_tolerance:
        return Leg.LEFT
    return Leg.BOTH


def stance_legs(
    segments: list[Segment],
    *,
    ankle_left: np.ndarray,
    ankle_right: np.ndarray,
    leg_length_px: float,
    ankle_height_difference: np.ndarray,
    knee_flexion_left: np.ndarray,
    knee_flexion_right: np.ndarray,
    frontal: np.ndarray,
    oblique: np.ndarray | None = None,
    params: StanceTable,
) -> list[Leg]:
    """The stance leg of each rep: left, right or both (:class:`knee_cv.core.labels.Leg`).

    Evidence, over the frames of each rep:

    * ankle motion (root-mean-square distance from its mean position over
      the rep): the planted foot stays where it is while the free foot
      moves. The main cue in frontal views, where the free foot's height is
      misleading: a free foot held forward, toward the camera, shows *lower*
      in the image than the planted one (seen in the shared front-view
      reference track).
    * ankle height (side views; mean over the rep): the lifted foot is
      higher in the image (smaller y).
    * knee flexion change from the start to the bottom (side views): the
      working knee bends much more, even when a free foot held behind sits
      as low as the planted one.

    In side views ankle motion counts less: the model often swaps or
    blurs the two ankles there.

    A two-leg squat (``"both"``): in a frontal view, both feet still and at
    the same height; in an oblique view, both feet still and either level
    or both knees bending alike (perspective lifts the far foot in the
    image); in a side view, both knees bending alike (within
    ``flexion_tolerance_deg``).

    Parameters
    ----------
    segments : list of Segment
        Reps from :func:`find_dips`.
    ankle_left, ankle_right : ndarray, shape (T, 2)
        Ankle positions in pixels.
    leg_length_px : float
        Standing leg length in pixels (normalises the motion).
    ankle_height_difference : ndarray, shape (T,)
        (right ankle y - left ankle y) / leg length: positive = left ankle
        higher in the image.
    knee_flexion_left, knee_flexion_right : ndarray, shape (T,)
        2D knee flexion in degrees (0 = straight). The change from the
        start to the bottom is taken on a 5-frame running median.
    frontal : ndarray of bool, shape (T,)
        True where the view is frontal or oblique.
    oblique : ndarray of bool, shape (T,), optional
        True where the view is oblique (default: nowhere).
    params : StanceTable
        The ``stance`` table of the thresholds in use
        (:func:`knee_cv.core.thresholds.load_thresholds`): ``planted_tolerance``, the ankle motion
        and height difference (fraction of leg length) under which a foot
        counts as planted / both feet as level; ``flexion_tolerance_deg``, the
        difference in knee-flexion change under which both knees bend alike;
        the weights of the frontal score and the clip of the side one.

    Returns
    -------
    list of Leg
        One label per segment. NaN evidence counts as none.
    """
    if not segments:
        return []
    p = params
    planted_tolerance, flexion_tolerance_deg, limit = p.planted_tolerance, p.flexion_tolerance_deg, p.side_limit
    starts = np.array([seg.start for seg in segments])
    stops = np.array([seg.end + 1 for seg in segments])
    bottoms = np.array([seg.bottom for seg in segments])
    moves = np.stack([_segment_spread(ankle_left, starts, stops), _segment_spread(ankle_right, starts, stops)]) / leg_length_px
    # + = the left foot is the stiller one
    still = np.nan_to_num((moves[1] - moves[0]) / np.fmax(np.nansum(moves, axis=0), planted_tolerance))
    lower = -np.asarray(ankle_height_difference, dtype=float)  # + = left foot lower
    seen = np.isfinite(lower)
    with np.errstate(invalid="ignore", divide="ignore"):
        height = np.nan_to_num(
            reduce_segments(np.add, np.where(seen, lower, 0.0), starts, stops)
            / reduce_segments(np.add, seen.astype(float), starts, stops)
        )
    flex_left, flex_right = rolling_median(knee_flexion_left, 5), rolling_median(knee_flexion_right, 5)
    flex_change = (flex_left[bottoms] - flex_left[starts]) - (flex_right[bottoms] - flex_right[starts])
    flex = np.nan_to_num(flex_change)  # + = left bends more
    is_frontal = reduce_segments(np.add, np.asarray(frontal, dtype=float), starts, stops) / (stops - starts) >= 0.5
    # Frontal: 2D flexion hardly shows, so both feet still and level mark a two-leg squat.
    # Side: the far foot looks higher (perspective) and its ankle is often hidden, so only
    # the knees tell: a two-leg squat bends both alike.
    oblique = np.zeros(len(frontal), dtype=bool) if oblique is None else np.asarray(oblique, dtype=bool)
    is_oblique = reduce_segments(np.add, oblique.astype(float), starts, stops) / (stops - starts) >= 0.5
    planted = np.fmax(moves[0], moves[1]) < planted_tolerance
    knees_alike = (np.abs(flex) < flexion_tolerance_deg) & np.isfinite(flex_change)
    level = np.abs(height) < planted_tolerance
    both = np.where(is_frontal, planted & (level | (is_oblique & knees_alike)), knees_alike)
    score = np.where(
        is_frontal,
        p.frontal_still_weight * still + p.frontal_flexion_weight * np.clip(flex / flexion_tolerance_deg, -1, 1),
        still + np.clip(height / planted_tolerance, -limit, limit) + np.clip(flex / flexion_tolerance_deg, -limit, limit),
    )
    return [Leg.BOTH if b else Leg.LEFT if sc >= 0 else Leg.RIGHT for b, sc in zip(both, score)]
