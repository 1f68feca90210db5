"""From a video (or a saved track) to everything a result shows, with progress callbacks.

One path for every front end: the web app (:mod:`knee_cv.app.processing`
runs :func:`process_video`, then :func:`add_video`, in worker threads), the
command line (:mod:`knee_cv.cli`), batches (:mod:`knee_cv.batch`) and
:func:`knee_cv.analyze`. The steps::

    video --track_video--> PoseTrack --analyze--> Analysis --key_frames--> thumbnails   (the results)
                                                          --add_video--> annotated video (afterwards)

The results need no annotated video: the thumbnails are decoded from the
deepest frames alone, so a front end shows the results as soon as the
analysis is done and the video when it is drawn.

No Streamlit here; the numpy core (:mod:`knee_cv.core`) sees only the
PoseTrack.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from knee_cv.core.analysis import analyze
from knee_cv.core.context import SessionContext
from knee_cv.core.orientation import Orientation, upright_turn
from knee_cv.core.result import Analysis
from knee_cv.core.threshold_tables import Thresholds
from knee_cv.core.thresholds import load_thresholds
from knee_cv.core.track import PoseTrack
from knee_cv.errors import KneeCvError
from knee_cv.media.models import ModelInfo
from knee_cv.media.trackio import TRACK_SUFFIXES, load_track

#: ``stage(name, done, total)``: ``name`` is "pose", "analysis" or "video";
#: ``done`` and ``total`` count frames (``total`` may be None).
Stage = Callable[[str, int, "int | None"], None]


@dataclass
class Processed:
    """Everything the results show for one video (or live session).

    Attributes
    ----------
    analysis : Analysis
    track : PoseTrack
    video : bytes or None
        The annotated H.264 MP4: None until :func:`add_video` draws it, and
        after it when no pose was found to draw.
    thumbnails : dict of int to bytes
        JPEG of each rep's deepest frame, by ``Rep.index``.
    sha256 : str
        Hex SHA-256 of the source bytes ("" for live sessions).
    recording_id : str
        A live session's own random id ("" for files): what a save of it is
        known by (:func:`knee_cv.store.sessions.save_key`).
    timings : dict of str to float
        Seconds spent in each stage (``pose``, ``analysis``, ``key frames``, ``video``).
    """

    analysis: Analysis
    track: PoseTrack
    video: bytes | None
    thumbnails: dict[int, bytes]
    sha256: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    recording_id: str = ""

    def named(self, name: str) -> Processed:
        """A copy whose analysis and track name ``name`` as their source; this one is left as it is.

        The app caches one Processed per video content for every visitor, under
        a neutral name; each visitor's copy carries their own file name.
        """
        track = copy.copy(self.track)
        track.source = name
        return replace(self, analysis=replace(self.analysis, source=name), track=track)


def _no_report(_name: str, _done: int, _total: int | None) -> None:
    """The default :data:`Stage` callback: reports nowhere."""


def is_track_file(path: str | Path) -> bool:
    """Whether ``path`` names a saved pose track (by its ending) rather than a video."""
    return Path(path).suffix.lower() in TRACK_SUFFIXES


def track_of(
    path: str | Path,
    *,
    model_path: str | Path | None = None,
    variant: str = "full",
    stage: Stage = _no_report,
    max_rate_hz: float | None = None,
    mirrored: bool = False,
    thresholds: Thresholds | None = None,
) -> PoseTrack:
    """The pose track of a video file (pose model run) or of a saved track file (read).

    A video whose person lies upside down or on its side in the picture
    (its pixels turned, with no rotation tag to set them upright; see
    :func:`knee_cv.core.orientation.upright_turn`) is tracked a second time
    on frames turned upright, and the track says so (``orientation``): a
    second pose run, for such videos only. The check itself costs nothing
    measurable (a few array operations on the landmarks).

    Parameters
    ----------
    path : str or Path
        A video, or a track file ending in one of ``TRACK_SUFFIXES``.
    model_path, variant
        The pose model (see :func:`knee_cv.media.models.ensure_model`).
    stage : callable, optional
        Progress of the "pose" stage (see :data:`Stage`).
    max_rate_hz : float, optional
        Cap on the inference rate, Hz: None keeps the pose stage's default
        (:data:`knee_cv.media.pose.MAX_RATE_HZ`, 30 Hz), 0 infers every frame.
    mirrored : bool
        The video was filmed mirrored (most phones' selfie camera): its frames
        are flipped back before the pose model, so left and right are the
        person's own. Videos only.
    thresholds : Thresholds, optional
        Those the track will be analysed with: their ``orientation`` table
        decides whether the picture is turned (default: the packaged one).

    Raises
    ------
    knee_cv.errors.KneeCvError
        A file that is not a usable video or track, or ``mirrored`` for a
        track file (its left and right were set when it was made).
    """
    if is_track_file(path):
        if mirrored:
            raise KneeCvError(
                f"{Path(path).name} is a pose track, whose left and right were set when it was made; "
                "make it again from the video with mirrored on (knee-cv pose VIDEO --mirrored)."
            )
        return load_track(path)
    from knee_cv.media.pose import MAX_RATE_HZ, track_video  # MediaPipe loads only when a video is tracked

    rate = MAX_RATE_HZ if max_rate_hz is None else max_rate_hz

    def run(orientation: Orientation) -> PoseTrack:
        return track_video(
            path,
            model_path=model_path,
            variant=variant,
            orientation=orientation,
            max_rate_hz=rate,
            progress=lambda done, total: stage("pose", done, total),
        )

    track = run(Orientation(mirrored=mirrored))
    turn = upright_turn(track.xy, (thresholds or load_thresholds()).orientation)
    return run(Orientation(mirrored=mirrored, turned_deg=turn)) if turn else track


def analyze_source(
    source: PoseTrack | str | Path,
    *,
    model: str | Path | None = None,
    variant: str = "full",
    max_rate_hz: float | None = None,
    sex: str | None = None,
    mirrored: bool = False,
    thresholds: Thresholds | None = None,
) -> Analysis:
    """:func:`knee_cv.core.analysis.analyze` of a PoseTrack, a track file or a video file (:func:`knee_cv.analyze`).

    ``model``, ``variant``, ``max_rate_hz`` and ``mirrored`` go to
    :func:`track_of` for a file; ``sex`` and ``thresholds`` to the analysis.
    """
    if isinstance(source, PoseTrack) and mirrored:
        raise KneeCvError("A PoseTrack's left and right were set when it was made; track the video with mirrored on.")
    track = (
        source
        if isinstance(source, PoseTrack)
        else track_of(
            source, model_path=model, variant=variant, max_rate_hz=max_rate_hz, mirrored=mirrored, thresholds=thresholds
        )
    )
    return analyze(track, thresholds=thresholds, sex=sex)


def key_frames(video: str | Path, track: PoseTrack, analysis: Analysis, *, blur_face: bool = False) -> dict[int, bytes]:
    """JPEG of each rep's deepest frame (by ``Rep.index``), drawn with what was measured, without a video."""
    from knee_cv.media.render import rep_key_frames

    return rep_key_frames(video, track, analysis, blur_face=blur_face)


def filming(video: str | Path | None, *, sex: str | None, mirrored: bool) -> tuple[datetime | None, SessionContext]:
    """When a video file says it was filmed, and the context a command-line save keeps with it.

    Parameters
    ----------
    video : str, Path or None
        The video analysed; None for a track file (which keeps no filming time).
    sex : {"female", "male"} or None
        The sex the analysis was run with.
    mirrored : bool
        The video was flipped back before the pose model (a selfie camera).

    Returns
    -------
    filmed_at : datetime or None
        The container's creation time (:func:`knee_cv.media.video.creation_time`); a
        saved session's recording time, None to use the save time.
    context : SessionContext
        ``sex``, ``mirrored`` and the day filmed; no painful side (the command line
        does not ask for one).
    """
    from knee_cv.media.video import creation_time

    filmed_at = creation_time(video) if video is not None else None
    return filmed_at, SessionContext(sex=sex, filmed_on=filmed_at.date() if filmed_at else None, mirrored=mirrored)


def upload_name(name: str) -> str:
    """The neutral name under which :func:`process_video` opens a file called ``name`` (its suffix kept).

    Error messages about the file name it; a front end that shows them to a
    person puts the person's own file name back.
    """
    return f"upload{Path(name).suffix.lower() or '.mp4'}"


def process_video(
    data: bytes,
    name: str,
    *,
    blur_face: bool = False,
    model: ModelInfo | None = None,
    sex: str | None = None,
    stage: Stage | None = None,
    mirrored: bool = False,
) -> Processed:
    """Track and analyse a video given as bytes, with each rep's thumbnail: everything but the annotated video.

    The results can be shown from this; :func:`add_video` draws the
    annotated video afterwards. The bytes go to a temporary folder that is
    deleted before returning: nothing of the video stays on disk.

    Parameters
    ----------
    data : bytes
        The video file's content.
    name : str
        Its file name (the suffix helps FFmpeg; shown in results).
    blur_face : bool
        Pixelate the face in the thumbnails.
    model : ModelInfo, optional
        The pose model (default: :func:`knee_cv.media.models.ensure_model`).
    sex : {"female", "male"}, optional
        Sex-specific valgus thresholds.
    stage : callable, optional
        Progress, see :data:`Stage` ("pose", then "analysis").
    mirrored : bool
        Filmed mirrored (a selfie camera): see :func:`track_of`.

    Returns
    -------
    Processed
        ``video`` None; ``timings`` of "pose", "analysis" and "key frames".

    Raises
    ------
    knee_cv.errors.KneeCvError
        For a file that is not a usable video (with a message to show).
    """
    report = stage or _no_report
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="knee_cv_") as folder:
        path = Path(folder) / upload_name(name)
        path.write_bytes(data)
        start = time.perf_counter()
        track = track_of(path, model_path=model.path if model else None, stage=report, mirrored=mirrored)
        track.source = name
        timings["pose"] = time.perf_counter() - start
        report("analysis", 0, None)
        analysis, thumbnails = _analysed(path, track, blur_face, timings, sex=sex)
    return Processed(analysis, track, None, thumbnails, hashlib.sha256(data).hexdigest(), timings)


