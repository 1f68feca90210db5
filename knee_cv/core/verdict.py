"""The plain-language verdict for a runner: per leg what was seen, how sure it is, and what to do next.

:func:`verdict` turns an :class:`~knee_cv.core.result.Analysis` (and what the
person said about herself: sex, painful side) into sentences without
numbers, thresholds or citations; those stay in the result for the
physiotherapist. Every term a lay person reads carries its plain word
("knee moved inward", "hip dropped on the lifted-leg side").

What it rests on (``../shared/CLINICAL.md``):

- Clinical protocols average 3 good reps (Willson 2006; Munro 2012), so a
  leg's finding resting on fewer is called tentative, and a left-right
  statement is made only when each side has at least that many reliable
  reps (the thresholds' ``[rating] min_reps``, the same number the rating
  asks for).
- The 8 deg smallest detectable difference (Munro 2012) is a between-day
  figure, not a left-right one. Left against right is judged from the reps
  themselves: the difference of the two sides' mean FPPA against its
  standard error from the rep-to-rep spread (twice the standard error, an
  approximate 95 % interval that excludes zero).
- The knee valgus cut-off is sex-specific (Herrington 2014 for women,
  Ghulam 2021 for men); without a sex the women's value is used
  (``thresholds.toml``), and the verdict says so.
- The safety gate (see a physiotherapist instead, and when) is the
  catalog's safety note; with no finding, the general advice is the source
  article's: calf and ankle mobility, fire hydrants and foam rolling, worth
  trying if the knee hurts, wobbles or rolls inward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from knee_cv.core.exercises import load_catalog, safety_note
from knee_cv.core.labels import Leg
from knee_cv.core.plan import plan_for
from knee_cv.core.result import Analysis, LegSummary, Rep

#: Each finding in plain words, as "your <leg> ..." continues.
PLAIN: dict[str, str] = {
    "knee_valgus": "knee moved inward (toward the other knee)",
    "pelvic_drop": "hip dropped on the side of the lifted leg",
    "trunk_lean": "upper body leaned to the side",
    "knee_wobble": "knee wobbled from side to side",
    "shallow": "squat was shallow (the hips went down only a little)",
}

#: The source article's exercises, suggested when nothing was flagged.
GENERAL_EXERCISES = ("calf_step_stretch", "fire_hydrants", "foam_rolling")

SCREEN_NOTE = "A phone video is a screen, not a diagnosis: it can miss things and it can see things that are not there."


@dataclass(frozen=True)
class LegVerdict:
    """The verdict for one stance leg.

    Attributes
    ----------
    leg : str
        ``"left"``, ``"right"`` or ``"both"`` (a two-leg squat).
    title : str
        A heading: "Left leg", "Right leg (the painful side)".
    flagged : bool
        Something was seen on this leg.
    measured : bool
        At least one rep on it could be measured.
    seen : tuple of str
        What was seen, one plain sentence each; a single "nothing stood
        out" sentence when nothing was.
    sureness : str
        How many reps it rests on, and whether that is enough.
    """

    leg: str
    title: str
    flagged: bool
    measured: bool
    seen: tuple[str, ...]
    sureness: str


@dataclass(frozen=True)
class NextStep:
    """What to do next.

    Attributes
    ----------
    lead : str
        One sentence: the exercises below, or the general advice.
    exercises : tuple of str
        "Name: dose" per exercise.
    see_physio : str
        The safety gate: the catalog's safety note (when to see a physiotherapist instead).
    """

    lead: str
    exercises: tuple[str, ...]
    see_physio: str


@dataclass(frozen=True)
class Verdict:
    """The whole plain verdict of an analysis.

    Attributes
    ----------
    headline : str
        One sentence first: flagged or not, on which legs.
    legs : tuple of LegVerdict
        One per stance leg seen, the painful side first.
    comparison : str or None
        Left against right, only when each side has enough reliable reps.
    next_step : NextStep
    screen_note : str
        That a phone video is a screen, not a diagnosis.
    cutoff_note : str
        Which knee cut-off was used, when the person did not give her sex.
    """

    headline: str
    legs: tuple[LegVerdict, ...]
    comparison: str | None
    next_step: NextStep
    screen_note: str = SCREEN_NOTE
    cutoff_note: str = ""


def _squats(n: int) -> str:
    return f"{n} squat" if n == 1 else f"{n} squats"


def _title(leg: str, painful_side: str | None) -> str:
    name = "Both legs" if leg == Leg.BOTH else f"{leg.capitalize()} leg"
    return f"{name} (the painful side)" if painful_side == leg else name


def _in(count: int, n: int) -> str:
    return "in the one squat that could be measured" if n == 1 else f"in {count} of {n} squats"


def _seen(reps: list[Rep], sex: str | None) -> tuple[tuple[str, ...], bool]:
    """What ``reps`` (one leg's reliable reps; the card's title names the leg) showed, in the criteria's order.

    Returns
    -------
    sentences : tuple of str
        One per criterion flagged or undecided on some rep. A flag on a rep
        whose interval holds the threshold (``Rep.undecided``) is said as
        "may have", and reps the video cannot decide are counted apart.
    flagged : bool
        Some criterion was flagged.
    """
    people = "most men without knee pain" if sex == "male" else "most women without knee pain"
    sentences = []
    flagged = False
    for criterion in PLAIN:
        sure = sum(1 for rep in reps if _flagged(rep, criterion) and criterion not in rep.undecided)
        unsure = sum(1 for rep in reps if criterion in rep.undecided)
        maybe = sum(1 for rep in reps if _flagged(rep, criterion) and criterion in rep.undecided)
        if not sure and not unsure:
            continue
        if sure or maybe:
            flagged = True
            verb = "Your" if sure else "Perhaps your"
            text = f"{verb} {PLAIN[criterion]} {_in(sure or maybe, len(reps))}"
            if criterion == "knee_valgus":
                text += f", more than in {people}"
            if sure and unsure:
                text += f"; in {unsure} more the video cannot tell for sure"
            elif not sure:
                text += "; the video cannot tell for sure"
        else:
            text = (
                f"The video cannot tell for sure whether your {PLAIN[criterion].split(' (')[0]} more than "
                f"usual {_in(unsure, len(reps))}"
            )
        sentences.append(text + ".")
    return tuple(sentences), flagged


def _flagged(rep: Rep, criterion: str) -> bool:
    return any(flag.criterion == criterion for flag in rep.flags)


def rep_in_words(rep: Rep) -> str:
    """What one rep showed, in a few plain words (its findings, or that nothing stood out).

    Examples
    --------
    >>> from knee_cv.core.verdict import rep_in_words
    >>> import knee_cv
    >>> [rep_in_words(rep) for rep in knee_cv.analyze("samples/squat_oblique_front_01.csv").reps][:1]
    ['could not be measured clearly']
    """
    if not rep.reliable:
        return "could not be measured clearly"
    found = [PLAIN[criterion] for criterion in PLAIN if any(flag.criterion == criterion for flag in rep.flags)]
    return "; ".join(found) if found else "nothing stood out"


def _min_reps(analysis: Analysis) -> int:
    """Reliable reps a leg's finding rests on firmly and each side needs to be compared (``[rating] min_reps``)."""
    return int(analysis.thresholds.rating.min_reps)


