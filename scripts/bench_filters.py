"""Benchmark the landmark clean-up (knee_cv.core.filters), in frames per second.

Usage::

    python scripts/bench_filters.py [--repeat 5] [--landmarks DIR] [--live]

Times each stage (gate, hampel, fill_gaps, lowpass) and the whole
:func:`knee_cv.core.filters.clean` on the real landmark tracks in ``--landmarks``
(default /work/shared/landmarks) when they are there, else on a synthetic
track (tests/synthetic.py). Prints the best of ``--repeat`` runs over all
tracks together. Nothing is asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from knee_cv.core import filters  # noqa: E402
from knee_cv.core.thresholds import load_thresholds  # noqa: E402
from knee_cv.core.track import PoseTrack  # noqa: E402

REAL_TRACKS = (
    "sls_front_ref_01.csv",
    "sls_side_left_ref_01.csv",
    "app_session_front_messy_01.csv",
    "pistol_side_ref_01.posetrack.json",
)


def load_tracks(folder: Path) -> list:
    """The real tracks found in ``folder``, or one synthetic track."""
    from knee_cv.media.trackio import load_track

    paths = [folder / name for name in REAL_TRACKS if (folder / name).exists()]
    if paths:
        return [load_track(path, width=1080, height=1920) for path in paths]
    from synthetic import synthetic_squats

    track, _ = synthetic_squats(n_reps=40, jitter_px=3.0, dropout_rate=0.05, seed=0)
    return [track]


def best_time(function, repeat: int) -> float:
    """Shortest wall time of ``repeat`` calls, in seconds."""
    return min(timeit.repeat(function, number=1, repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--landmarks", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "landmarks")
    parser.add_argument("--live", action="store_true", help="also time clean(live=True)")
    args = parser.parse_args()

    tracks = load_tracks(args.landmarks)
    n_frames = sum(len(track.t) for track in tracks)
    p = load_thresholds().filters

    def gate(track: PoseTrack) -> np.ndarray:
        return filters.gate(track, min_visibility=p.min_visibility, margin=p.frame_margin, min_presence=p.min_presence)

    def hampel(xy: np.ndarray) -> np.ndarray:
        return filters.hampel(xy, int(p.hampel_window), p.hampel_sigmas)

    gated = [gate(track) for track in tracks]
    cleaned = [hampel(xy) for xy in gated]
    filled = [filters.fill_gaps(track.t, xy, p.max_gap_s) for track, xy in zip(tracks, cleaned)]
    stages = {
        "gate": lambda: [gate(track) for track in tracks],
        "hampel": lambda: [hampel(xy) for xy in gated],
        "fill_gaps": lambda: [filters.fill_gaps(track.t, xy, p.max_gap_s) for track, xy in zip(tracks, cleaned)],
        "lowpass": lambda: [
            filters.lowpass(track.t, xy, p.lowpass_hz, int(p.lowpass_order)) for track, xy in zip(tracks, filled)
        ],
        "clean": lambda: [filters.clean(track, params=p) for track in tracks],
    }
    if args.live:
        stages["clean(live)"] = lambda: [filters.clean(track, live=True, params=p) for track in tracks]
    print(f"{len(tracks)} track(s), {n_frames} frames")
    for name, function in stages.items():
        seconds = best_time(function, args.repeat)
        print(f"{name:12s} {seconds * 1e3:8.2f} ms  {n_frames / seconds:10.0f} frames/s")


if __name__ == "__main__":
    main()
