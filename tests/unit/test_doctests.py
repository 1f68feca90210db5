"""The Examples sections of the docstrings run as doctests: every knee_cv module that has one.

Modules are found by their text (``>>>``), so a new example runs without
being listed here. The examples read the committed ``samples/`` tracks by a
path relative to the project folder, where the tests run them.
"""

from __future__ import annotations

import doctest
import importlib

import pytest
from fixtures.shared import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "knee_cv"


def _modules_with_examples() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


MODULES = _modules_with_examples()


def test_the_public_modules_have_examples():
    assert {"knee_cv", "knee_cv.core.result", "knee_cv.report.tables", "knee_cv.report.opensim"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has no example that doctest found"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (run pytest -rA for the output)"
