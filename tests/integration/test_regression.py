"""Same numbers as the saved baseline on every shared clip and landmark track.

The baseline in ``tests/data/regression`` was written by
``scripts/save_regression.py``; a change of numbers that is meant has to
rewrite it (and say so in the commit). Each video's pose track comes from the
on-disk cache of :func:`regression.track_of_video`, so only the first run
after a change to the pose stage runs the model.
"""

from __future__ import annotations

import json
import math

import pytest
from regression import OUT, TRACK_FILES, digest, track_of_video

from knee_cv.core.analysis import analyze
from knee_cv.media.trackio import load_track

VIDEOS = sorted(path.name.removesuffix(".json") for path in OUT.glob("*.mp4.json"))


def _differences(saved, now, where: str = "") -> list[str]:
    """Paths where two JSON values differ (numbers by relative 1e-9, absolute 1e-9)."""
    if isinstance(saved, dict) and isinstance(now, dict):
        keys = saved.keys() | now.keys()
        return [d for key in sorted(keys) for d in _differences(saved.get(key), now.get(key), f"{where}.{key}")]
    if isinstance(saved, list) and isinstance(now, list) and len(saved) == len(now):
        return [d for i, (a, b) in enumerate(zip(saved, now)) for d in _differences(a, b, f"{where}[{i}]")]
    if isinstance(saved, (int, float)) and isinstance(now, (int, float)) and not isinstance(saved, bool):
        return [] if math.isclose(saved, now, rel_tol=1e-9, abs_tol=1e-9) else [f"{where}: {saved} -> {now}"]
    return [] if saved == now else [f"{where}: {saved!r} -> {now!r}"]


def _check(name: str, analysis) -> None:
    saved = json.loads((OUT / f"{name}.json").read_text())
    now = json.loads(json.dumps(digest(analysis)))
    # Tables and keys added to thresholds.toml after the baseline hold numbers that were constants
    # in the code then; the unchanged results show they kept their values.
    for table in now["thresholds"].keys() - saved["thresholds"].keys():
        del now["thresholds"][table]
    for table, entries in saved["thresholds"].items():
        for key in now["thresholds"][table].keys() - entries.keys():
            del now["thresholds"][table][key]
    differences = _differences(saved, now)
    assert not differences, f"{name}: {len(differences)} values changed, first: {differences[:5]}"


def test_baseline_covers_every_shared_clip(shared_videos, shared_landmarks):
    assert VIDEOS == sorted(path.name for path in shared_videos.glob("*.mp4"))
    assert all((OUT / f"{name}.json").exists() for name in TRACK_FILES)


@pytest.mark.parametrize("name", VIDEOS)
def test_same_numbers_on_video(shared_videos, name):
    _check(name, analyze(track_of_video(shared_videos / name)))


@pytest.mark.parametrize("name", TRACK_FILES)
def test_same_numbers_on_landmark_track(shared_landmarks, name):
    _check(name, analyze(load_track(shared_landmarks / name)))
