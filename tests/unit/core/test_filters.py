"""Clean-up filters: outliers, gaps, zero-lag and causal smoothing."""

from __future__ import annotations

import warnings

import numpy as np
from synthetic import synthetic_squats

from knee_cv.core.filters import OneEuroFilter, clean, fill_gaps, gate, hampel, lowpass, one_euro, rolling_median
from knee_cv.core.landmarks import Landmark
from knee_cv.core.thresholds import load_thresholds

#: The numbers the package uses: the ``[filters]`` table is their only source.
FILTERS = load_thresholds().filters
WINDOW, SIGMAS = int(FILTERS.hampel_window), float(FILTERS.hampel_sigmas)
CUTOFF_HZ, ORDER = float(FILTERS.lowpass_hz), int(FILTERS.lowpass_order)
GATE = {"min_visibility": FILTERS.min_visibility, "margin": FILTERS.frame_margin, "min_presence": FILTERS.min_presence}
ONE_EURO = {"min_cutoff": FILTERS.one_euro_min_cutoff, "d_cutoff": FILTERS.one_euro_d_cutoff}


def test_hampel_removes_spikes_and_keeps_the_rest():
    t = np.arange(300) / 30.0
    x = np.stack([np.sin(2 * np.pi * 0.5 * t), np.cos(t)], -1)
    spiky = x.copy()
    spiky[[50, 51, 200], 0] += 5.0
    spiky[120, 1] = np.nan
    out = hampel(spiky, WINDOW, SIGMAS)
    assert np.isnan(out[[50, 51, 200], 0]).all()
    assert np.isnan(out[120, 1])
    kept = np.isfinite(out)
    np.testing.assert_array_equal(out[kept], spiky[kept])
    assert kept.sum() >= spiky.size - 6


def test_fill_gaps_fills_short_and_leaves_long_gaps():
    t = np.arange(100) / 30.0
    x = 2.0 * t
    x[10:14] = np.nan  # 4 frames: 0.167 s between valid neighbours
    x[40:60] = np.nan  # 0.7 s
    x[:2] = np.nan
    out = fill_gaps(t, x, max_gap_s=0.2)
    np.testing.assert_allclose(out[10:14], 2.0 * t[10:14])
    assert np.isnan(out[40:60]).all() and np.isnan(out[:2]).all()


def _lag_and_gain(t, clean_signal, filtered):
    lags = np.arange(-10, 11)
    mid = slice(30, -30)
    errors = [np.abs(np.roll(filtered, lag)[mid] - clean_signal[mid]).mean() for lag in lags]
    return lags[int(np.argmin(errors))]


def test_lowpass_zero_lag_and_noise_removal_at_30_60_and_variable_rate():
    rng = np.random.default_rng(0)
    for fps, jitter in ((30.0, 0.0), (60.0, 0.0), (30.0, 0.25)):
        t = np.arange(0, 10, 1 / fps) + rng.uniform(-jitter, jitter, int(round(10 * fps))) / fps
        slow = np.sin(2 * np.pi * 1.0 * t)
        noise = 0.3 * np.sin(2 * np.pi * 12.0 * t)
        out = lowpass(t, slow + noise, cutoff_hz=6.0, order=ORDER)
        assert _lag_and_gain(t, slow, out) == 0
        assert np.abs(out - slow)[20:-20].max() < 0.06 + 0.1 * (jitter > 0)
        # the 12 Hz part is mostly gone
        assert np.std((out - slow)[20:-20]) < 0.25 * np.std(noise)


def test_lowpass_keeps_nan_and_short_segments():
    t = np.arange(200) / 30.0
    x = np.sin(t)[:, None] * np.ones((1, 3))
    x[100:103, 1] = np.nan
    x[5:195, 2] = np.nan
    out = lowpass(t, x, CUTOFF_HZ, ORDER)
    assert np.isnan(out[100:103, 1]).all() and np.isfinite(out[:100, 1]).all()
    np.testing.assert_array_equal(out[:5, 2], x[:5, 2])


def test_one_euro_is_causal_and_nan_safe():
    rng = np.random.default_rng(1)
    t = np.arange(120) / 30.0
    x = np.sin(t)[:, None] + rng.normal(0, 0.05, (120, 4))
    x[30, 2] = np.nan
    first = one_euro(t, x, beta=1.0, **ONE_EURO)
    changed = x.copy()
    changed[60:] += 10.0
    second = one_euro(t, changed, beta=1.0, **ONE_EURO)
    np.testing.assert_array_equal(first[:60], second[:60])
    assert np.isnan(first[30, 2]) and np.isfinite(first[31:, 2]).all()
    assert np.std(np.diff(first[:, 0])) < np.std(np.diff(x[:, 0]))
    step = OneEuroFilter(beta=FILTERS.one_euro_beta, **ONE_EURO)
    assert np.isnan(step(0.0, np.nan))
    assert step(0.033, 1.0) == 1.0  # first finite sample starts the state


def test_gate_drops_low_visibility_absent_and_out_of_frame_points():
    track, _ = synthetic_squats(n_reps=1)
    track.visibility[10, Landmark.LEFT_KNEE] = 0.2
    track.presence[11, Landmark.RIGHT_KNEE] = 0.1
    track.xy[12, Landmark.LEFT_ANKLE, 1] = track.height * 1.1  # leg invented below the frame
    xy = gate(track, **GATE)
    assert np.isnan(xy[10, Landmark.LEFT_KNEE]).all()
    assert np.isnan(xy[11, Landmark.RIGHT_KNEE]).all()
    assert np.isnan(xy[12, Landmark.LEFT_ANKLE]).all()
    assert np.isfinite(xy[13]).all()


