"""The API reference builds from the docstrings with no warning, and the getting-started guide's examples run.

``scripts/build_docs.py`` runs as a user runs it (a subprocess, pdoc from the
``test`` extra) into a temporary folder: about 10 s of CPU for the whole
package. Its examples are doctests of ``docs/getting-started.md`` itself.
"""

from __future__ import annotations

import doctest
import subprocess
import sys

from fixtures.shared import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "build_docs.py"
GUIDE = PROJECT_ROOT / "docs" / "getting-started.md"


def _build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)


def test_the_api_reference_builds_without_a_warning(tmp_path):
    out = tmp_path / "api"
    built = _build("-o", str(out))
    assert built.returncode == 0, built.stderr
    assert built.stdout == f"API reference written to {out / 'index.html'}\n"
    assert "warning" not in built.stderr.lower()
    pages = {path.relative_to(out).as_posix() for path in out.rglob("*.html")}
    assert {
        "index.html",
        "knee_cv.html",
        "knee_cv/batch.html",
        "knee_cv/pipeline.html",
        "knee_cv/core/analysis.html",
        "knee_cv/report/tables.html",
        "knee_cv/report/opensim.html",
        "knee_cv/media/trackio.html",
    } <= pages
    assert not any(page.startswith(("knee_cv/app", "knee_cv/store/migrations")) for page in pages)
    landing = (out / "knee_cv.html").read_text(encoding="utf-8")
    # The guide is on the landing page, rendered (a table, linked names), not the include line.
    assert '<h2 id="getting-started-for-researchers">' in landing and ".. include::" not in landing
    assert "<td><code>fppa_bottom_sd_deg</code></td>" in landing
    assert '<code><a href="#analyze">knee_cv.analyze</a></code>' in landing
    # NumPy sections become headings and cross-references links.
    batch = (out / "knee_cv" / "batch.html").read_text(encoding="utf-8")
    assert '<h6 id="parameters">Parameters</h6>' in batch and 'href="report/tables.html"' in batch


def test_a_warning_fails_the_build(tmp_path):
    built = _build("-o", str(tmp_path / "api"), "knee_cv.errors", "knee_cv.no_such_module")
    assert built.returncode == 1
    lines = built.stderr.splitlines()
    assert lines[0] == "build_docs: 1 warning(s), treated as errors:"
    assert lines[1].startswith("  UserWarning: Cannot find spec for knee_cv.no_such_module")


def test_the_getting_started_examples_run(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)  # the examples read samples/ from the project folder
    result = doctest.testfile(str(GUIDE), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {GUIDE.name} failed (pytest -rA shows them)"
