"""What a person may be shown of a rep: one rule for the app, the CLI text, the PDF and the CSV.

* Reps are numbered from 1 (:func:`rep_number`, named by :func:`rep_label`);
  ``Rep.index`` counts from 0 and stays so in the JSON.
* The measures of a rep that is not reliable (:data:`WITHHELD`: FPPA, pelvic
  drop, trunk lean, knee flexion, knee wobble and depth) are blank (NaN), and
  the reason is said (:attr:`Shown.withheld`); its times stay. Depth goes with
  the angles because the analysis itself leaves an unreliable rep's depth out
  (of the leg's mean and of the shallow-squat flag): what it does not use, no
  person is shown. :func:`visible` is that rule on a whole rep, for tables.
  The raw values stay in the :class:`~knee_cv.core.result.Rep` and its JSON,
  for research.
* A clinician's measurement of a rep (:class:`Measured`: a landmark moved on
  the review page) is shown instead of the automatic FPPA and pelvic drop,
  with its source ("measured by NAME on frame N"), whether or not the
  automatic rep was reliable.

Units and signs follow :mod:`knee_cv.core.result`: degrees, FPPA positive =
valgus, pelvic drop positive = the free leg's side lower, trunk lean positive
= toward the stance leg; knee wobble and depth as fractions of leg length.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from knee_cv.core.criteria import ABOVE, BY_NAME, CANT_TELL, UNSURE
from knee_cv.core.labels import CriterionName, Rating
from knee_cv.core.result import Rep

#: The fields of :class:`~knee_cv.core.result.Rep` that hold the automatic values' intervals and the
#: knee displacement: blank for a clinician's measurement too.
AUTOMATIC_ONLY = (
    "fppa_low_deg",
    "fppa_high_deg",
    "pelvic_drop_low_deg",
    "pelvic_drop_high_deg",
    "knee_displacement",
    "knee_displacement_low",
    "knee_displacement_high",
)

#: The fields of :class:`~knee_cv.core.result.Rep` that are blank when the rep is not reliable.
WITHHELD = (
    "depth",
    "knee_flexion_deg",
    "fppa_bottom_deg",
    "fppa_peak_deg",
    "fppa_spread_deg",
    "pelvic_drop_bottom_deg",
    "pelvic_drop_peak_deg",
    "trunk_lean_deg",
    "knee_wobble",
    *AUTOMATIC_ONLY,
)

#: The source of a value the analysis measured by itself.
AUTOMATIC = "automatic"


def rep_number(rep: Rep) -> int:
    """The number a person sees for a rep: ``Rep.index + 1`` (reps are counted from 1)."""
    return rep.index + 1


def rep_label(rep: Rep, *, with_leg: bool = True) -> str:
    """How a rep is named for people: ``"Rep 3 (left)"``, or ``"Rep 3"`` without the leg.

    The name of the app's captions and charts, the annotated video, the PDF
    and the review page (:func:`rep_number`: counted from 1).

    Examples
    --------
    >>> from knee_cv.core.labels import Leg
    >>> rep = Rep(2, Leg.LEFT, 0, 1, 2, 0.0, 0.5, 1.0, *[float("nan")] * 8, confidence=0.9, reliable=True)
    >>> rep_label(rep), rep_label(rep, with_leg=False)
    ('Rep 3 (left)', 'Rep 3')
    """
    name = f"Rep {rep_number(rep)}"
    return f"{name} ({rep.leg})" if with_leg else name


@dataclass(frozen=True)
class Measured:
    """A clinician's measurement of one rep, on one frame.

    Attributes
    ----------
    fppa_deg : float
        FPPA from the clinician's points, degrees, positive = valgus.
    pelvic_drop_deg : float
        Pelvic drop from the clinician's points, degrees, positive = the free
        leg's side lower (NaN where the level reference is unknown).
    by : str
        Who measured (the logged-in clinician).
    frame : int
        Row of the analysed track (0-based; shown from 1, as the review page's
        frame stepper numbers frames).
    t_s : float
        Time of that frame in the video, seconds.
    """

    fppa_deg: float
    pelvic_drop_deg: float
    by: str
    frame: int
    t_s: float

    @property
    def source(self) -> str:
        """Where the value comes from, for people: "measured by NAME on frame N (T s)"."""
        return f"measured by {self.by} on frame {self.frame + 1} ({self.t_s:.2f} s)"


@dataclass(frozen=True)
class Shown:
    """The values of one rep that may be shown, NaN where blank.

    ``source`` says where FPPA and pelvic drop come from (:data:`AUTOMATIC`
    or :attr:`Measured.source`; "" when they are blank); ``withheld`` says why
    the automatic angles are blank ("" when they are not). The ``*_low*`` and
    ``*_high*`` fields bound the automatic values' intervals
    (:mod:`knee_cv.core.uncertainty`; show them with :func:`likely`); they,
    and the knee displacement (leg lengths, + = medial), are blank for a
    clinician's measurement.
    """

    number: int
    leg: str
    depth: float
    knee_flexion_deg: float
    fppa_deg: float
    fppa_peak_deg: float
    pelvic_drop_deg: float
    trunk_lean_deg: float
    knee_wobble: float
    source: str
    withheld: str
    fppa_low_deg: float = math.nan
    fppa_high_deg: float = math.nan
    pelvic_drop_low_deg: float = math.nan
    pelvic_drop_high_deg: float = math.nan
    knee_displacement: float = math.nan
    knee_displacement_low: float = math.nan
    knee_displacement_high: float = math.nan


def number(
    value: float | None,
    digits: int = 1,
    *,
    unit: str = "",
    signed: bool = False,
    scale: float = 1.0,
    missing: str = "-",
) -> str:
    """A measured number as the outputs write it: ``digits`` decimals, then ``unit``.

    Parameters
    ----------
    value : float or None
        The number (NaN or None: unknown).
    digits : int
        Decimals written.
    unit : str
        Written after the number (``"°"``, ``" deg"``, ``"%"``).
    signed : bool
        Write ``+`` before a positive number (angles whose sign means a side).
    scale : float
        Multiplies the value first (100 for a fraction written in per cent).
    missing : str
        Written for an unknown value. Each output keeps its own mark: an em
        dash in the app, ``"-"`` in the PDF and the terminal, ``"--"`` on the
        annotated video (its font has no em dash).

    Examples
    --------
    >>> number(3.14159), number(-2.0, signed=True, unit="°"), number(0.125, 0, scale=100, unit="%")
    ('3.1', '-2.0°', '12%')
    >>> number(float("nan"), missing="—"), number(None)
    ('—', '-')
    """
    if value is None or not math.isfinite(value):
        return missing
    return f"{scale * value:{'+' if signed else ''}.{digits}f}{unit}"


def signed_angle(value: float, unit: str = "°", missing: str = "—") -> str:
    """An angle whose sign means a side, as the app's cards and captions show it: ``"+12.3°"``, "—" for NaN."""
    return number(value, signed=True, unit=unit, missing=missing)


