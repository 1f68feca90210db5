"""Which way up the body is, mirrored and turned frames, and low frame rates, on synthetic squats."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.assessment import DEPTH_ADVICE
from knee_cv.core.landmarks import Landmark
from knee_cv.core.orientation import AS_FILMED, Orientation, body_direction_deg, upright_turn
from knee_cv.core.thresholds import load_thresholds

PARAMS = load_thresholds().orientation
TURNS = (0, 90, 180, 270)


def _turned_clockwise(track, degrees):
    """The track as a video turned ``degrees`` clockwise (pixels turned, no rotation tag) would give it."""
    xy, width, height = track.xy.copy(), track.width, track.height
    for _ in range(degrees // 90):
        xy = np.stack([height - xy[..., 1], xy[..., 0]], axis=-1)  # a quarter clockwise, y down
        width, height = height, width
    return replace(track, xy=xy, width=width, height=height)


@pytest.mark.parametrize("mirrored", [False, True])
@pytest.mark.parametrize("turned_deg", TURNS)
def test_a_pixel_lands_where_the_flip_and_the_turn_put_it(mirrored, turned_deg):
    height, width = 4, 6
    image = np.zeros((height, width), dtype=int)
    x, y = 1, 0
    image[y, x] = 1
    orientation = Orientation(mirrored=mirrored, turned_deg=turned_deg)
    out = orientation.apply(image)
    assert out.shape[::-1] == orientation.size(width, height)
    assert out.flags.c_contiguous
    x = width - 1 - x if mirrored else x
    for _ in range(turned_deg // 90):  # a quarter clockwise: column from the bottom row up, row from the column
        x, y, width, height = height - 1 - y, x, height, width
    assert np.argwhere(out == 1).tolist() == [[y, x]]


def test_nothing_done_gives_the_same_frame_and_a_bad_turn_is_refused():
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    assert AS_FILMED.apply(image) is image
    with pytest.raises(ValueError, match="turned_deg"):
        Orientation(turned_deg=45)


@pytest.mark.parametrize("turned_deg", TURNS)
def test_the_turn_that_sets_a_turned_body_upright_is_found(turned_deg):
    track, _ = synthetic_squats(n_reps=2)
    turned = _turned_clockwise(track, turned_deg)
    direction = body_direction_deg(turned.xy)
    assert np.nanmax(np.abs((direction - turned_deg + 180) % 360 - 180)) < 10
    assert (turned_deg + upright_turn(turned.xy, PARAMS)) % 360 == 0


def test_a_tilted_phone_and_a_deep_lean_stay_upright():
    track, _ = synthetic_squats(n_reps=2, roll_deg=30.0, trunk_lean_deg=20.0)
    assert upright_turn(track.xy, PARAMS) == 0


def test_a_minority_of_garbled_frames_does_not_turn_the_picture():
    track, _ = synthetic_squats(n_reps=2)
    xy = track.xy.copy()
    flipped = np.arange(len(track)) % 3 == 0  # a third of the frames upside down
    xy[flipped] = _turned_clockwise(track, 180).xy[flipped]
    assert upright_turn(xy, PARAMS) == 0


@pytest.mark.parametrize(("turned_deg", "words"), [(180, "upside down"), (90, "on its side"), (270, "on its side")])
def test_a_body_not_upright_is_not_measured_and_the_message_says_how_to_turn_it(turned_deg, words):
    track, _ = synthetic_squats(n_reps=3, valgus_deg=20.0)
    analysis = analyze(_turned_clockwise(track, turned_deg))
    message = analysis.summary.messages[0]
    assert words in message and "Nothing was measured" in message
    assert f"Turn the video {'180°' if turned_deg == 180 else '90°'}" in message
    assert analysis.reps == [] and not analysis.summary.measurable and analysis.recommendations == []
    assert not np.isfinite(analysis.series.left.fppa).any() and not np.isfinite(analysis.series.pelvic_drop).any()
    assert not any(DEPTH_ADVICE in m for m in analysis.summary.messages)


def test_what_was_done_to_the_frames_is_said_and_changes_no_number():
    track, _ = synthetic_squats(n_reps=3, stance_legs=["left", "right", "left"])
    plain = analyze(track)
    noted = analyze(replace(track, orientation=Orientation(mirrored=True, turned_deg=270)))
    first, second = noted.summary.messages[:2]
    assert first.startswith("Filmed with the selfie camera (mirrored picture)") and "person's own" in first
    assert second.startswith("The video was on its side: ") and "turned 90° counterclockwise before measuring" in second
    assert noted.summary.messages[2:] == plain.summary.messages
    assert noted.to_dict()["reps"] == plain.to_dict()["reps"]


def test_frames_too_far_apart_make_every_rep_unreliable_with_that_reason():
    track, _ = synthetic_squats(n_reps=3, fps=4.0)
    analysis = analyze(track)
    assert analysis.reps and not any(rep.reliable for rep in analysis.reps)
    for rep in analysis.reps:
        assert any("one frame every 0.25 s" in reason for reason in rep.unreliable_reasons)
    assert any(m.startswith("The video has only one frame every 0.25 s") for m in analysis.summary.messages)
    assert not any("one frame every" in m for m in analyze(synthetic_squats(n_reps=3, fps=6.0)[0]).summary.messages)


def test_a_rep_sunk_only_by_an_uncertain_view_says_so():
    """Half the rep seen edge-on (no hard limit, no named problem) used to be 'unreliable' with no reason."""
    track, truth = synthetic_squats(n_reps=2)
    start, _, end = truth["reps"][0]
    edge_on = slice(start, start + (end - start) // 2)
    for left, right in ((Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER), (Landmark.LEFT_HIP, Landmark.RIGHT_HIP)):
        middle = track.xy[edge_on, [left, right], 0].mean(axis=1)
        track.xy[edge_on, left, 0], track.xy[edge_on, right, 0] = middle + 1, middle - 1
    rep = analyze(track).reps[0]
    assert not rep.reliable
    assert len(rep.unreliable_reasons) == 1 and "of the rep's frames were seen from the front" in rep.unreliable_reasons[0]


@pytest.mark.parametrize(
    "options",
    [
        {"fps": 4.0},
        {"fps": 8.0, "jitter_px": 6.0},
        {"yaw_deg": 30.0},
        {"yaw_deg": 60.0},
        {"dropout_rate": 0.3},
        {"jitter_px": 12.0, "seed": 1},
        {"depth": 0.5},
    ],
)
def test_every_unreliable_rep_says_why(options):
    analysis = analyze(synthetic_squats(n_reps=3, **options)[0])
    assert all(rep.reliable or rep.unreliable_reasons for rep in analysis.reps)
