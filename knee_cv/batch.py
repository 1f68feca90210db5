"""Many videos at once (``knee-cv batch``): a folder or glob in, one result per video and a summary out.

Each video goes through the same steps as ``knee-cv analyze``
(:mod:`knee_cv.pipeline`: the pose track, then the analysis),
in a pool of local worker processes or as tasks on a Ray cluster; the
results are the same either way, because workers only compute and send
the result back, and this process writes every file.

What the output folder holds
----------------------------
``summary.csv``
    One row per video found (see :data:`SUMMARY_FIELDS`), in the order the
    videos were found; rewritten after each video, so an interrupted batch
    leaves the rows finished so far.
``reps.csv``, ``frames.csv``, ``videos.csv``
    One long table each for the whole batch (:mod:`knee_cv.report.tables`: units
    in the column names, numbers rounded to what is measured, the measures of
    unreliable reps blank): every rep of every analysed video, every frame of
    them, and one row a video found (:data:`knee_cv.report.tables.VIDEO_COLUMNS`:
    the clip's rate, size, duration, frames analysed, detection share, camera
    roll, outcome and processing time). Each starts with the ``file``,
    ``sha256`` and ``subject`` columns. Written when the batch ends (Ctrl-C
    too) from the per-video files below.
``manifest.json``
    How the batch was made (:func:`knee_cv.report.provenance.manifest`):
    knee_cv's version, the model's id and SHA-256, every setting, the
    thresholds, Python, the platform and package versions, start and end time.
``STEM-HASH.json``, ``STEM-HASH.reps.csv``, ``STEM-HASH.frames.csv``
    The full result (:meth:`knee_cv.core.result.Analysis.to_json`) and the
    per-rep and per-frame tables of each video that could be analysed;
    ``HASH`` is the first 10 hex digits of the video's SHA-256.
``STEM-HASH.track.csv``, ``.trc``, ``.mot``, ``.c3d``
    Where asked for (:class:`Exports`): the video's pose track
    (:func:`knee_cv.media.trackio.save_csv`), its landmarks as OpenSim TRC,
    its angle series as OpenSim MOT, its landmarks as C3D.
``.batch/SHA256.json``
    The record of a finished video, written last: its summary row, the
    settings it was made with and its clip's fields of ``videos.csv``. A later batch over the same folder skips
    every video whose bytes already have a record made with the same model,
    knee_cv version, ``sex`` and ``mirrored`` (the video's own, from the overrides file where it has a row;
    and, when saving, saved for the same subject), whatever the
    file is called now, as long as its per-video files (those asked for included) are all there.
    A video whose error was the file's (not a video,
    damaged, no person) is finished too; an unexpected failure is not, and
    is tried again next time.
``.batch/workers.log``
    What the local worker processes printed (MediaPipe's native logging).

Overrides
---------
A dataset whose videos differ (some filmed with the selfie camera, men and
women) gives each video its own settings in a CSV file
(:func:`read_overrides`, ``knee-cv batch --overrides FILE.csv``)::

    file,sex,mirrored
    p01_left.mp4,female,no
    p02/monday.mov,male,yes

``file`` is a video's name, or its path relative to the batch's source
folder (:func:`source_folder`); ``sex`` is ``female`` or ``male`` (the
valgus thresholds, :func:`knee_cv.core.thresholds.load_thresholds`);
``mirrored`` is ``yes`` or ``no`` (``true``/``false``, ``1``/``0``). A blank
cell, or a video without a row, keeps the batch's setting (``--sex``,
``--mirrored``). The settings a video was analysed with are its resume key,
so changing its row analyses it again; ``manifest.json`` lists every row
applied. The stance leg and the exercise are not overridden: the analysis
finds them rep by rep (:mod:`knee_cv.core.reps`).

Every file is written to a temporary name and renamed into place
(:func:`knee_cv.fileio.write_atomically`), so a crash, a full disk or
Ctrl-C never leaves half a file. On Ctrl-C the worker processes are
stopped at once and ``summary.csv`` keeps the videos finished so far; the
same command again resumes from there.
"""

from __future__ import annotations

import csv
import glob
import json
import math
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from knee_cv import __version__
from knee_cv.core.labels import SIDES
from knee_cv.core.result import Analysis
from knee_cv.core.track import PoseTrack
from knee_cv.errors import KneeCvError
from knee_cv.fileio import write_atomically, write_error
from knee_cv.media.models import ModelInfo
from knee_cv.media.video import VIDEO_SUFFIXES

