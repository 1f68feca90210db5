"""analyze() on real data: the shared landmark tracks and the shared videos through the real model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from knee_cv.core.analysis import analyze, format_text
from knee_cv.core.assessment import SIDE_VIEW_REASON
from knee_cv.media.trackio import load_track
from knee_cv.pipeline import analyze_source

pytestmark = pytest.mark.shared


def _landmarks(shared_landmarks, name):
    path = shared_landmarks / name
    if name.endswith(".csv"):
        return analyze(load_track(path, width=1080, height=1920))
    return analyze_source(path)  # a track file path works too


def _cut_off(rep):
    return any("recording starts or ends" in reason for reason in rep.unreliable_reasons)


def test_front_reference(shared_landmarks):
    analysis = _landmarks(shared_landmarks, "sls_front_ref_01.csv")
    s = analysis.summary
    assert s.view == "frontal" and s.exercise == "single-leg" and s.measurable
    # Stance legs checked by plotting (see test_reps.FRONT_REF_LEGS).
    assert [r.leg for r in analysis.reps] == ["left", "right"] * 4
    assert analysis.reps[-1].depth == min(r.depth for r in analysis.reps)  # the last is the shallowest
    assert s.n_reliable >= 4
    for rep in analysis.reps:
        assert math.isfinite(rep.fppa_bottom_deg) and abs(rep.fppa_bottom_deg) < 45
        if not rep.reliable:
            assert rep.unreliable_reasons and not rep.flags
    assert {leg.leg for leg in s.legs} == {"left", "right"}
    assert any(m.startswith("Left vs right: FPPA") for m in s.messages)
    text = format_text(analysis)
    assert text.count("\n") > 20 and "Overall rating" in text


@pytest.mark.parametrize("name, leg", [("sls_side_left_ref_01.csv", "left"), ("sls_side_right_ref_01.csv", "right")])
def test_side_references_not_frontal(shared_landmarks, name, leg):
    analysis = _landmarks(shared_landmarks, name)
    s = analysis.summary
    assert s.view == "side" and not s.measurable
    assert len(analysis.reps) == 7 and [r.leg for r in analysis.reps] == [leg] * 7
    assert all(
        math.isnan(r.fppa_bottom_deg) and SIDE_VIEW_REASON in r.unreliable_reasons
        for r in analysis.reps
        if analysis.series.view[r.bottom_frame] == "side"
    )
    assert not any(r.flags for r in analysis.reps)
    assert any("Film from the front" in m for m in s.messages)


def test_pistol_reference(shared_landmarks):
    analysis = _landmarks(shared_landmarks, "pistol_side_ref_01.posetrack.json")
    full = [r for r in analysis.reps if r.depth > 0.4 and not _cut_off(r)]
    np.testing.assert_allclose([r.t_bottom for r in full], [6.4, 11.1, 15.2, 20.3, 27.8], atol=0.6)
    assert [r.leg for r in full] == ["left"] * 5
    # the first ~3.5 s: getting into position, the track starting mid-movement
    others = [r for r in analysis.reps if r not in full]
    assert all(r.t_bottom < 3.5 and not r.reliable for r in others)
    assert analysis.summary.view == "side"


def test_messy_session_garbled_bottoms_unreliable(shared_landmarks):
    analysis = _landmarks(shared_landmarks, "app_session_front_messy_01.csv")
    assert len(analysis.reps) >= 7
    garbled = [r for r in analysis.reps if not (math.isfinite(r.fppa_bottom_deg) and abs(r.fppa_bottom_deg) <= 45)]
    assert garbled, "the README describes garbled bottoms in this session"
    for rep in analysis.reps:
        assert not rep.reliable and not rep.flags and rep.unreliable_reasons
    assert analysis.summary.rating is None
    analysis.to_json()


# ------------------------------------------------------------------ videos


@pytest.mark.parametrize(
    "name, n_reps", [("squat_side_01.mp4", 3), ("squat_side_lowcam_01.mp4", 3), ("squat_side_lowres_01.mp4", 1)]
)
def test_side_videos_rep_count_and_not_measurable(video_track, name, n_reps):
    analysis = analyze(video_track(name))
    assert len(analysis.reps) == n_reps
    s = analysis.summary
    assert s.view == "side" and not s.measurable
    assert s.exercise == "double-leg"
    assert any(m.startswith(SIDE_VIEW_REASON) for m in s.messages)
    assert all(math.isnan(r.fppa_bottom_deg) and not r.flags for r in analysis.reps)


def test_no_person_video(video_track):
    analysis = analyze(video_track("noperson_01.mp4"))
    s = analysis.summary
    assert analysis.reps == [] and s.exercise == "no squat" and not s.measurable
    assert s.messages[0].startswith("No person was found in the video.")
    assert "Film from the front" in s.messages[0]
    assert "No person was found" in format_text(analysis)


# ------------------------------------------------- real frontal single-leg squats
# Reps and stance legs verified by looking at contact sheets of the clips (frames every 0.4-1 s with
# the skeleton drawn): the planted foot stays on its spot, the free foot is lifted.
SLS_FRONT = {
    # man on his left leg for the whole clip (free foot behind), three dips: the recording starts
    # and ends during the first and the last
    "sls_front_hyva2.mp4": ["left"] * 3,
    # man on his right leg: already down when the recording starts, then one deep rep with the knee
    # caving in (free leg out to the side), then he stands on both feet
    "sls_front_hyva_ja_paha.mp4": ["right"] * 2,
    # one deep pistol-like squat on the right leg, free leg forward
    "sls_front_hyva6.mp4": ["right"],
    # five pistol-style squats on the left leg, then five on the right
    "sls_front_hyva_ja_paha2.mp4": ["left"] * 5 + ["right"] * 5,
}


@pytest.mark.parametrize("name, legs", SLS_FRONT.items())
def test_frontal_single_leg_squats_reps_and_stance_legs(video_track, name, legs):
    analysis = analyze(video_track(name))
    assert analysis.summary.view == "frontal" and analysis.summary.exercise == "single-leg"
    assert [r.leg for r in analysis.reps] == legs
    for rep in analysis.reps:
        assert math.isnan(rep.knee_flexion_deg)  # not shown by a front view
        if not rep.reliable:
            assert rep.unreliable_reasons and not rep.flags


def test_frontal_partial_reps_and_the_valgus_rep(video_track):
    hyva2 = analyze(video_track("sls_front_hyva2.mp4")).reps
    assert [r.reliable for r in hyva2] == [False, True, False]
    assert all(_cut_off(r) for r in (hyva2[0], hyva2[2]))
    assert {r.pelvic_reference for r in hyva2} == {"rep start"}  # never on both feet
    partial, bad = analyze(video_track("sls_front_hyva_ja_paha.mp4")).reps
    assert _cut_off(partial) and not partial.reliable
    assert bad.reliable and bad.fppa_bottom_deg > 25 and "knee_valgus" in {f.criterion for f in bad.flags}


@pytest.mark.parametrize("name", ["sls_front_hyva6.mp4", "sls_front_hyva_ja_paha2.mp4"])
def test_hip_below_knee_is_not_measured(video_track, name):
    """Pistol-deep reps: the thigh points at the camera, the 2D angle means nothing at the bottom."""
    reps = analyze(video_track(name)).reps
    assert reps and not any(r.reliable for r in reps)
    assert all(any("hip came close to knee height" in reason for reason in r.unreliable_reasons) for r in reps)
    advice = [m for m in analyze(video_track(name)).summary.messages if m.startswith("No rep could be measured")]
    assert advice and "Squat only until the hip is still clearly above the knee" in advice[0]
    assert "Film from the front" not in advice[0]  # they did; the depth was the problem


def test_lateral_lunge_with_reach_is_not_measured(video_track):
    """sls_front_hyva3: a wide lateral lunge with both feet down, not a single-leg squat."""
    analysis = analyze(video_track("sls_front_hyva3.mp4"))
    assert not any(r.reliable or r.flags for r in analysis.reps)
    assert analysis.summary.rating is None


def test_two_leg_front_squats_end_where_she_stands(video_track):
    """squat_front_01: four two-leg squats (2.0, 4.1, 11.1 and 13.2 s, the last two with arms out); the
    turn sideways at 5-6.5 s and the walk toward the camera belong to no rep."""
    analysis = analyze(video_track("squat_front_01.mp4"))
    reps = analysis.reps
    assert [r.leg for r in reps] == ["both"] * 4
    np.testing.assert_allclose([r.t_bottom for r in reps], [2.07, 4.17, 11.1, 13.17], atol=0.3)
    assert reps[1].t_end < 5.2
    assert all(r.reliable for r in reps)
