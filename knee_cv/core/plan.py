"""The home plan: the findings' exercises over six weeks, with doses a person can tick off.

Built from an analysis' recommendations (:func:`plan_for`) and the catalog's
plan data (``exercises.toml``: the ``[plan]`` table and each exercise's
``plan``). At most ``max_exercises`` go into the plan; when more are
suggested, each finding keeps its first exercises in turn (the most important
finding first), so no finding is left without one, and the others are listed
as also suggested. Recommendations whose exercise the catalog no longer has
(an old saved session) are listed the same way.

A clinician's prescription is the plan's exercises as plain dicts
(:func:`plan_items`: key, why, findings, days a week, doses, a note), in
order; :func:`plan_from_items` checks such a list and makes the plan again,
the steps and pictures coming from the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from knee_cv.core.exercises import findings_of, load_catalog, safety_note
from knee_cv.core.result import Analysis, Recommendation


@dataclass(frozen=True)
class Dose:
    """One block's dose of an exercise: ``sets`` of ``reps`` or of a hold of ``hold_s`` seconds.

    Attributes
    ----------
    weeks : str
        The block ("Weeks 1-2").
    sets : int
    reps : int or None
    hold_s : int or None
    each : str
        What the dose is per ("each side", "each leg", "per area").
    add : str
        What changes in this block ("with a light band around the knees"), or "".
    """

    weeks: str
    sets: int
    reps: int | None
    hold_s: int | None
    each: str
    add: str = ""

    def text(self) -> str:
        """The dose in words.

        Examples
        --------
        >>> Dose("Weeks 1-2", 3, None, 30, "each leg", "eyes closed").text()
        '3 holds of 30 s each leg, eyes closed'
        >>> Dose("Weeks 1-2", 2, 15, None, "each side").text()
        '2 sets of 15 each side'
        >>> Dose("Weeks 1-2", 1, None, 60, "per area").text()
        '60 s per area'
        """
        if self.hold_s is not None:
            amount = f"{self.hold_s} s" if self.sets == 1 else f"{self.sets} holds of {self.hold_s} s"
        else:
            amount = f"{self.sets} sets of {self.reps}"
        return f"{amount} {self.each}" + (f", {self.add}" if self.add else "")


@dataclass(frozen=True)
class PlannedExercise:
    """An exercise of the plan, with everything a person needs to do it at home.

    Attributes
    ----------
    key, name, why : str
        From the recommendation (``why`` names the finding and the legs).
    findings : tuple of str
        The plan's findings this exercise answers, in a few words ("knee
        moving inward"); empty when the plan was built without findings.
    steps : tuple of str
        Three short steps.
    feel, avoid, stop : str
        What to feel, what to avoid, when to stop.
    days_per_week : int
    doses : tuple of Dose
        One per block, in order.
    progress : str
        How this exercise gets harder.
    note : str
        The prescribing clinician's note for this exercise, or "".
    """

    key: str
    name: str
    why: str
    findings: tuple[str, ...]
    steps: tuple[str, ...]
    feel: str
    avoid: str
    stop: str
    days_per_week: int
    doses: tuple[Dose, ...]
    progress: str
    note: str = ""


@dataclass(frozen=True)
class Plan:
    """A home plan.

    Attributes
    ----------
    exercises : tuple of PlannedExercise
        In the order of the recommendations.
    also : tuple of Recommendation
        Suggested but not in the plan: beyond the plan's size, or no longer
        in the catalog.
    weeks : int
    blocks : tuple of str
        The blocks' names ("Weeks 1-2", ...), one per dose.
    safety_note, schedule, progress, pain : str
        The safety gate (shown first), when to do what, when to move to the
        next block, and how much discomfort is fine.
    """

    exercises: tuple[PlannedExercise, ...]
    also: tuple[Recommendation, ...]
    weeks: int
    blocks: tuple[str, ...]
    safety_note: str
    schedule: str
    progress: str
    pain: str


def _chosen(keys: list[str], findings: list[str], rules: Mapping[str, dict[str, Any]], limit: int) -> set[str]:
    """Up to ``limit`` of ``keys``: each finding's first exercise in turn, then each one's second, ..."""
    if len(keys) <= limit:
        return set(keys)
    lists = [[k for k in rules[f]["exercises"] if k in keys] for f in findings]
    chosen: list[str] = []
    for rank in range(max((len(x) for x in lists), default=0)):
        for exercises in lists:
            if rank < len(exercises) and exercises[rank] not in chosen and len(chosen) < limit:
                chosen.append(exercises[rank])
    for key in keys:  # exercises of no listed finding fill what is left
        if len(chosen) < limit and key not in chosen:
            chosen.append(key)
    return set(chosen)


def build_plan(recommendations: Iterable[Recommendation], findings: Iterable[str] = ()) -> Plan:
    """The home plan of ``recommendations``.

    Parameters
    ----------
    recommendations : iterable of Recommendation
        As :func:`knee_cv.core.exercises.recommend` gives them.
    findings : iterable of str
        The findings they came from, most important first; they decide which
        exercises stay when there are more than the plan holds. Without them,
        the first ones stay.

    Returns
    -------
    Plan
        Empty (no exercises) when there are no recommendations; the safety
        note and the rules are there all the same.
    """
    catalog = load_catalog()
    recommendations, findings = list(recommendations), [f for f in findings if f in catalog["rules"]]
    known = [r.key for r in recommendations if r.key in catalog["exercises"]]
    chosen = _chosen(known, findings, catalog["rules"], int(catalog["plan"]["max_exercises"]))
    planned = [
        _planned(
            catalog,
            rec.key,
            rec.why,
            tuple(catalog["rules"][f]["finding"] for f in findings if rec.key in catalog["rules"][f]["exercises"]),
        )
        for rec in recommendations
        if rec.key in chosen
    ]
    return _plan(catalog, planned, tuple(rec for rec in recommendations if rec.key not in chosen))


def _plan(catalog: Mapping[str, Any], exercises: Iterable[PlannedExercise], also: tuple[Recommendation, ...]) -> Plan:
    """A plan of ``exercises`` with the catalog's weeks, blocks and rules."""
    general = catalog["plan"]
    return Plan(
        exercises=tuple(exercises),
        also=also,
        weeks=int(general["weeks"]),
        blocks=tuple(general["blocks"]),
        safety_note=safety_note(),
        schedule=general["schedule"],
        progress=general["progress"],
        pain=general["pain"],
    )


