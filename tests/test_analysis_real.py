"""analyze() on real data: the shared landmark tracks and the shared videos through the real model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from knee_cv.analysis import analyze, format_text
from knee_cv.assessment import SIDE_VIEW_REASON
from knee_cv.trackio import load_track

pytestmark = pytest.mark.shared


def _landmarks(shared_landmarks, name):
    path = shared_landmarks / name
    if name.endswith(".csv"):
        return analyze(load_track(path, width=1080, height=1920))
    return analyze(path)  # a track file path works too


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


@pytest.mark.parametrize("name, leg", [("sls_side_left_ref_01.csv", "left"),
                                       ("sls_side_right_ref_01.csv", "right")])
def test_side_references_not_frontal(shared_landmarks, name, leg):
    analysis = _landmarks(shared_landmarks, name)
    s = analysis.summary
    assert s.view == "side" and not s.measurable
    assert len(analysis.reps) == 7 and [r.leg for r in analysis.reps] == [leg] * 7
    assert all(math.isnan(r.fppa_bottom_deg) and SIDE_VIEW_REASON in r.unreliable_reasons
               for r in analysis.reps if analysis.series["view"][r.bottom_frame] == "side")
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
    garbled = [r for r in analysis.reps
               if not (math.isfinite(r.fppa_bottom_deg) and abs(r.fppa_bottom_deg) <= 45)]
    assert garbled, "the README describes garbled bottoms in this session"
    for rep in analysis.reps:
        assert not rep.reliable and not rep.flags and rep.unreliable_reasons
    assert analysis.summary.rating is None
    analysis.to_json()


# ------------------------------------------------------------------ videos


@pytest.mark.parametrize("name, n_reps", [("squat_side_01.mp4", 3), ("squat_side_lowcam_01.mp4", 3),
                                          ("squat_side_lowres_01.mp4", 1)])
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
