"""The live protocol's overlay: every step draws its instruction, counters and cue, and leaves the bottom strip free."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from knee_cv.core.labels import Leg
from knee_cv.core.protocol import Cue, Display, RepCue, Step
from knee_cv.media.live_overlay import CUE_COLOURS, draw_protocol

HEIGHT, WIDTH = 360, 640


def shown(step: Step, cue: Cue | None = None, warning: str = "") -> Display:
    return Display(
        step=step,
        prompt=f"the {step} step",
        counts={Leg.LEFT: 2, Leg.RIGHT: 0},
        target=5,
        seconds_left=3,
        standing_done=step in (Step.LEFT, Step.SWITCH, Step.RIGHT, Step.DONE),
        cue=RepCue(Leg.LEFT, 2, cue, 10.0) if cue else None,
        warning=warning,
    )


def grey() -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), 128, np.uint8)


@pytest.mark.parametrize("step", list(Step))
def test_each_step_draws_its_banner_and_leaves_the_bottom_free(step):
    frame = draw_protocol(grey(), shown(step), fppa_deg=12.0, pelvic_drop_deg=-3.0)
    assert (frame[: int(HEIGHT * 0.15)] != 128).any(), "the instruction banner"
    assert (frame[int(HEIGHT * 0.95) :] == 128).all(), "the bottom strip stays as the camera gave it"


def test_counters_show_in_squatting_steps_only():
    middle_band = slice(int(HEIGHT * 0.17), int(HEIGHT * 0.4))
    sides = np.r_[0 : int(WIDTH * 0.25), int(WIDTH * 0.75) : WIDTH]
    assert (draw_protocol(grey(), shown(Step.LEFT))[middle_band][:, sides] != 128).any()
    assert (draw_protocol(grey(), shown(Step.STANDING))[middle_band][:, sides] == 128).all()


@pytest.mark.parametrize("cue", list(Cue))
def test_a_rep_cue_is_drawn_in_its_colour(cue):
    frame = draw_protocol(grey(), shown(Step.LEFT, cue))
    colour = np.array(CUE_COLOURS[cue], np.uint8)
    assert (frame == colour).all(axis=2).sum() > 500, "a filled box in the cue's colour"


def test_a_framing_warning_is_drawn_under_the_banner():
    plain = draw_protocol(grey(), shown(Step.LEFT))
    warned = draw_protocol(grey(), shown(Step.LEFT, warning="Step back: your feet are out of the picture"))
    assert (plain != warned).any()


@pytest.mark.parametrize("size", [(360, 640), (720, 1280), (480, 640)])
def test_the_instruction_stays_inside_its_banner_descenders_included(size):
    """The banner's text sat on its bottom edge: the tails of g, y and p hung over the picture."""
    height, width = size
    frame = np.full((height, width, 3), 128, np.uint8)
    draw_protocol(frame, replace(shown(Step.SWITCH), prompt="Switch legs: now your RIGHT leg"))
    banner = int(height * 0.15)
    below = frame[banner : banner + int(height * 0.04), int(width * 0.3) : int(width * 0.7)]
    assert (below == 128).all(), "nothing drawn just under the banner in the middle"


def test_the_live_readouts_sit_on_a_dark_box():
    frame = draw_protocol(grey(), shown(Step.LEFT), fppa_deg=12.0, pelvic_drop_deg=-3.0)
    corner = frame[int(HEIGHT * 0.7) : int(HEIGHT * 0.95), int(WIDTH * 0.65) :]
    assert (corner < 100).all(axis=2).sum() > 2000, "the values are written on dark boxes, readable on a white wall"
