"""The exercise pictures: one per catalog exercise, and the body in them doing what the steps say.

The geometry is checked in the world the pictures are drawn from (metres, Y
up, the floor at 0): feet on the step edge, a knee at hip height, a heel on
the floor. What the pictures look like was judged by eye on a contact sheet
(``scripts/exercise_figures.py``).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from knee_cv.core.exercises import load_catalog
from knee_cv.media.exercise_figures import PANEL, contact_sheet, figure_png, path
from knee_cv.media.exercise_scenes import SCENES
from knee_cv.media.figure_body import LENGTH, LIMBS, Pose, angles_toward, blend, direction, skeleton


def joints(key: str, which: str) -> dict[str, np.ndarray]:
    return skeleton(getattr(SCENES[key], which))


def bend_deg(j: dict[str, np.ndarray], a: str, b: str, c: str, seen_along: int | None = None) -> float:
    """How far the joint at ``b`` is bent from straight, degrees (in the picture seen along world axis ``seen_along``)."""
    keep = np.ones(3) if seen_along is None else np.eye(3)[seen_along] != 1
    u, v = (j[b] - j[a]) * keep, (j[c] - j[b]) * keep
    return float(np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1))))


def test_every_catalog_exercise_has_a_picture_of_two_panels():
    assert set(SCENES) == set(load_catalog()["exercises"])
    for key in SCENES:
        image = cv2.imdecode(np.frombuffer(figure_png(key), np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (PANEL[1], 2 * PANEL[0] + 2, 3), key
        orange = (image[..., 2] > 200) & (image[..., 1] > 90) & (image[..., 1] < 160) & (image[..., 0] < 80)
        red = (image[..., 2] > 170) & (image[..., 1] < 70) & (image[..., 0] < 80)
        arrow = np.abs(image.astype(int) - (41, 37, 33)).max(axis=2) <= 12  # the ink, BGR
        assert orange.sum() > 150, f"{key}: the moving part is not drawn in orange"
        assert arrow[:, : PANEL[0]].sum() > 40 and arrow[:, PANEL[0] :].sum() == 0, f"{key}: the arrow is in the start panel"
        assert red.sum() == 0, f"{key}: red is drawn (red means a flag in knee_cv)"
    sheet = contact_sheet()
    assert sheet.shape[0] > 5 * PANEL[1]


@pytest.mark.parametrize("key", sorted(SCENES))
def test_limbs_keep_their_length_and_nothing_sinks_through_the_floor(key):
    scene = SCENES[key]
    for pose in (scene.start, blend(scene.start, scene.end, 0.5), scene.end):
        j = skeleton(pose)
        for root, middle, end, upper, lower in LIMBS.values():
            assert np.linalg.norm(j[middle] - j[root]) == pytest.approx(LENGTH[upper], abs=1e-6)
            assert np.linalg.norm(j[end] - j[middle]) == pytest.approx(LENGTH[lower], abs=1e-6)
        assert min(p[1] for p in j.values()) > -0.02, key
    assert np.linalg.norm(path(scene)[-1] - path(scene)[0]) > 0.05, f"{key}: the moving joint hardly moves"


def test_calf_stretch_heel_sinks_below_the_step_with_the_ball_on_its_edge_and_the_knee_straight():
    step_top = SCENES["calf_step_stretch"].boxes[0].high[1]
    start, end = joints("calf_step_stretch", "start"), joints("calf_step_stretch", "end")
    assert start["heel_l"][1] == pytest.approx(step_top, abs=0.01)
    assert end["heel_l"][1] < step_top - 0.05 and end["heel_l"][2] < 0 < end["toe_l"][2]
    assert end["ball_l"][1] == pytest.approx(step_top) and end["ball_l"][2] == pytest.approx(0.0)
    assert bend_deg(end, "hip_l", "knee_l", "ankle_l") < 3
    assert end["ball_r"][1] == pytest.approx(step_top, abs=0.01) and end["ball_r"][2] >= 0  # the other foot on the step


def test_fire_hydrant_lifts_the_bent_knee_out_to_the_side_to_hip_height_on_hands_and_knees():
    start, end = joints("fire_hydrants", "start"), joints("fire_hydrants", "end")
    for j in (start, end):
        assert j["knee_r"][1] < 0.08 and j["wrist_l"][1] < 0.05 and j["wrist_r"][1] < 0.05
        assert abs(j["pelvis"][1] - j["neck"][1]) < 0.15  # back about level
    assert start["knee_l"][1] < 0.08
    assert end["knee_l"][1] > 0.75 * end["hip_l"][1] and end["knee_l"][0] - end["hip_l"][0] > 0.35
    assert bend_deg(end, "hip_l", "knee_l", "ankle_l") == pytest.approx(90, abs=5)


def test_clamshell_opens_the_top_knee_with_the_feet_together():
    start, end = joints("clamshells", "start"), joints("clamshells", "end")
    assert end["knee_l"][1] - start["knee_l"][1] > 0.15
    assert np.linalg.norm(end["ankle_l"] - start["ankle_l"]) < 0.05
    assert end["hip_l"] == pytest.approx(start["hip_l"])  # the pelvis does not roll


def test_side_lying_abduction_lifts_the_straight_top_leg():
    start, end = joints("side_lying_hip_abduction", "start"), joints("side_lying_hip_abduction", "end")
    assert end["ankle_l"][1] - start["ankle_l"][1] > 0.35
    assert bend_deg(end, "hip_l", "knee_l", "ankle_l") < 1 and end["hip_l"][1] > end["hip_r"][1] + 0.1


def test_band_walk_steps_sideways_in_a_small_squat_with_both_feet_down():
    start, end = joints("lateral_band_walks", "start"), joints("lateral_band_walks", "end")
    for j in (start, end):
        assert j["heel_l"][1] == pytest.approx(0.0, abs=0.01) and j["heel_r"][1] == pytest.approx(0.0, abs=0.01)
        assert 10 < bend_deg(j, "hip_r", "knee_r", "ankle_r") < 60
    gap = lambda j: j["ankle_l"][0] - j["ankle_r"][0]  # noqa: E731
    assert gap(end) - gap(start) > 0.25


def test_bridge_lifts_the_hips_into_a_line_from_shoulders_to_knee_on_one_planted_foot():
    start, end = joints("single_leg_glute_bridge", "start"), joints("single_leg_glute_bridge", "end")
    assert start["pelvis"][1] < 0.15 and end["pelvis"][1] - start["pelvis"][1] > 0.18
    assert bend_deg(end, "neck", "pelvis", "knee_l", seen_along=0) < 5  # in the side view
    for j in (start, end):
        assert j["heel_l"][1] == pytest.approx(0.0, abs=0.01) and j["heel_r"][1] > 0.2  # the other leg in the air
        assert bend_deg(j, "hip_r", "knee_r", "ankle_r") < 1


def test_side_plank_lifts_the_hips_into_a_straight_line_on_the_forearm():
    start, end = joints("side_plank", "start"), joints("side_plank", "end")
    assert start["hip_r"][1] < 0.1 and end["pelvis"][1] - start["pelvis"][1] > 0.12
    assert bend_deg(end, "ankle_r", "pelvis", "neck") < 8
    for j in (start, end):
        assert j["elbow_r"][1] < 0.03 and j["wrist_r"][1] < 0.05 and abs(j["elbow_r"][0] - j["shoulder_r"][0]) < 0.05


def test_balance_lifts_one_foot_and_keeps_the_standing_knee_soft():
    start, end = joints("single_leg_balance", "start"), joints("single_leg_balance", "end")
    assert start["heel_r"][1] == pytest.approx(0.0, abs=0.01) and end["heel_r"][1] > 0.2
    assert end["heel_l"][1] == pytest.approx(0.0, abs=0.01) and 3 < bend_deg(end, "hip_l", "knee_l", "ankle_l") < 25


def test_step_down_lowers_the_free_heel_to_the_floor_by_bending_the_knee_on_the_step():
    step = SCENES["slow_step_downs"].boxes[0]
    start, end = joints("slow_step_downs", "start"), joints("slow_step_downs", "end")
    for j in (start, end):
        assert j["heel_l"][1] == pytest.approx(step.high[1], abs=0.01)
        assert j["heel_r"][2] > step.high[2]  # the free foot in front of the step
    assert start["heel_r"][1] > 0.15 and end["heel_r"][1] == pytest.approx(0.0, abs=0.01)
    assert bend_deg(end, "hip_l", "knee_l", "ankle_l") > bend_deg(start, "hip_l", "knee_l", "ankle_l") + 40
    assert abs(end["knee_l"][0] - end["toe_l"][0]) < 0.04  # the knee in line over the toes


def test_knee_to_wall_touches_the_wall_with_the_heel_down():
    wall = SCENES["knee_to_wall"].boxes[0].low[2]
    start, end = joints("knee_to_wall", "start"), joints("knee_to_wall", "end")
    assert wall - start["knee_l"][2] > 0.15 and wall - end["knee_l"][2] < 0.07
    for j in (start, end):
        assert j["heel_l"][1] == pytest.approx(0.0, abs=0.01) and wall - j["toe_l"][2] > 0.03
        assert j["hand_l"][2] <= wall + 1e-6


def test_foam_roller_stays_under_the_calves_from_near_the_knee_to_near_the_ankle():
    roller = SCENES["foam_rolling"].rollers[0]
    centre = np.array(roller.centre)
    for which, near in (("start", "knee_l"), ("end", "ankle_l")):
        j = joints("foam_rolling", which)
        along = (centre[2] - j["knee_l"][2]) / (j["ankle_l"][2] - j["knee_l"][2])
        assert 0 < along < 1
        assert abs(centre[2] - j[near][2]) < 0.2, which
        assert j["knee_l"][1] - centre[1] == pytest.approx(roller.radius + 0.05, abs=0.03)
        assert j["wrist_l"][1] < 0.05


def test_angles_toward_inverts_direction():
    for turn in ((0.0, 0.0, 0.0), (80.0, 0.0, 0.0), (0.0, 90.0, 0.0), (-122.0, 0.0, 0.0)):
        for angles in ((30.0, 10.0), (90.0, 40.0), (-40.0, -20.0)):
            pose = Pose(limbs={"thigh_l": angles}, turn=turn)
            j = skeleton(pose)
            world = tuple((j["knee_l"] - j["hip_l"]) / LENGTH["thigh"])
            assert angles_toward(world, turn, "l") == pytest.approx(angles, abs=1e-6)
    assert direction(90.0, 0.0, "l") == pytest.approx([0.0, 0.0, 1.0])