def _analysed(
    path: Path,
    track: PoseTrack,
    blur_face: bool,
    timings: dict[str, float],
    **options: Any,
) -> tuple[Analysis, dict[int, bytes]]:
    """The analysis of ``track`` and its reps' thumbnails from the video at ``path``, timed into ``timings``."""
    start = time.perf_counter()
    analysis = analyze(track, **options)
    timings["analysis"] = time.perf_counter() - start
    start = time.perf_counter()
    thumbnails = key_frames(path, track, analysis, blur_face=blur_face) if track.has_pose.any() else {}
    timings["key frames"] = time.perf_counter() - start
    return analysis, thumbnails


def add_video(data: bytes, processed: Processed, *, blur_face: bool = False, stage: Stage | None = None) -> Processed:
    """``processed`` with its annotated video, drawn on the video whose bytes are ``data``.

    The bytes go to a temporary folder that is deleted before returning.

    Parameters
    ----------
    data : bytes
        The video (or live recording) that ``processed`` was made from.
    processed : Processed
        From :func:`process_video` or :func:`process_recording`; not changed.
    blur_face : bool
        Pixelate the face in the video.
    stage : callable, optional
        Progress of the "video" stage (see :data:`Stage`).

    Returns
    -------
    Processed
        A copy with ``video`` and ``timings["video"]``; ``processed`` itself
        when there is no pose to draw (``video`` stays None).

    Raises
    ------
    knee_cv.errors.KneeCvError
        When the video cannot be read.
    """
    if not processed.track.has_pose.any():
        return processed
    from knee_cv.media.render import annotate_video

    report = stage or _no_report
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="knee_cv_") as folder:
        path = Path(folder) / upload_name(processed.track.source)
        path.write_bytes(data)
        out = Path(folder) / "annotated.mp4"
        annotate_video(
            path,
            processed.track,
            processed.analysis,
            out,
            blur_face=blur_face,
            progress=lambda done, total: report("video", done, total),
        )
        video = out.read_bytes()
    return replace(processed, video=video, timings={**processed.timings, "video": time.perf_counter() - start})


def process_recording(recording: bytes | None, track: PoseTrack, *, blur_face: bool = False) -> Processed:
    """Analyse a live session's track, with each rep's thumbnail from its in-memory recording.

    :func:`add_video` draws the annotated video afterwards.

    Parameters
    ----------
    recording : bytes or None
        MP4 of the camera frames (same clock as ``track.t``); None gives
        results without thumbnails.
    track : PoseTrack
        The landmarks measured live.
    blur_face : bool
        Pixelate the face in the thumbnails.

    Returns
    -------
    Processed
        ``video`` None.
    """
    timings: dict[str, float] = {}
    if recording:
        with tempfile.TemporaryDirectory(prefix="knee_cv_") as folder:
            path = Path(folder) / "live.mp4"
            path.write_bytes(recording)
            analysis, thumbnails = _analysed(path, track, blur_face, timings)
    else:
        start = time.perf_counter()
        analysis, thumbnails = analyze(track), {}
        timings["analysis"] = time.perf_counter() - start
    return Processed(analysis, track, None, thumbnails, timings=timings, recording_id=f"live:{uuid.uuid4().hex}")
