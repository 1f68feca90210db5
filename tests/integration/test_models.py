"""The pose model: built offline from the pinned wheel, cached, verified."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import platformdirs
import pytest

from knee_cv.errors import ModelError
from knee_cv.media import models


@pytest.fixture(scope="session")
def wheel() -> Path:
    """The pinned mediapipe 0.10.21 wheel, fetched once with pip (PyPI only)."""
    folder = Path(platformdirs.user_cache_dir("knee_cv")) / "test-wheel"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / models.WHEEL_NAME
    if not path.exists() or models.sha256_of(path) != models.WHEEL_SHA256:
        return models._download_wheel(folder)
    return path


@pytest.fixture
def empty_cache(tmp_path, monkeypatch) -> Path:
    """A fresh user cache, so nothing cached elsewhere is used."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KNEE_CV_MODEL", raising=False)
    assert str(models.cache_dir()).startswith(str(tmp_path))
    return models.cache_dir()


def test_offline_build_is_byte_identical_and_pinned(wheel):
    first = models.build_full_model(wheel)
    second = models.build_full_model(wheel)
    assert first == second
    assert hashlib.sha256(first).hexdigest() == models.FULL_TASK_SHA256


def test_bundle_entries_are_stored_and_aligned(wheel):
    import io
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(models.build_full_model(wheel)))
    names = [info.filename for info in archive.infolist()]
    assert names == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        data_offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
        assert data_offset % models.ZIP_ALIGNMENT == 0


def test_built_model_loads_in_the_tasks_api(wheel, tmp_path):
    """The bundle loads in the Tasks API and runs (the real-video tests cover detection)."""
    import numpy as np

    from knee_cv.media.pose import LivePoseEstimator

    model = tmp_path / "full.task"
    model.write_bytes(models.build_full_model(wheel))
    estimator = LivePoseEstimator(model_path=model)
    frame = np.full((640, 360, 3), 255, dtype=np.uint8)
    xy, _ = estimator.process(frame, 0.0)
    estimator.close()
    assert xy is None  # a blank frame has nobody in it


def test_cached_model_is_used_and_corrupt_one_rebuilt(wheel, empty_cache, monkeypatch):
    monkeypatch.setenv("KNEE_CV_MEDIAPIPE_WHEEL", str(wheel))
    info = models.ensure_model()
    assert info.sha256 == models.FULL_TASK_SHA256 and info.path.parent == empty_cache
    info.path.write_bytes(b"half a download")
    rebuilt = models.ensure_model()
    assert rebuilt.sha256 == models.FULL_TASK_SHA256
    assert models.sha256_of(rebuilt.path) == models.FULL_TASK_SHA256
    assert not list(empty_cache.glob("*.part"))


def test_two_processes_fetching_at_once_both_succeed(wheel, empty_cache, monkeypatch):
    monkeypatch.setenv("KNEE_CV_MEDIAPIPE_WHEEL", str(wheel))
    fetch = "from knee_cv.media.models import ensure_model; print(ensure_model().sha256)"
    processes = [subprocess.Popen([sys.executable, "-c", fetch], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    digests = [process.communicate(timeout=300)[0].strip() for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    assert digests == [models.FULL_TASK_SHA256] * 2
    assert models.sha256_of(models.cache_dir() / "pose_landmarker_full.task") == models.FULL_TASK_SHA256


@pytest.mark.parametrize("variant", ["lite", "heavy"])
def test_official_variants_offline_fail_fast_with_advice(variant, empty_cache, monkeypatch):
    monkeypatch.setenv("KNEE_CV_MODEL_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    started = time.monotonic()
    with pytest.raises(ModelError, match="copy it here and pass its path"):
        models.ensure_model(variant)
    assert time.monotonic() - started < models.DOWNLOAD_TIMEOUT_S
    assert not list(empty_cache.glob("*"))


def test_explicit_path_wins(tmp_path, monkeypatch):
    custom = tmp_path / "mine.task"
    with zipfile.ZipFile(custom, "w") as bundle:
        for name in models.BUNDLE_ENTRIES:
            bundle.writestr(name, b"model bytes")
    monkeypatch.setenv("KNEE_CV_MODEL", str(custom))
    info = models.ensure_model("heavy")
    assert info.variant == "custom" and info.path == custom
    assert info.model_id == f"custom sha256:{hashlib.sha256(custom.read_bytes()).hexdigest()[:12]}"
    with pytest.raises(ModelError, match="does not exist"):
        models.ensure_model(path=tmp_path / "missing.task")


def test_explicit_path_that_is_no_pose_bundle_is_refused(tmp_path):
    corrupt = tmp_path / "broken.task"
    corrupt.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="is not a MediaPipe pose landmarker"):
        models.ensure_model(path=corrupt)


def test_wrong_wheel_is_refused(tmp_path):
    fake = tmp_path / models.WHEEL_NAME
    fake.write_bytes(b"PK not really")
    with pytest.raises(ModelError, match="SHA-256 differs"):
        models.build_full_model(fake)


def test_the_full_model_passed_by_path_is_labelled_full(tmp_path):
    """The app passes the cached model's path; the label must say what the model is, as the CLI does (issue 20)."""
    import shutil

    built = models.ensure_model("full")
    copy = tmp_path / "elsewhere.task"
    shutil.copyfile(built.path, copy)
    info = models.ensure_model(path=copy)
    assert info.variant == "full" and info.model_id == built.model_id
