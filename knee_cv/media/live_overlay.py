"""The live guided protocol drawn on the webcam picture, large enough to read from 3 m.

:func:`draw_protocol` draws what a :class:`knee_cv.core.protocol.Display`
says: a banner across the top with the instruction (and a framing warning
under it), a large rep counter per leg (each on the side of the picture where
that leg appears: the picture is not mirrored, so the person's left leg is on
the right), the last rep's cue as a coloured word, the countdown as one large
number, and the live FPPA and pelvic drop. Sizes follow the picture's height
(a 360-pixel picture gets a 34-pixel instruction), so they keep their share
of the picture at any camera size. The bottom 5 % of the picture is left as
the camera gave it.
"""

from __future__ import annotations

import cv2
import numpy as np

from knee_cv.core.labels import Leg
from knee_cv.core.protocol import Cue, Display, Step
from knee_cv.media.render import FLAGGED, NEUTRAL, OK, UNRELIABLE

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE, YELLOW, DARK = (255, 255, 255), (255, 214, 0), (20, 20, 20)
#: Knee valgus and pelvic drop are both major findings (knee_cv.core.criteria): red, as on the annotated video.
CUE_COLOURS = {Cue.FINE: OK, Cue.KNEE_INWARD: FLAGGED, Cue.HIP_DROPPED: FLAGGED, Cue.NOT_MEASURED: UNRELIABLE}
#: Colour of the banner's edge per step: the framing warning's yellow until the body is framed, then
#: neutral; never a finding's colour (orange is a minor finding, red a flag).
STEP_COLOURS = {
    Step.FRAMING: YELLOW,
    Step.COUNTDOWN: NEUTRAL,
    Step.STANDING: NEUTRAL,
    Step.LEFT: NEUTRAL,
    Step.SWITCH: NEUTRAL,
    Step.RIGHT: NEUTRAL,
    Step.DONE: OK,
}


def _fit(text: str, height_px: float, max_width_px: float) -> tuple[float, int]:
    """Font scale and stroke for ``text`` about ``height_px`` tall, shrunk to fit ``max_width_px``."""
    scale = height_px / cv2.getTextSize("X", FONT, 1.0, 2)[0][1]
    width = cv2.getTextSize(text, FONT, scale, 2)[0][0]
    if width > max_width_px:
        scale *= max_width_px / width
    return scale, max(2, round(scale * 2))


