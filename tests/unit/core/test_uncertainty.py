"""The placement error model on geometry whose answer is known (knee_cv.core.uncertainty)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.criteria import ABOVE, BELOW, BY_NAME, UNSURE
from knee_cv.core.shown import likely
from knee_cv.core.uncertainty import PlacementError, fit, knee_displacement, rep_intervals, residuals

#: A right leg standing straight, 200 px hip to ankle, the other hip 80 px to the image right (medial = +x).
HIP, KNEE, ANKLE, OTHER_HIP = (0.0, 0.0), (0.0, 100.0), (0.0, 200.0), (80.0, 0.0)
LEG_PX = 200.0
#: So many frames that the prediction widening is 1.
MANY = 10**9


def model(bias=None, sd=None, n_frames=MANY) -> PlacementError:
    return PlacementError(
        bias=np.zeros((3, 2)) if bias is None else np.asarray(bias, float),
        sd=np.zeros((3, 2)) if sd is None else np.asarray(sd, float),
        n_frames=n_frames,
    )


def points(knee=KNEE) -> np.ndarray:
    return np.array([HIP, knee, ANKLE, OTHER_HIP], float)


def test_widening_is_the_student_t_prediction_factor():
    assert model(n_frames=MANY).widening() == pytest.approx(1.0, abs=1e-6)
    expected = stats.t.ppf(0.9, 9) / stats.norm.ppf(0.9) * math.sqrt(1 + 1 / 10)
    assert model(n_frames=10).widening() == pytest.approx(expected)


def test_a_known_knee_bias_gives_the_fppa_of_the_corrected_knee_exactly():
    # the pose model puts the knee 0.05 leg lengths (10 px) medial of the joint: the true leg is straight
    bias = [[0, 0], [0, 0.05], [0, 0]]
    bounds = rep_intervals(points(knee=(10.0, 100.0)), "right", LEG_PX, model(bias=bias))
    assert bounds.fppa_deg == pytest.approx((0.0, 0.0), abs=1e-9)
    assert bounds.knee_displacement == pytest.approx((0.0, 0.0), abs=1e-12)


def test_a_known_knee_spread_across_the_leg_gives_the_known_interval():
    sigma = 0.05  # leg lengths: 10 px on this leg
    bounds = rep_intervals(points(), "right", LEG_PX, model(sd=[[0, 0], [0, sigma], [0, 0]]))
    # a knee e leg lengths off the line makes FPPA 2 atan(e * 200 / 100): the 10th and 90th percentiles of e
    z = stats.norm.ppf(0.9)
    half = math.degrees(2 * math.atan(2 * z * sigma))
    assert bounds.fppa_deg == pytest.approx((-half, half), rel=0.08)
    assert bounds.knee_displacement == pytest.approx((-z * sigma, z * sigma), rel=0.08)


def test_an_error_along_the_thigh_does_not_move_fppa():
    # the hip slid along the thigh line keeps the thigh's direction
    bounds = rep_intervals(points(knee=(20.0, 100.0)), "right", LEG_PX, model(sd=[[0.1, 0], [0, 0], [0, 0]]))
    low, high = bounds.fppa_deg
    assert high - low == pytest.approx(0.0, abs=1e-6)


def test_intervals_scale_with_the_person_and_not_with_the_picture():
    placement = model(sd=[[0, 0.02], [0.03, 0.02], [0, 0.01]])
    near = rep_intervals(points(knee=(12.0, 100.0)), "right", LEG_PX, placement).fppa_deg
    far = rep_intervals(points(knee=(12.0, 100.0)) / 2, "right", LEG_PX / 2, placement).fppa_deg
    assert far == pytest.approx(near)


def test_pelvic_drop_interval_from_the_hips_spread_and_the_reference():
    sigma, roll_sd = 0.02, 2.0  # 4 px per hip on a 200 px leg, hips 80 px apart
    placement = model(sd=[[0, sigma], [0, 0], [0, 0]])
    level = rep_intervals(points(), "right", LEG_PX, placement, stance="right").pelvic_drop_deg
    z = stats.norm.ppf(0.9)
    half = math.degrees(math.atan(z * math.sqrt(2) * sigma * LEG_PX / 80.0))
    assert level == pytest.approx((-half, half), rel=0.08)
    wider = rep_intervals(points(), "right", LEG_PX, placement, stance="right", roll_sd_deg=roll_sd).pelvic_drop_deg
    expected = math.hypot(half, z * roll_sd)
    assert wider == pytest.approx((-expected, expected), rel=0.08)


def test_jitter_widens_fppa_by_its_own_spread():
    bounds = rep_intervals(points(), "right", LEG_PX, model(), fppa_jitter_deg=3.0)
    z = stats.norm.ppf(0.9)
    assert bounds.fppa_deg == pytest.approx((-z * 3.0, z * 3.0), rel=0.08)


def test_missing_points_give_no_interval():
    bounds = rep_intervals(points(knee=(np.nan, 100.0)), "right", LEG_PX, model())
    assert all(math.isnan(v) for pair in (bounds.fppa_deg, bounds.knee_displacement, bounds.pelvic_drop_deg) for v in pair)


def test_knee_displacement_is_medial_positive_in_leg_lengths():
    xy = np.full((2, 33, 2), np.nan)
    from knee_cv.core import kinematics as kin

    hip, knee, ankle = kin.LEG_LANDMARKS["right"]
    other = kin.LEG_LANDMARKS["left"][0]
    for frame, knee_x in enumerate((10.0, -10.0)):  # toward the other hip, then away
        xy[frame, [hip, knee, ankle, other]] = [HIP, (knee_x, 100.0), ANKLE, OTHER_HIP]
    assert knee_displacement(xy, "right", LEG_PX) == pytest.approx([0.05, -0.05])


def test_fit_recovers_a_known_placement_error():
    rng = np.random.default_rng(1)
    shifts = rng.normal([0.0, -0.06], [0.01, 0.02], size=(400, 2))  # knee: along the leg (down = +), across
    errors = [residuals(points(knee=(across * LEG_PX, 100.0 + along * LEG_PX)), points(), LEG_PX) for along, across in shifts]
    fitted = fit(errors)
    assert fitted.n_frames == 400
    assert fitted.bias[1] == pytest.approx([0.0, -0.06], abs=0.004)  # across is medial: +x here
    assert fitted.sd[1] == pytest.approx([0.01, 0.02], rel=0.15)
    assert fitted.sd[0] == pytest.approx([0.0, 0.0], abs=1e-12)


class _Rep:
    def __init__(self, value, low, high):
        self.fppa_bottom_deg, self.fppa_low_deg, self.fppa_high_deg = value, low, high


def test_the_verdict_reads_the_interval():
    valgus = BY_NAME["knee_valgus"]
    assert valgus.verdict(_Rep(25.0, 15.0, 30.0), 13.5) == ABOVE
    assert valgus.verdict(_Rep(25.0, 11.0, 30.0), 13.5) == UNSURE
    assert valgus.verdict(_Rep(10.0, 2.0, 16.0), 13.5) == UNSURE
    assert valgus.verdict(_Rep(5.0, -3.0, 12.0), 13.5) == BELOW
    assert valgus.verdict(_Rep(25.0, math.nan, math.nan), 13.5) == ABOVE  # no interval: the value decides


def test_reps_of_synthetic_squats_carry_intervals_and_say_when_they_cannot_tell():
    track, _ = synthetic_squats(n_reps=2, valgus_deg=25.0, pelvic_drop_deg=3.0, size=(1280, 720), jitter_px=1.0)
    analysis = analyze(track)
    threshold = analysis.thresholds.knee_valgus.value
    for rep in analysis.reps:
        assert rep.reliable
        assert rep.fppa_low_deg < rep.fppa_high_deg and rep.pelvic_drop_low_deg < rep.pelvic_drop_high_deg
        assert 0.05 < rep.knee_displacement < 0.12  # 25 deg of valgus: about a quarter radian over 4
        assert ("knee_valgus" in rep.undecided) == (rep.fppa_low_deg < threshold < rep.fppa_high_deg)
        flag = next(f for f in rep.flags if f.criterion == "knee_valgus")
        assert f"Likely {round(rep.fppa_low_deg)} to {round(rep.fppa_high_deg)} deg" in flag.reason


def test_left_against_right_says_when_the_ranges_overlap():
    from knee_cv.core.assessment import summarize
    from knee_cv.core.criteria import CANT_TELL

    track, _ = synthetic_squats(n_reps=4, stance_legs=["left", "right"] * 2, valgus_deg=14.0, size=(1280, 720))
    analysis = analyze(track)
    s = analysis.summary
    sentence = next(m for m in s.messages if m.startswith("Left vs right"))
    left, right = (next(leg for leg in s.legs if leg.leg == side) for side in ("left", "right"))
    assert f"left {likely(left.fppa_deg, left.fppa_low_deg, left.fppa_high_deg)};" in sentence
    assert CANT_TELL in sentence  # the same knee on both sides: the ranges overlap
    apart = [r for r in analysis.reps]
    for rep in apart:  # move the right leg's ranges far from the left's
        if rep.leg == "right":
            rep.fppa_bottom_deg, rep.fppa_low_deg, rep.fppa_high_deg = 60.0, 50.0, 70.0
    again = summarize(
        apart, view=s.view, view_confidence=s.view_confidence, exercise=s.exercise, messages=[], thresholds=analysis.thresholds
    )
    sentence = next(m for m in again.messages if m.startswith("Left vs right"))
    assert "The two ranges do not overlap." in sentence and CANT_TELL not in sentence


def _leg(**values):
    from knee_cv.core.labels import Leg
    from knee_cv.core.result import LegSummary

    plain = dict(fppa_deg=math.nan, pelvic_drop_deg=math.nan, trunk_lean_deg=2.0, knee_wobble=0.01, depth=0.3)
    return LegSummary(leg=Leg.LEFT, n_reps=3, n_reliable=3, rating=None, **(plain | values))


@pytest.mark.parametrize(
    ("fppa", "pelvis", "expected"),
    [
        # FPPA 10 (likely 2 to 16) holds 13.5, and 16 is not past 13.5 + 8: good or fair.
        ((10.0, 2.0, 16.0), (1.0, -2.0, 4.0), ("good", "good", "fair")),
        # FPPA 16 (likely 12 to 24): fair by its value, good at 12 and poor at 24 (past 13.5 + 8).
        ((16.0, 12.0, 24.0), (1.0, -2.0, 4.0), ("fair", "good", "poor")),
        # Both ranges wholly above: poor whichever end.
        ((30.0, 22.0, 38.0), (12.0, 10.0, 15.0), ("poor", "poor", "poor")),
        # Both wholly below: good whichever end.
        ((3.0, -5.0, 9.0), (1.0, -1.0, 3.0), ("good", "good", "good")),
        # Pelvic drop alone undecided (likely 5 to 11 holds 8 deg): good to fair.
        ((3.0, -5.0, 9.0), (6.0, 5.0, 11.0), ("good", "good", "fair")),
    ],
)
def test_the_rating_range_is_the_rating_at_the_ends_of_the_intervals(fppa, pelvis, expected):
    from knee_cv.core.assessment import _rate, _rating_range
    from knee_cv.core.thresholds import load_thresholds

    thresholds = load_thresholds()
    assert thresholds.knee_valgus.value == 13.5 and thresholds.smallest_detectable_difference.value == 8.0
    assert thresholds.pelvic_drop.value == 8.0
    leg = _leg(
        fppa_deg=fppa[0],
        fppa_low_deg=fppa[1],
        fppa_high_deg=fppa[2],
        pelvic_drop_deg=pelvis[0],
        pelvic_drop_low_deg=pelvis[1],
        pelvic_drop_high_deg=pelvis[2],
    )
    rating, _ = _rate(leg, thresholds)
    best, worst, undecided = _rating_range(leg, rating, thresholds)
    assert (rating, best, worst) == expected
    assert bool(undecided) == (best != worst)


def test_without_intervals_the_range_is_the_rating_itself():
    from knee_cv.core.assessment import _rate, _rating_range
    from knee_cv.core.thresholds import load_thresholds

    thresholds = load_thresholds()
    leg = _leg(fppa_deg=16.0, pelvic_drop_deg=1.0)
    rating, _ = _rate(leg, thresholds)
    assert _rating_range(leg, rating, thresholds) == ("fair", "fair", [])


def test_a_summary_says_which_range_keeps_the_rating_open_and_shows_it():
    from knee_cv.core.analysis import format_text
    from knee_cv.core.criteria import CANT_TELL
    from knee_cv.core.shown import rating as shown_rating

    track, _ = synthetic_squats(n_reps=3, valgus_deg=14.0, size=(1280, 720))
    analysis = analyze(track)
    (leg,) = analysis.summary.legs
    low, high = leg.fppa_low_deg, leg.fppa_high_deg
    assert low < analysis.thresholds.knee_valgus.value < high  # 14 deg: this video cannot decide
    assert leg.rating_best == "good" and leg.rating_worst in ("fair", "poor")
    assert any(reason.startswith(f"{CANT_TELL} whether good or") and "knee" in reason for reason in leg.rating_reasons)
    assert (analysis.summary.rating_best, analysis.summary.rating_worst) == (leg.rating_best, leg.rating_worst)
    assert f"Overall rating: {shown_rating(leg.rating, leg.rating_best, leg.rating_worst)}" in format_text(analysis)
    assert "(could be good to " in format_text(analysis)
    assert analysis.to_dict()["summary"]["rating_best"] == "good"


def test_the_time_plot_draws_each_reliable_rep_with_its_likely_range():
    from knee_cv.app.results import time_plots

    track, _ = synthetic_squats(n_reps=2, valgus_deg=14.0, pelvic_drop_deg=3.0, size=(1280, 720))
    analysis = analyze(track)
    reps = [rep for rep in analysis.reps if rep.reliable]
    assert len(reps) == 2
    fppa, pelvis = (trace for trace in time_plots(analysis).data if trace.mode == "markers")
    for dots, low, high, value in (
        (fppa, "fppa_low_deg", "fppa_high_deg", "fppa_bottom_deg"),
        (pelvis, "pelvic_drop_low_deg", "pelvic_drop_high_deg", "pelvic_drop_bottom_deg"),
    ):
        assert list(dots.x) == [rep.t_bottom for rep in reps]
        assert np.allclose(dots.y, [getattr(rep, value) for rep in reps])
        assert np.allclose(np.subtract(dots.y, dots.error_y.arrayminus), [getattr(rep, low) for rep in reps])
        assert np.allclose(np.add(dots.y, dots.error_y.array), [getattr(rep, high) for rep in reps])
