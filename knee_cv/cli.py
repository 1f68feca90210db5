"""The ``knee-cv`` command line.

Every error a user can cause is printed as one sentence on stderr and the
command exits with status 2; nothing is written half-way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knee_cv.errors import KneeCvError

TRACK_SUFFIXES = (".csv", ".npz", ".json")


def _model_fetch(args: argparse.Namespace) -> None:
    from knee_cv.models import ensure_model

    info = ensure_model(args.variant, args.model)
    print(f"{info.variant} model ready: {info.path}\nsha256 {info.sha256}")


def _model_info(args: argparse.Namespace) -> None:
    from knee_cv.models import VARIANTS, cache_dir, sha256_of

    print(f"cache: {cache_dir()}")
    for variant in VARIANTS:
        path = cache_dir() / f"pose_landmarker_{variant}.task"
        state = f"sha256 {sha256_of(path)}" if path.is_file() else "not fetched (knee-cv model fetch)"
        print(f"{variant:6s} {path}  {state}")


def _pose(args: argparse.Namespace) -> None:
    from knee_cv import trackio
    from knee_cv.pose import track_video

    def show(done: int, expected: int | None) -> None:
        if done % 30 == 0:
            print(f"\r{done}/{expected or '?'} frames", end="", file=sys.stderr, flush=True)

    track = track_video(args.video, model_path=args.model, variant=args.variant, progress=show)
    print(file=sys.stderr)
    output = Path(args.output)
    if output.suffix == ".npz":
        trackio.save_npz(track, output)
    else:
        trackio.save_csv(track, output)
    print(f"{output}: {len(track)} frames, pose in {track.detection_rate:.0%}, "
          f"up to {track.max_people} people, model {track.model}")


def _analyze(args: argparse.Namespace) -> None:
    from knee_cv.analysis import analyze, format_text
    from knee_cv.trackio import load_track
    from knee_cv.pose import track_video

    source = Path(args.source)
    if source.suffix.lower() in TRACK_SUFFIXES:
        track = load_track(source)
    else:
        track = track_video(source, model_path=args.model, variant=args.variant)
    analysis = analyze(track, sex=args.sex)
    print(format_text(analysis))
    if args.json:
        Path(args.json).write_text(analysis.to_json())
        print(f"JSON written to {args.json}")
    if args.csv:
        from knee_cv.report import write_reps_csv

        write_reps_csv(analysis, args.csv)
        print(f"Per-rep CSV written to {args.csv}")


def _serve(args: argparse.Namespace) -> None:
    import subprocess

    app = Path(__file__).resolve().parent.parent / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               "--server.address", args.address, "--server.port", str(args.port)]
    raise SystemExit(subprocess.call(command))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``knee-cv`` (its help is the command's documentation)."""
    parser = argparse.ArgumentParser(prog="knee-cv", description="Single-leg squat analysis from video.")
    commands = parser.add_subparsers(dest="command", required=True)

    def model_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--variant", default="full", choices=("full", "lite", "heavy"),
                         help="pose model variant (default: full, built offline from PyPI)")
        sub.add_argument("--model", help="path to a .task model file (wins over --variant and KNEE_CV_MODEL)")

    model = commands.add_parser("model", help="fetch or inspect the pose model")
    model_commands = model.add_subparsers(dest="model_command", required=True)
    fetch = model_commands.add_parser("fetch", help="build or download the model into the user cache")
    model_options(fetch)
    fetch.set_defaults(run=_model_fetch)
    info = model_commands.add_parser("info", help="show the cached models and their SHA-256")
    info.set_defaults(run=_model_info)

    pose = commands.add_parser("pose", help="write the pose track of a video (CSV or NPZ)")
    pose.add_argument("video")
    pose.add_argument("-o", "--output", required=True, help="track file to write (.csv or .npz)")
    model_options(pose)
    pose.set_defaults(run=_pose)

    analyze = commands.add_parser("analyze", help="analyse a video or a saved pose track")
    analyze.add_argument("source", help="video file, or a pose track (.csv, .npz, .posetrack.json)")
    analyze.add_argument("--json", help="write the full result as JSON here")
    analyze.add_argument("--csv", help="write the per-rep table as CSV here")
    analyze.add_argument("--sex", choices=("female", "male"), help="use sex-specific valgus thresholds")
    model_options(analyze)
    analyze.set_defaults(run=_analyze)

    serve = commands.add_parser("serve", help="start the web app")
    serve.add_argument("--address", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=int, default=8501)
    serve.set_defaults(run=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except KneeCvError as error:
        print(f"knee-cv: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
