"""Kinematics against synthetic squats of known valgus and pelvic drop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import synthetic_squats

from knee_cv.core import kinematics as kin
from knee_cv.core.filters import clean
from knee_cv.core.landmarks import Landmark
from knee_cv.core.thresholds import load_thresholds


def _bottoms(truth):
    return np.array([bottom for _, bottom, _ in truth["reps"]])


@pytest.mark.parametrize(
    "valgus, roll, legs, mirrored",
    [
        (12.0, 0.0, "left", False),
        (-6.0, 8.0, "right", False),
        (15.0, -5.0, ["left", "right", "left"], True),
        (0.0, 3.0, "right", False),
    ],
)
def test_fppa_and_pelvic_drop_exact_on_clean_data(valgus, roll, legs, mirrored):
    track, truth = synthetic_squats(
        n_reps=3, stance_legs=legs, valgus_deg=valgus, pelvic_drop_deg=6.0, roll_deg=roll, mirrored=mirrored
    )
    for leg in ("left", "right"):
        on = truth["stance"] == leg
        np.testing.assert_allclose(kin.fppa(track.xy, leg)[on], truth[f"fppa_{leg}"][on], atol=0.5)
    roll_est = kin.camera_roll(track.xy, truth["standing"])
    one_leg = truth["stance"] != "both"
    drop = kin.pelvic_drop(track.xy[one_leg], truth["stance"][one_leg], roll_est)
    np.testing.assert_allclose(drop, truth["pelvic_drop"][one_leg], atol=0.5)
    bottoms = _bottoms(truth)
    assert np.all(np.abs(drop.max() - 6.0) < 0.5)
    fppa_bottom = [kin.fppa(track.xy, leg)[b] for b, leg in zip(bottoms, truth["rep_legs"])]
    np.testing.assert_allclose(fppa_bottom, valgus, atol=0.5)


def test_fppa_with_camera_yaw_follows_the_projection():
    track, truth = synthetic_squats(n_reps=2, valgus_deg=14.0, yaw_deg=20.0, roll_deg=10.0)
    bottoms = _bottoms(truth)
    measured = kin.fppa(track.xy, "left")[bottoms]
    np.testing.assert_allclose(measured, truth["fppa_left"][bottoms], atol=0.5)
    assert np.all(np.abs(measured - 14.0) > 0.5)  # yaw changes the projected angle
    assert np.all(kin.knee_offset(track.xy, "left")[bottoms] > 0)


@pytest.mark.parametrize("fps, seed", [(30.0, 1), (60.0, 2), (30.0, 3)])
def test_fppa_and_pelvic_drop_within_2_deg_with_3px_jitter_after_cleaning(fps, seed):
    track, truth = synthetic_squats(
        n_reps=4,
        stance_legs=["left", "right", "right", "left"],
        valgus_deg=10.0,
        pelvic_drop_deg=5.0,
        roll_deg=4.0,
        jitter_px=3.0,
        dropout_rate=0.03,
        fps=fps,
        seed=seed,
    )
    xy = clean(track, params=load_thresholds().filters)
    bottoms = _bottoms(truth)
    for bottom, leg in zip(bottoms, truth["rep_legs"]):
        assert abs(kin.fppa(xy, leg)[bottom] - truth[f"fppa_{leg}"][bottom]) < 2.0
    roll_est = kin.camera_roll(xy, truth["standing"])
    assert abs(roll_est - 4.0) < 1.0
    drop = kin.pelvic_drop(xy[bottoms], truth["stance"][bottoms], roll_est)
    np.testing.assert_allclose(drop, 5.0, atol=2.0)


def test_mirrored_image_gives_the_same_measures():
    track, truth = synthetic_squats(
        n_reps=2, stance_legs=["left", "right"], valgus_deg=9.0, pelvic_drop_deg=4.0, trunk_lean_deg=6.0, roll_deg=3.0
    )
    mirror = track.xy.copy()
    mirror[..., 0] = track.width - mirror[..., 0]
    stance = truth["stance"]
    for leg in ("left", "right"):
        np.testing.assert_allclose(kin.fppa(mirror, leg), kin.fppa(track.xy, leg), atol=1e-9)
        np.testing.assert_allclose(kin.knee_offset(mirror, leg), kin.knee_offset(track.xy, leg), atol=1e-12)
    one = stance != "both"
    roll, roll_m = kin.camera_roll(track.xy, truth["standing"]), kin.camera_roll(mirror, truth["standing"])
    np.testing.assert_allclose(
        kin.pelvic_drop(mirror[one], stance[one], roll_m), kin.pelvic_drop(track.xy[one], stance[one], roll), atol=1e-9
    )
    lean = kin.trunk_lean(track.xy[one], stance[one], roll)
    np.testing.assert_allclose(kin.trunk_lean(mirror[one], stance[one], roll_m), lean, atol=1e-9)
    # The 3D lean shows larger in the image as the trunk also pitches forward.
    np.testing.assert_allclose(lean, truth["trunk_lean"][one], atol=2.5)
    assert np.all(lean[truth["squat_phase"][one] > 0.9] > 5.0)


def test_left_and_right_legs_are_symmetric():
    left, t_left = synthetic_squats(n_reps=2, stance_legs="left", valgus_deg=11.0, pelvic_drop_deg=5.0)
    right, t_right = synthetic_squats(n_reps=2, stance_legs="right", valgus_deg=11.0, pelvic_drop_deg=5.0)
    np.testing.assert_allclose(kin.fppa(left.xy, "left"), kin.fppa(right.xy, "right"), atol=1e-9)
    np.testing.assert_allclose(kin.pelvic_drop(left.xy, "left"), kin.pelvic_drop(right.xy, "right"), atol=1e-9)


def test_signs_on_a_hand_made_frontal_pose():
    xy = np.full((1, 33, 2), np.nan)
    # Person faces the camera: their left hip is on the image right.
    xy[0, Landmark.LEFT_HIP], xy[0, Landmark.RIGHT_HIP] = (600, 1000), (400, 1010)
    xy[0, Landmark.LEFT_KNEE], xy[0, Landmark.LEFT_ANKLE] = (570, 1300), (600, 1600)  # knee inward
    xy[0, Landmark.RIGHT_KNEE], xy[0, Landmark.RIGHT_ANKLE] = (370, 1300), (400, 1600)  # knee outward
    xy[0, Landmark.LEFT_SHOULDER], xy[0, Landmark.RIGHT_SHOULDER] = (620, 500), (420, 500)
    assert kin.fppa(xy, "left")[0] > 10 and kin.knee_offset(xy, "left")[0] > 0
    assert kin.fppa(xy, "right")[0] < -10 and kin.knee_offset(xy, "right")[0] < 0
    assert kin.fppa(xy, "left")[0] == pytest.approx(-kin.fppa(xy, "right")[0], abs=0.5)
    assert kin.knee_flexion(xy, "left")[0] == pytest.approx(abs(kin.fppa(xy, "left")[0]))
    # Right hip lower: the right side dropped, so standing on the left that is a positive drop.
    assert kin.pelvic_tilt(xy)[0] < 0
    assert kin.pelvic_drop(xy, "left")[0] == pytest.approx(np.degrees(np.arctan2(10, 200)))
    assert kin.pelvic_drop(xy, "right")[0] < 0
    # Shoulders shifted toward the person's left (image right): lean toward a left stance leg.
    assert kin.trunk_lean(xy, "left")[0] > 0 and kin.trunk_lean(xy, "right")[0] < 0
    assert kin.ankle_height_difference(xy)[0] == 0.0


def test_nan_in_nan_out():
    track, truth = synthetic_squats(n_reps=1, dropout_rate=0.2, seed=5)
    gone = ~track.has_pose
    assert gone.any()
    for values in (
        kin.fppa(track.xy, "left"),
        kin.knee_flexion(track.xy, "right"),
        kin.pelvic_tilt(track.xy),
        kin.trunk_lean(track.xy, "left"),
        kin.hip_height(track.xy),
        kin.ankle_height_difference(track.xy),
        kin.hip_drop(track.xy, 800.0),
        kin.leg_length(track.xy, "left"),
    ):
        assert np.isnan(values[gone]).all() and np.isfinite(values[~gone]).all()
    assert np.isnan(kin.camera_roll(track.xy, np.zeros(len(track), bool)))


def test_depth_lift_and_height_series():
    track, truth = synthetic_squats(n_reps=2, stance_legs=["left", "right"], depth=0.3)
    length = np.nanmedian(kin.leg_length(track.xy[truth["standing"]], "left"))
    drop = kin.hip_drop(track.xy, length)
    bottoms = _bottoms(truth)
    np.testing.assert_allclose(drop[bottoms], 0.3, atol=0.05)
    assert np.abs(drop[truth["standing"]]).max() < 0.02
    height = kin.hip_height(track.xy)
    assert np.all(height[bottoms] < height[truth["standing"]].min() - 0.2)
    diff = kin.ankle_height_difference(track.xy)
    lifted = truth["free_foot_lifted"]
    assert np.all(diff[lifted & (truth["stance"] == "right")] > 0.05)  # left foot up
    assert np.all(diff[lifted & (truth["stance"] == "left")] < -0.05)
    flex = kin.knee_flexion(track.xy, "left")
    assert np.nanmax(flex[truth["stance"] == "left"]) < 20  # frontal view hides the bend


_finite = dict(allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    scale=st.floats(0.05, 20, **_finite),
    angle=st.floats(-180, 180, **_finite),
    dx=st.floats(-5000, 5000, **_finite),
    dy=st.floats(-5000, 5000, **_finite),
    valgus=st.floats(-25, 25, **_finite),
)
def test_fppa_invariant_to_scale_rotation_translation(scale, angle, dx, dy, valgus):
    track, _ = synthetic_squats(n_reps=1, valgus_deg=valgus, stance_legs="left", standing_s=0.2)
    xy = track.xy[::6]
    a = np.radians(angle)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    moved = scale * xy @ rotation.T + np.array([dx, dy])
    for leg in ("left", "right"):
        np.testing.assert_allclose(kin.fppa(moved, leg), kin.fppa(xy, leg), atol=1e-6)
        np.testing.assert_allclose(kin.knee_offset(moved, leg), kin.knee_offset(xy, leg), atol=1e-9)
