"""The guided live protocol's state machine: hand-made reps, then synthetic squats through the live analysis."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from synthetic import synthetic_squats

from knee_cv.core import kinematics as kin
from knee_cv.core.analysis import analyze
from knee_cv.core.framing import Framing, FramingLimits, check_framing
from knee_cv.core.labels import Leg
from knee_cv.core.protocol import NOT_ASKED_REASON, Cue, Protocol, ProtocolSettings, Step, asked_reps_only, rep_cue
from knee_cv.core.reps import lifted_foot_stance
from knee_cv.core.result import Flag, Rep
from knee_cv.core.thresholds import load_thresholds
from knee_cv.core.view import dominant_view

OK = Framing(True, "")
LIMITS = FramingLimits.from_thresholds(load_thresholds())
SETTINGS = ProtocolSettings(
    reps_per_leg=2, framing_hold_s=1.0, countdown_s=3.0, standing_s=2.0, switch_s=4.0, cue_s=2.0, settle_s=0.2
)


def rep(leg: str, t_bottom: float, *, reliable: bool = True, flags: tuple[str, ...] = ()) -> Rep:
    """A rep on ``leg`` with its deepest point at ``t_bottom`` and the given flags."""
    found = [Flag(name, 20.0, 10.0, "deg", name, "test") for name in flags]
    return Rep(
        index=0,
        leg=Leg(leg),
        start_frame=0,
        bottom_frame=0,
        end_frame=0,
        t_start=t_bottom - 1,
        t_bottom=t_bottom,
        t_end=t_bottom + 1,
        depth=0.2,
        knee_flexion_deg=np.nan,
        fppa_bottom_deg=5.0,
        fppa_peak_deg=5.0,
        pelvic_drop_bottom_deg=1.0,
        pelvic_drop_peak_deg=1.0,
        trunk_lean_deg=0.0,
        knee_wobble=0.01,
        confidence=0.9,
        reliable=reliable,
        flags=found,
    )


def run(protocol: Protocol, times, framing=OK, both_feet=True, reps=()) -> None:
    for t in times:
        protocol.update(float(t), framing, both_feet, list(reps))


def ready(protocol: Protocol) -> float:
    """Take a fresh protocol through framing, countdown and standing; the time the left leg's step began."""
    for t in np.arange(0.0, 10.0, 0.1):
        protocol.update(float(t), OK, True, [])
        if protocol.step is Step.LEFT:
            return float(t)
    raise AssertionError(f"still at {protocol.step}")


def test_framing_must_hold_before_the_countdown_and_its_prompt_is_shown():
    protocol = Protocol(SETTINGS)
    run(protocol, [0.0, 0.5], framing=Framing(False, "Come closer to the camera"))
    shown = protocol.display()
    assert shown.step is Step.FRAMING and shown.prompt == "Come closer to the camera"
    run(protocol, [0.6, 1.2])  # held 0.6 s only
    assert protocol.step is Step.FRAMING
    run(protocol, [1.7])
    assert protocol.step is Step.COUNTDOWN and protocol.display().seconds_left == 3


def test_losing_the_framing_in_the_countdown_goes_back():
    protocol = Protocol(SETTINGS)
    run(protocol, [0.0, 1.0, 1.5])
    assert protocol.step is Step.COUNTDOWN
    run(protocol, [2.0], framing=Framing(False, "Step back: your feet are out of the picture"))
    assert protocol.step is Step.FRAMING
    assert protocol.display().prompt == "Step back: your feet are out of the picture"


def test_standing_needs_both_feet_for_its_whole_time_and_is_then_shown_done():
    protocol = Protocol(SETTINGS)
    run(protocol, np.arange(0.0, 4.1, 0.1))
    assert protocol.step is Step.STANDING and not protocol.display().standing_done
    run(protocol, np.arange(4.1, 5.5, 0.1))
    run(protocol, [5.5], both_feet=False)  # a foot lifted: starts again
    run(protocol, np.arange(5.6, 7.5, 0.1))
    assert protocol.step is Step.STANDING and protocol.display().seconds_left == 1
    run(protocol, np.arange(7.5, 7.8, 0.1))
    assert protocol.step is Step.LEFT and protocol.display().standing_done


