"""The ``knee-cv`` command line.

Every error a user can cause is printed as one sentence on stderr and the
command exits with status 2; Ctrl-C prints one line and exits with status
130. Output paths are checked before any slow work, and every file is
written whole or not at all (:mod:`knee_cv.fileio`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from knee_cv.errors import KneeCvError
from knee_cv.fileio import check_output, write_atomically

if TYPE_CHECKING:  # for the annotations only: each command imports what it needs when it runs
    from knee_cv.core.result import Analysis
    from knee_cv.core.track import PoseTrack


def _model_fetch(args: argparse.Namespace) -> None:
    from knee_cv.media.models import ensure_model

    info = ensure_model(args.variant, args.model)
    print(f"{info.variant} model ready: {info.path}\nsha256 {info.sha256}")


def _model_info(args: argparse.Namespace) -> None:
    from knee_cv.media.models import VARIANTS, cache_dir, sha256_of

    print(f"cache: {cache_dir()}")
    for variant in VARIANTS:
        path = cache_dir() / f"pose_landmarker_{variant}.task"
        state = f"sha256 {sha256_of(path)}" if path.is_file() else "not fetched (knee-cv model fetch)"
        print(f"{variant:6s} {path}  {state}")


def _track_with_progress(args: argparse.Namespace, video: str | Path) -> PoseTrack:
    """The pose track of a video, with a frame progress bar on a terminal's stderr."""
    from knee_cv.pipeline import track_of
    from knee_cv.progress import frame_counter, progress_bar

    with progress_bar(None, unit="frame", desc="pose") as bar:
        count = frame_counter(bar)
        return track_of(
            video,
            model_path=args.model,
            variant=args.variant,
            max_rate_hz=args.max_rate,
            mirrored=args.mirrored,
            stage=lambda _name, done, total: count(done, total),
        )


def _pose(args: argparse.Namespace) -> None:
    from knee_cv.media import trackio

    output = check_output(args.output, example="track.csv")
    track = _track_with_progress(args, args.video)
    save = trackio.save_npz if output.suffix == ".npz" else trackio.save_csv
    write_atomically(output, lambda temporary: save(track, temporary))
    print(
        f"{output}: {len(track)} frames, pose in {track.detection_rate:.0%}, up to {track.max_people} people, model {track.model}"
    )


def _analyze(args: argparse.Namespace) -> None:
    from knee_cv import pipeline
    from knee_cv.core.analysis import analyze, format_text
    from knee_cv.report.markers import check_height

    if args.save and not args.subject:
        raise KneeCvError("--save needs --subject ID (the pseudonymous id of the person filmed).")
    outputs = (
        (args.json, "result.json"),
        (args.csv, "reps.csv"),
        (args.frames_csv, "frames.csv"),
        (args.trc, "landmarks.trc"),
        (args.mot, "angles.mot"),
        (args.c3d, "landmarks.c3d"),
    )
    for path, example in outputs:
        if path:
            check_output(path, example=example)
    check_height(args.height)
    source = Path(args.source)
    is_video = not pipeline.is_track_file(source)
    track = _track_with_progress(args, source) if is_video else pipeline.track_of(source, mirrored=args.mirrored)
    analysis = analyze(track, sex=args.sex)
    print(format_text(analysis))
    _write_analysis_files(args, source, track, analysis)
    if args.save:
        from knee_cv.media.models import sha256_of
        from knee_cv.store import sessions as store

        key_frames = pipeline.key_frames(source, track, analysis) if is_video else None
        digest = sha256_of(source)
        filmed_at, context = pipeline.filming(source if is_video else None, sex=args.sex, mirrored=args.mirrored)
        saved = store.save_analysis(
            analysis,
            args.subject,
            saved_by=store.command_line_user(),
            key_frames=key_frames,
            video_hash=digest if is_video else None,
            content_id=digest,
            settings={"max_rate_hz": args.max_rate, "mirrored": args.mirrored},
            recorded_at=filmed_at,
            context=context,
            db_url=args.db,
        )
        if saved.created:
            print(f"Saved as session {saved.id} of subject {args.subject}.")
        else:
            kept = saved.context.differences(context) if saved.context is not None else []
            print(
                f"Already saved as session {saved.id} of subject {args.subject} (same file, same settings); "
                "nothing new was saved." + (f" It keeps what was given the first time: {'; '.join(kept)}." if kept else "")
            )


