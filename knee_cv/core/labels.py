"""The labels the analysis gives: which leg, which camera view.

Both are ``str`` enums, so a label compares equal to its plain text
(``Leg.LEFT == "left"``), works as a dict key for it, prints as it and
serialises to JSON as it: saved results and per-frame label arrays keep the
plain strings.
"""

from __future__ import annotations

from enum import Enum

import numpy as np


class Leg(str, Enum):
    """A stance leg: one leg planted, or both (a two-leg squat)."""

    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"

    def __str__(self) -> str:
        return self.value

    @property
    def sides(self) -> tuple[Leg, ...]:
        """The single legs this label covers: both sides for :attr:`BOTH`."""
        return SIDES if self is Leg.BOTH else (self,)


#: The two single legs, left first.
SIDES = (Leg.LEFT, Leg.RIGHT)


class View(str, Enum):
    """How the camera sees the person (:func:`knee_cv.core.view.classify_view`)."""

    FRONTAL = "frontal"
    OBLIQUE = "oblique"
    SIDE = "side"
    NONE = "none"  # no pose in the frame

    def __str__(self) -> str:
        return self.value

    @property
    def shows_frontal_plane(self) -> bool:
        """True where FPPA, pelvic drop and trunk lean can be read (frontal or oblique)."""
        return self in FRONTAL_VIEWS


#: Views where the frontal-plane measures (FPPA, pelvic drop, trunk lean) can be read.
FRONTAL_VIEWS = (View.FRONTAL, View.OBLIQUE)


def is_frontal(views: np.ndarray) -> np.ndarray:
    """Boolean mask of the frames whose view label is in :data:`FRONTAL_VIEWS`."""
    return np.isin(np.asarray(views).astype(str), [str(view) for view in FRONTAL_VIEWS])
