"""knee_cv: single-leg squat analysis from video with MediaPipe pose landmarks.

The notebook entry point is :func:`analyze`: a video, a pose-track file or a
:class:`PoseTrack` in, an :class:`Analysis` out, whose
:meth:`~Analysis.reps_frame` and :meth:`~Analysis.series_frame` are pandas
tables with units in the column names. :func:`load_track` reads a track file;
the kinematics functions (:func:`fppa`, :func:`pelvic_drop`, ...) measure
landmark arrays of shape (T, 33, 2) in pixels, y down (see
:mod:`knee_cv.core.kinematics` for the conventions).

The getting-started guide for researchers, ``docs/getting-started.md``, comes
next in the API reference (``python scripts/build_docs.py`` builds it into
``docs/api/``):

.. include:: ../docs/getting-started.md

Examples
--------
>>> import knee_cv
>>> result = knee_cv.analyze("samples/squat_side_01.csv")
>>> str(result.summary.view), str(result.summary.exercise), result.summary.n_reps
('side', 'double-leg', 3)
>>> track = knee_cv.load_track("samples/squat_side_01.csv")
>>> float(knee_cv.knee_flexion(track.xy, "right")[58].round(1))
54.1
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version
from pathlib import Path

from knee_cv.core.kinematics import (
    camera_roll,
    fppa,
    hip_drop,
    knee_flexion,
    knee_offset,
    leg_length,
    pelvic_drop,
    pelvic_tilt,
    trunk_lean,
)
from knee_cv.core.result import Analysis
from knee_cv.core.threshold_tables import Thresholds
from knee_cv.core.thresholds import load_thresholds
from knee_cv.core.track import PoseTrack
from knee_cv.errors import KneeCvError
from knee_cv.media.trackio import load_track

try:
    __version__ = _distribution_version("knee-cv")  # one place: pyproject.toml
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "analyze",
    "Analysis",
    "PoseTrack",
    "load_track",
    "load_thresholds",
    "Thresholds",
    "KneeCvError",
    "fppa",
    "knee_offset",
    "knee_flexion",
    "pelvic_tilt",
    "pelvic_drop",
    "camera_roll",
    "trunk_lean",
    "leg_length",
    "hip_drop",
]


def analyze(
    source: PoseTrack | str | Path,
    *,
    model: str | Path | None = None,
    variant: str = "full",
    max_rate_hz: float | None = None,
    sex: str | None = None,
    mirrored: bool = False,
    thresholds: Thresholds | None = None,
) -> Analysis:
    """Analyse the single-leg squats of a video, a pose-track file or a :class:`PoseTrack`.

    Parameters
    ----------
    source : PoseTrack, str or Path
        A video file (run through the pose model), a track file ending in
        ``.csv``, ``.npz`` or ``.json`` (read), or a track made in Python.
    model : str or Path, optional
        A MediaPipe pose landmarker ``.task`` file (wins over ``variant`` and
        ``KNEE_CV_MODEL``). Videos only.
    variant : {"full", "lite", "heavy"}
        The built-in pose model to use when ``model`` is not given. Videos only.
    max_rate_hz : float, optional
        Cap on how often the pose model runs, Hz: None keeps the default 30
        Hz (a 60 fps clip is inferred on every second frame, real times
        kept), 0 infers every frame. Videos only.
    sex : {"female", "male"}, optional
        Sex-specific knee valgus thresholds (None: the sex-neutral default).
    mirrored : bool
        The video was filmed mirrored (a selfie camera): its frames are
        flipped back so left and right are the person's own. Videos only.
    thresholds : Thresholds, optional
        Every decision number (typed, frozen tables), from :func:`load_thresholds` (``sex`` and
        ``overrides`` there); default: the packaged ones for ``sex``.

    Returns
    -------
    Analysis
        Reps, per-frame series, summary, exercises and the thresholds used.
        Angles in degrees: FPPA positive = valgus, pelvic drop positive =
        the free leg's side lower, trunk lean positive = toward the stance leg.

    Raises
    ------
    KneeCvError
        A file that is not a usable video or track (one sentence saying why),
        a pose model that cannot be had, ``mirrored`` for a track.

    Examples
    --------
    >>> import knee_cv
    >>> strict = knee_cv.load_thresholds(overrides={"knee_valgus": 8.0})
    >>> result = knee_cv.analyze("samples/squat_oblique_front_01.csv", thresholds=strict)
    >>> result.thresholds.knee_valgus.value, len(result.reps)
    (8.0, 3)
    >>> knee_cv.analyze("no_such_clip.mp4")
    Traceback (most recent call last):
    ...
    knee_cv.errors.VideoError: ...
    """
    from knee_cv.pipeline import analyze_source

    return analyze_source(
        source, model=model, variant=variant, max_rate_hz=max_rate_hz, sex=sex, mirrored=mirrored, thresholds=thresholds
    )