#: CPU cores one video keeps busy: the pose stage runs two landmarker threads
#: (see :func:`knee_cv.media.pose.track_video`), each using a little over one core.
CPUS_PER_VIDEO = 2
SUMMARY_NAME = "summary.csv"
#: The batch's own tables (see the module notes), rewritten by every run.
TABLE_NAMES = {"reps": "reps.csv", "frames": "frames.csv", "videos": "videos.csv"}
MANIFEST_NAME = "manifest.json"
#: Columns of ``summary.csv``. Angles are in degrees, means over the reliable
#: reps of that stance leg (FPPA positive = valgus, pelvic drop positive = the
#: free leg's side lower); ``seconds`` is the time the analysis took when it
#: ran; ``resumed`` is ``yes`` for a result kept from an earlier batch.
SUMMARY_FIELDS = (
    "file",
    "sha256",
    "status",
    "message",
    "view",
    "exercise",
    "reps",
    "reliable_reps",
    "fppa_left_deg",
    "fppa_right_deg",
    "pelvic_drop_left_deg",
    "pelvic_drop_right_deg",
    "rating",
    "rating_best",
    "rating_worst",
    "seconds",
    "json",
    "reps_csv",
    "session_id",
    "resumed",
)
#: Columns an overrides file may have (see the module notes); ``file`` is required.
OVERRIDE_COLUMNS = ("file", "sex", "mirrored")
#: The words an overrides file may use in its ``mirrored`` column, and what each means.
YES_NO = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
_STATE = ".batch"


@dataclass(frozen=True)
class Settings:
    """How every video of a batch is analysed (sent to each worker).

    Attributes
    ----------
    variant : str
        Pose model variant ("full", "lite", "heavy").
    model_path : str, optional
        An explicit ``.task`` model file (it must exist on every worker).
    sex : {"female", "male"}, optional
        Sex-specific valgus thresholds.
    key_frames : bool
        Also make each rep's key-frame JPEG (needed to save to the store).
    max_rate_hz : float, optional
        Cap on the pose model's rate, Hz (None: the default 30 Hz; 0: every frame).
    mirrored : bool
        Every video was filmed mirrored (a selfie camera): frames are flipped
        back before the pose model (see :func:`knee_cv.pipeline.track_of`).
    """

    variant: str = "full"
    model_path: str | None = None
    sex: str | None = None
    key_frames: bool = False
    max_rate_hz: float | None = None
    mirrored: bool = False


@dataclass(frozen=True)
class Exports:
    """Files written for each analysed video besides its result and tables (the driver writes them).

    Attributes
    ----------
    tracks : bool
        The pose track, ``STEM-HASH.track.csv`` (knee_cv's track CSV).
    trc, mot : bool
        The landmarks as an OpenSim marker file ``STEM-HASH.trc``, the angle
        series as an OpenSim motion file ``STEM-HASH.mot`` (:mod:`knee_cv.report.opensim`).
    c3d : bool
        The landmarks as ``STEM-HASH.c3d`` (:mod:`knee_cv.report.c3dfile`).
    height_m : float, optional
        The person's height in metres: TRC and C3D positions scaled to metres
        (:mod:`knee_cv.report.markers`); otherwise pixels.
    """

    tracks: bool = False
    trc: bool = False
    mot: bool = False
    c3d: bool = False
    height_m: float | None = None

    def suffixes(self) -> list[str]:
        """The endings of the files asked for, after ``STEM-HASH``."""
        wanted = {".track.csv": self.tracks, ".trc": self.trc, ".mot": self.mot, ".c3d": self.c3d}
        return [suffix for suffix, asked in wanted.items() if asked]


@dataclass(frozen=True)
class Override:
    """One video's own settings, from a row of an overrides file; None keeps the batch's setting.

    Attributes
    ----------
    sex : {"female", "male"}, optional
    mirrored : bool, optional
    """

    sex: str | None = None
    mirrored: bool | None = None

    def applied(self, settings: Settings) -> Settings:
        """``settings`` with this video's own values in place of the batch's.

        Examples
        --------
        >>> Override(mirrored=True).applied(Settings(sex="female"))
        Settings(variant='full', model_path=None, sex='female', key_frames=False, max_rate_hz=None, mirrored=True)
        """
        return replace(settings, **{name: value for name, value in asdict(self).items() if value is not None})


@dataclass
class Outcome:
    """What analysing one video gave.

    ``status`` is "ok" or "error"; ``message`` says what went wrong (for an
    error) or what the analysis noted about the recording. ``retry`` marks an
    error that was not the file's fault, so the video is tried again in the
    next batch. ``track`` is the pose track wherever one was made (a video
    without a person too).
    """

    status: str
    message: str
    seconds: float
    analysis: Analysis | None = None
    key_frames: dict[int, bytes] | None = None
    retry: bool = False
    track: PoseTrack | None = None


@dataclass
class BatchResult:
    """The summary rows of a batch (as written to ``summary.csv``) and where it is."""

    rows: list[dict[str, Any]]
    summary_path: Path
    analysed: int = 0

    @property
    def failed(self) -> int:
        """Videos whose status is "error"."""
        return sum(row["status"] == "error" for row in self.rows)

    @property
    def resumed(self) -> int:
        """Videos whose result was kept from an earlier batch."""
        return sum(row["resumed"] == "yes" for row in self.rows)


