"""The live protocol's framing check on a synthetic frontal person, moved, shrunk and cut off."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import synthetic_squats

from knee_cv.core import framing
from knee_cv.core.framing import FramingLimits, check_framing
from knee_cv.core.labels import View
from knee_cv.core.landmarks import Landmark
from knee_cv.core.thresholds import load_thresholds

LIMITS = FramingLimits.from_thresholds(load_thresholds())

WIDTH, HEIGHT = 640, 360


@pytest.fixture(scope="module")
def person() -> tuple[np.ndarray, np.ndarray]:
    """A standing frontal person filling about 0.73 of a 640 x 360 picture's height."""
    track, _ = synthetic_squats(n_reps=1, size=(WIDTH, HEIGHT))
    return track.xy[0].copy(), track.visibility[0].copy()


def scaled(xy: np.ndarray, factor: float) -> np.ndarray:
    """The landmarks scaled about the picture's centre (a person nearer or farther)."""
    centre = np.array([WIDTH / 2, HEIGHT / 2])
    return centre + (xy - centre) * factor


def test_a_well_framed_frontal_person_passes(person):
    result = check_framing(*person, WIDTH, HEIGHT, View.FRONTAL, LIMITS)
    assert result.ok and result.prompt == ""
    assert result.body_height == pytest.approx(0.73, abs=0.02)


def test_nobody_found_asks_to_step_in(person):
    assert check_framing(None, None, WIDTH, HEIGHT, View.NONE, LIMITS).prompt == framing.NOBODY
    xy, visibility = person
    assert check_framing(np.full_like(xy, np.nan), visibility, WIDTH, HEIGHT, View.NONE, LIMITS).prompt == framing.NOBODY


def test_feet_below_the_picture_ask_to_step_back(person):
    xy, visibility = person
    low = xy + (0, HEIGHT * 0.2)  # the person lower in the picture: ankles below its edge
    assert check_framing(low, visibility, WIDTH, HEIGHT, View.FRONTAL, LIMITS).prompt == framing.FEET_OUT
    hidden = visibility.copy()
    hidden[Landmark.LEFT_ANKLE] = 0.1
    assert check_framing(xy, hidden, WIDTH, HEIGHT, View.FRONTAL, LIMITS).prompt == framing.FEET_OUT


def test_head_above_the_picture_asks_to_step_back(person):
    xy, visibility = person
    assert check_framing(xy - (0, HEIGHT * 0.2), visibility, WIDTH, HEIGHT, View.FRONTAL, LIMITS).prompt == framing.HEAD_OUT


def test_a_person_at_the_side_is_asked_to_move_to_the_middle(person):
    xy, visibility = person
    side = xy + (WIDTH * 0.48, 0)  # the far shoulder and hip leave the picture, the feet stay
    side[[Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 0] = WIDTH * 0.9
    assert check_framing(side, visibility, WIDTH, HEIGHT, View.FRONTAL, LIMITS).prompt == framing.OFF_CENTRE


def test_distance_too_far_and_too_near(person):
    xy, visibility = person
    far = check_framing(scaled(xy, 0.5), visibility, WIDTH, HEIGHT, View.FRONTAL, LIMITS)
    assert far.prompt == framing.TOO_FAR and far.body_height == pytest.approx(0.37, abs=0.02)
    near = scaled(xy, 1.3) - (0, 0.03 * HEIGHT)  # 0.95 of the height, all points still inside
    assert check_framing(near, visibility, WIDTH, HEIGHT, View.FRONTAL, LIMITS).prompt == framing.TOO_NEAR


@pytest.mark.parametrize("view", [View.SIDE, View.OBLIQUE])
def test_not_facing_the_camera_asks_to_turn(person, view):
    assert check_framing(*person, WIDTH, HEIGHT, view, LIMITS).prompt == framing.TURN


def test_before_the_view_is_told_it_asks_to_hold_still(person):
    assert check_framing(*person, WIDTH, HEIGHT, View.NONE, LIMITS).prompt == framing.LOOKING


def test_limits_come_from_the_thresholds():
    limits, table = FramingLimits.from_thresholds(load_thresholds()), load_thresholds().protocol
    assert limits == FramingLimits(
        min_visibility=table.min_visibility,
        margin=table.frame_margin,
        min_body_height=table.min_body_height,
        max_body_height=table.max_body_height,
    )
    assert (limits.min_visibility, limits.margin, limits.min_body_height, limits.max_body_height) == (0.5, 0.02, 0.45, 0.92)
    assert "heuristic" in load_thresholds().protocol.source