def _text(
    frame: np.ndarray,
    text: str,
    centre_x: float,
    top: float,
    height_px: float,
    max_width_px: float,
    colour: tuple[int, int, int],
    box: tuple[int, int, int] | None = DARK,
    edge: tuple[int, int, int] | None = None,
    opacity: float = 0.75,
) -> int:
    """Write ``text`` centred on ``centre_x`` below ``top`` in a box filled with ``opacity``; the box's bottom (px)."""
    scale, weight = _fit(text, height_px, max_width_px)
    (width, height), _ = cv2.getTextSize(text, FONT, scale, weight)
    pad = int(height * 0.45)
    x0, y0 = int(centre_x - width / 2 - pad), int(top)
    x1, y1 = int(centre_x + width / 2 + pad), int(top + height + 2 * pad)
    if box is not None:
        region = frame[max(0, y0) : y1, max(0, x0) : x1]
        region[:] = (region * (1 - opacity) + np.array(box) * opacity).astype(np.uint8)
    if edge is not None:
        cv2.rectangle(frame, (x0, y0), (x1, y1), edge, max(2, pad // 2))
    cv2.putText(frame, text, (int(centre_x - width / 2), y0 + pad + height), FONT, scale, colour, weight, cv2.LINE_AA)
    return y1


def _banner_text(frame: np.ndarray, text: str, banner_px: int) -> None:
    """Write ``text`` large and white across the top ``banner_px`` rows, its descenders included, centred in them."""
    height, width = frame.shape[:2]
    scale, weight = _fit(text, height * 0.085, width * 0.94)
    (text_w, text_h), baseline = cv2.getTextSize(text, FONT, scale, weight)
    if text_h + baseline > banner_px * 0.9:  # a tall glyph box: shrink it into the banner
        scale *= banner_px * 0.9 / (text_h + baseline)
        (text_w, text_h), baseline = cv2.getTextSize(text, FONT, scale, weight)
    y = int(round(banner_px / 2 + (text_h - baseline) / 2))
    cv2.putText(frame, text, (int(width / 2 - text_w / 2), y), FONT, scale, WHITE, weight, cv2.LINE_AA)


def _counter(frame: np.ndarray, leg: Leg, count: int, target: int, active: bool, centre_x: float, top: float) -> None:
    """One leg's counter: its name small, ``count/target`` large; green when done, white while counting."""
    height, width = frame.shape[:2]
    done = count >= target
    colour = OK if done else WHITE if active else (170, 170, 170)
    bottom = _text(frame, str(leg).upper(), centre_x, top, height * 0.045, width * 0.22, colour)
    _text(
        frame,
        f"{count}/{target}",
        centre_x,
        bottom - 1,
        height * 0.11,
        width * 0.22,
        colour,
        edge=colour if active and not done else None,
    )


def _check(frame: np.ndarray, x: int, y: int, size: int) -> None:
    """A green tick mark with its lower-left corner near (x, y)."""
    points = np.array([[x, y - size // 2], [x + size // 3, y], [x + size, y - size]], np.int32)
    cv2.polylines(frame, [points], False, OK, max(2, size // 5), cv2.LINE_AA)


def draw_protocol(
    frame: np.ndarray, shown: Display, fppa_deg: float = float("nan"), pelvic_drop_deg: float = float("nan")
) -> np.ndarray:
    """Draw the guided protocol's state on one RGB frame, in place.

    Parameters
    ----------
    frame : ndarray of uint8, shape (H, W, 3)
        The picture as shown (not mirrored), skeleton already drawn.
    shown : Display
        What the protocol says now (:meth:`knee_cv.core.protocol.Protocol.display`).
    fppa_deg : float
        The stance leg's live FPPA, degrees, positive = valgus; NaN leaves it out.
    pelvic_drop_deg : float
        The live pelvic drop, degrees, positive = free-leg side lower; NaN leaves it out.

    Returns
    -------
    ndarray
        ``frame``.
    """
    height, width = frame.shape[:2]
    banner = int(height * 0.15)
    frame[:banner] = (frame[:banner] * 0.2).astype(np.uint8)
    frame[:banner, : max(6, width // 80)] = STEP_COLOURS[shown.step]
    prompt = shown.prompt
    if shown.step in (Step.STANDING, Step.SWITCH):
        prompt += f"  {shown.seconds_left}"
    _banner_text(frame, prompt, banner)
    below = banner + height * 0.015
    if shown.warning:
        below = _text(frame, shown.warning, width / 2, below, height * 0.05, width * 0.9, YELLOW) + height * 0.01
    if shown.step is Step.COUNTDOWN:
        _text(frame, str(shown.seconds_left), width / 2, height * 0.3, height * 0.3, width * 0.5, WHITE)
        return frame
    if shown.step in (Step.FRAMING, Step.COUNTDOWN, Step.STANDING):
        return frame
    # the picture is not mirrored: the person's left leg appears on its right
    for leg, centre in ((Leg.RIGHT, width * 0.13), (Leg.LEFT, width * 0.87)):
        active = (shown.step is Step.LEFT and leg is Leg.LEFT) or (shown.step is Step.RIGHT and leg is Leg.RIGHT)
        _counter(frame, leg, shown.counts[leg], shown.target, active, centre, below)
    if shown.standing_done:
        size = int(height * 0.04)
        y = int(height * 0.93)
        _check(frame, int(width * 0.02), y, size)
        cv2.putText(
            frame,
            "standing reference",
            (int(width * 0.02) + size + 6, y),
            FONT,
            _fit("X", height * 0.035, width)[0],
            OK,
            2,
            cv2.LINE_AA,
        )
    readouts = [
        f"FPPA {fppa_deg:+.0f} deg" if np.isfinite(fppa_deg) else "",
        f"pelvic drop {pelvic_drop_deg:+.0f} deg" if np.isfinite(pelvic_drop_deg) else "",
    ]
    top = height * 0.86
    for line in (line for line in reversed(readouts) if line):
        scale, weight = _fit(line, height * 0.04, width * 0.3)
        text_w = cv2.getTextSize(line, FONT, scale, weight)[0][0]
        _text(frame, line, width * 0.98 - text_w / 2, top, height * 0.04, width * 0.3, WHITE)
        top -= height * 0.075
    if shown.cue is not None:
        cue = shown.cue
        _text(
            frame,
            f"{cue.number}: {cue.cue}",
            width / 2,
            height * 0.42,
            height * 0.09,
            width * 0.6,
            DARK,
            box=CUE_COLOURS[cue.cue],
            opacity=1.0,
        )
    return frame
