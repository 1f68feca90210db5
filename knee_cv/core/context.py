"""What the person said about herself and her clip when she uploaded it.

A :class:`SessionContext` travels with a result: the upload page asks for it,
the verdict words itself by it (:mod:`knee_cv.core.verdict`), a saved session
keeps it (``sessions`` columns of migration 0006) and every export carries it
(the JSON's ``context``, the CSV's first columns, the PDF's header).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from knee_cv.core.thresholds import SEXES

#: The painful sides a person can give ("none": no pain; None: not given).
PAINFUL_SIDES = ("left", "right", "both", "none")


@dataclass(frozen=True)
class SessionContext:
    """Sex, painful side, date filmed and mirroring of one clip, each None (or False) when not given.

    Attributes
    ----------
    sex : {"female", "male"} or None
        None: she preferred not to say; the analysis then used the
        sex-neutral knee cut-off (the women's, see ``thresholds.toml``).
    painful_side : {"left", "right", "both", "none"} or None
    filmed_on : datetime.date or None
        The day the clip was filmed (the container's creation time, or what
        she typed).
    mirrored : bool
        Filmed with the selfie camera: the frames were flipped back.

    Raises
    ------
    ValueError
        For a sex or painful side not listed.
    """

    sex: str | None = None
    painful_side: str | None = None
    filmed_on: date | None = None
    mirrored: bool = False

    def __post_init__(self) -> None:
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"sex must be one of {SEXES} or None, not {self.sex!r}")
        if self.painful_side is not None and self.painful_side not in PAINFUL_SIDES:
            raise ValueError(f"painful side must be one of {PAINFUL_SIDES} or None, not {self.painful_side!r}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form: the date as ``YYYY-MM-DD``, a value not given as None.

        Examples
        --------
        >>> from datetime import date
        >>> SessionContext("female", "right", date(2026, 5, 1)).as_dict()
        {'sex': 'female', 'painful_side': 'right', 'filmed_on': '2026-05-01', 'mirrored': False}
        """
        return {
            "sex": self.sex,
            "painful_side": self.painful_side,
            "filmed_on": self.filmed_on.isoformat() if self.filmed_on else None,
            "mirrored": self.mirrored,
        }

    def differences(self, given: SessionContext) -> list[str]:
        """What ``given`` says otherwise than this (the saved) context, each as "what: kept, given".

        For a second save of the same clip, which keeps the first: the person
        sees what was not taken. Mirroring is left out (it changes the
        analysis, so a mirrored save is a save of its own).

        Examples
        --------
        >>> from datetime import date
        >>> SessionContext("female", "right").differences(SessionContext("female", "left", date(2026, 5, 1)))
        ['painful side right (this save: left)', 'date filmed not given (this save: 2026-05-01)']
        """
        kept, new = self.as_dict(), given.as_dict()
        names = {"sex": "sex", "painful_side": "painful side", "filmed_on": "date filmed"}
        return [
            f"{name} {kept[key] or 'not given'} (this save: {new[key] or 'not given'})"
            for key, name in names.items()
            if kept[key] != new[key]
        ]

    def columns(self) -> dict[str, Any]:
        """The CSV's leading columns: blank (None) where not given, ``mirrored`` as yes/no.

        Examples
        --------
        >>> SessionContext().columns()
        {'filmed_on': None, 'sex': None, 'painful_side': None, 'mirrored': 'no'}
        """
        plain = self.as_dict()
        return {
            "filmed_on": plain["filmed_on"],
            "sex": self.sex,
            "painful_side": self.painful_side,
            "mirrored": "yes" if self.mirrored else "no",
        }

    def lines(self) -> list[tuple[str, str]]:
        """Label and value for a report's header ("not given" where not given)."""
        return [
            ("Filmed on", self.filmed_on.isoformat() if self.filmed_on else "not given"),
            ("Sex given", self.sex or "not given (the women's knee cut-off was used)"),
            ("Sore knee given", self.painful_side or "not given"),  # not "Painful side": the subject's record is
            ("Selfie camera", "yes (mirrored picture, flipped back)" if self.mirrored else "no"),
        ]