def test_each_leg_counts_its_own_reps_after_its_step_began_then_it_ends():
    protocol = Protocol(SETTINGS)
    start = ready(protocol)
    early = rep("left", start - 1)  # squatted in the standing step: not counted
    wrong = rep("right", start + 3)  # the other leg: not counted
    first = rep("left", start + 4)
    second = rep("left", start + 8, flags=("knee_valgus", "pelvic_drop"))
    run(protocol, [start + 5], reps=[early, wrong, first])
    shown = protocol.display()
    assert shown.counts == {Leg.LEFT: 1, Leg.RIGHT: 0}
    assert shown.cue.cue is Cue.FINE and shown.cue.number == 1
    run(protocol, [start + 7.5], reps=[early, wrong, first])
    assert protocol.display().cue is None  # shown for cue_s only
    run(protocol, [start + 9], reps=[early, wrong, first, second])
    shown = protocol.display()
    assert shown.step is Step.SWITCH and shown.cue.cue is Cue.KNEE_INWARD and shown.counts[Leg.LEFT] == 2
    assert "RIGHT" in shown.prompt
    run(protocol, [start + 12], reps=[early, wrong, first, second])
    assert protocol.step is Step.SWITCH and protocol.display().seconds_left == 1
    run(protocol, [start + 13.1], reps=[early, wrong, first, second, rep("right", start + 13)])
    assert protocol.step is Step.RIGHT and protocol.display().counts[Leg.RIGHT] == 0
    later = [rep("right", start + 16, flags=("pelvic_drop",)), rep("right", start + 20, reliable=False)]
    run(protocol, [start + 17], reps=[first, second, later[0]])
    assert protocol.display().cue.cue is Cue.HIP_DROPPED
    run(protocol, [start + 21], reps=[first, second, *later])
    shown = protocol.display()
    assert shown.step is Step.DONE and shown.counts == {Leg.LEFT: 2, Leg.RIGHT: 2}
    assert shown.cue.cue is Cue.NOT_MEASURED
    said = [text for _, text in protocol.announcements]
    assert said[:3] == ["Get ready", "Stand still on both feet", "2 slow squats on your LEFT leg"]
    assert said[3:] == [
        "1: fine",
        "2: knee moved inward",
        "Switch legs: now your right leg",
        "2 slow squats on your RIGHT leg",
        "1: hip dropped",
        "2: not measured",
        "Done",
    ]
    assert [number for number, _ in protocol.announcements] == list(range(1, len(said) + 1))


def test_a_framing_problem_while_squatting_is_a_warning_not_a_stop():
    protocol = Protocol(SETTINGS)
    start = ready(protocol)
    run(protocol, [start + 1], framing=Framing(False, "Step back: your feet are out of the picture"))
    shown = protocol.display()
    assert shown.step is Step.LEFT and shown.warning.startswith("Step back")


@pytest.mark.parametrize(
    ("flags", "reliable", "cue"),
    [
        ((), True, Cue.FINE),
        (("knee_valgus",), True, Cue.KNEE_INWARD),
        (("pelvic_drop",), True, Cue.HIP_DROPPED),
        (("pelvic_drop", "knee_valgus"), True, Cue.KNEE_INWARD),
        (("trunk_lean", "shallow"), True, Cue.FINE),
        ((), False, Cue.NOT_MEASURED),
    ],
)
def test_rep_cue(flags, reliable, cue):
    assert rep_cue(rep("left", 1.0, reliable=reliable, flags=flags)) is cue


def test_settings_come_from_the_thresholds_with_the_reps_chosen():
    thresholds = load_thresholds()
    assert ProtocolSettings.from_thresholds(thresholds) == ProtocolSettings(
        reps_per_leg=5, framing_hold_s=1.0, countdown_s=3.0, standing_s=2.5, switch_s=4.0, cue_s=2.5, settle_s=0.2
    )
    assert ProtocolSettings.from_thresholds(thresholds, reps_per_leg=3).reps_per_leg == 3