def _write_analysis_files(args: argparse.Namespace, source: Path, track: PoseTrack, analysis: Analysis) -> None:
    """The files ``analyze`` was asked for: JSON, the rep and frame tables, TRC, MOT, C3D."""
    from knee_cv.media.models import sha256_of
    from knee_cv.report import exports

    if args.json:
        exports.write_json(analysis, args.json)
        print(f"JSON written to {args.json}")
    if args.csv or args.frames_csv:
        ids = {"file": str(source), "sha256": sha256_of(source), "subject": args.subject or ""}
        if args.csv:
            exports.write_reps_csv(analysis, args.csv, ids)
            print(f"Per-rep CSV written to {args.csv}")
        if args.frames_csv:
            exports.write_frames_csv(analysis, args.frames_csv, ids)
            print(f"Per-frame CSV written to {args.frames_csv}")
    if args.trc or args.mot:
        from knee_cv.report import opensim

        if args.trc:
            opensim.write_trc(track, args.trc, args.height)
            print(f"Landmarks (OpenSim TRC, {'metres' if args.height else 'pixels'}) written to {args.trc}")
        if args.mot:
            opensim.write_mot(analysis, args.mot)
            print(f"Angle series (OpenSim MOT) written to {args.mot}")
    if args.c3d:
        from knee_cv.report.c3dfile import write_c3d

        write_c3d(track, args.c3d, args.height)
        print(f"Landmarks (C3D, {'millimetres' if args.height else 'pixels'}) written to {args.c3d}")


def _batch(args: argparse.Namespace) -> int:
    from knee_cv.batch import Exports, Settings, run_batch
    from knee_cv.report.markers import check_height

    if args.save and not (args.subject or args.subject_from_folder):
        raise KneeCvError("--save needs --subject ID or --subject-from-folder (each video's folder name is its subject).")
    if not args.save and (args.subject or args.subject_from_folder):
        raise KneeCvError("--subject and --subject-from-folder only apply with --save.")
    subject_of = None
    if args.save:
        subject_of = (lambda path: path.absolute().parent.name) if args.subject_from_folder else (lambda _: args.subject)
    settings = Settings(args.variant, args.model, args.sex, max_rate_hz=args.max_rate, mirrored=args.mirrored)
    exports = Exports(tracks=args.tracks, trc=args.trc, mot=args.mot, c3d=args.c3d, height_m=check_height(args.height))
    result = run_batch(
        args.source,
        args.output,
        settings=settings,
        recursive=args.recursive,
        workers=args.workers,
        ray=args.ray is not None,
        ray_address=args.ray or None,
        subject_of=subject_of,
        db_url=args.db,
        exports=exports,
        overrides=args.overrides,
    )
    print(
        f"{len(result.rows)} videos: {result.analysed} run now, {result.resumed} kept from an earlier batch, "
        f"{result.failed} failed. Summary: {result.summary_path}"
    )
    return 1 if result.failed else 0


def _report(args: argparse.Namespace) -> None:
    from knee_cv.report.pdf import write_pdf

    check_output(args.output, example="report.pdf")
    write_pdf(args.session_id, args.output, db_url=args.db)
    print(f"Report of session {args.session_id} written to {args.output}")


def _history(args: argparse.Namespace) -> None:
    from knee_cv.report.exports import write_history_csv

    check_output(args.output, example="history.csv")
    write_history_csv(args.subject, args.output, db_url=args.db)
    print(f"History of subject {args.subject} written to {args.output}")


