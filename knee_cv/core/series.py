"""Per-frame series of an analysis, as typed objects.

:class:`FrameSeries` holds every per-frame measure of one analysis, each an
array of shape (T,) aligned with the track's frames; the per-leg measures sit
in one :class:`LegSeries` per leg. Its flat form (:meth:`FrameSeries.to_dict`,
names such as ``fppa_left``) is what results are saved and exported as.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from knee_cv.core.labels import SIDES, Leg, is_frontal


@dataclass
class LegSeries:
    """Per-frame measures of one leg, each of shape (T,); NaN where not measurable.

    Attributes
    ----------
    fppa : ndarray
        Frontal plane projection angle, degrees, positive = valgus (NaN
        outside frontal and oblique views).
    knee_offset : ndarray
        Knee's distance from the hip-ankle line over the hip-ankle distance,
        positive = medial.
    knee_flexion : ndarray
        2D knee flexion, degrees, 0 = straight (NaN in frontal and oblique
        views, where the image does not show it).
    """

    fppa: np.ndarray
    knee_offset: np.ndarray
    knee_flexion: np.ndarray


@dataclass
class FrameSeries:
    """Every per-frame series of one analysis, each of shape (T,).

    Attributes
    ----------
    t : ndarray
        Frame times, seconds.
    left, right : LegSeries
        The person's own left and right leg.
    pelvic_drop : ndarray
        Degrees, positive = free-leg side lower (NaN outside reps and outside
        frontal and oblique views).
    trunk_lean : ndarray
        Degrees from vertical, positive = toward the stance leg (NaN as for
        ``pelvic_drop``).
    hip_drop : ndarray
        Hip midpoint below its standing height, fraction of leg length,
        positive = lower.
    hip_height : ndarray
        Hip midpoint height above the ankles, fraction of leg length.
    view : ndarray of str
        :class:`knee_cv.core.labels.View` values.
    view_confidence : ndarray
        In [0, 1].
    stance_leg : ndarray of str
        :class:`knee_cv.core.labels.Leg` value of the rep each frame is in,
        ``""`` between reps.
    """

    t: np.ndarray
    left: LegSeries
    right: LegSeries
    pelvic_drop: np.ndarray
    trunk_lean: np.ndarray
    hip_drop: np.ndarray
    hip_height: np.ndarray
    view: np.ndarray
    view_confidence: np.ndarray
    stance_leg: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def leg(self, leg: Leg | str) -> LegSeries:
        """The series of one single leg (``"left"`` or ``"right"``)."""
        if leg == Leg.LEFT:
            return self.left
        if leg == Leg.RIGHT:
            return self.right
        raise ValueError(f"leg must be 'left' or 'right', not {leg!r}")

    def frontal(self) -> np.ndarray:
        """Boolean mask, shape (T,): frames in a view that shows the frontal plane."""
        return is_frontal(self.view)

    def to_dict(self) -> dict[str, np.ndarray]:
        """The flat form: ``t``, ``fppa_left``, ``knee_offset_left``, ..., ``stance_leg``."""
        flat = {"t": self.t}
        for side in SIDES:
            for field in fields(LegSeries):
                flat[f"{field.name}_{side}"] = getattr(self.leg(side), field.name)
        for field in fields(self):
            if field.name not in ("t", "left", "right"):
                flat[field.name] = getattr(self, field.name)
        return flat

    @classmethod
    def from_dict(cls, flat: Mapping[str, np.ndarray]) -> FrameSeries:
        """Rebuild from :meth:`to_dict`'s form; no frames for a mapping without ``t``.

        Series missing from an older saved result come back as NaN (numbers)
        or ``""`` (labels) of the right length; a session saved before series
        were stored has none (length 0).
        """
        t = np.asarray(flat.get("t", ()), dtype=float)
        labels = {"view", "stance_leg"}

        def get(name: str) -> np.ndarray:
            if name in flat:
                return np.asarray(flat[name]).astype(str) if name in labels else np.asarray(flat[name], dtype=float)
            return np.full(len(t), "" if name in labels else np.nan, dtype=str if name in labels else float)

        legs = {side: LegSeries(**{f.name: get(f"{f.name}_{side}") for f in fields(LegSeries)}) for side in SIDES}
        rest = {f.name: get(f.name) for f in fields(cls) if f.name not in ("t", "left", "right")}
        return cls(t=t, left=legs[Leg.LEFT], right=legs[Leg.RIGHT], **rest)
