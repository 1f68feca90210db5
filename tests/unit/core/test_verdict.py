"""The plain verdict (knee_cv.core.verdict) on synthetic squats of known valgus."""

from __future__ import annotations

import dataclasses
import re

import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.verdict import compare_sides, verdict


@pytest.fixture(scope="module")
def both_legs():
    """Three squats on each leg, knee well inward (30 deg) on both: above the cut-off over the whole interval."""
    track, _ = synthetic_squats(n_reps=6, stance_legs=["left", "right"] * 3, valgus_deg=30.0, jitter_px=1.0)
    return analyze(track)


@pytest.fixture(scope="module")
def straight():
    """Two squats on the left leg with a straight knee: nothing to flag."""
    track, _ = synthetic_squats(n_reps=2, stance_legs="left", valgus_deg=2.0, pelvic_drop_deg=0.0)
    return analyze(track)


def test_a_flagged_leg_is_said_in_plain_words_without_numbers(both_legs):
    result = verdict(both_legs, sex="female", painful_side="right")
    assert [leg.leg for leg in result.legs] == ["right", "left"], "the painful side first"
    assert result.legs[0].title == "Right leg (the painful side)"
    for leg in result.legs:
        assert leg.flagged and leg.measured
        knee = next(line for line in leg.seen if "knee moved inward" in line)
        assert knee.startswith("Your knee moved inward") and "in 3 of 3 squats" in knee
        assert "most women without knee pain" in knee
        assert leg.sureness == "This rests on 3 squats that could be measured clearly."
        assert not any(re.search(r"\d", re.sub(r"\d+ (of \d+|more)", "", line)) for line in leg.seen), leg.seen
        assert "FPPA" not in " ".join(leg.seen) and "valgus" not in " ".join(leg.seen)
    assert result.headline.startswith("Something was seen on both legs")
    assert result.cutoff_note == ""
    assert result.next_step.exercises, "the plan's exercises with their first dose"
    assert "physiotherapist" in result.next_step.see_physio


def test_left_and_right_alike_within_the_reps_spread(both_legs):
    assert compare_sides(both_legs).startswith("Your left and right knees moved about the same")


def test_a_consistent_difference_is_named(both_legs):
    reps = [
        dataclasses.replace(rep, fppa_bottom_deg=rep.fppa_bottom_deg + (8.0 if rep.leg == "left" else 0.0))
        for rep in both_legs.reps
    ]
    shifted = dataclasses.replace(both_legs, reps=reps)
    assert compare_sides(shifted).startswith("Your left knee moved further inward than your right knee")


def test_no_left_right_statement_on_fewer_than_three_reps_a_side(both_legs):
    reps = list(both_legs.reps)
    last_left = max(i for i, rep in enumerate(reps) if rep.leg == "left")
    reps[last_left] = dataclasses.replace(reps[last_left], reliable=False)
    assert compare_sides(dataclasses.replace(both_legs, reps=reps)) is None
    assert both_legs.thresholds.rating.min_reps == 3  # the one number the rating and the comparison share


def test_the_reps_a_side_needs_come_from_the_thresholds(both_legs):
    assert compare_sides(both_legs) is not None
    more = dataclasses.replace(both_legs.thresholds, rating=dataclasses.replace(both_legs.thresholds.rating, min_reps=10))
    assert compare_sides(dataclasses.replace(both_legs, thresholds=more)) is None


def test_nothing_flagged_gives_the_articles_general_advice_and_the_cutoff_used(straight):
    result = verdict(straight)
    (leg,) = result.legs
    assert not leg.flagged and leg.seen[0].startswith("Nothing stood out")
    assert "That is few" in leg.sureness, "2 reps: fewer than physiotherapists look at"
    assert result.headline == "Nothing stood out in the squats that could be measured."
    assert result.comparison is None
    assert [line.split(":")[0] for line in result.next_step.exercises] == [
        "Calf and ankle step stretch",
        "Fire hydrants",
        "Foam rolling",
    ]
    assert "wobble or roll inward" in result.next_step.lead
    assert "compared with women without knee pain" in result.cutoff_note
    assert "not a diagnosis" in result.screen_note


def test_men_are_compared_with_men(both_legs):
    knee = verdict(both_legs, sex="male").legs[0].seen[0]
    assert "most men without knee pain" in knee


def test_a_finding_the_video_cannot_decide_is_said_as_perhaps(both_legs):
    """A rep whose interval holds the cut-off (Rep.undecided) counts apart: "perhaps", or "cannot tell for sure"."""
    left = [i for i, rep in enumerate(both_legs.reps) if rep.leg == "left"]
    reps = list(both_legs.reps)
    reps[left[0]] = dataclasses.replace(reps[left[0]], undecided=["knee_valgus"])
    knee = verdict(dataclasses.replace(both_legs, reps=reps)).legs[0].seen[0]
    assert knee.startswith("Your knee moved inward") and "in 2 of 3 squats" in knee
    assert knee.endswith("; in 1 more the video cannot tell for sure.")
    reps = [dataclasses.replace(rep, undecided=["knee_valgus"]) for rep in both_legs.reps]
    knee = verdict(dataclasses.replace(both_legs, reps=reps)).legs[0].seen[0]
    assert knee.startswith("Perhaps your knee moved inward") and knee.endswith("the video cannot tell for sure.")
    reps = [dataclasses.replace(rep, undecided=["knee_valgus"], flags=[]) for rep in both_legs.reps]
    leg = verdict(dataclasses.replace(both_legs, reps=reps)).legs[0]
    assert not leg.flagged and leg.seen[0].startswith("Nothing stood out")
    assert leg.seen[1] == ("The video cannot tell for sure whether your knee moved inward more than usual in 3 of 3 squats.")