def default_workers() -> int:
    """Worker processes that fit this machine: one per :data:`CPUS_PER_VIDEO` cores, at least one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // CPUS_PER_VIDEO)


def find_videos(source: str | Path, *, recursive: bool = False) -> list[Path]:
    """The video files named by ``source``, sorted.

    Parameters
    ----------
    source : str or Path
        A folder (its files ending in one of :data:`VIDEO_SUFFIXES`, any
        case), a single file, or a glob pattern (``**`` matches folders at
        any depth; every file it matches is taken, whatever its ending).
    recursive : bool
        For a folder: look in its subfolders too.

    Raises
    ------
    KneeCvError
        When nothing is found.
    """
    path = Path(source)
    if path.is_dir():
        candidates = path.rglob("*") if recursive else path.iterdir()
        found = [p for p in candidates if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES]
        if not found:
            deeper = "" if recursive else " (add --recursive to look in its subfolders)"
            raise KneeCvError(f"No videos ({', '.join(VIDEO_SUFFIXES)}) in the folder {path}{deeper}.")
    elif path.is_file():
        found = [path]
    else:
        found = [Path(p) for p in glob.glob(str(source), recursive=True) if Path(p).is_file()]
        if not found:
            raise KneeCvError(f"No files match {source}. Give a folder of videos, or a pattern such as 'videos/*.mp4'.")
    return sorted(found)


def source_folder(source: str | Path) -> Path:
    """The folder that the ``file`` column of an overrides file is relative to, for a batch of ``source``.

    A folder itself; a file's folder; for a glob pattern, its part before the
    first wildcard (``clinic`` for ``clinic/**/*.mp4``).

    Examples
    --------
    >>> source_folder("clinic/2024-*/**/*.mp4").as_posix()
    'clinic'
    """
    path = Path(source)
    if path.is_dir():
        return path
    if path.is_file():
        return path.parent
    fixed = []
    for part in path.parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def read_overrides(path: str | Path, videos: list[Path], folder: str | Path) -> dict[Path, Override]:
    """Each video's own settings from the overrides CSV at ``path`` (see the module notes).

    Parameters
    ----------
    path : str or Path
        The CSV file: a header with ``file`` and any of ``sex``, ``mirrored``
        (:data:`OVERRIDE_COLUMNS`, any case), then one row a video.
    videos : list of Path
        The videos of the batch.
    folder : str or Path
        What a row's ``file`` is relative to (:func:`source_folder`).

    Returns
    -------
    dict of Path to Override
        By video, for the videos with a row.

    Raises
    ------
    KneeCvError
        A file that cannot be read or is not such a CSV, an unknown column,
        a row naming no video of the batch (or several, or one named by an
        earlier row), or a value that is not one of those allowed; the
        sentence gives the row's line.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: a spreadsheet's byte-order mark
            lines = list(csv.reader(handle))
    except OSError as error:
        raise KneeCvError(f"The overrides file {path} cannot be read ({error.strerror}).") from None
    except (UnicodeDecodeError, csv.Error):
        raise KneeCvError(f"The overrides file {path} is not a CSV text file (UTF-8); save it as CSV.") from None
    if not lines:
        raise KneeCvError(
            f"The overrides file {path} is empty; its first line names the columns ({', '.join(OVERRIDE_COLUMNS)})."
        )
    header = [name.strip().lower() for name in lines[0]]
    unknown = [name for name in header if name not in OVERRIDE_COLUMNS]
    if unknown or "file" not in header or len(set(header)) < len(header):
        raise KneeCvError(
            f"The overrides file {path} has the columns {', '.join(lines[0])}; it needs file and any "
            f"of sex, mirrored, each once (the stance leg and exercise are found by the analysis)."
        )
    by_path = {_relative(video, folder): video for video in videos}
    by_name: dict[str, list[Path]] = {}
    for video in videos:
        by_name.setdefault(video.name, []).append(video)
    found: dict[Path, Override] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        where = f"Line {number} of {path}"
        if any(cell.strip() for cell in cells[len(header) :]):
            raise KneeCvError(f"{where} has more cells than its header has columns ({', '.join(lines[0])}).")
        row = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)}
        video = _overridden_video(row["file"], by_path, by_name, where, folder)
        if video in found:
            raise KneeCvError(f"{where} names {video} again; give each video one row.")
        found[video] = Override(sex=_sex_cell(row.get("sex", ""), where), mirrored=_mirrored_cell(row.get("mirrored", ""), where))
    return found


def _relative(video: Path, folder: str | Path) -> str:
    """``video``'s path relative to ``folder`` as text with ``/`` (its name when it lies outside)."""
    relative = os.path.relpath(os.path.abspath(video), os.path.abspath(folder))
    return video.name if relative.startswith(os.pardir) else Path(relative).as_posix()


