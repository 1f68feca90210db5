"""Per-rep measures, confidence, flags, thresholds and the session summary, on synthetic squats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze, format_text
from knee_cv.core.assessment import SIDE_VIEW_REASON
from knee_cv.core.landmarks import Landmark
from knee_cv.core.threshold_tables import Limit
from knee_cv.core.thresholds import load_thresholds
from knee_cv.core.track import LIVE_SOURCE

LEGS = ["left", "right", "left", "right"]


def _errors(analysis, truth):
    """Per rep: (FPPA error, pelvic drop error) at the deepest frame, deg."""
    return np.array(
        [
            (
                rep.fppa_bottom_deg - truth[f"fppa_{rep.leg}"][rep.bottom_frame],
                rep.pelvic_drop_bottom_deg - truth["pelvic_drop"][rep.bottom_frame],
            )
            for rep in analysis.reps
        ]
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"roll_deg": 6.0},
        {"mirrored": True},
        {"valgus_deg": -6.0, "pelvic_drop_deg": 9.0},
        {"valgus_deg": 18.0, "variable_dt": True, "tempo_s": 1.2},
        {"size": (1920, 1080), "distance_m": 3.0},
    ],
)
def test_fppa_and_pelvic_drop_within_half_a_degree_on_clean_data(options):
    track, truth = synthetic_squats(n_reps=4, stance_legs=LEGS, **options)
    analysis = analyze(track)
    assert [r.leg for r in analysis.reps] == LEGS
    assert all(r.reliable for r in analysis.reps)
    assert np.abs(_errors(analysis, truth)).max() <= 0.5


@pytest.mark.parametrize("seed", range(4))
def test_fppa_and_pelvic_drop_within_two_degrees_with_3px_jitter(seed):
    track, truth = synthetic_squats(n_reps=4, stance_legs=LEGS, jitter_px=3.0, seed=seed, roll_deg=3.0 * seed, dropout_rate=0.02)
    analysis = analyze(track)
    assert [r.leg for r in analysis.reps] == LEGS
    assert np.abs(_errors(analysis, truth)).max() <= 2.0


def test_flag_reason_has_the_numbers_and_the_source():
    track, _ = synthetic_squats(n_reps=3, stance_legs="left", valgus_deg=22.0, pelvic_drop_deg=12.0)
    analysis = analyze(track)
    for rep in analysis.reps:
        by_name = {f.criterion: f for f in rep.flags}
        assert set(by_name) >= {"knee_valgus", "pelvic_drop"}
        valgus = by_name["knee_valgus"]
        assert valgus.threshold == 13.5 and valgus.value == rep.fppa_bottom_deg
        assert valgus.reason.startswith(f"Knee moved inward: FPPA {rep.fppa_bottom_deg:.1f} deg at the deepest point")
        assert "13.5 deg threshold (Herrington 2014" in valgus.reason
        assert "heuristic" in by_name["pelvic_drop"].source
    summary = analysis.summary
    assert summary.rating == "poor" and summary.measurable
    assert any("FPPA" in r for r in summary.rating_reasons)
    assert [r.key for r in analysis.recommendations][:2] == ["clamshells", "side_lying_hip_abduction"]
    assert "clinician" in analysis.safety_note or "physiotherapist" in analysis.safety_note


def test_good_squats_are_rated_good_and_not_flagged():
    track, _ = synthetic_squats(n_reps=4, stance_legs=LEGS, valgus_deg=3.0, pelvic_drop_deg=2.0, depth=0.25)
    analysis = analyze(track)
    assert all(not r.flags for r in analysis.reps)
    assert analysis.summary.rating == "good"
    assert analysis.recommendations == []
    legs = {s.leg: s for s in analysis.summary.legs}
    assert legs["left"].n_reliable == 2
    # fewer than 3 reliable reps on a leg: the summary says so
    assert any("protocols average 3 or more" in r for r in legs["left"].rating_reasons)


def test_sex_specific_valgus_threshold():
    track, _ = synthetic_squats(n_reps=3, stance_legs="right", valgus_deg=12.3, pelvic_drop_deg=0.0)
    neutral = analyze(track)
    male = analyze(track, sex="male")
    assert all(11.0 < r.fppa_bottom_deg < 13.5 for r in neutral.reps)
    assert not any(f.criterion == "knee_valgus" for r in neutral.reps for f in r.flags)
    assert all(any(f.criterion == "knee_valgus" for f in r.flags) for r in male.reps)
    assert male.thresholds.knee_valgus.value == 11.0


def test_hidden_leg_makes_reps_unreliable_and_never_flagged():
    track, _ = synthetic_squats(n_reps=3, stance_legs="left", valgus_deg=25.0, pelvic_drop_deg=12.0)
    assert all(r.flags for r in analyze(track).reps)
    visibility = track.visibility.copy()
    visibility[:, [Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE]] = 0.2  # the model is unsure of the stance leg
    track.visibility = visibility
    analysis = analyze(track)
    assert len(analysis.reps) == 3
    for rep in analysis.reps:
        assert not rep.reliable and rep.flags == []
        assert rep.confidence < 0.5
        assert any("hidden or out of the frame" in reason for reason in rep.unreliable_reasons)
    assert analysis.summary.rating is None and analysis.recommendations == []


def test_hip_near_knee_height_is_low_confidence():
    track, _ = synthetic_squats(n_reps=2, stance_legs="right", depth=0.65, valgus_deg=20.0)
    analysis = analyze(track)
    for rep in analysis.reps:
        assert not rep.reliable and rep.flags == []
        assert any("knee height" in reason for reason in rep.unreliable_reasons)


def test_side_view_reports_fppa_not_measurable():
    track, _ = synthetic_squats(n_reps=3, stance_legs="left", yaw_deg=90.0)
    analysis = analyze(track)
    assert analysis.summary.view == "side" and not analysis.summary.measurable
    assert len(analysis.reps) == 3
    for rep in analysis.reps:
        assert math.isnan(rep.fppa_bottom_deg) and math.isnan(rep.pelvic_drop_bottom_deg)
        assert SIDE_VIEW_REASON in rep.unreliable_reasons and not rep.flags
    assert any(m.startswith(SIDE_VIEW_REASON) and "Film from the front" in m for m in analysis.summary.messages)


def test_thresholds_loader():
    default = load_thresholds()
    assert default.knee_valgus.value == 13.5
    assert "heuristic" in default.pelvic_drop.source
    assert default.smallest_detectable_difference.value == 8.0
    assert load_thresholds(sex="female").knee_valgus.value == 13.5
    custom = load_thresholds(overrides={"pelvic_drop": 5, "reps": {"min_depth": 0.1}})
    assert custom.pelvic_drop == Limit(value=5.0, unit="deg", source="set by the user")
    assert custom.reps.min_depth == 0.1
    with pytest.raises(ValueError, match="unknown threshold"):
        load_thresholds(overrides={"valgus": 10})
    with pytest.raises(ValueError, match="sex"):
        load_thresholds(sex="other")
    assert load_thresholds().pelvic_drop.value == 8.0  # overrides do not leak


def test_custom_thresholds_change_the_flags():
    track, _ = synthetic_squats(n_reps=2, stance_legs="left", valgus_deg=8.0, pelvic_drop_deg=0.0)
    assert not any(r.flags for r in analyze(track).reps)
    strict = analyze(track, thresholds=load_thresholds(overrides={"knee_valgus": 5.0}))
    assert all(r.flags[0].criterion == "knee_valgus" and r.flags[0].source == "set by the user" for r in strict.reps)


def test_result_serialises_and_prints():
    track, _ = synthetic_squats(n_reps=2, stance_legs=["left", "right"], valgus_deg=20.0, dropout_rate=0.05)
    analysis = analyze(track)
    data = analysis.to_dict()
    assert len(data["reps"]) == 2 and data["summary"]["exercise"] == "single-leg"
    assert list(data["series"]) == [
        "t",
        "fppa_left",
        "knee_offset_left",
        "knee_flexion_left",
        "fppa_right",
        "knee_offset_right",
        "knee_flexion_right",
        "pelvic_drop",
        "trunk_lean",
        "hip_drop",
        "hip_height",
        "view",
        "view_confidence",
        "stance_leg",
    ]
    assert all(len(v) == len(track) for v in data["series"].values()) and len(analysis.series) == len(track)
    assert data["reps"][0]["leg"] == "left" and type(data["reps"][0]["leg"]) is str
    text = format_text(analysis)
    assert "Knee moved inward" in text and "positive = valgus" in text and "Safety:" in text
    analysis.to_json()


def test_live_mode_finds_the_same_reps():
    track, truth = synthetic_squats(n_reps=4, stance_legs=LEGS, jitter_px=1.0, valgus_deg=15.0)
    offline, live = analyze(track), analyze(track, live=True)
    assert [r.leg for r in live.reps] == [r.leg for r in offline.reps] == LEGS
    assert np.abs(_errors(live, truth)).max() <= 2.0


def test_recording_problems_say_what_to_change():
    track, _ = synthetic_squats(n_reps=3, stance_legs="left")
    people = np.ones(len(track), dtype=int)
    people[: len(track) // 2] = 2
    track.people = people
    crowded = analyze(track).summary
    assert any(m.startswith("More than one person was in view in 50 %") and "only the person" in m for m in crowded.messages)
    assert crowded.measurable  # a warning, not a blocker

    cut, _ = synthetic_squats(n_reps=3, stance_legs="left")
    xy = cut.xy.copy()
    xy[:, :, 1] += cut.height * 0.3  # camera tilted up: the feet leave the picture
    cut.xy = xy
    summary = analyze(cut).summary
    assert not summary.measurable
    assert any(m.startswith("Part of the body was outside the picture") and "whole body in view" in m for m in summary.messages)

    short = analyze(track.slice(0, 10)).summary
    assert not short.measurable and short.exercise == "no squat"
    assert any(m.startswith("The recording is too short (10 frames") for m in short.messages)


def test_frames_missing_from_a_damaged_or_cut_off_file_are_reported():
    """A stretch without frames (middle) or frames ending before the stated duration (end) is said."""
    track, _ = synthetic_squats(n_reps=3, stance_legs="left")
    assert analyze(track).summary.messages == []  # no stated duration: nothing to compare
    end = track.t[-1]
    track.duration_s = end + 1 / track.fps
    assert not any("could not be read" in m for m in analyze(track).summary.messages)
    track.duration_s = end + 4.0  # the file stops 4 s early
    middle = track.slice(0, len(track))
    middle.t = np.where(middle.t > 2.0, middle.t + 1.5, middle.t)  # and 1.5 s are missing after 2 s
    messages = [m for m in analyze(middle).summary.messages if "could not be read" in m]
    assert len(messages) == 2
    assert messages[0].startswith("The video could not be read from 2.0 s to 3.5 s")
    assert messages[1].startswith(f"The video could not be read from {middle.t[-1]:.1f} s to {end + 4.0:.1f} s")
    assert all("export the clip again" in m for m in messages)
    assert analyze(middle).summary.measurable  # the rest is analysed


def test_a_live_webcams_gap_is_not_called_a_damaged_file():
    """A second without frames from the live page is the camera or a busy computer, not the file."""
    track, _ = synthetic_squats(n_reps=3, stance_legs="left")
    track.t = np.where(track.t > 2.0, track.t + 1.5, track.t)
    track.source = LIVE_SOURCE
    messages = analyze(track, live=True).summary.messages
    assert not any("damaged" in m or "could not be read" in m for m in messages)
    assert [m for m in messages if m.startswith("No camera frame was measured from 2.0 s to 3.5 s")]


def test_decision_tables_are_passed_in_not_read_at_import():
    """The filter, view and stance numbers come from the thresholds given to analyze()."""
    track, _ = synthetic_squats(n_reps=2, stance_legs="left", yaw_deg=20.0)
    default = analyze(track)
    assert default.summary.view == "frontal" and [r.leg for r in default.reps] == ["left", "left"]
    # A frontal cut-off above any real torso ratio turns the same frontal person "oblique".
    oblique = analyze(track, thresholds=load_thresholds(overrides={"view": {"frontal_min": 2.0}}))
    assert oblique.summary.view == "oblique"
    # A planted-foot tolerance wider than the lifted foot's height makes every rep two-legged.
    loose = analyze(track, thresholds=load_thresholds(overrides={"stance": {"planted_tolerance": 5.0}}))
    assert [r.leg for r in loose.reps] == ["both", "both"]
    # No visibility passes a gate at 1.01: nothing is left to measure.
    gated = analyze(track, thresholds=load_thresholds(overrides={"filters": {"min_visibility": 1.01}}))
    assert not gated.reps
    for table in ("filters", "view", "stance"):
        assert getattr(load_thresholds(), table).source


@pytest.mark.parametrize(
    "spoil,says",
    [
        (lambda t: np.concatenate([t[:5], t[4:-1]]), "after the one before it"),  # a repeated time
        (lambda t: t[::-1].copy(), "after the one before it"),  # reversed
        (lambda t: np.where(np.arange(t.size) == 7, np.nan, t), "the time of frame 7 is nan"),
    ],
)
def test_a_track_built_in_python_with_unusable_times_is_one_sentence(spoil, says):
    """Track files are checked when read; a PoseTrack made in Python is checked by analyze (issue 17, case 7)."""
    from dataclasses import replace

    from knee_cv.errors import TrackError

    track, _truth = synthetic_squats()
    with pytest.raises(TrackError, match=says):
        analyze(replace(track, t=spoil(track.t)))