def _planned(
    catalog: Mapping[str, Any],
    key: str,
    why: str,
    findings: tuple[str, ...],
    days_per_week: int | None = None,
    doses: tuple[Dose, ...] | None = None,
    note: str = "",
) -> PlannedExercise:
    """The catalog's exercise ``key`` in a plan; its own days and doses unless others are given."""
    entry = catalog["exercises"][key]
    plan = entry["plan"]
    if doses is None:
        doses = tuple(
            Dose(weeks, int(d["sets"]), d.get("reps"), d.get("hold_s"), plan["each"], d.get("add", ""))
            for weeks, d in zip(catalog["plan"]["blocks"], plan["doses"])
        )
    return PlannedExercise(
        key=key,
        name=entry["name"],
        why=why,
        findings=findings,
        steps=tuple(entry["steps"]),
        feel=entry["feel"],
        avoid=entry["avoid"],
        stop=entry["stop"],
        days_per_week=int(plan["days_per_week"] if days_per_week is None else days_per_week),
        doses=doses,
        progress=plan["progress"],
        note=note,
    )


def plan_for(analysis: Analysis) -> Plan:
    """The home plan of an analysis: its recommendations, the findings of its reps deciding what stays."""
    return build_plan(analysis.recommendations, findings_of(analysis.reps))


ADDED_WHY = "Added by your physiotherapist."
"""The reason given for an exercise a clinician added to a plan."""

LIMITS = {"days_per_week": (1, 7), "sets": (1, 10), "reps": (1, 100), "hold_s": (5, 300)}
"""The smallest and largest value a prescription may give each number."""


def plan_items(plan: Plan) -> list[dict[str, Any]]:
    """The plan's exercises as plain dicts (JSON-ready), in order: what a prescription stores.

    Each has ``key``, ``why``, ``findings`` (list of str), ``days_per_week``,
    ``doses`` (one dict per block: ``weeks``, ``sets``, ``reps``, ``hold_s``,
    ``each``, ``add``) and ``note``.
    """
    return [
        {
            "key": e.key,
            "why": e.why,
            "findings": list(e.findings),
            "days_per_week": e.days_per_week,
            "doses": [asdict(d) for d in e.doses],
            "note": e.note,
        }
        for e in plan.exercises
    ]


def catalog_item(key: str) -> dict[str, Any]:
    """The catalog's exercise ``key`` as a plan item (its own dose), as a clinician adds it to a plan.

    Raises
    ------
    KeyError
        The catalog has no exercise ``key``.
    """
    return plan_items(_plan(load_catalog(), [_planned(load_catalog(), key, ADDED_WHY, ())], ()))[0]


def _number(value: Any, what: str, name: str) -> int:
    """``value`` as an int within :data:`LIMITS` for ``what``, or a ValueError naming the exercise."""
    low, high = LIMITS[what]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not low <= value <= high:
        raise ValueError(f"{name}: {what.replace('_', ' ')} must be a whole number from {low} to {high}, not {value!r}.")
    return int(value)


def _dose(item: Mapping[str, Any], weeks: str, name: str) -> Dose:
    """One block's dose of a plan item, checked: sets, and reps or a hold (one of them)."""
    if (item.get("reps") is None) == (item.get("hold_s") is None):
        raise ValueError(f"{name}, {weeks}: give either repetitions or a hold in seconds.")
    reps, hold = item.get("reps"), item.get("hold_s")
    return Dose(
        weeks,
        _number(item.get("sets"), "sets", name),
        None if reps is None else _number(reps, "reps", name),
        None if hold is None else _number(hold, "hold_s", name),
        str(item.get("each", "")),
        str(item.get("add", "")),
    )


def plan_from_items(items: Iterable[Mapping[str, Any]]) -> Plan:
    """The plan a prescription's items (:func:`plan_items`) describe, checked.

    Steps, pictures and texts come from the catalog; an item whose exercise
    the catalog no longer has is left out. The plan suggests nothing beyond
    its exercises (``also`` is empty).

    Raises
    ------
    ValueError
        An exercise appears twice, or a number is missing or out of
        :data:`LIMITS`, or the doses are not one per block (the message
        names the exercise).
    """
    catalog = load_catalog()
    blocks = tuple(catalog["plan"]["blocks"])
    items = [item for item in items if item["key"] in catalog["exercises"]]
    planned = []
    for item in items:
        name = catalog["exercises"][item["key"]]["name"]
        if sum(other["key"] == item["key"] for other in items) > 1:
            raise ValueError(f"{name} is in the plan twice; keep it once.")
        if len(item["doses"]) != len(blocks):
            raise ValueError(f"{name} needs one dose for each of {len(blocks)} blocks.")
        doses = tuple(_dose(dose, weeks, name) for dose, weeks in zip(item["doses"], blocks))
        planned.append(
            _planned(
                catalog,
                item["key"],
                str(item.get("why", "")),
                tuple(item.get("findings", ())),
                _number(item.get("days_per_week"), "days_per_week", name),
                doses,
                str(item.get("note", "")),
            )
        )
    return _plan(catalog, planned, ())