def _overridden_video(
    name: str,
    by_path: dict[str, Path],
    by_name: dict[str, list[Path]],
    where: str,
    folder: str | Path,
) -> Path:
    """The one video of the batch that an overrides row's ``file`` cell names: by its relative path, else by name."""
    key = Path(name).as_posix()
    if name and key in by_path:
        return by_path[key]
    matches = by_name.get(key, []) if name else []
    if not matches:
        named = f"names the file {name}, which is not a video of this batch" if name else "has no file"
        raise KneeCvError(f"{where} {named}; give a video's name or its path relative to {folder}.")
    if len(matches) > 1:
        paths = " or ".join(_relative(video, folder) for video in matches)
        raise KneeCvError(
            f"{where} names {name}, which several videos of this batch are called; give its "
            f"path relative to {folder} instead ({paths})."
        )
    return matches[0]


def _sex_cell(value: str, where: str) -> str | None:
    """An overrides row's ``sex`` cell: female, male or None (blank)."""
    from knee_cv.core.thresholds import SEXES

    sex = value.lower()
    if sex and sex not in SEXES:
        raise KneeCvError(
            f"{where} gives the sex {value}; write {' or '.join(SEXES)}, or leave it blank for the batch's setting."
        )
    return sex or None


def _mirrored_cell(value: str, where: str) -> bool | None:
    """An overrides row's ``mirrored`` cell: True, False or None (blank)."""
    if not value:
        return None
    if value.lower() not in YES_NO:
        raise KneeCvError(f"{where} gives mirrored as {value}; write yes or no, or leave it blank for the batch's setting.")
    return YES_NO[value.lower()]


def analyse_file(path: str | Path, settings: Settings) -> Outcome:
    """Analyse one video; every failure becomes an error :class:`Outcome` instead of an exception."""
    from knee_cv import pipeline
    from knee_cv.core.analysis import analyze

    started = time.perf_counter()
    try:
        track = pipeline.track_of(
            path,
            model_path=settings.model_path,
            variant=settings.variant,
            max_rate_hz=settings.max_rate_hz,
            mirrored=settings.mirrored,
        )
        analysis = analyze(track, sex=settings.sex)
        if not track.has_pose.any():
            return Outcome("error", analysis.summary.messages[0], time.perf_counter() - started, track=track)
        key_frames = pipeline.key_frames(path, track, analysis) if settings.key_frames else None
    except KneeCvError as error:
        return Outcome("error", str(error), time.perf_counter() - started)
    except Exception as error:  # one broken video must not end a batch of hundreds
        return Outcome(
            "error",
            f"Unexpected failure ({type(error).__name__}: {error}); it is tried again "
            "in the next batch, and if it fails again please report it.",
            time.perf_counter() - started,
            retry=True,
        )
    return Outcome(
        "ok",
        " ".join(analysis.summary.messages),
        time.perf_counter() - started,
        analysis=analysis,
        key_frames=key_frames,
        track=track,
    )


def analyse_bytes(data: bytes, name: str, settings: Settings) -> Outcome:
    """:func:`analyse_file` on a video sent as bytes (a Ray task: the worker may not see the driver's disk)."""
    with tempfile.TemporaryDirectory(prefix="knee_cv_batch_") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return analyse_file(path, settings)


def _start_worker(log_path: str) -> None:
    """Set up a worker process: stdout and stderr (MediaPipe's native logging) to ``log_path``, Ctrl-C ignored.

    Ctrl-C on a terminal reaches every process of the command; the driver
    alone handles it and stops the workers (:func:`_stop_workers`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def _number(value: float, digits: int) -> float | str:
    return round(float(value), digits) if math.isfinite(value) else ""


#: The columns summary.csv takes from videos.csv's account of an analysis (:func:`knee_cv.report.tables.analysis_fields`).
_SHARED_WITH_VIDEOS = ("view", "exercise", "reps", "reliable_reps", "rating", "rating_best", "rating_worst")


def _analysis_fields(analysis: Analysis) -> dict[str, Any]:
    """``summary.csv``'s account of an analysis: ``videos.csv``'s view, reps and rating, and each leg's means."""
    from knee_cv.report.tables import analysis_fields

    summary = analysis.summary
    legs = {leg.leg: leg for leg in summary.legs}
    shared = analysis_fields(analysis)
    fields = {name: shared[name] for name in _SHARED_WITH_VIDEOS}
    for side in SIDES:
        leg = legs.get(side)
        fields[f"fppa_{side}_deg"] = _number(leg.fppa_deg, 1) if leg else ""
        fields[f"pelvic_drop_{side}_deg"] = _number(leg.pelvic_drop_deg, 1) if leg else ""
    return fields


