"""Benchmark ``knee-cv batch`` (not a test): throughput in videos per minute.

Usage::

    python scripts/bench_batch.py [--workers 1 2] [--ray] [VIDEO ...]

Runs :func:`knee_cv.batch.run_batch` over the clips (default: the frontal
single-leg squats ``sls_front_*`` in ../shared/videos) into a fresh output
folder for each worker count, so nothing is resumed, and prints videos per
minute and video frames per second. ``--ray`` adds a run on a local Ray
instance with one CPU per core. Each run includes starting the worker
processes (or Ray), as a user's batch does. Nothing is asserted: timings
depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import timeit
from pathlib import Path

from knee_cv.batch import run_batch

SHARED = Path(__file__).resolve().parents[2] / "shared" / "videos"


def timed_batch(videos: list[Path], **options) -> tuple[float, int]:
    """Seconds one fresh batch took, and the frames of the videos analysed."""
    import json

    with tempfile.TemporaryDirectory(prefix="bench_batch_") as out:
        result = None

        def run() -> None:
            nonlocal result
            result = run_batch(videos, out, progress=False, **options)

        seconds = timeit.timeit(run, number=1)
        frames = sum(
            len(json.loads((Path(out) / row["json"]).read_text())["series"]["t"]) for row in result.rows if row["status"] == "ok"
        )
    failed = [row["file"] for row in result.rows if row["status"] != "ok"]
    if failed:
        print(f"  (failed: {', '.join(failed)})")
    return seconds, frames


def report(label: str, videos: list[Path], seconds: float, frames: int) -> None:
    print(f"{label:>12}: {seconds:6.1f} s = {60 * len(videos) / seconds:5.1f} videos/min, {frames / seconds:5.1f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", type=Path, help="clips (default: ../shared/videos/sls_front_*)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local worker counts to time")
    parser.add_argument("--ray", action="store_true", help="also time a local Ray instance")
    args = parser.parse_args()
    videos = args.videos or sorted(SHARED.glob("sls_front_*.mp4"))
    print(f"{len(videos)} videos, {sum(v.stat().st_size for v in videos) / 1e6:.1f} MB, {os.cpu_count()} CPU cores")
    for workers in args.workers:
        report(f"{workers} worker{'s' * (workers > 1)}", videos, *timed_batch(videos, workers=workers))
    if args.ray:
        import ray

        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        try:
            report("ray (local)", videos, *timed_batch(videos, ray=True))
        finally:
            ray.shutdown()


if __name__ == "__main__":
    main()
