"""Statistics over the finite values (knee_cv.core.stats)."""

from __future__ import annotations

import numpy as np
import pytest

from knee_cv.core.stats import MAD_TO_SD, finite, finite_median, robust_sd


def test_finite_leaves_out_nan_and_inf_in_order():
    np.testing.assert_array_equal(finite([[3.0, np.nan], [np.inf, -1.0]]), [3.0, -1.0])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([3.0, np.nan, 1.0, 2.0], 2.0),
        ([1.0, 4.0, np.nan], 2.5),
        ([], np.nan),
        ([np.nan, np.inf], np.nan),
    ],
)
def test_finite_median(values, expected):
    np.testing.assert_equal(finite_median(np.array(values, dtype=float)), expected)
    assert isinstance(finite_median(values), float)


def test_robust_sd_is_the_scaled_mad_and_nan_below_min_count():
    values = np.array([1.0, 2.0, 3.0, 4.0, 100.0, np.nan])
    assert robust_sd(values) == pytest.approx(MAD_TO_SD * 1.0)  # median 3, deviations 2 1 0 1 97
    assert np.isnan(robust_sd([1.0, 2.0, np.nan]))
    assert robust_sd([1.0, 2.0], min_count=2) == pytest.approx(MAD_TO_SD * 0.5)


def test_frame_interval_is_the_median_step_or_the_default():
    from knee_cv.core.stats import frame_interval_s

    assert frame_interval_s(np.array([0.0, 0.04, 0.08, 0.5])) == pytest.approx(0.04)
    assert np.isnan(frame_interval_s([2.0])) and frame_interval_s([], default=0.5) == 0.5
