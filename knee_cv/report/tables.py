"""Tidy tables of analyses: one row a rep, a frame or a video, units in the column names.

Every table here is a :class:`pandas.DataFrame` whose column names end in
their unit, and whose numbers are rounded to what a markerless 2D measurement
supports (:data:`DIGITS`); the same tables are what ``knee-cv analyze --csv``
and ``knee-cv batch`` write, and what :meth:`knee_cv.core.result.Analysis.reps_frame`
and :meth:`~knee_cv.core.result.Analysis.series_frame` return. Full precision
stays in the :class:`~knee_cv.core.result.Analysis` itself (and its JSON).

Units and signs
---------------
``_deg``
    Degrees. FPPA positive = valgus (knee inside the hip-ankle line);
    pelvic drop positive = the free leg's side lower; trunk lean positive =
    toward the stance leg; knee flexion 0 = straight.
``_s``
    Seconds from the start of the video.
``_leg_lengths``
    A fraction of the standing leg length (hip to ankle): depth and hip drop
    positive = lower, knee offset and wobble positive = medial.
``_hz``, ``_px``, ``_share``
    Hertz, pixels, a share in [0, 1].

Missing and unreliable values
-----------------------------
A missing value is NaN here and an empty cell in CSV. In the rep table, the
measures of a rep that is not reliable (:data:`REP_MEASURES`) are blanked by
the rule every human-facing output follows (:func:`knee_cv.core.shown.visible`):
such a rep keeps its times, confidence and the reasons it is unreliable, but
no number that could be mistaken for a measurement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from knee_cv.core.labels import SIDES
from knee_cv.core.result import Analysis
from knee_cv.core.shown import visible
from knee_cv.core.track import PoseTrack

#: Decimal places kept, by the end of a column name. Angles: 0.1 deg, against landmark jitter
#: of 1-3 deg and a 2D markerless error of several degrees. Times: 1 ms (frames of a 240 fps
#: camera are 4 ms apart). Leg lengths: 0.001, about 1 mm of a 90 cm leg, under the landmarks'
#: jitter of about 1 cm. Confidence: 0.01. Rates: 0.001 Hz (29.97). Pixels: 0.1 px. Shares: 0.001.
DIGITS = {"_deg": 1, "_s": 3, "_leg_lengths": 3, "confidence": 2, "_hz": 3, "_px": 1, "_share": 3}

#: Columns naming the video a row comes from, first in every batch table.
ID_COLUMNS = ("file", "sha256", "subject")

#: The rep table's column of each measure of a :class:`~knee_cv.core.result.Rep` (its field name):
#: the fields :data:`knee_cv.core.shown.WITHHELD` blanks when the rep is not reliable.
MEASURE_FIELDS = {
    "depth_leg_lengths": "depth",
    "knee_flexion_deg": "knee_flexion_deg",
    "fppa_bottom_deg": "fppa_bottom_deg",
    "fppa_bottom_sd_deg": "fppa_spread_deg",
    "fppa_peak_deg": "fppa_peak_deg",
    "pelvic_drop_bottom_deg": "pelvic_drop_bottom_deg",
    "pelvic_drop_peak_deg": "pelvic_drop_peak_deg",
    "trunk_lean_deg": "trunk_lean_deg",
    "knee_wobble_leg_lengths": "knee_wobble",
    "fppa_low_deg": "fppa_low_deg",
    "fppa_high_deg": "fppa_high_deg",
    "pelvic_drop_low_deg": "pelvic_drop_low_deg",
    "pelvic_drop_high_deg": "pelvic_drop_high_deg",
    "knee_displacement_leg_lengths": "knee_displacement",
    "knee_displacement_low_leg_lengths": "knee_displacement_low",
    "knee_displacement_high_leg_lengths": "knee_displacement_high",
}
#: The measures of a rep, blank in the rep table when the rep is not reliable.
REP_MEASURES = tuple(MEASURE_FIELDS)
#: The rep table's own columns, in order (after any id columns).
REP_COLUMNS = (
    "rep",
    "leg",
    "start_frame",
    "bottom_frame",
    "end_frame",
    "t_start_s",
    "t_bottom_s",
    "t_end_s",
    "duration_s",
    "descent_s",
    "ascent_s",
    "depth_leg_lengths",
    "knee_flexion_deg",
    "fppa_bottom_deg",
    "fppa_low_deg",
    "fppa_high_deg",
    "fppa_bottom_sd_deg",
    "fppa_peak_deg",
    "knee_displacement_leg_lengths",
    "knee_displacement_low_leg_lengths",
    "knee_displacement_high_leg_lengths",
    "pelvic_drop_bottom_deg",
    "pelvic_drop_low_deg",
    "pelvic_drop_high_deg",
    "pelvic_drop_peak_deg",
    "pelvic_reference",
    "trunk_lean_deg",
    "knee_wobble_leg_lengths",
    "confidence",
    "reliable",
    "unreliable_reasons",
    "flags",
    "cant_tell",
)

#: The frame table's own columns, in order (after any id columns).
FRAME_COLUMNS = (
    "frame",
    "t_s",
    "rep",
    "stance_leg",
    "view",
    "view_confidence",
    *(
        f"{measure}_{side}_{unit}"
        for side in SIDES
        for measure, unit in (("fppa", "deg"), ("knee_flexion", "deg"), ("knee_offset", "leg_lengths"))
    ),
    "pelvic_drop_deg",
    "trunk_lean_deg",
    "hip_drop_leg_lengths",
    "hip_height_leg_lengths",
)


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each float column rounded to the places :data:`DIGITS` gives for its name's end.

    Parameters
    ----------
    table : DataFrame
        Columns named with their unit at the end (``fppa_bottom_deg``, ``t_s``).

    Returns
    -------
    DataFrame
        A copy; columns of other names, integers and text are unchanged. NaN stays NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> rounded(pd.DataFrame({"fppa_deg": [12.3456], "t_s": [0.0333333], "n": [3]})).iloc[0].tolist()
    [12.3, 0.033, 3.0]
    """
    out = table.copy()
    for column in out.columns:
        digits = next((d for end, d in DIGITS.items() if str(column).endswith(end)), None)
        if digits is not None and pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(digits)
    return out


