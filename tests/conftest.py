"""Shared fixtures: where the real videos and landmark tracks live.

The real data sit in ``../shared`` beside the project (never committed).
Where it is absent (a user's machine) the tests that need it skip with the
reason; where ``KNEE_CV_REQUIRE_SHARED=1`` (set by ``.ci/run``) they fail
instead, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import importlib
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


def _import_or_skip(name: str, install: str):
    """Import a test-only package; skip where it is missing, or fail under ``KNEE_CV_REQUIRE_SHARED=1`` (``.ci/run``)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"{name} is not installed: {install}"
        if os.environ.get("KNEE_CV_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def opensim():
    """OpenSim's Python package (the ``test`` extra), to read back TRC and MOT files."""
    return _import_or_skip("opensim", "pip install -e '.[test]'")


@pytest.fixture(scope="session")
def ray_module():
    """Ray (the ``ray`` extra, in ``test`` too), for the batch on a Ray cluster."""
    return _import_or_skip("ray", "pip install -e '.[ray]'")


@pytest.fixture(scope="session")
def video_track(shared_videos):
    """``video_track(name) -> PoseTrack``: the real model run over a shared video.

    Tracks are cached on disk in the user cache, keyed by the video's bytes, the
    model and the code of the pose stage (:func:`regression.track_of_video`), so
    a change to any of them reruns the model; tests of the pose stage itself
    call ``track_video`` directly.
    """
    from regression import track_of_video

    memory: dict[str, object] = {}

    def get(name: str):
        if name not in memory:
            memory[name] = track_of_video(shared_videos / name)
        return memory[name]

    return get


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for this test run (:mod:`pg_server`), stopped at the end.

    Skips where PostgreSQL's server binaries or the psycopg driver are
    missing; fails instead where ``KNEE_CV_REQUIRE_POSTGRES=1`` (set by
    ``.ci/run``).
    """
    from pg_server import BINDIR_ENV, PostgresServer, find_bindir

    bindir = find_bindir()
    missing = None
    if bindir is None:
        missing = (
            f"PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql, "
            f"or set {BINDIR_ENV} to their folder"
        )
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "the psycopg driver is not installed: pip install -e '.[postgres]'"
    if missing:
        if os.environ.get("KNEE_CV_REQUIRE_POSTGRES") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """URL of a new empty store database: an SQLite file, then a database on :func:`postgres_server`."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'knee.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)