@dataclass
class _Batch:
    """The driver's state: where each finished video's row and files go."""

    out_dir: Path
    settings: Settings
    model_id: str
    subject_of: Callable[[Path], str] | None
    db_url: str | None
    paths_of: dict[str, list[Path]]
    videos: list[Path]
    digests: dict[Path, str]
    rows: dict[Path, dict[str, Any]] = field(default_factory=dict)
    report: Callable[[str], None] = print
    exports: Exports = Exports()
    #: By digest: the clip's and the analysis's columns of ``videos.csv`` (:func:`_video_fields`).
    video_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: By video: its own settings from the overrides file (:func:`read_overrides`).
    overrides: dict[Path, Override] = field(default_factory=dict)

    @property
    def state(self) -> Path:
        return self.out_dir / _STATE

    def record_path(self, digest: str) -> Path:
        return self.state / f"{digest}.json"

    def settings_of(self, digest: str) -> Settings:
        """The settings the video ``digest`` is analysed with: the batch's, with its overrides row applied."""
        return self.overrides.get(self.paths_of[digest][0], Override()).applied(self.settings)

    def fingerprint(self, digest: str) -> dict[str, Any]:
        """What a result of ``digest`` must have been made with to be kept (its resume key, without the subject)."""
        settings = self.settings_of(digest)
        how: dict[str, Any] = {"model": self.model_id, "sex": settings.sex, "knee_cv": __version__}
        if settings.max_rate_hz is not None:  # only a changed rate tells apart results of earlier batches
            how["max_rate_hz"] = settings.max_rate_hz
        if settings.mirrored:  # likewise: unmirrored videos keep the records they had
            how["mirrored"] = True
        return how

    def check_copies(self) -> None:
        """Refuse, in one sentence, copies of one video (same bytes) that the overrides give different settings."""
        for paths in self.paths_of.values():
            own = {self.overrides.get(path, Override()).applied(self.settings) for path in paths}
            if len(own) > 1:
                raise KneeCvError(
                    f"{paths[0]} and {paths[1]} are the same video (the same bytes) but the overrides "
                    "file gives them different settings; give both the same row values."
                )

    def files_of(self, row: dict[str, Any]) -> list[str]:
        """The per-video files an analysed video's ``row`` stands for: result, tables, exports asked for."""
        stem = row["json"].removesuffix(".json")
        return [row["json"], row["reps_csv"], f"{stem}.frames.csv", *(stem + end for end in self.exports.suffixes())]

    def subject(self, path: Path) -> str:
        """The subject id of the video at ``path`` ("" when the batch saves nothing)."""
        return self.subject_of(path) if self.subject_of else ""

    def reuse(self, digest: str) -> bool:
        """Take an earlier batch's result for ``digest`` when it was made the same way; True if taken."""
        try:
            record = json.loads(self.record_path(digest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        row = record.get("row", {})
        if record.get("fingerprint") != self.fingerprint(digest):
            return False
        if row.get("status") == "ok":
            if not all((self.out_dir / name).is_file() for name in self.files_of(row)):
                return False
            if self.subject_of and record.get("subject") != self.subject_of(self.paths_of[digest][0]):
                return False
        self.video_fields[digest] = record.get("video", {})
        for path in self.paths_of[digest]:
            self.rows[path] = row | {"file": str(path), "resumed": "yes"}
            if row.get("status") == "error":
                self.report(f"knee-cv: {path}: {row['message']}")
        return True

    def finish(self, digest: str, outcome: Outcome) -> None:
        """Write one video's files, save it if asked, record it and update the summary."""
        first = self.paths_of[digest][0]
        row: dict[str, Any] = {name: "" for name in SUMMARY_FIELDS}
        row.update(sha256=digest, status=outcome.status, message=outcome.message, seconds=round(outcome.seconds, 1), resumed="no")
        subject = None
        if outcome.analysis is not None:
            from knee_cv.report.exports import write_frames_csv, write_json, write_reps_csv

            analysis = outcome.analysis
            stem = f"{first.stem}-{digest[:10]}"
            row.update(_analysis_fields(analysis), json=f"{stem}.json", reps_csv=f"{stem}.reps.csv")
            ids = {"file": str(first), "sha256": digest, "subject": self.subject(first)}
            write_reps_csv(analysis, self.out_dir / row["reps_csv"], ids)
            write_frames_csv(analysis, self.out_dir / f"{stem}.frames.csv", ids)
            write_json(analysis, self.out_dir / row["json"])
            assert outcome.track is not None, "an analysed video has its pose track"
            try:
                self._export(stem, outcome.track, analysis)
            except KneeCvError as error:  # this video's own (no leg to scale by): the rest of the batch goes on
                row.update(status="error", message=f"Analysed, but not every file asked for was written: {error}")
                outcome.retry = True
            if self.subject_of:
                subject = self.subject_of(first)
                try:
                    row["session_id"] = self._save(analysis, subject, digest, outcome.key_frames)
                except KneeCvError as error:
                    row.update(status="error", message=f"Analysed, but not saved: {error}")
                    outcome.retry = True
        self.video_fields[digest] = _video_fields(outcome)
        if not outcome.retry:
            record = {"row": row, "fingerprint": self.fingerprint(digest), "subject": subject, "video": self.video_fields[digest]}
            write_atomically(self.record_path(digest), lambda p: p.write_text(json.dumps(record, indent=1), encoding="utf-8"))
        for path in self.paths_of[digest]:
            self.rows[path] = row | {"file": str(path)}
            if row["status"] == "error":
                self.report(f"knee-cv: {path}: {row['message']}")
        self.write_summary()

    def _export(self, stem: str, track: PoseTrack, analysis: Analysis) -> None:
        """Write the per-video files that :attr:`exports` asks for."""
        from knee_cv.media import trackio
        from knee_cv.report.c3dfile import write_c3d
        from knee_cv.report.opensim import write_mot, write_trc

        asked, height = self.exports, self.exports.height_m
        if asked.tracks:
            write_atomically(self.out_dir / f"{stem}.track.csv", lambda path: trackio.save_csv(track, path))
        if asked.trc:
            write_trc(track, self.out_dir / f"{stem}.trc", height)
        if asked.mot:
            write_mot(analysis, self.out_dir / f"{stem}.mot")
        if asked.c3d:
            write_c3d(track, self.out_dir / f"{stem}.c3d", height)

    def _save(self, analysis: Analysis, subject: str, digest: str, key_frames: dict[int, bytes] | None) -> int:
        from knee_cv.pipeline import filming
        from knee_cv.store import sessions as store

        settings = self.settings_of(digest)
        filmed_at, context = filming(self.paths_of[digest][0], sex=settings.sex, mirrored=settings.mirrored)
        saved = store.save_analysis(
            analysis,
            subject,
            saved_by=store.command_line_user(),
            key_frames=key_frames,
            video_hash=digest,
            settings={"max_rate_hz": settings.max_rate_hz, "mirrored": settings.mirrored},
            recorded_at=filmed_at,
            context=context,
            db_url=self.db_url,
        )
        return saved.id

    def fail(self, path: Path, message: str) -> None:
        """A video that could not even be read for hashing."""
        self.rows[path] = {name: "" for name in SUMMARY_FIELDS} | {
            "file": str(path),
            "status": "error",
            "message": message,
            "resumed": "no",
        }
        self.report(f"knee-cv: {path}: {message}")

    def summary_rows(self) -> list[dict[str, Any]]:
        return [self.rows[path] for path in self.videos if path in self.rows]

    def write_summary(self) -> Path:
        target = self.out_dir / SUMMARY_NAME

        def write(path: Path) -> None:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS)
                writer.writeheader()
                writer.writerows(self.summary_rows())

        return write_atomically(target, write)

    def write_tables(self) -> None:
        """Write ``reps.csv``, ``frames.csv`` and ``videos.csv`` from the videos with a row so far.

        The rep and frame tables are the per-video files put together (their
        ``file`` column set to the name each video has now); the video table
        is the rows with each video's clip and analysis fields.
        """
        import pandas as pd

        from knee_cv.report.exports import write_table
        from knee_cv.report.tables import FRAME_COLUMNS, ID_COLUMNS, REP_COLUMNS, video_table

        videos: list[dict[str, Any]] = []
        parts: dict[str, list[pd.DataFrame]] = {"reps": [], "frames": []}
        for path in self.videos:
            row = self.rows.get(path)
            if row is None:
                continue
            ids = {"file": str(path), "sha256": row["sha256"], "subject": self.subject(path)}
            videos.append(
                ids
                | {"status": row["status"], "message": row["message"]}
                | self.video_fields.get(row["sha256"], {})
                | {"processing_s": row["seconds"], "resumed": row["resumed"]}
            )
            if row["json"]:
                stem = row["json"].removesuffix(".json")
                for name, tables in parts.items():
                    # As text: the cells go out exactly as they came in (a hash is never read as a number).
                    table = pd.read_csv(self.out_dir / f"{stem}.{name}.csv", dtype=str, keep_default_na=False)
                    tables.append(table.assign(file=str(path)))
        columns = {"reps": [*ID_COLUMNS, *REP_COLUMNS], "frames": [*ID_COLUMNS, *FRAME_COLUMNS]}
        for name, tables in parts.items():
            table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns[name])
            write_table(table, self.out_dir / TABLE_NAMES[name])
        write_table(video_table(videos), self.out_dir / TABLE_NAMES["videos"])


