"""Clean-up of landmark series: gating, outlier rejection, gap filling, smoothing.

All functions work on arrays with frames on axis 0 and any trailing shape
(for example (T,), (T, 2) or (T, 33, 2)), keep NaN for missing values, and
take the real frame times ``t`` (seconds) where the rate matters, so 30 fps,
60 fps and variable-rate phone video are handled alike.

The numbers follow the field (Sports2D and MediaPipe, as cited below): Hampel
window 7 for outliers, linear filling of short gaps only, 4th-order zero-lag
Butterworth at 6 Hz offline (Sports2D), One Euro (min_cutoff 0.1, beta 40,
MediaPipe's own) live. They live only in the ``[filters]`` table of
thresholds.toml: the functions here take them as arguments, with no default
of their own, and :func:`clean` passes that table's.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import butter, sosfiltfilt

from knee_cv.core.arrays import BoolArray, FloatArray
from knee_cv.core.stats import frame_interval_s
from knee_cv.core.threshold_tables import FilterTable
from knee_cv.core.track import PoseTrack

#: MAD -> standard deviation for normally distributed data.
_MAD_TO_SIGMA = 1.4826


def gate(track: PoseTrack, *, min_visibility: float, margin: float, min_presence: float) -> np.ndarray:
    """Landmark positions with untrustworthy points set to NaN.

    A point is dropped where its visibility is below ``min_visibility``,
    where its presence is below ``min_presence`` (when the source gives presence), or
    where it lies outside the frame by more than ``margin`` times the frame
    size on either axis. MediaPipe keeps inventing legs that left the frame,
    often with high visibility, so the position test matters as much as the
    score.

    Parameters
    ----------
    track : PoseTrack
    min_visibility : float
        Lowest accepted visibility score (0.5 is MediaPipe's own drawing threshold).
    margin : float
        Accepted distance outside the frame, as a fraction of width / height.
    min_presence : float
        Lowest accepted presence score (0.5 is MediaPipe's own threshold).

    Returns
    -------
    ndarray, shape (T, 33, 2)
        A new array of pixel positions; NaN where dropped or missing.
    """
    xy = track.xy.copy()
    size = np.array([track.width, track.height], dtype=float)
    off = (xy < -margin * size) | (xy > (1 + margin) * size)
    outside = off[..., 0] | off[..., 1]
    low_score = ~(track.visibility >= min_visibility)  # NaN visibility counts as low
    absent = track.presence < min_presence  # NaN presence (unknown) does not count
    xy[outside | low_score | absent] = np.nan
    return xy


def _window_median(windows: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring non-finite values (NaN where none is finite).

    The reference implementation (a full sort); the rolling functions below
    use it only for the windows that hold a NaN or reach past the ends.
    """
    ordered = np.sort(windows, axis=-1)  # NaN sorts last
    count = np.isfinite(ordered).sum(axis=-1)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[..., None], -1)[..., 0]
    high = np.take_along_axis(ordered, np.maximum(count // 2, 0)[..., None], -1)[..., 0]
    return np.where(count > 0, 0.5 * (low + high), np.nan)


#: Windows up to this length take the selection network, longer ones np.partition.
_NETWORK_MAX = 16

#: Elements per block of rows in the rolling statistics (fits in cache).
_BLOCK_ELEMENTS = 8192


@cache
def _median_network(n: int) -> tuple[tuple[int, int, bool, bool], ...]:
    """Compare-exchange steps that bring the median of ``n`` values to position ``n // 2``.

    Batcher's odd-even merge sort network, pruned backwards to the steps the
    middle position depends on. Each step is ``(i, j, keep_min, keep_max)``:
    position i gets the minimum (if needed), j the maximum (if needed).
    """
    steps = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        steps.append((i + j, i + j + k))
            k //= 2
        p *= 2
    needed = {n // 2}
    kept = []
    for i, j in reversed(steps):
        keep_min, keep_max = i in needed, j in needed
        if keep_min or keep_max:
            kept.append((i, j, keep_min, keep_max))
            needed |= {i, j}
    return tuple(reversed(kept))


def _full_window_median(columns: list[np.ndarray], center: np.ndarray | None = None) -> np.ndarray:
    """Element-wise median of an odd number of equally shaped arrays without NaN.

    With ``center``, the median of ``abs(column - center)`` instead (for the
    MAD). Returns exactly the middle element (no arithmetic), as the sort
    does. Works through blocks of rows that stay in cache, so the
    temporaries reuse the same small buffers.
    """
    n = len(columns)
    first = columns[0]
    result = np.empty(first.shape)
    row_size = max(int(np.prod(first.shape[1:])), 1)
    block = max(_BLOCK_ELEMENTS // row_size, 1)
    for r0 in range(0, len(first), block):
        rows = slice(r0, r0 + block)
        values = [c[rows] for c in columns]
        if center is not None:
            values = [np.abs(v - center[rows]) for v in values]
        if n > _NETWORK_MAX:
            stacked = np.stack(values, axis=-1)
            result[rows] = np.partition(stacked, n // 2, axis=-1)[..., n // 2]
            continue
        for i, j, keep_min, keep_max in _median_network(n):
            a, b = values[i], values[j]
            if keep_min:
                values[i] = np.minimum(a, b)
            if keep_max:
                values[j] = np.maximum(a, b)
        result[rows] = values[n // 2]
    return result


def _rolling(x: np.ndarray, half: int) -> tuple[FloatArray, FloatArray, list[FloatArray], BoolArray]:
    """Shared set-up of the centred rolling statistics along axis 0.

    Returns the (T, C) view of ``x``, its NaN-padded copy, the window slices
    (one (T, C) view per offset), and the mask of the windows that hold a
    non-finite value (the NaN padding counts, so windows reaching past either
    end are in it).
    """
    flat = x.reshape(len(x), -1)
    padded = np.pad(flat, [(half, half), (0, 0)], mode="constant", constant_values=np.nan)
    slices = [padded[k : k + len(x)] for k in range(2 * half + 1)]
    bad = ~np.isfinite(padded)
    partial = bad[: len(x)].copy()
    for k in range(1, 2 * half + 1):
        partial |= bad[k : k + len(x)]
    return flat, padded, slices, partial


def rolling_median(x: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median along axis 0, ignoring NaN.

    Parameters
    ----------
    x : ndarray, shape (T, ...)
    window : int
        Window length in samples (made odd); shorter at the ends.

    Returns
    -------
    ndarray, shape (T, ...)
        NaN only where a whole window is NaN. A window with an even number of
        finite values gives the mean of the two middle ones.
    """
    x = np.asarray(x, dtype=float)
    half = max(int(window), 1) // 2
    if len(x) == 0:
        return x.copy()
    flat, padded, slices, partial = _rolling(x, half)
    median = _full_window_median(slices)
    if partial.any():
        rows, cols = np.nonzero(partial)
        windows = padded[rows[:, None] + np.arange(2 * half + 1), cols[:, None]]
        median[rows, cols] = _window_median(windows)
    return median.reshape(x.shape)


def hampel(x: np.ndarray, window: int, n_sigmas: float) -> np.ndarray:
    """Replace outliers by NaN with a Hampel filter along axis 0.

    Parameters
    ----------
    x : ndarray, shape (T, ...)
    window : int
        Length of the centred window in samples (odd; 7 = 3 on each side).
    n_sigmas : float
        A sample is an outlier when it differs from the window median by
        more than ``n_sigmas`` robust standard deviations (1.4826 x MAD).

    Returns
    -------
    ndarray, shape (T, ...)
        A copy with outliers set to NaN (so :func:`fill_gaps` can bridge them).
        NaN samples are ignored in the window statistics and stay NaN. A window
        with zero spread flags nothing. Windows are shorter at the ends.

    Notes
    -----
    Windows without NaN go through a compare-exchange selection network on
    whole columns at once; only windows that hold a NaN or reach past either
    end are sorted one by one.
    """
    x = np.asarray(x, dtype=float)
    if len(x) < 3:
        return x.copy()
    half = window // 2
    flat, padded, slices, partial = _rolling(x, half)
    median = _full_window_median(slices)
    mad = _full_window_median(slices, center=median)
    if partial.any():
        rows, cols = np.nonzero(partial)
        windows = padded[rows[:, None] + np.arange(2 * half + 1), cols[:, None]]
        part_median = _window_median(windows)
        median[rows, cols] = part_median
        mad[rows, cols] = _window_median(np.abs(windows - part_median[:, None]))
    outlier = np.abs(flat - median) > n_sigmas * _MAD_TO_SIGMA * mad
    out = flat.copy()
    out[outlier & (mad > 0)] = np.nan
    return out.reshape(x.shape)


def _nan_runs(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the True runs of a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _fill_gaps_loop(t: np.ndarray, flat: np.ndarray, max_gap_s: float) -> None:
    """Column-by-column :func:`fill_gaps` with ``np.interp``, in place (any time order)."""
    for column in np.flatnonzero(np.isnan(flat).any(axis=0)):
        values = flat[:, column]
        missing = np.isnan(values)
        if missing.all():
            continue
        starts, stops = _nan_runs(missing)
        inner = (starts > 0) & (stops < len(values))
        short = inner & (t[np.minimum(stops, len(t) - 1)] - t[np.maximum(starts - 1, 0)] <= max_gap_s)
        fill = np.zeros(len(values), dtype=bool)
        for start, stop in zip(starts[short], stops[short]):
            fill[start:stop] = True
        if fill.any():
            values[fill] = np.interp(t[fill], t[~missing], values[~missing])


def fill_gaps(t: np.ndarray, x: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linear interpolation across short runs of NaN, along axis 0.

    Parameters
    ----------
    t : ndarray, shape (T,)
        Frame times in seconds, increasing.
    x : ndarray, shape (T, ...)
    max_gap_s : float
        Longest gap filled, in seconds, measured between the valid samples
        on either side of it. Longer gaps, and NaN at the start or end of
        the series, stay NaN.

    Returns
    -------
    ndarray, shape (T, ...)
        A filled copy; each trailing column is treated on its own. Values
        are those of ``np.interp`` between the two valid neighbours.

    Notes
    -----
    All columns are handled at once: the last valid row before and the next
    valid row after each sample come from running maximum / minimum of row
    indices. Times that are not strictly increasing fall back to
    ``np.interp`` column by column.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    flat = x.reshape(len(x), -1).copy()
    missing = np.isnan(flat)
    if not missing.any():
        return flat.reshape(x.shape)
    if len(t) > 1 and not np.all(np.diff(t) > 0):
        _fill_gaps_loop(t, flat, max_gap_s)
        return flat.reshape(x.shape)
    n = len(flat)
    rows = np.arange(n)[:, None]
    before = np.maximum.accumulate(np.where(missing, -1, rows), axis=0)
    after = np.minimum.accumulate(np.where(missing, n, rows)[::-1], axis=0)[::-1]
    gap = missing & (before >= 0) & (after < n)
    gap_rows, gap_cols = np.nonzero(gap)
    left, right = before[gap_rows, gap_cols], after[gap_rows, gap_cols]
    t_left, t_right = t[left], t[right]
    short = t_right - t_left <= max_gap_s
    gap_rows, gap_cols = gap_rows[short], gap_cols[short]
    left, right, t_left, t_right = left[short], right[short], t_left[short], t_right[short]
    v_left, v_right = flat[left, gap_cols], flat[right, gap_cols]
    t_gap = t[gap_rows]
    # np.interp's own formula, including its fallbacks for infinite slopes.
    slope = (v_right - v_left) / (t_right - t_left)
    value = slope * (t_gap - t_left) + v_left
    redo = np.isnan(value)
    if redo.any():
        value[redo] = slope[redo] * (t_gap[redo] - t_right[redo]) + v_right[redo]
        same = redo & np.isnan(value) & (v_left == v_right)
        value[same] = v_left[same]
    flat[gap_rows, gap_cols] = value
    return flat.reshape(x.shape)


def lowpass(t: np.ndarray, x: np.ndarray, cutoff_hz: float, order: int) -> np.ndarray:
    """Zero-lag Butterworth low-pass along axis 0, per finite segment.

    Parameters
    ----------
    t : ndarray, shape (T,)
        Frame times in seconds; the sampling rate is 1 / the median step.
    x : ndarray, shape (T, ...)
    cutoff_hz : float
        Cut-off frequency in Hz (6 Hz: Sports2D's default for human motion).
        Clipped below the Nyquist frequency.
    order : int
        Filter order; run forward and backward (``sosfiltfilt``), so the
        phase lag is zero and the magnitude response is squared.

    Returns
    -------
    ndarray, shape (T, ...)
        Filtered copy. Each column is filtered over each run of finite samples
        separately; NaN stays NaN, and runs shorter than the filter's padding
        are returned as they are. Variable frame timing is treated as
        uniform at the median rate.

    Notes
    -----
    ``scipy.signal.sosfiltfilt`` (odd padding) on each run. A hand-written
    version that stacked runs of similar length into one ``sosfilt`` call
    was 2x faster (7.5 against 17 ms on a 224 s track) and gave the same
    output; it was dropped for SciPy's own because only the offline analysis
    low-passes (the live page smooths with :class:`OneEuroFilter`), where
    10 ms a clip does not count.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    out = x.reshape(len(x), -1).copy()
    if len(t) < 2:
        return out.reshape(x.shape)
    rate = 1.0 / frame_interval_s(t)
    sos = butter(order, min(cutoff_hz / (rate / 2.0), 0.99), output="sos")
    min_length = 3 * (2 * len(sos) + 1)  # runs this short or shorter stay as they are (sosfiltfilt's padding)
    for column in out.T:  # views into ``out``
        edges = np.flatnonzero(np.diff(np.concatenate(([0], np.isfinite(column).astype(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2]):
            if stop - start > min_length:
                column[start:stop] = sosfiltfilt(sos, column[start:stop])
    return out.reshape(x.shape)


class OneEuroFilter:
    """Causal One Euro filter (Casiez et al. 2012) for live smoothing.

    Smooths strongly when the signal is slow (cut-off ``min_cutoff``) and
    less when it moves fast (cut-off grows by ``beta`` times the speed), so
    jitter is removed at rest without lag in fast moves.

    Parameters
    ----------
    min_cutoff : float
        Cut-off at rest, Hz (MediaPipe's landmark smoothing uses 0.1).
    beta : float
        Speed coefficient, Hz per (unit / s) (MediaPipe: 40, for normalized
        coordinates; for pixels a value near 40 / frame size does the same).
    d_cutoff : float
        Cut-off of the speed estimate, Hz.

    Notes
    -----
    Call it once per sample, in time order: ``f(t, x)`` with ``x`` of any
    fixed shape. Each element keeps its own state. A NaN element passes
    through as NaN and leaves that element's state as it was, so the next
    finite sample continues from the last good one.
    """

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._state: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # value, speed, time per element

    @staticmethod
    def _alpha(cutoff: float | FloatArray, dt: FloatArray) -> FloatArray:
        tau = 1.0 / (2.0 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t: float, x: ArrayLike) -> FloatArray:
        """Filter one sample taken at time ``t`` (s); returns the smoothed sample."""
        x = np.asarray(x, dtype=float)
        if self._state is None:
            self._state = (x.copy(), np.zeros_like(x), np.full(x.shape, float(t)))
            return x.copy()
        last_x, last_dx, last_t = self._state
        finite = np.isfinite(x)
        fresh = finite & np.isnan(last_x)  # first finite value of an element
        dt = np.maximum(t - last_t, 1e-6)
        dx = (x - last_x) / dt
        dx_hat = last_dx + self._alpha(self.d_cutoff, dt) * (dx - last_dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        x_hat = last_x + self._alpha(cutoff, dt) * (x - last_x)
        update = finite & ~fresh
        new_x = np.where(update, x_hat, np.where(fresh, x, last_x))
        self._state = (new_x, np.where(update, dx_hat, np.where(fresh, 0.0, last_dx)), np.where(finite, float(t), last_t))
        return np.where(finite, new_x, np.nan)


def one_euro(t: np.ndarray, x: np.ndarray, **params: float) -> np.ndarray:
    """Run a fresh :class:`OneEuroFilter` over a whole series (axis 0), causally.

    Parameters
    ----------
    t : ndarray, shape (T,)
        Frame times in seconds.
    x : ndarray, shape (T, ...)
    **params
        ``min_cutoff``, ``beta``, ``d_cutoff`` of :class:`OneEuroFilter`.

    Returns
    -------
    ndarray, shape (T, ...)
        Output at frame i depends only on frames 0..i.
    """
    x = np.asarray(x, dtype=float)
    smoother = OneEuroFilter(**params)
    return np.stack([smoother(ti, xi) for ti, xi in zip(t, x)]) if len(x) else x.copy()


def clean(track: PoseTrack, live: bool = False, landmarks: Sequence[int] | None = None, *, params: FilterTable) -> np.ndarray:
    """The standard clean-up of a track's landmark positions.

    gate -> hampel -> fill_gaps -> lowpass (offline) or One Euro (``live``).

    Parameters
    ----------
    track : PoseTrack
    live : bool
        Use the causal One Euro filter instead of the zero-lag Butterworth,
        as the live webcam does; ``beta`` is scaled from MediaPipe's
        normalized-coordinate value to pixels by the frame height.
    landmarks : sequence of int, optional
        Clean only these landmarks (the others come back NaN); default all.
        Each landmark is cleaned on its own, so the result for one does not
        depend on which others are asked for.
    params : FilterTable
        The ``filters`` table of the thresholds in use (cut-offs, window, gap
        length; :func:`knee_cv.core.thresholds.load_thresholds`).

    Returns
    -------
    ndarray, shape (T, 33, 2)
        Cleaned pixel positions; NaN where no trustworthy value exists.
    """
    p = params
    gated = gate(track, min_visibility=p.min_visibility, margin=p.frame_margin, min_presence=p.min_presence)
    chosen = list(range(gated.shape[1])) if landmarks is None else list(landmarks)
    xy = hampel(gated[:, chosen], window=int(p.hampel_window), n_sigmas=p.hampel_sigmas)
    xy = fill_gaps(track.t, xy, max_gap_s=p.max_gap_s)
    if live:
        xy = one_euro(
            track.t,
            xy,
            min_cutoff=p.one_euro_min_cutoff,
            beta=p.one_euro_beta / max(track.height, 1),
            d_cutoff=p.one_euro_d_cutoff,
        )
    else:
        xy = lowpass(track.t, xy, cutoff_hz=p.lowpass_hz, order=int(p.lowpass_order))
    result = np.full_like(gated, np.nan)
    result[:, chosen] = xy
    return result