def test_synthetic_squats_through_the_live_analysis_finish_the_protocol():
    """Two squats on each leg, fed frame by frame as the live page does (analysis every 0.5 s)."""
    track, truth = synthetic_squats(
        n_reps=4, stance_legs=["left", "left", "right", "right"], standing_s=8.0, valgus_deg=22.0, size=(640, 360), fps=25.0
    )
    thresholds = load_thresholds()
    # the synthetic person changes legs after 2 s: a switch prompt of 1.5 s
    protocol = Protocol(replace(ProtocolSettings.from_thresholds(thresholds, reps_per_leg=2), switch_s=1.5))
    reps, view, both_feet, next_analysis, analysed_to = [], None, False, 0.0, 0.0
    for i, t in enumerate(track.t):
        if t >= next_analysis and i > 1:
            analysis = analyze(track.slice(0, i + 1), live=True)
            reps, analysed_to = analysis.reps, float(t)
            view, _ = dominant_view(analysis.series.view, analysis.series.view_confidence, slice(-10, None))
            stance = lifted_foot_stance(
                kin.ankle_height_difference(track.xy[max(0, i - 9) : i + 1]), thresholds.stance.planted_tolerance
            )
            both_feet = stance is Leg.BOTH
            next_analysis = t + 0.5
        framing = check_framing(track.xy[i], track.visibility[i], track.width, track.height, view, LIMITS)
        protocol.update(float(t), framing, both_feet, reps, analysed_to)
    shown = protocol.display()
    assert shown.step is Step.DONE, shown
    assert shown.counts == {Leg.LEFT: 2, Leg.RIGHT: 2}
    final = analyze(track, live=True)
    assert [str(r.leg) for r in final.reps] == truth["rep_legs"]
    cues = [text.split(": ", 1)[1] for _, text in protocol.announcements if re.match(r"\d+: ", text)]
    assert cues == [str(rep_cue(r)) for r in final.reps]


def test_each_leg_s_window_runs_from_its_prompt_to_the_next_step():
    protocol = Protocol(SETTINGS)
    assert protocol.windows == {}
    start = ready(protocol)
    run(protocol, [start + 5], reps=[rep("left", start + 4)])
    assert protocol.windows == {Leg.LEFT: (start, start + 5)}  # open: up to the last update
    run(protocol, [start + 9], reps=[rep("left", start + 4), rep("left", start + 8)])
    assert protocol.step is Step.SWITCH and protocol.windows == {Leg.LEFT: (start, start + 9)}
    run(protocol, [start + 13.1, start + 14])
    assert protocol.step is Step.RIGHT
    assert protocol.windows == {Leg.LEFT: (start, start + 9), Leg.RIGHT: (start + 13.1, start + 14)}


def test_squats_the_protocol_did_not_ask_for_are_left_out_of_the_findings():
    """A squat on the right leg in the countdown, then two on the left: the results are the two the counter counted."""
    track, truth = synthetic_squats(n_reps=3, stance_legs=["right", "left", "left"], valgus_deg=25.0, size=(1280, 720))
    analysis = analyze(track)
    assert [str(r.leg) for r in analysis.reps] == ["right", "left", "left"] and all(r.reliable for r in analysis.reps)
    assert {leg.leg: leg.n_reliable for leg in analysis.summary.legs} == {"right": 1, "left": 2}
    windows = {Leg.LEFT: (analysis.reps[1].t_start, float(track.t[-1]))}  # the prompt came after the first squat
    kept = asked_reps_only(analysis, windows)
    first, *asked = kept.reps
    assert not first.reliable and first.unreliable_reasons == [NOT_ASKED_REASON] and first.flags == []
    assert asked == analysis.reps[1:], "the asked reps are untouched"
    legs = {leg.leg: leg for leg in kept.summary.legs}
    assert legs["right"].n_reliable == 0 and legs["right"].rating is None
    assert legs["left"].n_reliable == 2 and legs["left"].rating == analysis.summary.legs[1].rating
    assert kept.summary.n_reliable == 2 and not any(m.startswith("Left vs right") for m in kept.summary.messages)
    assert all(r.why.startswith("Suggested for your left and right legs") for r in analysis.recommendations)
    assert kept.recommendations and all(r.why.startswith("Suggested for your left leg ") for r in kept.recommendations)
    assert analysis.reps[0].reliable, "the analysis itself is left as it was"
    assert asked_reps_only(analysis, {}) is analysis  # stopped before any prompt: measured as uploaded
    assert asked_reps_only(analysis, {Leg.LEFT: (0.0, 99.0), Leg.RIGHT: (0.0, 99.0)}) is analysis
