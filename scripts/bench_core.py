"""Benchmark the numpy core: analyze() on a long synthetic track, in frames per second.

Usage::

    python scripts/bench_core.py [--reps 400] [--repeat 3] [--live]

Builds a synthetic single-leg-squat track (tests/synthetic.py) with the given
number of reps, then times :func:`knee_cv.core.analysis.analyze` on it and prints
the best of ``--repeat`` runs, with the share spent in the clean-up
(:func:`knee_cv.core.filters.clean`). Nothing is asserted: timings depend on the
machine.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from synthetic import synthetic_squats  # noqa: E402

from knee_cv.core.analysis import analyze  # noqa: E402
from knee_cv.core.filters import clean  # noqa: E402
from knee_cv.core.landmarks import BODY_LANDMARKS  # noqa: E402
from knee_cv.core.thresholds import load_thresholds  # noqa: E402


def best_time(function, repeat: int) -> float:
    """Shortest wall time of ``repeat`` calls, in seconds."""
    return min(timeit.repeat(function, number=1, repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400, help="squats in the synthetic track")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--live", action="store_true", help="use the causal (live) filter")
    args = parser.parse_args()

    legs = ["left", "right"] * (args.reps // 2) + ["left"] * (args.reps % 2)
    track, _ = synthetic_squats(n_reps=args.reps, stance_legs=legs, tempo_s=2.0, jitter_px=2.0, dropout_rate=0.01, seed=0)
    n = len(track)
    total = best_time(lambda: analyze(track, live=args.live), args.repeat)
    cleanup = best_time(
        lambda: clean(track, live=args.live, landmarks=BODY_LANDMARKS, params=load_thresholds().filters), args.repeat
    )
    result = analyze(track, live=args.live)
    print(f"track: {n} frames ({track.t[-1]:.0f} s at {track.fps:.0f} fps), {len(result.reps)} reps found")
    print(f"analyze(): {total:.3f} s = {n / total:,.0f} frames/s")
    print(
        f"  of which clean(): {cleanup:.3f} s ({100 * cleanup / total:.0f} %); "
        f"the rest: {n / max(total - cleanup, 1e-9):,.0f} frames/s"
    )


if __name__ == "__main__":
    main()