def _with_ids(table: pd.DataFrame, ids: Mapping[str, Any] | None) -> pd.DataFrame:
    """``table`` with the ``ids`` columns (file, sha256, subject) in front, one value for every row."""
    for position, (name, value) in enumerate((ids or {}).items()):
        table.insert(position, name, [value] * len(table))
    return table


def rep_table(analysis: Analysis, ids: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row a rep: times, every per-rep measure with its unit, the FPPA's jitter, reliability and reasons.

    Parameters
    ----------
    analysis : Analysis
    ids : mapping, optional
        Columns to put first, the same in every row (``{"file": ..., "sha256": ..., "subject": ...}``).

    Returns
    -------
    DataFrame
        ``rep`` numbers reps from 1 in time order; ``leg`` is the stance leg
        (``left``, ``right`` or ``both``). ``fppa_bottom_sd_deg`` is the
        uncertainty of ``fppa_bottom_deg`` from the landmarks' jitter (the
        robust standard deviation of the raw per-frame FPPA around the
        smoothed one over the rep's bottom frames); it does not cover the
        systematic error of 2D markerless angles (:attr:`Analysis.ACCURACY`);
        ``fppa_low_deg`` and ``fppa_high_deg`` do: they bound the interval
        (80 %) that likely holds the true FPPA, from the landmark placement
        error model and that jitter (:mod:`knee_cv.core.uncertainty`), as do
        ``pelvic_drop_low/high_deg`` and ``knee_displacement_low/high_leg_lengths``
        for pelvic drop and ``knee_displacement_leg_lengths`` (the knee's
        distance from the hip-ankle line at the bottom, + = medial).
        ``cant_tell`` names the criteria (``knee_valgus``, ``pelvic_drop``)
        whose interval holds the threshold: this video can't tell whether the
        rep is above it.
        ``pelvic_reference`` says what pelvic drop is measured from.
        Measures of unreliable reps are NaN (:data:`REP_MEASURES`), numbers are
        :func:`rounded`.

    Examples
    --------
    >>> import knee_cv
    >>> table = rep_table(knee_cv.analyze("samples/squat_side_01.csv"), {"file": "squat_side_01.mp4"})
    >>> print(table[["file", "rep", "leg", "t_bottom_s", "depth_leg_lengths", "reliable"]].to_string(index=False))
                 file  rep  leg  t_bottom_s  depth_leg_lengths  reliable
    squat_side_01.mp4    1 both       0.000                NaN     False
    squat_side_01.mp4    2 both       2.900                NaN     False
    squat_side_01.mp4    3 both       5.233                NaN     False
    """
    rows = [
        {
            "rep": rep.index + 1,
            "leg": str(rep.leg),
            "start_frame": rep.start_frame,
            "bottom_frame": rep.bottom_frame,
            "end_frame": rep.end_frame,
            "t_start_s": rep.t_start,
            "t_bottom_s": rep.t_bottom,
            "t_end_s": rep.t_end,
            "duration_s": rep.duration_s,
            "descent_s": rep.descent_s,
            "ascent_s": rep.ascent_s,
            **{column: float(getattr(seen, name)) for column, name in MEASURE_FIELDS.items()},
            "pelvic_reference": rep.pelvic_reference,
            "confidence": rep.confidence,
            "reliable": bool(rep.reliable),
            "unreliable_reasons": "; ".join(rep.unreliable_reasons),
            "flags": "; ".join(f.reason for f in rep.flags),
            "cant_tell": "; ".join(rep.undecided) if rep.reliable else "",
        }
        for rep, seen in ((rep, visible(rep)) for rep in analysis.reps)
    ]
    return _with_ids(rounded(pd.DataFrame(rows, columns=list(REP_COLUMNS))), ids)


def frame_table(analysis: Analysis, ids: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row a frame of the analysed track: every per-frame series, units in the column names.

    Parameters
    ----------
    analysis : Analysis
    ids : mapping, optional
        Columns to put first, as for :func:`rep_table`.

    Returns
    -------
    DataFrame
        ``frame`` (index in the analysed track, from 0), ``t_s``, ``rep``
        (the rep the frame is in, numbered from 1 as in :func:`rep_table`;
        NaN between reps), ``stance_leg``, ``view``, ``view_confidence``,
        then per leg ``fppa_{leg}_deg``, ``knee_flexion_{leg}_deg``,
        ``knee_offset_{leg}_leg_lengths``, then ``pelvic_drop_deg``,
        ``trunk_lean_deg``, ``hip_drop_leg_lengths``, ``hip_height_leg_lengths``.
        Angles are NaN in the views where they mean nothing (see
        :class:`knee_cv.core.series.FrameSeries`). Empty for a result saved without series.

    Examples
    --------
    >>> import knee_cv
    >>> table = frame_table(knee_cv.analyze("samples/squat_side_01.csv"))
    >>> print(table.loc[57:58, ["t_s", "rep", "view", "knee_flexion_right_deg", "hip_drop_leg_lengths"]].to_string())
          t_s  rep  view  knee_flexion_right_deg  hip_drop_leg_lengths
    57  1.900    2  side                    48.5                 0.165
    58  1.933    2  side                    52.6                 0.186
    """
    series = analysis.series
    if not len(series):
        return _with_ids(pd.DataFrame(columns=list(FRAME_COLUMNS)), ids)
    rep_of = np.full(len(series), np.nan)
    for rep in analysis.reps:
        rep_of[rep.start_frame : rep.end_frame + 1] = rep.index + 1
    columns: dict[str, Any] = {
        "frame": np.arange(len(series)),
        "t_s": series.t,
        "rep": pd.array(rep_of, dtype="Int64"),
        "stance_leg": series.stance_leg,
        "view": series.view,
        "view_confidence": series.view_confidence,
    }
    for side in SIDES:
        leg = series.leg(side)
        columns |= {
            f"fppa_{side}_deg": leg.fppa,
            f"knee_flexion_{side}_deg": leg.knee_flexion,
            f"knee_offset_{side}_leg_lengths": leg.knee_offset,
        }
    columns |= {
        "pelvic_drop_deg": series.pelvic_drop,
        "trunk_lean_deg": series.trunk_lean,
        "hip_drop_leg_lengths": series.hip_drop,
        "hip_height_leg_lengths": series.hip_height,
    }
    return _with_ids(rounded(pd.DataFrame(columns)[list(FRAME_COLUMNS)]), ids)


#: Columns of a video's row (``videos.csv``): what was analysed, how it went, and the clip itself.
VIDEO_COLUMNS = (
    *ID_COLUMNS,
    "status",
    "message",
    "fps_hz",
    "width_px",
    "height_px",
    "duration_s",
    "frames_analysed",
    "analysed_rate_hz",
    "detection_share",
    "people_max",
    "mirrored",
    "turned_deg",
    "view",
    "view_confidence",
    "exercise",
    "reps",
    "reliable_reps",
    "rating",
    "rating_best",
    "rating_worst",
    "camera_roll_deg",
    "camera_roll_source",
    "processing_s",
    "resumed",
)

#: The whole-number columns of :data:`VIDEO_COLUMNS` (kept whole where some rows are blank).
_VIDEO_COUNTS = ("width_px", "height_px", "frames_analysed", "people_max", "turned_deg", "reps", "reliable_reps")


def video_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row a video, :data:`VIDEO_COLUMNS` in order (missing fields blank, counts kept whole).

    Parameters
    ----------
    rows : list of dict
        Each with some of :data:`VIDEO_COLUMNS` (:func:`clip_fields`,
        :func:`analysis_fields`, the file, its outcome); None or a missing key is blank.

    Examples
    --------
    >>> table = video_table([{"file": "a.mp4", "status": "ok", "reps": 5}, {"file": "b.mov", "status": "error"}])
    >>> table[["file", "status", "reps"]].to_csv(index=False).splitlines()
    ['file,status,reps', 'a.mp4,ok,5', 'b.mov,error,']
    """
    table = pd.DataFrame(rows, columns=list(VIDEO_COLUMNS))
    return table.astype({name: "Int64" for name in _VIDEO_COUNTS})


def clip_fields(track: PoseTrack) -> dict[str, Any]:
    """What a video's pose track says of the clip, for :data:`VIDEO_COLUMNS`.

    Returns
    -------
    dict
        ``fps_hz`` (the container's nominal rate), ``width_px``,
        ``height_px`` (the upright picture), ``duration_s`` (NaN where the
        container does not say), ``frames_analysed`` (frames the pose model
        ran on), ``analysed_rate_hz`` (1 / the median step between them: 30
        for a 60 fps clip at the default cap), ``detection_share`` (frames
        with a person), ``people_max``, ``mirrored`` and ``turned_deg`` (what
        was done to the frames first, see :class:`knee_cv.core.orientation.Orientation`).
    """
    steps = np.diff(track.t)
    return {
        "fps_hz": round(track.fps, DIGITS["_hz"]),
        "width_px": track.width,
        "height_px": track.height,
        "duration_s": round(track.duration_s, DIGITS["_s"]),
        "frames_analysed": len(track),
        "analysed_rate_hz": round(1.0 / float(np.median(steps)), DIGITS["_hz"]) if steps.size else np.nan,
        "detection_share": round(track.detection_rate, DIGITS["_share"]),
        "people_max": track.max_people,
        "mirrored": track.orientation.mirrored,
        "turned_deg": track.orientation.turned_deg,
    }


def analysis_fields(analysis: Analysis) -> dict[str, Any]:
    """What an analysis says of the whole clip, for :data:`VIDEO_COLUMNS` (view, reps, rating, camera roll)."""
    summary = analysis.summary
    return {
        "view": str(summary.view),
        "view_confidence": round(summary.view_confidence, 2),
        "exercise": summary.exercise,
        "reps": summary.n_reps,
        "reliable_reps": summary.n_reliable,
        "rating": summary.rating or "",
        "rating_best": summary.rating_best or "",
        "rating_worst": summary.rating_worst or "",
        "camera_roll_deg": round(summary.camera_roll_deg, DIGITS["_deg"]),
        "camera_roll_source": summary.camera_roll_source,
    }
