"""The exercise catalog and the rules from findings to recommended exercises.

Both live as data in ``exercises.toml`` beside this module: each exercise
with how to do it, a dosage and its source, three steps, what to feel, what
to avoid, when to stop and its doses for the home plan
(:mod:`knee_cv.core.plan`); each rule maps a finding (a
:class:`knee_cv.core.result.Flag` criterion) to exercises, with the reason why.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from knee_cv.core.criteria import BY_NAME, CRITERIA
from knee_cv.core.labels import SIDES
from knee_cv.core.result import Recommendation, Rep
from knee_cv.core.thresholds import read_toml

CATALOG_PATH = Path(__file__).with_name("exercises.toml")

#: The plain-words fields every catalog exercise has for a person at home.
GUIDE_FIELDS = ("feel", "avoid", "stop")


def _check_exercise(key: str, exercise: dict[str, Any], blocks: int, path: str | Path) -> None:
    """Raise ValueError naming what ``exercise`` lacks for the home plan."""
    where = f"exercise {key!r} in {path}"
    steps = exercise.get("steps")
    if not (isinstance(steps, list) and len(steps) == 3 and all(isinstance(x, str) and x for x in steps)):
        raise ValueError(f"{where} needs three steps")
    for name in GUIDE_FIELDS:
        if not exercise.get(name):
            raise ValueError(f"{where} needs {name!r}")
    plan = exercise.get("plan", {})
    if not 1 <= plan.get("days_per_week", 0) <= 7 or not plan.get("each") or not plan.get("progress"):
        raise ValueError(f"{where} needs a plan with days_per_week (1-7), each and progress")
    doses = plan.get("doses", [])
    if len(doses) != blocks:
        raise ValueError(f"{where} has {len(doses)} doses for {blocks} blocks")
    for dose in doses:
        if dose.get("sets", 0) < 1 or ("reps" in dose) == ("hold_s" in dose):
            raise ValueError(f"{where} has a dose without sets and exactly one of reps or hold_s: {dose}")


@lru_cache(maxsize=4)
def load_catalog(path: str | Path = CATALOG_PATH) -> dict[str, Any]:
    """Read the exercise catalog.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file with ``safety_note``, ``[exercises.KEY]`` tables
        (``name``, ``how``, ``dosage``, ``source``, three ``steps``, ``feel``,
        ``avoid``, ``stop`` and a ``plan`` table: ``days_per_week``, ``each``,
        one dose per block with ``sets`` and ``reps`` or ``hold_s``,
        ``progress``), a ``[plan]`` table (``weeks``, ``blocks``,
        ``max_exercises``, ``schedule``, ``progress``, ``pain``) and
        ``[rules.FINDING]`` tables (``why``, ``finding`` in a few words,
        ``exercises``). Defaults to the packaged catalog.

    Returns
    -------
    dict
        The parsed file. Callers must not modify it (it is cached).
    """
    catalog = read_toml(path)
    known = set(catalog["exercises"])
    for key, exercise in catalog["exercises"].items():
        _check_exercise(key, exercise, len(catalog["plan"]["blocks"]), path)
    unruled = set(BY_NAME) - set(catalog["rules"])
    if unruled:
        raise ValueError(f"{path} has no rule for the criteria {sorted(map(str, unruled))}")
    for finding, rule in catalog["rules"].items():
        if finding not in BY_NAME:
            raise ValueError(f"rule {finding!r} in {path} is for no known criterion ({', '.join(BY_NAME)})")
        if not rule.get("finding"):
            raise ValueError(f"rule {finding!r} in {path} needs 'finding', the finding in a few words")
        missing = [key for key in rule["exercises"] if key not in known]
        if missing:
            raise ValueError(f"rule {finding!r} in {path} names unknown exercises {missing}")
    return catalog


def safety_note() -> str:
    """The safety gate shown with every set of recommendations (plain text)."""
    return " ".join(load_catalog()["safety_note"].split())


def recommend(findings: Iterable[str], legs: dict[str, list[str]] | None = None) -> list[Recommendation]:
    """Exercises for a set of findings, each with why it is suggested.

    Parameters
    ----------
    findings : iterable of str
        Flag criteria seen in the session (``"knee_valgus"``, ``"pelvic_drop"``,
        ``"trunk_lean"``, ``"knee_wobble"``, ``"shallow"``). Unknown names and
        repeats are ignored. Order sets the order of the result.
    legs : dict of str to list of str, optional
        For each finding, the stance legs it was seen on (``"left"``,
        ``"right"``), named in the reason.

    Returns
    -------
    list of Recommendation
        One entry per exercise (an exercise suggested by two findings appears
        once, its ``why`` naming both). Empty when there are no findings.
    """
    catalog = load_catalog()
    legs = legs or {}
    reasons: dict[str, list[tuple[str, str]]] = {}
    for finding in dict.fromkeys(findings):
        rule = catalog["rules"].get(finding)
        if rule is None:
            continue
        side = " and ".join(legs.get(finding, []))
        for key in rule["exercises"]:
            reasons.setdefault(key, []).append((rule["why"], side))
    recommendations = []
    for key, whys in reasons.items():
        exercise = catalog["exercises"][key]
        why = _suggested_because(whys)
        recommendations.append(
            Recommendation(key=key, name=exercise["name"], how=exercise["how"], dosage=exercise["dosage"], why=why)
        )
    return recommendations


def _suggested_because(whys: list[tuple[str, str]]) -> str:
    """One sentence from each finding's reason and the legs it was seen on ("right", "left and right", "" for none).

    The legs are named once, up front, when every finding was seen on the
    same ones, and after each reason otherwise.
    """

    def legs(side: str) -> str:
        return f"{side} leg{'s' if ' and ' in side else ''}"

    sides = {side for _, side in whys}
    if len(sides) == 1:
        (side,) = sides
        lead = f"Suggested for your {legs(side)} because " if side else "Suggested because "
        return lead + "; and because ".join(reason for reason, _ in whys) + "."
    return "Suggested because " + "; and because ".join(f"{r} ({legs(s)})" if s else r for r, s in whys) + "."


def findings_of(reps: Iterable[Rep]) -> dict[str, list[str]]:
    """The findings flagged on ``reps``, most important first, each with the stance legs it was seen on.

    Parameters
    ----------
    reps : iterable of Rep
        The reps of an analysis (flags are set on reliable reps only).

    Returns
    -------
    dict of str to list of str
        Flag criterion to the sorted legs (``"left"``, ``"right"``), in the
        order of :data:`knee_cv.core.criteria.CRITERIA`: the order of
        :func:`recommend`'s findings.
    """
    seen: dict[str, set[str]] = {}
    for rep in reps:
        for flag in rep.flags:
            legs = seen.setdefault(flag.criterion, set())
            if rep.leg in SIDES:
                legs.add(rep.leg)
    return {c.name: sorted(seen[c.name]) for c in CRITERIA if c.name in seen}


def recommend_for(reps: Iterable[Rep]) -> list[Recommendation]:
    """Exercises for the findings flagged on ``reps`` (:func:`findings_of`), each naming the legs it was seen on."""
    findings = findings_of(reps)
    return recommend(findings, findings)
