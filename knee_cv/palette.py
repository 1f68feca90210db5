"""The one colour palette of knee_cv, one meaning per colour on every page, the video and the charts.

Okabe and Ito's colour-blind-safe set (Okabe, Ito 2008, "Color Universal
Design"): its eight colours stay apart for the common colour-vision
deficiencies. Each colour has one meaning wherever knee_cv draws:

- the person's **left leg** blue, the **right leg** bluish green (legs are
  never red or orange);
- a **flag** (a finding on knee valgus or pelvic drop, and the thresholds
  that make one) vermillion, the only red;
- a **minor finding** (trunk lean, knee wobble, shallow) orange;
- a rep with **no finding** sky blue, an **unreliable** rep grey;
- the **pelvis** (pelvic drop, hip drop) reddish purple.
"""

from __future__ import annotations

#: Colour by meaning, as ``#rrggbb``.
HEX: dict[str, str] = {
    "left": "#0072B2",  # blue
    "right": "#009E73",  # bluish green
    "both": "#000000",  # black: a two-leg squat
    "flag": "#D55E00",  # vermillion
    "minor": "#E69F00",  # orange
    "ok": "#56B4E9",  # sky blue
    "unreliable": "#999999",  # grey
    "pelvis": "#CC79A7",  # reddish purple
}


def rgb(meaning: str) -> tuple[int, int, int]:
    """The colour of ``meaning`` (a key of :data:`HEX`) as an RGB triple.

    Examples
    --------
    >>> rgb("flag")
    (213, 94, 0)
    """
    code = HEX[meaning].lstrip("#")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def rgba(meaning: str, alpha: float) -> str:
    """The colour of ``meaning`` as a CSS ``rgba()`` with opacity ``alpha`` (0-1).

    Examples
    --------
    >>> rgba("left", 0.5)
    'rgba(0,114,178,0.5)'
    """
    red, green, blue = rgb(meaning)
    return f"rgba({red},{green},{blue},{alpha})"
