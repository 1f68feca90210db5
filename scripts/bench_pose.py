"""Benchmark of the pose-track stage (not a test): frames per second and peak memory.

For each clip it measures, each in a fresh process so peak memory is its own:

* decode only: ``knee_cv.video.iter_frames``;
* pose only: one landmarker tracking one person, on frames already in memory
  (first 120 frames), in one thread;
* the whole stage: ``knee_cv.pose.track_video`` (decode, inference on both
  cores, subject selection);
* the tutorial loop people start from: ``cv2.VideoCapture`` read, colour
  conversion, one MediaPipe VIDEO-mode detect per frame, in one thread.

Usage: ``python scripts/bench_pose.py [VIDEO ...]`` (default: a 720p and a
1080p clip from ../shared/videos).
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "videos"
DEFAULT_CLIPS = [SHARED / "squat_side_then_front_01.mp4", SHARED / "sls_side_02.mp4"]
POSE_ONLY_FRAMES = 120


def decode_only(path: str) -> int:
    from knee_cv.video import iter_frames

    return sum(1 for _ in iter_frames(path))


def pose_only(path: str) -> tuple[int, float]:
    from knee_cv.models import ensure_model
    from knee_cv.pose import create_landmarker, detect_frames
    from knee_cv.video import iter_frames

    frames = [frame for _, frame in zip(range(POSE_ONLY_FRAMES), iter_frames(path))]
    landmarker = create_landmarker(ensure_model(), num_poses=1)
    started = time.perf_counter()
    count = sum(1 for _ in detect_frames(frames, landmarker))
    landmarker.close()
    return count, time.perf_counter() - started


def whole_stage(path: str) -> int:
    from knee_cv.pose import track_video

    return len(track_video(path))


def tutorial_loop(path: str) -> int:
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from knee_cv.models import ensure_model

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(ensure_model().path)),
        running_mode=vision.RunningMode.VIDEO)
    landmarker = vision.PoseLandmarker.create_from_options(options)
    capture = cv2.VideoCapture(path)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    count = 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                    int(count * 1000 / fps))
        count += 1
    landmarker.close()
    return count


def _child(stage, path, queue) -> None:
    started = time.perf_counter()
    result = stage(path)
    elapsed = time.perf_counter() - started
    if isinstance(result, tuple):
        result, elapsed = result
    queue.put((result, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(stage, path: Path) -> tuple[int, float, float]:
    """Run one stage in a fresh process: (frames, seconds, peak resident MB)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(stage, str(path), queue))
    process.start()
    frames, seconds, peak_mb = queue.get()
    process.join()
    return frames, seconds, peak_mb


def main(paths: list[str]) -> None:
    from knee_cv.models import ensure_model
    from knee_cv.video import probe

    ensure_model()
    clips = [Path(p) for p in paths] or DEFAULT_CLIPS
    print(f"{'clip':32s} {'size':>10s} {'stage':14s} {'frames':>6s} {'fps':>7s} {'peak MB':>8s}")
    for clip in clips:
        info = probe(clip)
        for name, stage in (("decode only", decode_only), ("pose only", pose_only),
                            ("whole stage", whole_stage), ("tutorial loop", tutorial_loop)):
            frames, seconds, peak = measure(stage, clip)
            print(f"{clip.name:32s} {info.width:>4d}x{info.height:<5d} {name:14s} {frames:6d} "
                  f"{frames / seconds:7.1f} {peak:8.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
