"""Checking the text people type before it reaches the clinician store.

A subject code is the only key to a person's record, so two codes that look
the same must be the same code: it is normalised (Unicode NFC, surrounding
spaces removed) and refused when it holds anything a reader cannot see or that
changes how text around it is shown: control characters (a newline, NUL),
format characters (zero-width space U+200B, the right-to-left mark U+200F and
the other bidirectional controls), unassigned or private code points, and any
space but the plain one. Free text (notes, names) may hold line breaks and
tabs but no other control character: PostgreSQL cannot store NUL at all.
"""

from __future__ import annotations

import unicodedata

from knee_cv.errors import StoreError

MAX_SUBJECT_CODE = 64
"""Longest subject code, in characters (the column is ``VARCHAR(64)``)."""

MAX_NAME = 128
"""Longest reviewer or clinician name, in characters (the columns are ``VARCHAR(128)``)."""

_INVISIBLE = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})
"""Unicode general categories refused in a code or a name: control, format, unassigned, private, surrogate, separators."""

_CODE_ADVICE = "Use letters, digits and marks such as - _ . (for example P001 or RUN-017), not a name."


_CONTROL_NAMES = {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED, a new line", "\r": "CARRIAGE RETURN"}
"""Names of control characters, which :func:`unicodedata.name` does not know."""


def _described(char: str) -> str:
    """``U+200B ZERO WIDTH SPACE``: a character as a person can look it up."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "a control character")
    return f"U+{ord(char):04X} {name}"


def _hidden_character(text: str) -> str | None:
    """The first character of ``text`` a reader cannot see or that reorders text, or None."""
    for char in text:
        if unicodedata.category(char) in _INVISIBLE or (unicodedata.category(char) == "Zs" and char != " "):
            return char
    return None


def subject_code(text: str) -> str:
    """The canonical form of a subject code typed by a person, or a refusal.

    Parameters
    ----------
    text : str
        The code as typed.

    Returns
    -------
    str
        NFC-normalised, without surrounding spaces; 1 to
        :data:`MAX_SUBJECT_CODE` characters.

    Raises
    ------
    StoreError
        Empty, too long, or holding a character that cannot be seen or that
        changes the direction of text (named in the message).
    """
    code = unicodedata.normalize("NFC", str(text)).strip()
    if not code:
        raise StoreError(f"Enter a subject code. {_CODE_ADVICE}")
    if len(code) > MAX_SUBJECT_CODE:
        raise StoreError(f"The subject code is {len(code)} characters long; use at most {MAX_SUBJECT_CODE}. {_CODE_ADVICE}")
    hidden = _hidden_character(code)
    if hidden is not None:
        raise StoreError(
            f"The subject code holds an invisible or control character ({_described(hidden)}), so it "
            f"could look like another subject's code. Type it again by hand. {_CODE_ADVICE}"
        )
    return code


def lookup_code(text: str) -> str:
    """A subject code as it is looked up: NFC, without surrounding spaces, not refused.

    Codes saved before :func:`subject_code` existed may hold characters it
    refuses; they can still be found (and deleted).
    """
    return unicodedata.normalize("NFC", str(text)).strip()


def person_name(text: str, what: str = "Your name") -> str:
    """A reviewer's or clinician's name: trimmed, 1 to :data:`MAX_NAME` characters, nothing invisible.

    Raises
    ------
    StoreError
        Empty, too long, or holding a control or invisible character.
    """
    name = unicodedata.normalize("NFC", str(text)).strip()
    if not name:
        raise StoreError(f"{what} is empty: say who you are (log in, or enter your name) before saving or reviewing.")
    if len(name) > MAX_NAME:
        raise StoreError(f"{what} is {len(name)} characters long; use at most {MAX_NAME}.")
    hidden = _hidden_character(name)
    if hidden is not None:
        raise StoreError(f"{what} holds an invisible or control character ({_described(hidden)}); type it again by hand.")
    return name


def free_text(text: str, where: str = "in the note") -> str:
    """Free text (a note): line breaks and tabs kept, other control characters refused.

    Raises
    ------
    StoreError
        The text holds NUL or another control character besides line
        breaks and tabs.
    """
    hidden = next((char for char in text if unicodedata.category(char) == "Cc" and char not in "\n\r\t"), None)
    if hidden is not None:
        raise StoreError(
            f"There is a control character ({_described(hidden)}) {where} that cannot be stored; "
            "remove it (it often comes with text pasted from another program)."
        )
    return text
