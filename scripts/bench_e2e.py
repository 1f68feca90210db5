"""Benchmark of the app's path from upload to results (not a test): seconds to the first result and to the video.

For each clip, each in a fresh process (so peak memory is its own):

* knee_cv as the app runs it: the clip's bytes through
  :func:`knee_cv.pipeline.process_video` (pose, analysis, the reps'
  thumbnails: what the results page shows first), then
  :func:`knee_cv.pipeline.add_video` (the annotated video, drawn while the
  person reads the results). Printed: seconds from the bytes to the first
  result and to the video, each also as a multiple of the clip's length, the
  seconds of each stage, the video stage's frames per second, peak memory.
* the tutorial loop people start from (:func:`bench_pose.tutorial_loop`:
  ``cv2.VideoCapture``, one MediaPipe detect per frame, one thread), which
  gives landmarks only: no analysis, no video.

Clocks start once the libraries are imported, as in ``bench_pose.py`` (the
app's server imports them once). ``ratio`` is the tutorial loop's seconds
over knee_cv's seconds to the first result, in the same run.

Run from an older checkout (``python /path/to/bench_e2e.py`` with that
checkout's knee_cv importable) for the numbers before: where
``process_video`` still drew the video itself, first result and video
arrive together.

Usage: ``python scripts/bench_e2e.py [VIDEO ...]`` (default: a 720p and a 1080p clip from ../shared/videos)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pose import SHARED, measure, tutorial_loop  # noqa: E402

DEFAULT_CLIPS = [SHARED / "sls_front_hyva2.mp4", SHARED / "sls_side_02.mp4"]


def app_path(path: str) -> dict:
    """The app's two steps on the clip's bytes: seconds to the first result and to the video, and each stage's."""
    from knee_cv import pipeline

    data = Path(path).read_bytes()
    started = time.perf_counter()
    processed = pipeline.process_video(data, Path(path).name)
    first = time.perf_counter() - started
    if hasattr(pipeline, "add_video"):
        processed = pipeline.add_video(data, processed)
    video = time.perf_counter() - started
    if processed.video is None:
        raise RuntimeError(f"{path}: no annotated video was drawn")
    return {"first": first, "video": video, "timings": dict(processed.timings), "rows": len(processed.track)}


def quiet_tutorial_loop(path: str) -> int:
    """:func:`bench_pose.tutorial_loop` with MediaPipe's native log lines kept off the terminal."""
    from knee_cv.media.quiet import native_logs_silenced

    with native_logs_silenced():
        return tutorial_loop(path)


def table(clips: list[Path]) -> None:
    from knee_cv.media.video import iter_frames, probe

    print(
        f"{'clip':22s} {'size':>10s} {'length':>6s} {'path':14s} {'first s':>7s} {'x len':>5s} "
        f"{'video s':>7s} {'x len':>5s} {'ratio':>5s} {'peak MB':>7s}  stages"
    )
    for clip in clips:
        info = probe(clip)
        frames = sum(1 for _ in iter_frames(clip))
        length = info.duration_s
        result, _seconds, _cpu, peak, _imports = measure(app_path, clip)
        _, loop_seconds, _cpu, loop_peak, _imports = measure(quiet_tutorial_loop, clip)
        stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in result["timings"].items())
        encode_fps = frames / result["timings"]["video"]
        size = f"{info.width}x{info.height}"
        print(
            f"{clip.name:22s} {size:>10s} {length:6.1f} {'knee_cv':14s} {result['first']:7.2f} "
            f"{result['first'] / length:5.2f} {result['video']:7.2f} {result['video'] / length:5.2f} "
            f"{loop_seconds / result['first']:5.2f} {peak:7.0f}  {stages}; video {encode_fps:.0f} frames/s",
            flush=True,
        )
        print(
            f"{'':22s} {'':>10s} {'':>6s} {'tutorial loop':14s} {loop_seconds:7.2f} {loop_seconds / length:5.2f} "
            f"{'':>7s} {'':>5s} {'':>5s} {loop_peak:7.0f}  landmarks only",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", help="clips to measure (default: a 720p and a 1080p clip)")
    args = parser.parse_args()

    from knee_cv.media.models import ensure_model

    ensure_model()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    table([Path(p) for p in args.videos] or DEFAULT_CLIPS)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
