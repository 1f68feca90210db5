"""The labels the analysis gives: which leg, which camera view, which exercise, rating and criterion.

All are ``str`` enums, so a label compares equal to its plain text
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


class Exercise(str, Enum):
    """What the person did: most reps on one leg, most on both, or no rep at all."""

    SINGLE_LEG = "single-leg"
    DOUBLE_LEG = "double-leg"
    NO_SQUAT = "no squat"

    def __str__(self) -> str:
        return self.value


class Rating(str, Enum):
    """A leg's or a session's rating, in the spirit of Crossley 2011, best first."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """0 for good, 1 for fair, 2 for poor: the worse rating ranks higher."""
        return list(Rating).index(self)


class CriterionName(str, Enum):
    """The machine name of a criterion (:data:`knee_cv.core.criteria.CRITERIA`): a flag's ``criterion``.

    Also the name of its table in ``thresholds.toml`` and of its rule in
    ``exercises.toml``.
    """

    KNEE_VALGUS = "knee_valgus"
    PELVIC_DROP = "pelvic_drop"
    TRUNK_LEAN = "trunk_lean"
    KNEE_WOBBLE = "knee_wobble"
    SHALLOW = "shallow"

    def __str__(self) -> str:
        return self.value
