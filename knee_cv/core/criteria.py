"""The five things a rep is checked for, in one table.

Each :class:`Criterion` says which number of a rep (and of a leg's summary)
it looks at, when that number crosses its threshold (a table of
``thresholds.toml`` of the same name), how a flag reads, how the rating
names it, and whether it is a major finding (drawn red) or a minor one.
Flags, the rating, the order of recommendations and the colours of the
annotated video all come from :data:`CRITERIA`; the exercise rules in
``exercises.toml`` are keyed by the same names.

Sign conventions are those of :mod:`knee_cv.core.result`: FPPA positive =
valgus, pelvic drop positive = free side lower, trunk lean positive =
toward the stance leg.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from knee_cv.core.labels import CriterionName
from knee_cv.core.result import LegSummary, Rep
from knee_cv.core.threshold_tables import Limit

#: Verdicts of :meth:`Criterion.verdict`: a finding, none, or this video cannot tell.
ABOVE, BELOW, UNSURE = "above", "below", "unsure"

#: How an :data:`UNSURE` verdict reads.
CANT_TELL = "can't tell from this video"


@dataclass(frozen=True)
class Criterion:
    """One check of a rep against a threshold.

    Attributes
    ----------
    name : CriterionName
        Machine name: the flag's ``criterion``, the thresholds table and the
        exercise rule.
    rating_name : str
        Its name among the rating's reasons (Crossley's knee, pelvis, trunk...).
    major : bool
        A major finding (knee valgus, pelvic drop) colours a rep red, a minor
        one amber.
    unit : str
        ``"deg"`` or ``"ratio"``.
    rep_value, leg_value : callable
        The number checked, of a :class:`~knee_cv.core.result.Rep` and of a
        :class:`~knee_cv.core.result.LegSummary` (NaN = not measured).
    below : bool
        True when values *below* the threshold are the finding (depth).
    magnitude : bool
        True when the sign does not matter (trunk lean either way).
    reason : callable
        ``reason(value, limit)``: the flag's sentence, with the
        numbers and the source.
    rating_text : str
        Format of the value in the rating's reasons (fields ``v`` and ``t``,
        the value and threshold; ``pv`` and ``pt``, the same in per cent).
    rate_when_passed : bool
        List the criterion among the rating's reasons also when it passed.
    rep_interval : callable or None
        The interval that likely holds the rep's true value, ``(low, high)``
        in ``unit`` (:mod:`knee_cv.core.uncertainty`); None for a criterion
        measured without one. See :meth:`verdict`.
    leg_interval : callable or None
        The same for a :class:`~knee_cv.core.result.LegSummary` (the means of
        its reliable reps' interval ends); the rating's range uses it
        (:func:`knee_cv.core.assessment.leg_summary`).
    """

    name: CriterionName
    rating_name: str
    major: bool
    unit: str
    rep_value: Callable[[Rep], float]
    leg_value: Callable[[LegSummary], float]
    reason: Callable[[float, Limit], str]
    rating_text: str
    below: bool = False
    magnitude: bool = False
    rate_when_passed: bool = True
    rep_interval: Callable[[Rep], tuple[float, float]] | None = None
    leg_interval: Callable[[LegSummary], tuple[float, float]] | None = None

    def crossed(self, value: float, threshold: float) -> bool:
        """Whether ``value`` is a finding against ``threshold`` (False for NaN)."""
        checked = abs(value) if self.magnitude else value
        return bool(checked < threshold) if self.below else bool(checked > threshold)

    def verdict(self, rep: Rep, threshold: float) -> str:
        """:data:`ABOVE`, :data:`BELOW` or :data:`UNSURE` for one rep against ``threshold``.

        With a finite interval (:attr:`rep_interval`) the whole interval must
        lie beyond the threshold for a finding, and wholly on the other side
        for none; an interval that holds the threshold is :data:`UNSURE`
        ("can't tell from this video"). Without one the value alone decides
        (:meth:`crossed`); a NaN value is :data:`BELOW` (nothing found).
        """
        value = self.rep_value(rep)
        low, high = self.rep_interval(rep) if self.rep_interval is not None else (math.nan, math.nan)
        if not (math.isfinite(low) and math.isfinite(high)):
            return ABOVE if self.crossed(value, threshold) else BELOW
        if self.crossed(low, threshold) and self.crossed(high, threshold):
            return ABOVE
        if self.crossed(low, threshold) or self.crossed(high, threshold):
            return UNSURE
        return BELOW

    def leg_ends(self, leg: LegSummary) -> tuple[float, float]:
        """A leg's value at the two ends of its interval: the one least like a finding, then the one most like it.

        Without a finite interval (:attr:`leg_interval`) both are the value
        itself. The rating's range (:func:`knee_cv.core.assessment.leg_summary`)
        is the rating at the first and at the second.
        """
        value = self.leg_value(leg)
        low, high = self.leg_interval(leg) if self.leg_interval is not None else (math.nan, math.nan)
        if not (math.isfinite(low) and math.isfinite(high)):
            return value, value
        if self.magnitude:
            low, high = (0.0 if low <= 0 <= high else min(abs(low), abs(high))), max(abs(low), abs(high))
        return (high, low) if self.below else (low, high)


def _valgus(value: float, t: Limit) -> str:
    return f"Knee moved inward: FPPA {value:.1f} deg at the deepest point, above the {t.value:.1f} deg threshold ({t.source})."


def _pelvis(value: float, t: Limit) -> str:
    return (
        f"Pelvis dropped on the free-leg side: {value:.1f} deg at the deepest "
        f"point, above the {t.value:.1f} deg threshold ({t.source})."
    )


def _trunk(value: float, t: Limit) -> str:
    side = "toward" if value > 0 else "away from"
    return (
        f"Trunk leaned {side} the standing leg: {abs(value):.1f} deg from vertical, "
        f"above the {t.value:.1f} deg threshold ({t.source})."
    )


def _wobble(value: float, t: Limit) -> str:
    return f"Knee wobbled from side to side: spread {100 * value:.1f} % of leg length, above {100 * t.value:.1f} % ({t.source})."


def _shallow(value: float, t: Limit) -> str:
    return f"Shallow squat: the hips went down {100 * value:.0f} % of leg length, less than {100 * t.value:.0f} % ({t.source})."


#: The criteria, in the order findings lead to recommendations.
CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        CriterionName.KNEE_VALGUS,
        "knee",
        True,
        "deg",
        lambda rep: rep.fppa_bottom_deg,
        lambda leg: leg.fppa_deg,
        _valgus,
        "FPPA {v:.1f} deg (threshold {t:.1f})",
        rep_interval=lambda rep: (rep.fppa_low_deg, rep.fppa_high_deg),
        leg_interval=lambda leg: (leg.fppa_low_deg, leg.fppa_high_deg),
    ),
    Criterion(
        CriterionName.PELVIC_DROP,
        "pelvis",
        True,
        "deg",
        lambda rep: rep.pelvic_drop_bottom_deg,
        lambda leg: leg.pelvic_drop_deg,
        _pelvis,
        "pelvic drop {v:.1f} deg (threshold {t:.1f})",
        rep_interval=lambda rep: (rep.pelvic_drop_low_deg, rep.pelvic_drop_high_deg),
        leg_interval=lambda leg: (leg.pelvic_drop_low_deg, leg.pelvic_drop_high_deg),
    ),
    Criterion(
        CriterionName.TRUNK_LEAN,
        "trunk",
        False,
        "deg",
        lambda rep: rep.trunk_lean_deg,
        lambda leg: leg.trunk_lean_deg,
        _trunk,
        "trunk lean {v:.1f} deg (threshold {t:.1f})",
        magnitude=True,
    ),
    Criterion(
        CriterionName.KNEE_WOBBLE,
        "knee control",
        False,
        "ratio",
        lambda rep: rep.knee_wobble,
        lambda leg: leg.knee_wobble,
        _wobble,
        "knee wobble {v:.3f} (threshold {t:.3f})",
    ),
    Criterion(
        CriterionName.SHALLOW,
        "depth",
        False,
        "ratio",
        lambda rep: rep.depth,
        lambda leg: leg.depth,
        _shallow,
        "{pv:.0f} % of leg length (target {pt:.0f} %)",
        below=True,
        rate_when_passed=False,
    ),
)

#: Criteria by name.
BY_NAME: dict[CriterionName, Criterion] = {c.name: c for c in CRITERIA}

#: Names of the major criteria (drawn red).
MAJOR: frozenset[CriterionName] = frozenset(c.name for c in CRITERIA if c.major)
