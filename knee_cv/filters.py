"""Clean-up of landmark series: gating, outlier rejection, gap filling, smoothing.

All functions work on arrays with frames on axis 0 and any trailing shape
(for example (T,), (T, 2) or (T, 33, 2)), keep NaN for missing values, and
take the real frame times ``t`` (seconds) where the rate matters, so 30 fps,
60 fps and variable-rate phone video are handled alike.

Defaults follow the field (see CLINICAL.md, "Signal processing"): Hampel
window 7 for outliers, linear filling of short gaps only, 4th-order zero-lag
Butterworth at 6 Hz offline (Sports2D), One Euro (min_cutoff 0.1, beta 40,
MediaPipe's own) live.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

from knee_cv.track import PoseTrack

#: MAD -> standard deviation for normally distributed data.
_MAD_TO_SIGMA = 1.4826


def gate(track: PoseTrack, min_visibility: float = 0.5, margin: float = 0.02) -> np.ndarray:
    """Landmark positions with untrustworthy points set to NaN.

    A point is dropped where its visibility is below ``min_visibility``,
    where its presence is below 0.5 (when the source gives presence), or
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

    Returns
    -------
    ndarray, shape (T, 33, 2)
        A new array of pixel positions; NaN where dropped or missing.
    """
    xy = track.xy.copy()
    size = np.array([track.width, track.height], dtype=float)
    outside = ((xy < -margin * size) | (xy > (1 + margin) * size)).any(axis=-1)
    low_score = ~(track.visibility >= min_visibility)  # NaN visibility counts as low
    absent = track.presence < 0.5  # NaN presence (unknown) does not count
    xy[outside | low_score | absent] = np.nan
    return xy


def _window_median(windows: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN where a window has no finite value)."""
    ordered = np.sort(windows, axis=-1)  # NaN sorts last
    count = np.isfinite(ordered).sum(axis=-1)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[..., None], -1)[..., 0]
    high = np.take_along_axis(ordered, np.maximum(count // 2, 0)[..., None], -1)[..., 0]
    return np.where(count > 0, 0.5 * (low + high), np.nan)


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
        NaN only where a whole window is NaN.
    """
    x = np.asarray(x, dtype=float)
    half = max(int(window), 1) // 2
    padded = np.pad(x, [(half, half)] + [(0, 0)] * (x.ndim - 1), mode="constant",
                    constant_values=np.nan)
    return _window_median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0))


def hampel(x: np.ndarray, window: int = 7, n_sigmas: float = 3.0) -> np.ndarray:
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
        with zero spread flags nothing.
    """
    x = np.asarray(x, dtype=float)
    if len(x) < 3:
        return x.copy()
    half = window // 2
    padded = np.pad(x, [(half, half)] + [(0, 0)] * (x.ndim - 1), mode="constant",
                    constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0)
    median = _window_median(windows)
    mad = _window_median(np.abs(windows - median[..., None]))
    outlier = np.abs(x - median) > n_sigmas * _MAD_TO_SIGMA * mad
    out = x.copy()
    out[outlier & (mad > 0)] = np.nan
    return out


def _nan_runs(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the True runs of a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def fill_gaps(t: np.ndarray, x: np.ndarray, max_gap_s: float = 0.2) -> np.ndarray:
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
        A filled copy; each trailing column is treated on its own.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    flat = x.reshape(len(x), -1).copy()
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
    return flat.reshape(x.shape)


def _finite_segments(finite: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _nan_runs(finite)


def lowpass(t: np.ndarray, x: np.ndarray, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
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
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    out = x.reshape(len(x), -1).copy()
    if len(t) < 2:
        return out.reshape(x.shape)
    rate = 1.0 / float(np.median(np.diff(t)))
    wn = min(cutoff_hz / (rate / 2.0), 0.99)
    sos = butter(order, wn, output="sos")
    padlen = 3 * (2 * len(sos) + 1)  # sosfiltfilt's default padding
    finite_rows = np.isfinite(out)
    # Columns with the same NaN pattern are filtered together.
    patterns, inverse = np.unique(finite_rows.T, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
        columns = np.flatnonzero(inverse.ravel() == p)
        for start, stop in zip(*_finite_segments(pattern)):
            if stop - start > padlen:
                out[start:stop, columns] = sosfiltfilt(sos, out[start:stop, columns], axis=0)
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

    def __init__(self, min_cutoff: float = 0.1, beta: float = 40.0, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x = self._dx = self._t = None

    @staticmethod
    def _alpha(cutoff, dt):
        tau = 1.0 / (2.0 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t: float, x) -> np.ndarray:
        """Filter one sample taken at time ``t`` (s); returns the smoothed sample."""
        x = np.asarray(x, dtype=float)
        if self._x is None:
            self._x, self._dx = x.copy(), np.zeros_like(x)
            self._t = np.full(x.shape, float(t))
            return x.copy()
        finite = np.isfinite(x)
        fresh = finite & np.isnan(self._x)  # first finite value of an element
        dt = np.maximum(t - self._t, 1e-6)
        dx = (x - self._x) / dt
        dx_hat = self._dx + self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        x_hat = self._x + self._alpha(cutoff, dt) * (x - self._x)
        update = finite & ~fresh
        self._x = np.where(update, x_hat, np.where(fresh, x, self._x))
        self._dx = np.where(update, dx_hat, np.where(fresh, 0.0, self._dx))
        self._t = np.where(finite, float(t), self._t)
        return np.where(finite, self._x, np.nan)


def one_euro(t: np.ndarray, x: np.ndarray, **params) -> np.ndarray:
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


def clean(track: PoseTrack, live: bool = False) -> np.ndarray:
    """The standard clean-up of a track's landmark positions.

    gate -> hampel -> fill_gaps -> lowpass (offline) or One Euro (``live``).

    Parameters
    ----------
    track : PoseTrack
    live : bool
        Use the causal One Euro filter instead of the zero-lag Butterworth,
        as the live webcam does; ``beta`` is scaled from MediaPipe's
        normalized-coordinate value to pixels by the frame height.

    Returns
    -------
    ndarray, shape (T, 33, 2)
        Cleaned pixel positions; NaN where no trustworthy value exists.
    """
    xy = hampel(gate(track))
    xy = fill_gaps(track.t, xy)
    if live:
        return one_euro(track.t, xy, beta=40.0 / max(track.height, 1))
    return lowpass(track.t, xy)
