"""Thresholds as data: reading ``thresholds.toml`` with sex and user overrides."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

THRESHOLDS_PATH = Path(__file__).with_name("thresholds.toml")

#: Values accepted for ``sex``.
SEXES = ("female", "male")


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file (tomllib on 3.11+, tomli on 3.10)."""
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def load_thresholds(
    path: str | Path | None = None,
    sex: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The thresholds to use, each with its unit and source.

    Parameters
    ----------
    path : str or Path, optional
        A thresholds TOML file laid out like the packaged ``thresholds.toml``
        (the default).
    sex : {"female", "male"}, optional
        Picks the sex-specific value of a table where it has one (its
        ``value`` and ``source`` are replaced). None keeps the sex-neutral
        default.
    overrides : dict, optional
        ``{"table": number}`` sets that table's ``value`` (its source becomes
        ``"set by the user"``); ``{"table": {"key": number}}`` sets any key.

    Returns
    -------
    dict
        Table name to a dict with at least ``value`` (or the table's own
        keys), ``unit`` and ``source``. A fresh copy on every call.

    Raises
    ------
    ValueError
        For an unknown sex or an override of a table that does not exist.
    """
    table = copy.deepcopy(read_toml(path or THRESHOLDS_PATH))
    if sex is not None:
        sex = sex.lower()
        if sex not in SEXES:
            raise ValueError(f"sex must be one of {SEXES} or left out, not {sex!r}")
        for entry in table.values():
            if isinstance(entry, dict) and sex in entry:
                entry["value"] = entry[sex]
                entry["source"] = entry.get(f"source_{sex}", entry.get("source", ""))
    for name, new in (overrides or {}).items():
        if name not in table:
            raise ValueError(f"unknown threshold {name!r}; known: {', '.join(sorted(table))}")
        if isinstance(new, dict):
            table[name].update(new)
        else:
            table[name]["value"] = float(new)
        table[name]["source"] = "set by the user"
    return table