def _video_fields(outcome: Outcome) -> dict[str, Any]:
    """The clip's and the analysis's columns of ``videos.csv`` for one outcome, NaN as None (JSON)."""
    from knee_cv.report.tables import analysis_fields, clip_fields

    fields = clip_fields(outcome.track) if outcome.track is not None else {}
    if outcome.analysis is not None:
        fields |= analysis_fields(outcome.analysis)
    return {name: None if isinstance(value, float) and math.isnan(value) else value for name, value in fields.items()}


def run_batch(
    source: str | Path | Iterable[Path],
    out_dir: str | Path,
    *,
    settings: Settings = Settings(),
    recursive: bool = False,
    workers: int | None = None,
    ray: bool = False,
    ray_address: str | None = None,
    subject_of: Callable[[Path], str] | None = None,
    db_url: str | None = None,
    progress: bool | None = None,
    exports: Exports = Exports(),
    overrides: str | Path | None = None,
) -> BatchResult:
    """Analyse every video of ``source`` into ``out_dir`` (see the module notes for what is written).

    Parameters
    ----------
    source : str, Path or iterable of Path
        A folder, a file or a glob pattern (see :func:`find_videos`), or the
        video paths themselves.
    out_dir : str or Path
        Output folder (created if missing). Results already in it are reused.
    settings : Settings
        Model, thresholds and key frames for every video.
    recursive : bool
        Look in subfolders of a folder ``source``.
    workers : int, optional
        Local worker processes (default :func:`default_workers`); ignored with ``ray``.
    ray : bool
        Run each video as a task on Ray: on the cluster at ``ray_address``,
        on the one Ray is already connected to, or else on a local Ray
        instance started (and stopped) here. Each task asks for
        :data:`CPUS_PER_VIDEO` CPUs and gets the video's bytes, so the
        workers need knee_cv installed but not this machine's files.
    ray_address : str, optional
        Ray cluster address (``ray://host:10001`` or ``host:6379``).
    subject_of : callable, optional
        ``subject_of(video_path) -> subject id``: save each analysed video
        as a session of that subject in the store (with rep key frames).
    db_url : str, optional
        Store URL for saving (default: :func:`knee_cv.store.sessions.default_db_url`).
    progress : bool, optional
        Show a progress bar on stderr (default: when stderr is a terminal).
    exports : Exports
        Files to write for each analysed video besides its result and tables.
    overrides : str or Path, optional
        A CSV file of per-video settings (:func:`read_overrides`); its
        ``file`` column is relative to :func:`source_folder` of ``source``, or
        to the current folder when ``source`` is a list of paths.

    Returns
    -------
    BatchResult
        The summary rows; also written to ``out_dir/summary.csv``.

    Raises
    ------
    KneeCvError
        When no video is found, the overrides file is not right, the model
        cannot be had, or Ray is missing.
    """
    from tqdm import tqdm

    from knee_cv.media.models import ensure_model, sha256_of
    from knee_cv.report.provenance import now

    started = now()
    videos = list(source) if not isinstance(source, (str, Path)) else find_videos(source, recursive=recursive)
    out = Path(out_dir)
    # A glob or recursive folder that reaches into the output folder would take its results for videos.
    videos = [video for video in videos if not Path(video).resolve().is_relative_to(out.resolve())]
    folder = source_folder(source) if isinstance(source, (str, Path)) else Path()
    own = read_overrides(overrides, videos, folder) if overrides is not None else {}
    _make_output_folder(out)
    if subject_of:
        settings = replace(settings, key_frames=True)
    model = ensure_model(settings.variant, settings.model_path)  # once here, not in every worker
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(
        total=len(videos), unit="video", desc="videos", file=sys.stderr, disable=not show, mininterval=0, dynamic_ncols=True
    )  # redraw at every video, not only after 0.1 s

    def report(line: str) -> None:
        tqdm.write(line, file=sys.stderr)

    batch = _Batch(
        out,
        settings,
        model.model_id,
        subject_of,
        db_url,
        paths_of={},
        videos=videos,
        digests={},
        report=report,
        exports=exports,
        overrides=own,
    )
    for path in videos:
        try:
            digest = sha256_of(path)
        except OSError as error:
            batch.fail(path, f"The file cannot be read ({error.strerror}). Check that it exists and may be read.")
            continue
        batch.digests[path] = digest
        batch.paths_of.setdefault(digest, []).append(path)
    batch.check_copies()
    todo = [(digest, paths[0], batch.settings_of(digest)) for digest, paths in batch.paths_of.items() if not batch.reuse(digest)]
    bar.update(len(batch.rows))

    def finish(digest: str, outcome: Outcome) -> None:
        batch.finish(digest, outcome)
        bar.update(len(batch.paths_of[digest]))

    ended = None
    try:
        if todo and ray:
            _run_on_ray(todo, ray_address, finish)
        elif todo:
            _run_locally(todo, workers or default_workers(), out / _STATE / "workers.log", finish)
        ended = now()
    finally:
        bar.close()
        summary = batch.write_summary()
        batch.write_tables()
        options = {
            "recursive": recursive,
            "workers": None if ray else workers or default_workers(),
            "ray": ray,
            "save": subject_of is not None,
            "overrides": _overrides_entry(overrides, own),
        }
        _write_manifest(batch, model, options, started, ended)
    return BatchResult(batch.summary_rows(), summary, analysed=len(todo))


