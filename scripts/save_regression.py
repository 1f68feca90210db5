"""Save the analysis of every shared clip as the regression baseline (not a test).

``tests/test_regression.py`` compares the analysis of each video in
``../shared/videos`` and each track in ``../shared/landmarks`` with the
files this script writes to ``tests/data/regression/``. Run it only when a
change of numbers is intended, and say so in the commit::

    python scripts/save_regression.py

The pose tracks come from the same on-disk cache as the tests' ``video_track``
fixture (the user cache, keyed by video, model and pose code).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from regression import OUT, digest, landmark_tracks, shared_videos, track_of_video  # noqa: E402

from knee_cv.core.analysis import analyze  # noqa: E402
from knee_cv.media.trackio import load_track  # noqa: E402


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for video in shared_videos():
        (OUT / f"{video.name}.json").write_text(json.dumps(digest(analyze(track_of_video(video))), indent=1))
        print(video.name, flush=True)
    for path in landmark_tracks():
        (OUT / f"{path.name}.json").write_text(json.dumps(digest(analyze(load_track(path))), indent=1))
        print(path.name, flush=True)


if __name__ == "__main__":
    main()
