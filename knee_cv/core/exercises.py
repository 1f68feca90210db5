"""The exercise catalog and the rules from findings to recommended exercises.

Both live as data in ``exercises.toml`` beside this module: each exercise
with how to do it, a dosage and its source; each rule maps a finding (a
:class:`knee_cv.core.result.Flag` criterion) to exercises, with the reason why.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from knee_cv.core.criteria import BY_NAME
from knee_cv.core.result import Recommendation
from knee_cv.core.thresholds import read_toml

CATALOG_PATH = Path(__file__).with_name("exercises.toml")

@lru_cache(maxsize=4)
def load_catalog(path: str | Path = CATALOG_PATH) -> dict[str, Any]:
    """Read the exercise catalog.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file with ``safety_note``, ``[exercises.KEY]`` tables
        (``name``, ``how``, ``dosage``, ``source``) and ``[rules.FINDING]``
        tables (``why``, ``exercises``). Defaults to the packaged catalog.

    Returns
    -------
    dict
        The parsed file. Callers must not modify it (it is cached).
    """
    catalog = read_toml(path)
    known = set(catalog["exercises"])
    unruled = set(BY_NAME) - set(catalog["rules"])
    if unruled:
        raise ValueError(f"{path} has no rule for the criteria {sorted(unruled)}")
    for finding, rule in catalog["rules"].items():
        if finding not in BY_NAME:
            raise ValueError(f"rule {finding!r} in {path} is for no known criterion ({', '.join(BY_NAME)})")
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
    reasons: dict[str, list[str]] = {}
    for finding in dict.fromkeys(findings):
        rule = catalog["rules"].get(finding)
        if rule is None:
            continue
        side = " and ".join(legs.get(finding, []))
        because = f"{rule['why']} ({side} leg)" if side else rule["why"]
        for key in rule["exercises"]:
            reasons.setdefault(key, []).append(because)
    recommendations = []
    for key, whys in reasons.items():
        exercise = catalog["exercises"][key]
        why = "Suggested because " + "; and because ".join(whys) + "."
        recommendations.append(
            Recommendation(key=key, name=exercise["name"], how=exercise["how"],
                           dosage=exercise["dosage"], why=why)
        )
    return recommendations