def _hash_password(args: argparse.Namespace) -> None:
    import getpass
    import json

    from knee_cv.passwords import MIN_LENGTH, hash_password
    from knee_cv.store.text import person_name

    name = person_name(args.name, "The account name")
    password = getpass.getpass(f"Password for {name}: ")
    if password != getpass.getpass("Again: "):
        raise KneeCvError("The two passwords differ; nothing was printed. Run the command again.")
    if len(password) < MIN_LENGTH:
        raise KneeCvError(f"Use a password of at least {MIN_LENGTH} characters.")
    print("Put this line under [clinicians] in .streamlit/secrets.toml (one line per clinician):")
    print(f"{json.dumps(name)} = {json.dumps(hash_password(password))}")


def _serve(args: argparse.Namespace) -> None:
    import subprocess

    from knee_cv.app import main as app_main

    app = Path(app_main.__file__).resolve()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        args.address,
        "--server.port",
        str(args.port),
        "--client.showErrorDetails",
        "none",
    ]  # as .streamlit/config.toml: no traceback in the browser
    raise SystemExit(subprocess.call(command))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``knee-cv`` (its help is the command's documentation)."""
    parser = argparse.ArgumentParser(prog="knee-cv", description="Single-leg squat analysis from video.")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show MediaPipe's native log lines (hidden by default; same as KNEE_CV_NATIVE_LOGS=1)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def model_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--variant",
            default="full",
            choices=("full", "lite", "heavy"),
            help="pose model variant (default: full, built offline from PyPI)",
        )
        sub.add_argument("--model", help="path to a .task model file (wins over --variant and KNEE_CV_MODEL)")

    def rate_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--max-rate",
            type=float,
            metavar="HZ",
            help="run the pose model at most this many times a second (default 30; 0 = every frame)",
        )
        sub.add_argument(
            "--mirrored",
            action="store_true",
            help="the video was filmed mirrored (a phone's front/selfie camera often mirrors): its "
            "frames are flipped back so left and right are the person's own",
        )

    def height_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--height",
            type=float,
            metavar="M",
            help="the person's height in metres: TRC and C3D landmarks scaled from pixels to metres",
        )

    def db_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--db", help="database URL (default: KNEE_CV_DB_URL, else a SQLite file in the user data folder)")

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
    rate_option(pose)
    pose.set_defaults(run=_pose)

    analyze = commands.add_parser("analyze", help="analyse a video or a saved pose track")
    analyze.add_argument("source", help="video file, or a pose track (.csv, .npz, .posetrack.json)")
    analyze.add_argument("--json", help="write the full result as JSON here")
    analyze.add_argument("--csv", help="write the per-rep table as CSV here (units in the column names)")
    analyze.add_argument("--frames-csv", help="write the per-frame table as CSV here")
    analyze.add_argument("--trc", help="write the landmarks as an OpenSim marker file (.trc) here")
    analyze.add_argument("--mot", help="write the angle series as an OpenSim motion file (.mot) here")
    analyze.add_argument("--c3d", help="write the landmarks as a C3D file here (needs pip install 'knee-cv[formats]')")
    height_option(analyze)
    analyze.add_argument("--sex", choices=("female", "male"), help="use sex-specific valgus thresholds")
    analyze.add_argument("--save", action="store_true", help="save the session to the clinician database")
    analyze.add_argument("--subject", help="pseudonymous subject id to save under (with --save)")
    db_option(analyze)
    model_options(analyze)
    rate_option(analyze)
    analyze.set_defaults(run=_analyze)

    batch = commands.add_parser(
        "batch",
        help="analyse every video of a folder or glob into a folder, with a summary CSV",
        description="Analyse many videos: per-video JSON and per-rep and per-frame CSV, plus summary.csv, the "
        "batch's tables reps.csv, frames.csv and videos.csv, and manifest.json (how it was made) in "
        "OUTPUT. Videos already finished there (same bytes, same settings) are skipped, so an "
        "interrupted batch resumes. Exit status 1 when any video failed (see summary.csv).",
    )
    batch.add_argument("source", help="folder of videos (by file ending), a video, or a glob such as 'clinic/**/*.mp4'")
    batch.add_argument("-o", "--output", required=True, help="output folder (created if missing)")
    batch.add_argument("-r", "--recursive", action="store_true", help="also look in the folder's subfolders")
    batch.add_argument("--workers", type=int, help="local worker processes (default: one per 2 CPU cores)")
    batch.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run on a Ray cluster at ADDRESS (or a local Ray instance without one); needs pip install 'knee-cv[ray]'",
    )
    batch.add_argument("--sex", choices=("female", "male"), help="use sex-specific valgus thresholds")
    batch.add_argument("--tracks", action="store_true", help="also write each video's pose track (STEM-HASH.track.csv)")
    batch.add_argument("--trc", action="store_true", help="also write each video's landmarks as OpenSim TRC")
    batch.add_argument("--mot", action="store_true", help="also write each video's angle series as OpenSim MOT")
    batch.add_argument("--c3d", action="store_true", help="also write each video's landmarks as C3D (needs knee-cv[formats])")
    height_option(batch)
    batch.add_argument(
        "--overrides",
        metavar="FILE.csv",
        help="each video's own settings: a CSV with the columns file (name, or path relative to the "
        "source folder), sex (female/male) and mirrored (yes/no); a blank cell keeps the batch's",
    )
    batch.add_argument("--save", action="store_true", help="save every analysed video to the clinician database")
    subject = batch.add_mutually_exclusive_group()
    subject.add_argument("--subject", help="pseudonymous subject id to save every video under (with --save)")
    subject.add_argument(
        "--subject-from-folder",
        action="store_true",
        help="save each video under its folder's name as the subject id (with --save)",
    )
    db_option(batch)
    model_options(batch)
    rate_option(batch)
    batch.set_defaults(run=_batch)

    report = commands.add_parser("report", help="write the PDF report of a saved session")
    report.add_argument("session_id", type=int)
    report.add_argument("-o", "--output", required=True, help="PDF file to write")
    db_option(report)
    report.set_defaults(run=_report)

    history = commands.add_parser("history", help="write a subject's session history as CSV")
    history.add_argument("subject")
    history.add_argument("-o", "--output", required=True, help="CSV file to write")
    db_option(history)
    history.set_defaults(run=_history)

    password = commands.add_parser(
        "hash-password", help="make a clinician's login line for [clinicians] in .streamlit/secrets.toml"
    )
    password.add_argument("name", help="the clinician's account name (recorded with each save and review)")
    password.set_defaults(run=_hash_password)

    serve = commands.add_parser("serve", help="start the web app")
    serve.add_argument("--address", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=int, default=8501)
    serve.set_defaults(run=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.verbose:
        from knee_cv.media.quiet import SHOW_ENV

        os.environ[SHOW_ENV] = "1"  # also reaches the app that `serve` starts
    try:
        status = args.run(args)
    except KneeCvError as error:
        print(f"knee-cv: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # one the steps did not foresee: still one sentence, not a traceback
        print(f"knee-cv: {_os_error_text(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"knee-cv: {_stopped_text(args)}", file=sys.stderr)
        return 130
    return status or 0


def _os_error_text(error: OSError) -> str:
    """One sentence for an ``OSError`` no step turned into a :class:`KneeCvError`."""
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}; check the path and that this user may read and write there."


def _stopped_text(args: argparse.Namespace) -> str:
    """What Ctrl-C left behind, in one sentence."""
    if args.command == "batch":
        return (
            f"stopped (Ctrl-C); the videos finished so far are kept in {args.output}, "
            "and the same command again resumes from there."
        )
    return "stopped (Ctrl-C); no output file was left half-written."


if __name__ == "__main__":
    raise SystemExit(main())
