"""Camera-view classification on real MediaPipe tracks and synthetic people."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import synthetic_squats

from knee_cv.core.thresholds import load_thresholds
from knee_cv.core.view import classify_view, dominant_view, view_stretches
from knee_cv.media.trackio import load_track

VIEW = load_thresholds().view


@pytest.mark.shared
@pytest.mark.parametrize(
    "name, view, share",
    [
        ("sls_front_ref_01.csv", "frontal", 0.9),
        ("sls_side_left_ref_01.csv", "side", 0.9),
        ("sls_side_right_ref_01.csv", "side", 0.9),
        ("pistol_side_ref_01.posetrack.json", "side", 0.6),
    ],
)
def test_real_tracks_get_their_view(shared_landmarks, name, view, share):
    track = load_track(shared_landmarks / name)
    labels, confidence = classify_view(track.xy, track.visibility, t=track.t, params=VIEW)
    posed = track.has_pose
    assert np.mean(labels[posed] == view) >= share
    assert "frontal" not in labels or view == "frontal" or np.mean(labels == "frontal") < 0.05
    assert np.all((confidence >= 0) & (confidence <= 1))
    assert np.all(labels[~posed] == "none")


@pytest.mark.parametrize("yaw, view", [(0.0, "frontal"), (20.0, "frontal"), (60.0, "oblique"), (88.0, "side")])
def test_synthetic_yaw(yaw, view):
    track, _ = synthetic_squats(n_reps=1, yaw_deg=yaw, dropout_rate=0.1, seed=2)
    labels, confidence = classify_view(track.xy, t=track.t, params=VIEW)
    assert np.mean(labels[track.has_pose] == view) > 0.95
    assert set(labels[~track.has_pose]) <= {"none"}
    assert confidence[~track.has_pose].max(initial=0) == 0


def test_view_turns_and_stretches():
    front, _ = synthetic_squats(n_reps=1, standing_s=1.0)
    side, _ = synthetic_squats(n_reps=1, standing_s=1.0, yaw_deg=90.0)
    xy = np.concatenate([front.xy, side.xy])
    xy[5] = np.nan  # a frame without a pose stays "none"
    t = np.arange(len(xy)) / 30.0
    labels, _ = classify_view(xy, t=t, params=VIEW)
    stretches = view_stretches(t, labels)
    kinds = [label for _, _, label in stretches]
    assert kinds == ["frontal", "none", "frontal", "side"]
    assert stretches[-1][1] == t[-1]
    assert stretches[2][1] == pytest.approx(t[len(front) - 1], abs=0.2)
    assert view_stretches(t[:0], labels[:0]) == []


def test_dominant_view_ignores_frames_without_a_pose():
    labels = np.array(["none", "side", "frontal", "frontal", "none"])
    confidence = np.array([0.0, 0.9, 0.6, 0.8, 0.0])
    assert dominant_view(labels, confidence, slice(None)) == ("frontal", pytest.approx(0.7))
    assert dominant_view(labels, confidence, slice(-2, None)) == ("frontal", pytest.approx(0.8))
    assert dominant_view(labels, confidence, labels == "none") == ("none", 0.0)