def _write_manifest(batch: _Batch, model: ModelInfo, options: dict[str, Any], started: str, ended: str | None) -> None:
    """Write ``manifest.json``: how this batch was made; ``ended`` is None for a batch stopped part way."""
    from knee_cv.core.thresholds import load_thresholds
    from knee_cv.media.pose import MAX_RATE_HZ
    from knee_cv.report.provenance import manifest

    rows = batch.summary_rows()
    counts = {
        "found": len(batch.videos),
        "with_a_row": len(rows),
        "resumed": sum(row["resumed"] == "yes" for row in rows),
        "failed": sum(row["status"] == "error" for row in rows),
    }
    settings = asdict(batch.settings) | {"exports": asdict(batch.exports)} | options
    if settings["max_rate_hz"] is None:  # not set: the rate the pose stage used, not a null a reader may take for "every frame"
        settings["max_rate_hz"] = MAX_RATE_HZ
    data = manifest(
        model=model,
        settings=settings,
        thresholds=load_thresholds(sex=batch.settings.sex),
        started=started,
        ended=ended,
        counts=counts,
    )
    write_atomically(batch.out_dir / MANIFEST_NAME, lambda path: path.write_text(json.dumps(data, indent=1), encoding="utf-8"))


def _overrides_entry(path: str | Path | None, own: dict[Path, Override]) -> dict[str, Any] | None:
    """The manifest's account of an overrides file: its path and each video's row applied (blank cells left out)."""
    if path is None:
        return None
    videos = {
        str(video): {name: value for name, value in asdict(override).items() if value is not None}
        for video, override in sorted(own.items())
    }
    return {"file": str(path), "videos": videos}


