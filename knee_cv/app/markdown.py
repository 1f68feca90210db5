"""Showing text people typed (subject codes, names, notes) as it is, inside Streamlit's Markdown.

Streamlit renders Markdown in titles, messages, labels and captions: a code
such as ``![t](http://host/t.png)`` would make the browser fetch that address,
``**x**`` would lose its stars and ``--`` turn into a dash. :func:`literal`
puts such text in a code span, where Markdown reads nothing;
:func:`escaped` keeps a whole sentence that quotes such text (an error message
naming a file or a code) plain.
"""

from __future__ import annotations

import re


def literal(text: str) -> str:
    """``text`` as a Markdown code span that shows every character as typed.

    The fence is one backtick longer than the longest run of backticks in
    ``text``, with a space inside when ``text`` starts or ends with one
    (CommonMark's rule, so a code may itself hold backticks).
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escaped(text: str) -> str:
    """``text`` with every ASCII punctuation mark backslash-escaped, so Markdown shows it as typed.

    Line breaks are kept as they are.
    """
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def file_stem(text: str) -> str:
    """``text`` made safe as part of a file name: letters, digits, ``-``, ``_`` and ``.`` kept, the rest ``_``."""
    return re.sub(r"[^\w.-]", "_", text).strip(".") or "subject"
