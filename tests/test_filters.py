"""Clean-up filters: outliers, gaps, zero-lag and causal smoothing."""

from __future__ import annotations

import numpy as np

from knee_cv.filters import OneEuroFilter, clean, fill_gaps, gate, hampel, lowpass, one_euro
from knee_cv.landmarks import Landmark
from synthetic import synthetic_squats


def test_hampel_removes_spikes_and_keeps_the_rest():
    t = np.arange(300) / 30.0
    x = np.stack([np.sin(2 * np.pi * 0.5 * t), np.cos(t)], -1)
    spiky = x.copy()
    spiky[[50, 51, 200], 0] += 5.0
    spiky[120, 1] = np.nan
    out = hampel(spiky)
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
        out = lowpass(t, slow + noise, cutoff_hz=6.0)
        assert _lag_and_gain(t, slow, out) == 0
        assert np.abs(out - slow)[20:-20].max() < 0.06 + 0.1 * (jitter > 0)
        # the 12 Hz part is mostly gone
        assert np.std((out - slow)[20:-20]) < 0.25 * np.std(noise)


def test_lowpass_keeps_nan_and_short_segments():
    t = np.arange(200) / 30.0
    x = np.sin(t)[:, None] * np.ones((1, 3))
    x[100:103, 1] = np.nan
    x[5:195, 2] = np.nan
    out = lowpass(t, x)
    assert np.isnan(out[100:103, 1]).all() and np.isfinite(out[:100, 1]).all()
    np.testing.assert_array_equal(out[:5, 2], x[:5, 2])


def test_one_euro_is_causal_and_nan_safe():
    rng = np.random.default_rng(1)
    t = np.arange(120) / 30.0
    x = np.sin(t)[:, None] + rng.normal(0, 0.05, (120, 4))
    x[30, 2] = np.nan
    first = one_euro(t, x, beta=1.0)
    changed = x.copy()
    changed[60:] += 10.0
    second = one_euro(t, changed, beta=1.0)
    np.testing.assert_array_equal(first[:60], second[:60])
    assert np.isnan(first[30, 2]) and np.isfinite(first[31:, 2]).all()
    assert np.std(np.diff(first[:, 0])) < np.std(np.diff(x[:, 0]))
    step = OneEuroFilter()
    assert np.isnan(step(0.0, np.nan))
    assert step(0.033, 1.0) == 1.0  # first finite sample starts the state


def test_gate_drops_low_visibility_absent_and_out_of_frame_points():
    track, _ = synthetic_squats(n_reps=1)
    track.visibility[10, Landmark.LEFT_KNEE] = 0.2
    track.presence[11, Landmark.RIGHT_KNEE] = 0.1
    track.xy[12, Landmark.LEFT_ANKLE, 1] = track.height * 1.1  # leg invented below the frame
    xy = gate(track)
    assert np.isnan(xy[10, Landmark.LEFT_KNEE]).all()
    assert np.isnan(xy[11, Landmark.RIGHT_KNEE]).all()
    assert np.isnan(xy[12, Landmark.LEFT_ANKLE]).all()
    assert np.isfinite(xy[13]).all()


def test_clean_offline_and_live_on_jittered_track():
    track, _ = synthetic_squats(n_reps=2, jitter_px=3.0, dropout_rate=0.05, seed=4)
    exact, _ = synthetic_squats(n_reps=2, seed=4)
    for live in (False, True):
        xy = clean(track, live=live)
        assert xy.shape == track.xy.shape
        both = np.isfinite(xy) & np.isfinite(exact.xy)
        assert both.mean() > 0.95
        assert np.abs(xy - exact.xy)[both].mean() < 3.0 * 0.8