def _make_output_folder(out: Path) -> None:
    """Create ``out`` and its state folder, or say in one sentence why they cannot be."""
    if out.exists() and not out.is_dir():
        raise KneeCvError(f"The output {out} is a file; give a folder for the results (it is created if missing).")
    try:
        (out / _STATE).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(out, error) from error


def _run_locally(
    todo: list[tuple[str, Path, Settings]],
    workers: int,
    log_path: Path,
    finish: Callable[[str, Outcome], None],
) -> None:
    """Analyse ``todo`` (digest, path, its settings) in ``workers`` fresh (spawned) processes, calling ``finish`` as each ends."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(todo)), mp_context=context, initializer=_start_worker, initargs=(str(log_path),)
    )
    try:
        futures = {pool.submit(analyse_file, path, settings): digest for digest, path, settings in todo}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except BrokenProcessPool:
                outcome = Outcome(
                    "error",
                    "The worker process analysing it died (out of memory?); it is tried again in the next batch.",
                    0.0,
                    retry=True,
                )
            finish(futures[future], outcome)
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the worker processes now, mid-video (Ctrl-C, an error here)."""
    processes = list((pool._processes or {}).values())  # no public way before Python 3.14's terminate_workers()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()


def _run_on_ray(
    todo: list[tuple[str, Path, Settings]],
    address: str | None,
    finish: Callable[[str, Outcome], None],
) -> None:
    """Analyse ``todo`` (digest, path, its settings) as Ray tasks, a few more in flight than the cluster runs at once."""
    try:
        import ray
    except ImportError:
        raise KneeCvError("--ray needs Ray: install it with pip install 'knee-cv[ray]'.") from None

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=CPUS_PER_VIDEO)(analyse_bytes)
        # Ray's cluster_resources is not annotated.
        slots = max(1, int(ray.cluster_resources().get("CPU", CPUS_PER_VIDEO)) // CPUS_PER_VIDEO)  # type: ignore[no-untyped-call]
        waiting = iter(todo)
        pending: dict[Any, str] = {}

        def submit() -> None:
            for digest, path, settings in waiting:
                try:
                    data = path.read_bytes()
                except OSError as error:
                    finish(digest, Outcome("error", f"The file cannot be read ({error.strerror}).", 0.0, retry=True))
                    continue
                pending[task.remote(data, path.name, settings)] = digest
                return

        for _ in range(2 * slots):
            submit()
        while pending:
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            digest = pending.pop(ref)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as error:
                outcome = Outcome(
                    "error",
                    f"The Ray task failed ({type(error).__name__}); it is tried again in the next batch.",
                    0.0,
                    retry=True,
                )
            finish(digest, outcome)
            submit()
    finally:
        if started:
            ray.shutdown()
