"""Shared fixtures: where the real videos and landmark tracks live.

The real data sit in ``../shared`` beside the project (never committed).
Where it is absent (a user's machine) the tests that need it skip with the
reason; where ``KNEE_CV_REQUIRE_SHARED=1`` (set by ``.ci/run``) they fail
instead, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KNEE_CV_SHARED", PROJECT_ROOT.parent / "shared"))
SAMPLES = PROJECT_ROOT / "samples"


def _need(path: Path) -> Path:
    if path.exists():
        return path
    message = f"real test data not found at {path} (set KNEE_CV_SHARED to the shared folder)"
    if os.environ.get("KNEE_CV_REQUIRE_SHARED") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    """Folder of the real squat videos (../shared/videos)."""
    return _need(SHARED / "videos")


@pytest.fixture(scope="session")
def shared_landmarks() -> Path:
    """Folder of the real MediaPipe landmark tracks (../shared/landmarks)."""
    return _need(SHARED / "landmarks")


@pytest.fixture(scope="session")
def samples() -> Path:
    """The project's own committed samples folder."""
    return SAMPLES