def _sureness(n_reliable: int, n_reps: int, min_reps: int) -> str:
    of = f" (of {_squats(n_reps)} found)" if n_reps > n_reliable else ""
    if n_reliable == 0:
        return (
            f"None of the {_squats(n_reps)} on this leg could be measured clearly, so there is no answer "
            "for it. See the tips on filming below."
        )
    rests = f"This rests on {_squats(n_reliable)} that could be measured clearly{of}."
    if n_reliable < min_reps:
        return rests + (f" That is few: physiotherapists look at {min_reps} or more, so film 5 on each leg for a surer answer.")
    return rests


def leg_verdict(analysis: Analysis, leg: LegSummary, sex: str | None = None, painful_side: str | None = None) -> LegVerdict:
    """The verdict for one leg's summary of ``analysis``.

    Parameters
    ----------
    analysis : Analysis
    leg : LegSummary
        One of ``analysis.summary.legs``.
    sex : {"female", "male"}, optional
        Who the knee is compared with (None: women, the default cut-off).
    painful_side : {"left", "right", "both"}, optional
        The side the person said hurts; named in the title.

    Returns
    -------
    LegVerdict
    """
    reliable = [rep for rep in analysis.reps if rep.leg == leg.leg and rep.reliable]
    seen, flagged = _seen(reliable, sex)
    if not reliable:
        seen = ()
    elif not flagged:
        where = _in(1, 1) if len(reliable) == 1 else f"in all {len(reliable)} squats that could be measured"
        seen = (f"Nothing stood out: knee, hip and upper body stayed within the usual range {where}.", *seen)
    title = _title(leg.leg, painful_side if painful_side in (Leg.LEFT, Leg.RIGHT) else None)
    return LegVerdict(leg.leg, title, flagged, bool(reliable), seen, _sureness(len(reliable), leg.n_reps, _min_reps(analysis)))