def likely(value: float, low: float, high: float, unit: str = " deg", scale: float = 1.0) -> str:
    """A value with its interval, as every output shows it: ``"44 deg, likely 27 to 51"``.

    Whole numbers: the intervals are several degrees (or per cent) wide, so a
    decimal would claim more than is known.

    Parameters
    ----------
    value, low, high : float
        The value and its interval (NaN: unknown).
    unit : str
        Written after the value (``" deg"``, ``"°"``, ``" %"``).
    scale : float
        Multiplies all three first (100 for a fraction shown in per cent).

    Returns
    -------
    str
        ``"-"`` for a NaN value; the value alone where the interval is unknown.

    Examples
    --------
    >>> likely(44.2, 26.8, 50.9)
    '44 deg, likely 27 to 51'
    >>> likely(0.125, 0.042, 0.126, " % of leg length", scale=100)
    '12 % of leg length, likely 4 to 13'
    >>> likely(-0.2, -4.3, -0.4)
    '0 deg, likely -4 to 0'
    """
    if not math.isfinite(value):
        return "-"
    text = f"{int(round(scale * value))}{unit}"  # rounded to an int: no "-0"
    if math.isfinite(low) and math.isfinite(high):
        text += f", likely {int(round(scale * low))} to {int(round(scale * high))}"
    return text