def test_clean_offline_and_live_on_jittered_track():
    track, _ = synthetic_squats(n_reps=2, jitter_px=3.0, dropout_rate=0.05, seed=4)
    exact, _ = synthetic_squats(n_reps=2, seed=4)
    for live in (False, True):
        xy = clean(track, live=live, params=FILTERS)
        assert xy.shape == track.xy.shape
        both = np.isfinite(xy) & np.isfinite(exact.xy)
        assert both.mean() > 0.95
        assert np.abs(xy - exact.xy)[both].mean() < 3.0 * 0.8


# --- The vectorized filters against plain reference implementations --------------------------


def _reference_window_median(x, half):
    """Loop over frames: np.nanmedian of the centred window, shorter at the ends."""
    out = np.full(x.shape, np.nan)
    for i in range(len(x)):
        window = x[max(i - half, 0) : i + half + 1]
        finite = np.isfinite(window).any(axis=0)
        out[i][finite] = np.nanmedian(window[:, finite], axis=0)
    return out


def _reference_hampel(x, window=7, n_sigmas=3.0):
    half = window // 2
    out = x.copy()
    for i in range(len(x)):
        chunk = x[max(i - half, 0) : i + half + 1]
        for j in np.ndindex(x.shape[1:]):
            values = chunk[(slice(None),) + j]
            values = values[np.isfinite(values)]
            if len(values) == 0:
                continue
            median = np.median(values)
            mad = np.median(np.abs(values - median))
            if mad > 0 and abs(x[(i,) + j] - median) > n_sigmas * 1.4826 * mad:
                out[(i,) + j] = np.nan
    return out


def _reference_fill_gaps(t, x, max_gap_s):
    out = x.copy()
    for j in np.ndindex(x.shape[1:]):
        column = out[(slice(None),) + j]
        valid = np.flatnonzero(np.isfinite(column))
        for a, b in zip(valid[:-1], valid[1:]):
            if b - a > 1 and t[b] - t[a] <= max_gap_s:
                column[a + 1 : b] = np.interp(t[a + 1 : b], t[[a, b]], column[[a, b]])
    return out


def _reference_lowpass(t, x, cutoff_hz=6.0, order=4):
    from scipy.signal import butter, sosfiltfilt

    rate = 1.0 / np.median(np.diff(t))
    sos = butter(order, min(cutoff_hz / (rate / 2.0), 0.99), output="sos")
    out = x.copy()
    for j in np.ndindex(x.shape[1:]):
        column = out[(slice(None),) + j]
        finite = np.concatenate([[False], np.isfinite(column), [False]])
        edges = np.flatnonzero(np.diff(finite.astype(int)))
        for start, stop in zip(edges[::2], edges[1::2]):
            if stop - start > 3 * (2 * len(sos) + 1):
                column[start:stop] = sosfiltfilt(sos, column[start:stop])
    return out


def _random_track(rng, n_frames, shape):
    """A smooth random walk with spikes, single NaN samples and NaN runs of all lengths."""
    x = np.cumsum(rng.normal(0.0, 1.0, (n_frames,) + shape), axis=0)
    spikes = rng.random(x.shape) < 0.03
    x[spikes] += rng.normal(0.0, 30.0, spikes.sum())
    x[rng.random(x.shape) < 0.05] = np.nan
    flat = x.reshape(n_frames, -1)
    for column in range(flat.shape[1]):
        for _ in range(rng.integers(0, 6)):
            start = rng.integers(0, n_frames)
            flat[start : start + rng.integers(1, 40), column] = np.nan
    flat[:, 0] = np.where(np.arange(n_frames) % 50 < 5, 7.0, flat[:, 0])  # flat stretches: zero MAD
    if flat.shape[1] > 2:
        flat[:, 2] = np.nan  # a column with nothing at all
    return x


def test_vectorized_filters_match_reference_implementations():
    rng = np.random.default_rng(7)
    for n_frames, shape in ((300, (4, 2)), (90, (3,)), (5, (4,)), (1, (2,))):
        t = np.cumsum(rng.uniform(0.01, 0.05, n_frames))
        x = _random_track(rng, n_frames, shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # nanmedian of all-NaN windows
            for window in (3, 7, 21):
                np.testing.assert_allclose(rolling_median(x, window), _reference_window_median(x, window // 2), atol=1e-9)
                if n_frames >= 3:
                    np.testing.assert_allclose(hampel(x, window, 3.0), _reference_hampel(x, window), atol=1e-9)
        for max_gap_s in (0.0, 0.1, 0.5):
            np.testing.assert_allclose(fill_gaps(t, x, max_gap_s), _reference_fill_gaps(t, x, max_gap_s), atol=1e-9)
        filled = fill_gaps(t, hampel(x, 7, 3.0), 0.2)
        for order in (2, 3, 4) if n_frames > 1 else ():
            np.testing.assert_allclose(lowpass(t, filled, 6.0, order), _reference_lowpass(t, filled, order=order), atol=1e-9)

    # Runs of very different lengths go through separate stacks.
    t = np.arange(12000) / 60.0
    x = np.sin(t)[:, None] + rng.normal(0.0, 0.1, (12000, 3))
    x[10000, 0] = x[11000, 0] = x[500:520, 1] = np.nan
    np.testing.assert_allclose(lowpass(t, x, 6.0, 4), _reference_lowpass(t, x), atol=1e-9)