def compare_sides(analysis: Analysis) -> str | None:
    """Left against right in plain words, or None when either side has too few reliable reps.

    The difference of the two sides' mean FPPA is called a difference only
    when it exceeds twice its standard error from the reps' spread (see the
    module docstring); otherwise the sides are said to look alike within
    what the video can tell apart.

    Parameters
    ----------
    analysis : Analysis

    Returns
    -------
    str or None
    """
    angles = {}
    for side in (Leg.LEFT, Leg.RIGHT):
        values = np.array([rep.fppa_bottom_deg for rep in analysis.reps if rep.leg == side and rep.reliable], dtype=float)
        values = values[np.isfinite(values)]
        if values.size < max(2, _min_reps(analysis)):  # and at least 2: a spread needs two
            return None
        angles[side] = values
    left, right = angles[Leg.LEFT], angles[Leg.RIGHT]
    difference = float(left.mean() - right.mean())
    error = math.sqrt(left.var(ddof=1) / left.size + right.var(ddof=1) / right.size)
    if abs(difference) <= 2 * error:
        return (
            "Your left and right knees moved about the same: the difference between them is smaller than "
            "the difference between your own squats on one leg."
        )
    more, less = (Leg.LEFT, Leg.RIGHT) if difference > 0 else (Leg.RIGHT, Leg.LEFT)
    return (
        f"Your {more} knee moved further inward than your {less} knee, and it did so consistently across "
        "your squats. Part of such a difference can come from the phone standing a little to one side."
    )


def next_step(analysis: Analysis) -> NextStep:
    """The exercises the findings suggest (the home plan's, with their first dose), or general advice.

    Parameters
    ----------
    analysis : Analysis

    Returns
    -------
    NextStep
    """
    gate = safety_note()
    if not analysis.summary.measurable:
        lead = (
            "Film again following the tips below. Meanwhile, if your knee hurts when you run, or you feel it "
            "wobble or roll inward, these may help:"
        )
    else:
        lead = (
            "Nothing here calls for specific exercises. If your knee hurts when you run, or you feel it "
            "wobble or roll inward, these may help:"
        )
    plan = plan_for(analysis) if analysis.summary.measurable else None
    if plan is not None and plan.exercises:
        items = tuple(
            f"{exercise.name}: {exercise.doses[0].text()}, "
            f"{'every day' if exercise.days_per_week == 7 else f'{exercise.days_per_week} days a week'}"
            for exercise in plan.exercises
        )
        return NextStep(
            "Try the home exercises below for six weeks; they target what was seen. The first two weeks:", items, gate
        )
    catalog = load_catalog()["exercises"]
    items = tuple(f"{catalog[key]['name']}: {catalog[key]['dosage']}" for key in GENERAL_EXERCISES if key in catalog)
    return NextStep(lead, items, gate)


def verdict(analysis: Analysis, sex: str | None = None, painful_side: str | None = None) -> Verdict:
    """The plain verdict of ``analysis``: a headline, each leg, left against right, and the next step.

    Parameters
    ----------
    analysis : Analysis
    sex : {"female", "male"}, optional
        What the person gave; None when she preferred not to say (the
        women's cut-off was used, and :attr:`Verdict.cutoff_note` says so).
    painful_side : {"left", "right", "both"}, optional
        The side that hurts: its leg comes first.

    Returns
    -------
    Verdict
    """
    legs = [leg_verdict(analysis, leg, sex, painful_side) for leg in analysis.summary.legs]
    legs.sort(key=lambda leg: (leg.leg != painful_side, leg.leg))
    flagged = [leg for leg in legs if leg.flagged]
    if not analysis.summary.measurable or not any(leg.measured for leg in legs):
        headline = "Your knees could not be measured in this video, so there is no verdict. See what to change below."
    elif flagged:
        names = "both legs" if len(flagged) > 1 else "your " + flagged[0].title.split(" (")[0].lower()
        headline = f"Something was seen on {names}: see below, with exercises that target it."
    else:
        headline = "Nothing stood out in the squats that could be measured."
    cutoff = ""
    if sex is None:
        cutoff = (
            "You did not give your sex, so your knees were compared with women without knee pain (the "
            "cut-off for men is a little stricter)."
        )
    return Verdict(headline, tuple(legs), compare_sides(analysis), next_step(analysis), cutoff_note=cutoff)