def rating(rated: Rating | None, best: Rating | None = None, worst: Rating | None = None) -> str:
    """A rating with the range this video allows, as every output shows it: ``"fair (could be good to poor)"``.

    Parameters
    ----------
    rated : Rating or None
        The rating from the values (None: not rated).
    best, worst : Rating or None
        The best and worst rating the intervals allow
        (:attr:`knee_cv.core.result.LegSummary.rating_best`); None or equal
        to each other: the rating alone.

    Examples
    --------
    >>> rating(Rating.FAIR, Rating.GOOD, Rating.POOR)
    'fair (could be good to poor)'
    >>> rating(Rating.GOOD, Rating.GOOD, Rating.GOOD)
    'good'
    >>> rating(None)
    'not rated'
    """
    if rated is None:
        return "not rated"
    if best is None or worst is None or best == worst:
        return str(rated)
    return f"{rated} (could be {best} to {worst})"


def verdict(rep: Rep, criterion: str, threshold: float) -> str:
    """How a rep's criterion stands against its threshold, for people.

    ``"above the threshold"``, ``"below the threshold"`` or ``"can't tell from
    this video"`` (the interval holds the threshold:
    :meth:`knee_cv.core.criteria.Criterion.verdict`); "" for an unreliable rep.
    """
    if not rep.reliable:
        return ""
    found = BY_NAME[CriterionName(criterion)].verdict(rep, threshold)
    return CANT_TELL if found == UNSURE else "above the threshold" if found == ABOVE else "below the threshold"


def visible(rep: Rep) -> Rep:
    """``rep`` as a person may see it: its :data:`WITHHELD` fields NaN when it is not reliable.

    A reliable rep is returned as it is. Tables of reps (the CSV, the app's
    rep table) take their numbers from here, so they blank what
    :func:`shown` blanks.
    """
    return rep if rep.reliable else blanked(rep, WITHHELD)


def blanked(rep: Rep, names: Iterable[str]) -> Rep:
    """A copy of ``rep`` whose fields ``names`` (float fields of :class:`~knee_cv.core.result.Rep`) are NaN."""
    nan: dict[str, Any] = dict.fromkeys(names, math.nan)
    return replace(rep, **nan)


def withheld_reason(rep: Rep) -> str:
    """Why a rep's automatic angles are blank: "unreliable: REASONS"; "" for a reliable rep."""
    if rep.reliable:
        return ""
    return "unreliable: " + ("; ".join(rep.unreliable_reasons) or "low confidence")


def shown(rep: Rep, measured: Measured | None = None) -> Shown:
    """The values of ``rep`` a person may be shown (see the module notes).

    Parameters
    ----------
    rep : Rep
    measured : Measured, optional
        The clinician's measurement of this rep, when there is one; its FPPA
        and pelvic drop replace the automatic ones (the peak FPPA is then
        blank: it was not measured by hand).
    """
    seen = visible(rep)
    fppa, peak, drop = seen.fppa_bottom_deg, seen.fppa_peak_deg, seen.pelvic_drop_bottom_deg
    source = AUTOMATIC if rep.reliable else ""
    if measured is not None:
        fppa, peak, drop, source = measured.fppa_deg, math.nan, measured.pelvic_drop_deg, measured.source
        seen = blanked(seen, AUTOMATIC_ONLY)
    return Shown(
        number=rep_number(rep),
        leg=str(rep.leg),
        depth=seen.depth,
        knee_flexion_deg=seen.knee_flexion_deg,
        fppa_deg=fppa,
        fppa_peak_deg=peak,
        pelvic_drop_deg=drop,
        trunk_lean_deg=seen.trunk_lean_deg,
        knee_wobble=seen.knee_wobble,
        source=source,
        withheld=withheld_reason(rep),
        fppa_low_deg=seen.fppa_low_deg,
        fppa_high_deg=seen.fppa_high_deg,
        pelvic_drop_low_deg=seen.pelvic_drop_low_deg,
        pelvic_drop_high_deg=seen.pelvic_drop_high_deg,
        knee_displacement=seen.knee_displacement,
        knee_displacement_low=seen.knee_displacement_low,
        knee_displacement_high=seen.knee_displacement_high,
    )


def measured_note(reps: Iterable[Rep], measured: Mapping[int, Measured]) -> str:
    """One line naming each measured rep and its source ("" when none): "rep 2: measured by ..."."""
    return "; ".join(f"rep {rep_number(rep)}: {measured[rep.index].source}" for rep in reps if rep.index in measured)
