"""knee_cv's FPPA on real frontal single-leg squats against hip, knee and ankle digitised by hand.

The annotations (tests/data, see its README) were made by looking at gridded, zoomed frames, not
from any model output. ``scripts/bench_accuracy.py`` prints every difference; these tests hold
what is reached today: standing frames agree within 5 deg, and at each measurable deepest frame
of a complete rep the valgus decision (FPPA above the threshold or not) is the same as by hand.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

from knee_cv.core.analysis import analyze

DATA = Path(__file__).resolve().parents[1] / "data"
sys.path.insert(0, str(DATA.parent.parent / "scripts"))
from bench_accuracy import manual_fppa  # noqa: E402

pytestmark = pytest.mark.shared


def _rows(phase: str) -> list[dict]:
    with open(DATA / "sls_front_manual_points.csv", newline="") as f:
        return [row for row in csv.DictReader(f) if row["phase"] == phase and row["fppa_measurable"] == "yes"]


def _manual(row: dict) -> float:
    other = "right" if row["leg"] == "left" else "left"
    points = [(float(row[f"{j}_x"]), float(row[f"{j}_y"])) for j in ("hip", "knee", "ankle", f"{other}_hip")]
    return manual_fppa(*points)


def test_manual_fppa_of_known_points():
    # right leg, person facing the camera: the other (left) hip is on the image right
    straight = manual_fppa((100, 0), (100, 100), (100, 200), (160, 0))
    inward = manual_fppa((100, 0), (120, 100), (100, 200), (160, 0))  # knee toward the other hip
    assert straight == pytest.approx(0.0)
    assert inward == pytest.approx(2 * np.degrees(np.arctan(20 / 100)))
    assert manual_fppa((100, 0), (80, 100), (100, 200), (160, 0)) == pytest.approx(-inward)


def test_standing_frames_agree_with_the_hand_within_5_degrees(video_track):
    checked = 0
    for row in _rows("standing"):
        track = video_track(f"{row['clip']}.mp4")
        series = analyze(track).series.leg(row["leg"]).fppa
        ours = series[int(np.argmin(np.abs(track.t - float(row["t_s"]))))]
        if np.isfinite(ours):  # the first frame of a clip may not be classified frontal yet
            assert abs(ours - _manual(row)) <= 5.0, row
            checked += 1
    assert checked >= 5


def test_valgus_decision_at_complete_deepest_frames_matches_the_hand(video_track):
    with open(DATA / "sls_front_reps.csv", newline="") as f:
        complete = {(r["clip"], r["rep"]) for r in csv.DictReader(f) if r["complete"] == "yes"}
    rows = [row for row in _rows("bottom") if (row["clip"], row["rep"]) in complete]
    assert len(rows) >= 2
    for row in rows:
        analysis = analyze(video_track(f"{row['clip']}.mp4"))
        threshold = analysis.thresholds.knee_valgus.value
        rep = min(analysis.reps, key=lambda r: abs(r.t_bottom - float(row["t_s"])))
        assert rep.reliable
        assert ("knee_valgus" in {f.criterion for f in rep.flags}) == (_manual(row) > threshold), row


def test_the_accuracy_the_app_states_holds(video_track):
    """Analysis.ACCURACY tells users the mean and largest difference from the hand: both must still hold."""
    from knee_cv.core.result import Analysis

    differences = []
    for row in _rows("standing") + _rows("bottom"):
        track = video_track(f"{row['clip']}.mp4")
        ours = analyze(track).series.leg(row["leg"]).fppa[int(np.argmin(np.abs(track.t - float(row["t_s"]))))]
        if np.isfinite(ours):
            differences.append(abs(ours - _manual(row)))
    assert len(differences) >= 10
    assert "by 4.7° on average and by up to 15° on a deep rep" in Analysis.ACCURACY
    assert np.mean(differences) <= 4.7 + 0.05 and max(differences) <= 15.5


def test_trunk_lean_agrees_with_the_hand_at_deepest_frames(video_track):
    """Trunk lean (hip-midpoint to shoulder-midpoint line from the picture's vertical, + = toward the
    stance leg) against shoulders digitised by hand and the hips of sls_front_manual_points.csv."""
    with open(DATA / "sls_front_manual_trunk.csv", newline="") as f:
        shoulders = list(csv.DictReader(f))
    with open(DATA / "sls_front_manual_points.csv", newline="") as f:
        hips = {(r["clip"], r["frame_index"]): r for r in csv.DictReader(f)}
    for row in shoulders:
        hip = hips[(row["clip"], row["frame_index"])]
        point = {
            name: np.array([float(source[f"{name}_x"]), float(source[f"{name}_y"])])
            for name, source in (("left_shoulder", row), ("right_shoulder", row), ("left_hip", hip), ("right_hip", hip))
        }
        trunk = (point["left_shoulder"] + point["right_shoulder"] - point["left_hip"] - point["right_hip"]) / 2
        # Facing the camera, the person's left is the picture's right: a lean to the right side of the
        # picture is a lean to the left leg.
        toward_left = np.degrees(np.arctan2(trunk[0], -trunk[1]))
        by_hand = toward_left if row["stance_leg"] == "left" else -toward_left
        track = video_track(f"{row['clip']}.mp4")
        ours = analyze(track).series.trunk_lean[int(row["frame_index"])]
        assert abs(ours - by_hand) <= 6.0, (row["clip"], ours, by_hand)


@pytest.fixture(scope="module")
def placement(shared_videos):
    """scripts/bench_accuracy.py's check of the placement error model on the hand-digitised frames."""
    from bench_accuracy import placement_rows

    return placement_rows()


def test_intervals_hold_the_hand_values_leave_one_clip_out(placement):
    """Issue 18's goal: each frame's 80 % FPPA interval, from a placement error model fitted on the other
    clips only, holds the hand's FPPA in at least 80 % of the measurable frames (scripts/bench_accuracy.py
    prints the table; 14 of 16 today). Its median width is measured there, not held here: 17.6 deg, above
    the 10 deg the issue hoped for; so is the knee displacement's coverage (12 of 16)."""
    _, frames, _, reps, model = placement
    assert len(frames) >= 10 and model.n_frames == len(frames)
    held = [row[7] == "yes" for row in frames]
    assert sum(held) / len(held) >= 0.8
    assert reps  # each digitised bottom of a rep found gets its rep's interval


def test_the_packaged_placement_model_is_the_one_fitted_on_every_hand_frame(placement):
    """thresholds.toml [placement_error] holds what scripts/bench_accuracy.py fits on all measurable frames."""
    from knee_cv.core.thresholds import load_thresholds

    packaged = load_thresholds().placement_error
    fitted = placement[-1]
    assert packaged.n_frames == fitted.n_frames
    assert np.allclose(packaged.bias, fitted.bias, atol=6e-4) and np.allclose(packaged.sd, fitted.sd, atol=6e-4)
