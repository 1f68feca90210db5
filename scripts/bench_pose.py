"""Benchmark of the pose-track stage (not a test): clip frames per second and peak memory.

For each clip it measures, each in a fresh process so peak memory is its own:

* decode only: ``knee_cv.media.video.iter_frames``, every frame;
* the whole stage: ``knee_cv.media.pose.track_video`` with its defaults (seeked
  parts on both cores, decoding in background threads, the people census,
  inference capped at 30 Hz, subject selection);
* the tutorial loop people start from: ``cv2.VideoCapture`` read, colour
  conversion, one MediaPipe VIDEO-mode detect per frame, in one thread.

Each stage's clock starts once PyAV, OpenCV, MediaPipe and knee_cv's pose
module are imported in its process (about 0.8 s here, printed under each
clip's rows): the app's server and the batch workers import them once for many
clips, and the tutorial loop gets the same warm start.

Speeds are the clip's own frames (as decoded) per second of wall time, so a
60 fps clip whose stage infers every other frame is compared on the same
work: getting through the clip. ``ratio`` is the whole stage's speed over
the tutorial loop's, from the same run.

Clips: a 720p and a 1080p clip from ../shared/videos, plus a 60 fps portrait
phone clip made here (``singleleg_balance_oblique_01`` played forward and
back to 15 s, re-encoded). ``--long`` adds a 10 minute 1080p clip (the
1080p clip looped by copying its packets) through the whole stage only, for
peak memory against clip length. ``--fppa`` instead compares each rep's
deepest-frame FPPA between tracks inferred at 30 Hz and at the full rate,
on the frontal clips and on 50/60 fps copies of them (the same frames at
twice the rate, so the cap drops every other one).

Usage: ``python scripts/bench_pose.py [--long] [--fppa] [VIDEO ...]``
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import resource
import tempfile
import time
from fractions import Fraction
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "videos"
DEFAULT_CLIPS = [SHARED / "squat_side_then_front_01.mp4", SHARED / "sls_side_02.mp4"]
PHONE_SOURCE = SHARED / "singleleg_balance_oblique_01.mp4"
LONG_SOURCE = SHARED / "sls_side_02.mp4"
FRONTAL_CLIPS = [
    "sls_front_hyva2.mp4",
    "sls_front_hyva_ja_paha.mp4",
    "sls_front_hyva_ja_paha2.mp4",
    "sls_front_hyva6.mp4",
    "squat_oblique_front_01.mp4",
    "squat_front_01.mp4",
]


def decode_only(path: str) -> int:
    from knee_cv.media.video import iter_frames

    return sum(1 for _ in iter_frames(path))


def whole_stage(path: str) -> int:
    from knee_cv.media.pose import track_video

    return len(track_video(path))


def tutorial_loop(path: str) -> int:
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from knee_cv.media.models import ensure_model

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(ensure_model().path)), running_mode=vision.RunningMode.VIDEO
    )
    landmarker = vision.PoseLandmarker.create_from_options(options)
    capture = cv2.VideoCapture(path)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    count = 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(count * 1000 / fps))
        count += 1
    landmarker.close()
    return count


def _peak_mb() -> float:
    """Peak resident memory of this process in MB.

    Linux's ``VmHWM`` belongs to the process image, so it starts afresh in a
    spawned child; ``ru_maxrss`` would carry over the parent's peak at fork
    time (here the parent holds a clip's frames while it makes the test clips).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_libraries() -> float:
    """Import what every stage needs (PyAV, OpenCV, MediaPipe, knee_cv's pose stage); seconds taken."""
    started = time.perf_counter()
    import av  # noqa: F401
    import cv2  # noqa: F401
    from mediapipe.tasks.python import vision  # noqa: F401

    import knee_cv.media.pose  # noqa: F401

    return time.perf_counter() - started


def _child(stage, path, queue) -> None:
    imports = _import_libraries()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = stage(path)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    queue.put((result, elapsed, cpu, _peak_mb(), imports))


def measure(stage, path: Path) -> tuple[int, float, float, float, float]:
    """Run one stage in a fresh process.

    Returns (frames it returned, seconds, CPU seconds, peak resident MB,
    seconds the imports took before the clock started; see the module notes).
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(stage, str(path), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def make_phone_clip(out: Path, seconds: float = 15.0) -> Path:
    """A 60 fps portrait clip: ``PHONE_SOURCE`` played forward and back (real 60 fps motion), H.264."""
    import av

    from knee_cv.media.video import iter_frames, probe

    frames = [rgb for _, rgb in iter_frames(PHONE_SOURCE)]
    rate = round(probe(PHONE_SOURCE).fps)
    cycle = frames + frames[-2:0:-1]
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "20"})
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for i in range(round(seconds * rate)):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(cycle[i % len(cycle)], format="rgb24")))
        container.mux(stream.encode())
    return out


def make_long_clip(out: Path, seconds: float = 600.0) -> Path:
    """``LONG_SOURCE`` looped to ``seconds`` by copying its video packets (no re-encoding)."""
    import av

    with av.open(str(LONG_SOURCE)) as source:
        stream = source.streams.video[0]
        packets = [p for p in source.demux(stream) if p.size and p.pts is not None]
    period = max(p.pts + p.duration for p in packets) - min(p.pts for p in packets)
    loops = math.floor(seconds / float(period * stream.time_base))  # at most the 10 min limit
    with av.open(str(LONG_SOURCE)) as source, av.open(str(out), "w") as container:
        template = source.streams.video[0]
        stream = container.add_stream_from_template(template)
        for loop in range(loops):
            source.seek(0)
            for packet in source.demux(template):
                if not packet.size or packet.pts is None:
                    continue
                packet.pts += loop * period
                packet.dts += loop * period
                packet.stream = stream
                container.mux(packet)
    return out


def speed_table(clips: list[Path]) -> None:
    from knee_cv.media.video import probe

    print(
        f"{'clip':36s} {'size':>10s} {'fps':>5s} {'stage':14s} {'frames':>6s} {'clip fps':>8s} "
        f"{'CPU ms/f':>8s} {'peak MB':>8s} {'ratio':>6s}"
    )
    for clip in clips:
        info = probe(clip)
        source_frames, *decoded = measure(decode_only, clip)
        rows = [("decode only", source_frames, *decoded)]
        for name, stage in (("whole stage", whole_stage), ("tutorial loop", tutorial_loop)):
            rows.append((name, *measure(stage, clip)))
        speeds = {name: source_frames / seconds for name, _, seconds, _, _, _ in rows}
        for name, frames, _seconds, cpu, peak, _imports in rows:
            ratio = f"{speeds['whole stage'] / speeds['tutorial loop']:6.2f}" if name == "whole stage" else ""
            print(
                f"{clip.name:36s} {info.width:>4d}x{info.height:<5d} {info.fps:5.1f} {name:14s} {frames:6d} "
                f"{speeds[name]:8.1f} {1000 * cpu / source_frames:8.1f} {peak:8.0f} {ratio:>6s}",
                flush=True,
            )
        imports = [row[-1] for row in rows]
        print(f"(clocks start after the imports: {min(imports):.2f}-{max(imports):.2f} s per process)")


def long_run(clip: Path) -> None:
    from knee_cv.media.video import probe

    info = probe(clip)
    frames, seconds, cpu, peak, _imports = measure(whole_stage, clip)
    print(
        f"{clip.name:36s} {info.width:>4d}x{info.height:<5d} {info.fps:5.1f} {'whole stage':14s} "
        f"{frames:6d} {frames / seconds:8.1f} {1000 * cpu / frames:8.1f} {peak:8.0f}   "
        f"({info.duration_s:.0f} s clip in {seconds:.0f} s)",
        flush=True,
    )


def double_rate_copy(source: Path, out: Path) -> Path:
    """The frames of ``source`` at twice its rate (a 30 fps clip becomes 60 fps, at double speed)."""
    import av

    from knee_cv.media.video import iter_frames, probe

    rate = Fraction(round(2 * probe(source).fps * 1000), 1000)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "18"})
        stream.pix_fmt = "yuv420p"
        for i, (_, rgb) in enumerate(iter_frames(source)):
            if i == 0:
                stream.height, stream.width = rgb.shape[:2]
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode())
    return out


def _paired_reps(capped, full) -> list[tuple[object, object]]:
    """Reps of two analyses of one clip paired by leg and deepest time (within 0.5 s)."""
    pairs = []
    for rep in capped:
        near = [other for other in full if other.leg == rep.leg and abs(other.t_bottom - rep.t_bottom) < 0.5]
        if near:
            pairs.append((rep, min(near, key=lambda other: abs(other.t_bottom - rep.t_bottom))))
    return pairs


def _largest_change(pairs) -> float:
    """Largest |FPPA difference| (deg, wrapped to +-180) over pairs where both FPPA are measured."""
    changes = [
        abs((a.fppa_bottom_deg - b.fppa_bottom_deg + 180) % 360 - 180)
        for a, b in pairs
        if math.isfinite(a.fppa_bottom_deg) and math.isfinite(b.fppa_bottom_deg)
    ]
    return max(changes, default=math.nan)


def fppa_table(folder: Path) -> None:
    import numpy as np

    from knee_cv.core.analysis import analyze
    from knee_cv.media.pose import track_video

    print(
        f"{'clip':34s} {'fps':>5s} {'frames':>9s} {'reps':>5s} {'paired':>6s} {'reliable':>8s} "
        f"{'largest FPPA change: reliable':>30s} {'all':>7s}"
    )
    for name in FRONTAL_CLIPS:
        source = SHARED / name
        for clip in (source, double_rate_copy(source, folder / f"{source.stem}_x2.mp4")):
            capped, full = track_video(clip), track_video(clip, max_rate_hz=0)
            reps_capped, reps_full = analyze(capped).reps, analyze(full).reps
            pairs = _paired_reps(reps_capped, reps_full)
            reliable = [(a, b) for a, b in pairs if a.reliable and b.reliable]
            print(
                f"{clip.name:34s} {full.fps:5.1f} {len(capped):4d}/{len(full):<4d} "
                f"{len(reps_capped):2d}/{len(reps_full):<2d} {len(pairs):6d} {len(reliable):8d} "
                f"{_largest_change(reliable):26.2f} deg {_largest_change(pairs):7.2f}",
                flush=True,
            )
    # The one real 60 fps clip has no reps (a balance, not a squat): compare its per-frame FPPA instead.
    capped, full = analyze(track_video(PHONE_SOURCE)), analyze(track_video(PHONE_SOURCE, max_rate_hz=0))
    t_capped, t_full = capped.series.t, full.series.t
    common = np.isin(t_full, t_capped)
    changes = np.concatenate(
        [np.abs(capped.series.leg(leg).fppa - full.series.leg(leg).fppa[common]) for leg in ("left", "right")]
    )
    changes = changes[np.isfinite(changes)]
    print(
        f"{PHONE_SOURCE.name}: {len(t_capped)}/{len(t_full)} frames, no reps; per-frame FPPA change over "
        f"{changes.size} leg-frames: median {np.median(changes):.2f}, 95th percentile "
        f"{np.percentile(changes, 95):.2f}, largest {changes.max():.2f} deg",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", help="clips to measure (default: 720p, 1080p, 60 fps portrait)")
    parser.add_argument("--long", action="store_true", help="also a 10 minute 1080p clip (peak memory)")
    parser.add_argument("--fppa", action="store_true", help="compare FPPA at the 30 Hz cap and full rate instead")
    args = parser.parse_args()

    from knee_cv.media.models import ensure_model

    ensure_model()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_pose_") as tmp:
        folder = Path(tmp)
        if args.fppa:
            fppa_table(folder)
            return
        clips = [Path(p) for p in args.videos] or DEFAULT_CLIPS + [make_phone_clip(folder / "phone_60fps.mp4")]
        speed_table(clips)
        if args.long:
            long_run(make_long_clip(folder / "long_1080p.mp4"))
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
