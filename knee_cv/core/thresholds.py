"""Thresholds as data: reading ``thresholds.toml`` with sex and user overrides into typed tables.

:func:`load_thresholds` is the one way in for a new analysis: it checks a file
or overrides against the packaged layout (a misfit is one sentence naming the
key) and returns frozen :class:`~knee_cv.core.threshold_tables.Thresholds`.
:func:`saved_thresholds` reads back what a result or a saved session kept,
tolerating the layouts of earlier versions.
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from knee_cv.core.threshold_tables import Thresholds
from knee_cv.errors import ThresholdsError

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


@cache
def _packaged() -> dict[str, Any]:
    """The packaged ``thresholds.toml``, read once (callers copy it)."""
    return read_toml(THRESHOLDS_PATH)


def _kind(value: Any) -> str:
    """What a TOML value is, for comparing a table with the packaged one: number, text, flag, list or table."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a table"
    return "a list" if isinstance(value, (list, tuple)) else type(value).__name__


def _same_names(
    given: Mapping[str, Any],
    expected: Mapping[str, Any],
    origin: str,
    unknown: str,
    missing: str,
) -> None:
    """Refuse a name ``given`` has that ``expected`` lacks (a typo: the sentence lists the known ones), then one it misses.

    ``unknown`` and ``missing`` are the sentences' middles, with ``{}`` or ``{!r}`` for the name.
    """
    for name in given:
        if name not in expected:
            raise ThresholdsError(f"{origin}: {unknown.format(name)}; known: {', '.join(sorted(expected))}")
    for name in expected:
        if name not in given:
            raise ThresholdsError(f"{origin}: {missing.format(name)}")


def validate_thresholds(table: Mapping[str, Any], *, origin: str = "thresholds") -> None:
    """Check thresholds against the packaged layout; a misfit is one :class:`ThresholdsError` sentence naming the key.

    Every table and key of the packaged ``thresholds.toml`` must be there,
    nothing else (a typo is an unknown key, not a silent default), each
    value of the packaged value's kind (a number, text, true or false, a
    list), every number finite.

    Parameters
    ----------
    table : mapping
        Table name to its keys, as :func:`load_thresholds` returns them.
    origin : str
        What the sentence calls the thresholds (a file's name, "the overrides").

    Raises
    ------
    ThresholdsError
        For the first misfit found, e.g. ``"thresholds: [knee_valgus] value
        must be a number, not 'high'"``.
    """
    packaged = _packaged()
    _same_names(table, packaged, origin, "unknown table [{}]", "the table [{}] is missing")
    for name, keys in packaged.items():
        given = table[name]
        if not isinstance(given, Mapping):
            raise ThresholdsError(f"{origin}: [{name}] must be a table of keys, not {given!r}")
        _same_names(given, keys, origin, f"unknown key {{!r}} in [{name}]", f"[{name}] has no {{!r}}")
        for key, expected in keys.items():
            value = given[key]
            if _kind(value) != _kind(expected):
                raise ThresholdsError(f"{origin}: [{name}] {key} must be {_kind(expected)}, not {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ThresholdsError(f"{origin}: [{name}] {key} must be a finite number, not {value!r}")


def load_thresholds(
    path: str | Path | None = None,
    sex: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Thresholds:
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
    Thresholds
        One frozen table per table of the file, e.g.
        ``thresholds.knee_valgus.value`` (degrees).

    Raises
    ------
    ThresholdsError
        For an unknown sex, or a file or override that does not fit the
        packaged layout (:func:`validate_thresholds`): one sentence naming
        the key. A ``ValueError`` too.
    """
    table = copy.deepcopy(read_toml(path) if path else _packaged())
    if path:
        validate_thresholds(table, origin=Path(path).name)
    if sex is not None:
        sex = sex.lower()
        if sex not in SEXES:
            raise ThresholdsError(f"sex must be one of {SEXES} or left out, not {sex!r}")
        for entry in table.values():
            if isinstance(entry, dict) and sex in entry:
                entry["value"] = entry[sex]
                entry["source"] = entry.get(f"source_{sex}", entry.get("source", ""))
    for name, new in (overrides or {}).items():
        if name not in table:
            raise ThresholdsError(f"unknown threshold {name!r}; known: {', '.join(sorted(table))}")
        if isinstance(new, Mapping):
            table[name].update(new)
        elif "value" not in table[name]:
            raise ThresholdsError(
                f"the table [{name}] has no single value: override one of its keys, as {{{name!r}: {{key: number}}}}"
            )
        else:
            table[name]["value"] = float(new) if isinstance(new, (int, float)) and not isinstance(new, bool) else new
        table[name]["source"] = "set by the user"
    if overrides:
        validate_thresholds(table, origin="the overrides")
    return Thresholds.from_dict(table)


def saved_thresholds(tables: Mapping[str, Any] | None) -> Thresholds:
    """The thresholds a result or a saved session kept, read back.

    Results and sessions keep their thresholds as :meth:`Thresholds.as_dict`
    writes them. Those of earlier versions lack tables and keys added since
    (``[placement_error]``, the live readouts' filter...): such a table or
    key takes the packaged value, the one those versions used in code; a key
    of the wrong kind does too, and a key no longer known is dropped.

    Parameters
    ----------
    tables : mapping or None
        Table name to its keys; None or empty for a result that kept none.

    Returns
    -------
    Thresholds
    """
    packaged = _packaged()
    merged: dict[str, dict[str, Any]] = {}
    for name, defaults in packaged.items():
        kept = (tables or {}).get(name)
        kept = kept if isinstance(kept, Mapping) else {}
        merged[name] = {
            key: kept[key] if key in kept and _kind(kept[key]) == _kind(default) else default for key, default in defaults.items()
        }
    return Thresholds.from_dict(merged)
