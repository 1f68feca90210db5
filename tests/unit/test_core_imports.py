"""The numpy core stands alone: it analyses a track with MediaPipe, OpenCV, PyAV, Streamlit and SQLAlchemy unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

BLOCKED = ("mediapipe", "cv2", "av", "streamlit", "sqlalchemy", "alembic", "fpdf", "pandas", "plotly")

SCRIPT = f"""
import importlib.abc, sys

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError(f"{{name}} is blocked in this test")
        return None

sys.meta_path.insert(0, Blocker())
sys.path.insert(0, {str(TESTS)!r})
from synthetic import synthetic_squats
from knee_cv.core.analysis import analyze

track, truth = synthetic_squats(n_reps=3, stance_legs="left", valgus_deg=12.0)
result = analyze(track)
assert [rep.leg for rep in result.reps] == ["left"] * 3, result.reps
assert all(abs(rep.fppa_bottom_deg - 12.0) < 2.0 for rep in result.reps), [r.fppa_bottom_deg for r in result.reps]
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {BLOCKED!r})
assert not loaded, loaded
print("core ok")
"""


def test_core_analyses_without_media_ui_or_database_libraries():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "core ok" in run.stdout


def test_blocker_really_blocks():
    """The same blocker makes an import of cv2 fail (so the test above can fail)."""
    script = SCRIPT.split("from synthetic")[0] + "import cv2\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "cv2 is blocked" in run.stderr
