"""Flags and ratings decided again from clinicians' measurements (core/rerated.py), by the analysis' own code."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.assessment import summarize
from knee_cv.core.rerated import measured_rep, rerated
from knee_cv.core.shown import Measured


@pytest.fixture(scope="module")
def analysis():
    """Three reps (left, right, left) at 14 deg of valgus: each flagged against the 13.5 deg threshold."""
    track, _ = synthetic_squats(n_reps=3, stance_legs=["left", "right", "left"], valgus_deg=14.0, jitter_px=1.0)
    result = analyze(track)
    assert all(rep.reliable and [f.criterion for f in rep.flags] == ["knee_valgus"] for rep in result.reps)
    return result


def _by_hand(fppa: float, drop: float = 2.0) -> Measured:
    return Measured(fppa_deg=fppa, pelvic_drop_deg=drop, by="dr a", frame=10, t_s=0.33)


def test_nothing_measured_is_the_analysis_itself(analysis):
    assert rerated(analysis, {}) is analysis


def test_a_measured_value_within_the_threshold_withdraws_the_flag_and_betters_the_rating(analysis):
    right = analysis.reps[1]
    again = rerated(analysis, {right.index: _by_hand(4.0)})
    rep = again.reps[1]
    assert rep.flags == [] and rep.fppa_bottom_deg == 4.0 and rep.pelvic_drop_bottom_deg == 2.0
    assert analysis.reps[1].flags and analysis.reps[1].fppa_bottom_deg == right.fppa_bottom_deg  # automatic kept
    legs = {leg.leg: leg for leg in again.summary.legs}
    assert legs["right"].rating == "good" and legs["right"].fppa_deg == 4.0
    assert legs["left"].rating == analysis.summary.legs[0].rating == "fair"
    assert again.summary.rating == "fair"
    left_right = [m for m in again.summary.messages if m.startswith("Left vs right")]
    assert len(left_right) == 1 and "vs 4.0 deg" in left_right[0]


def test_the_same_decision_as_an_analysis_of_those_values(analysis):
    """Re-rating equals running summarize() on reps that had the measured values from the start."""
    measured = {0: _by_hand(25.0, 9.5), 2: _by_hand(3.0)}
    again = rerated(analysis, measured)
    assert [f.criterion for f in again.reps[0].flags] == ["knee_valgus", "pelvic_drop"]
    assert "25.0 deg" in again.reps[0].flags[0].reason and again.reps[2].flags == []
    s = analysis.summary
    fresh = summarize(
        again.reps,
        view=s.view,
        view_confidence=s.view_confidence,
        exercise=s.exercise,
        messages=[],
        thresholds=analysis.thresholds,
    )
    # repr: a leg whose reps were all measured has no automatic interval (NaN, which == would not match)
    assert repr(again.summary.legs) == repr(fresh.legs) and again.summary.rating == fresh.rating == "fair"
    assert again.summary.rating_reasons == fresh.rating_reasons


def test_an_unreliable_rep_measured_by_hand_counts_with_only_its_measured_values(analysis):
    doubtful = replace(analysis.reps[1], reliable=False, unreliable_reasons=["jitter"], flags=[])
    rep = measured_rep(doubtful, _by_hand(20.0, math.nan), analysis.thresholds)
    assert rep.reliable and rep.fppa_bottom_deg == 20.0 and math.isnan(rep.fppa_peak_deg)
    assert math.isnan(rep.depth) and math.isnan(rep.trunk_lean_deg)  # withheld by the analysis, still blank
    assert [f.criterion for f in rep.flags] == ["knee_valgus"]  # a NaN pelvic drop raises nothing
