"""The regression baseline: a compact, exact digest of an analysis, and the clips it covers.

Used by ``tests/test_regression.py`` and ``scripts/save_regression.py``. A
digest is the analysis without its per-frame series (every rep, flag, summary
value, recommendation and threshold), plus for each numeric series its count
of finite values and their sum, and for each label series the count of each
label: any change of a number on any frame shows up.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KNEE_CV_SHARED", PROJECT_ROOT.parent / "shared"))
OUT = PROJECT_ROOT / "tests" / "data" / "regression"
#: The files of ../shared/landmarks that are pose tracks (the rest are notes and rep tables).
TRACK_FILES = (
    "app_session_front_messy_01.csv",
    "pistol_side_ref_01.posetrack.json",
    "sls_front_ref_01.csv",
    "sls_side_left_ref_01.csv",
    "sls_side_right_ref_01.csv",
)


def shared_videos() -> list[Path]:
    """Every video in ../shared/videos, by name."""
    return sorted((SHARED / "videos").glob("*.mp4"))


def landmark_tracks() -> list[Path]:
    """The pose tracks in ../shared/landmarks."""
    return [SHARED / "landmarks" / name for name in TRACK_FILES]


def _pose_code_digest() -> str:
    """Hash of the code that turns a video into a track (a cache key part)."""
    import knee_cv

    digest = hashlib.sha256()
    for path in sorted(Path(knee_cv.__file__).parent.rglob("*.py")):
        if path.stem in ("pose", "video", "models", "track", "quiet"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def track_of_video(video: Path):
    """The real model's track of ``video``, cached in the user cache by video, model and pose code."""
    import platformdirs

    from knee_cv.media import trackio
    from knee_cv.media.models import ensure_model
    from knee_cv.media.pose import track_video

    folder = Path(platformdirs.user_cache_dir("knee_cv")) / "test-tracks"
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(video.read_bytes() + ensure_model().sha256.encode() + _pose_code_digest().encode()).hexdigest()[:20]
    cached = folder / f"{video.stem}-{key}.npz"
    if cached.exists():
        return trackio.load_npz(cached)
    track = track_video(video)
    trackio.save_npz(track, cached)
    return track


def _series_digest(values: list) -> dict:
    """Counts and sum of one series in its JSON form (numbers, None for NaN, or labels)."""
    if any(isinstance(value, str) for value in values):
        labels, counts = np.unique(np.asarray(values, dtype=str), return_counts=True)
        return {"labels": dict(zip(labels.tolist(), counts.tolist()))}
    numbers = np.array([np.nan if value is None else value for value in values], dtype=float)
    finite = np.isfinite(numbers)
    return {"finite": int(finite.sum()), "sum": float(numbers[finite].sum())}


def digest(analysis) -> dict:
    """The analysis in its JSON form, per-frame series reduced to counts and sums."""
    data = analysis.to_dict(include_series=True)
    data["series"] = {name: _series_digest(values) for name, values in sorted(data["series"].items())}
    return data
