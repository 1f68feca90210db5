"""Plain result types of an analysis: what the app, store, report and CLI read.

All angles are in degrees. Sign conventions:

* FPPA (frontal plane projection angle): 0 = straight leg,
  positive = valgus (knee inside the hip-ankle line), negative = varus.
* Pelvic drop: positive = the free (non-stance) leg's side is lower.
* Trunk lean: angle of the hip-midpoint -> shoulder-midpoint line from
  vertical, positive = toward the stance-leg side.

Missing values are NaN (``None`` in JSON).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

from knee_cv.core.labels import CriterionName, Exercise, Leg, Rating, View
from knee_cv.core.series import FrameSeries
from knee_cv.core.threshold_tables import Thresholds

if TYPE_CHECKING:  # pandas only where a table is asked for: the core runs without it
    import pandas as pd


@dataclass(frozen=True)
class Flag:
    """One finding on one rep, with the numbers behind it.

    Attributes
    ----------
    criterion : CriterionName
        Machine name: ``"knee_valgus"``, ``"pelvic_drop"``, ``"trunk_lean"``,
        ``"knee_wobble"`` or ``"shallow"``.
    value : float
        The measured value, in ``unit``.
    threshold : float
        The threshold it crossed, in ``unit``.
    unit : str
        ``"deg"`` or ``"ratio"``.
    reason : str
        A sentence a person can read, with the numbers.
    source : str
        Where the threshold comes from (citation, or "heuristic").
    """

    criterion: CriterionName
    value: float
    threshold: float
    unit: str
    reason: str
    source: str


@dataclass
class Rep:
    """One repetition (descent and rise) of a squat on one stance leg.

    Frame indices index the analysed PoseTrack; times are seconds.
    ``depth`` is the drop of the hip midpoint at the deepest frame, as a
    fraction of the standing leg length (hip to ankle).
    ``knee_wobble`` is the standard deviation, over the rep, of the knee's
    medio-lateral offset from the hip-ankle line, as a fraction of leg length.
    ``fppa_bottom_deg`` and ``pelvic_drop_bottom_deg`` are medians over the
    frames around the deepest one; ``fppa_spread_deg`` is the robust standard
    deviation, over those frames, of the unsmoothed per-frame FPPA around the
    smoothed one (deg): the landmarks' jitter.
    ``knee_flexion_deg`` is the 2D knee bend at the deepest frame, NaN in a
    frontal or oblique view (the image does not show flexion there).
    ``pelvic_reference`` says what pelvic drop is measured against (trunk
    lean is always read against the picture's vertical): ``"level"``
    (camera roll taken from frames on both feet) or ``"rep start"`` (no
    such frames: the pelvis at the start of the rep is
    taken as level, so the drop is the change during the rep); empty for a
    two-leg squat.
    ``knee_displacement`` is the knee's signed distance from the hip-ankle
    line at the deepest point (median over the bottom frames), as a fraction
    of the standing leg length, positive = medial (the valgus side); a knee
    point sliding along the leg hardly moves it.
    ``*_low*`` and ``*_high*`` bound the interval (80 % by default) that
    likely holds the true FPPA, pelvic drop and knee displacement, from the
    landmark placement error model (:mod:`knee_cv.core.uncertainty`) and the
    jitter; NaN when unknown (and in sessions saved before they were made).
    ``undecided`` names the criteria (``"knee_valgus"``, ``"pelvic_drop"``)
    whose interval holds the threshold: this video cannot tell whether the
    rep is above or below it, so it is not flagged.
    """

    index: int
    leg: Leg
    start_frame: int
    bottom_frame: int
    end_frame: int
    t_start: float
    t_bottom: float
    t_end: float
    depth: float
    knee_flexion_deg: float
    fppa_bottom_deg: float
    fppa_peak_deg: float
    pelvic_drop_bottom_deg: float
    pelvic_drop_peak_deg: float
    trunk_lean_deg: float
    knee_wobble: float
    confidence: float
    reliable: bool
    unreliable_reasons: list[str] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    fppa_spread_deg: float = float("nan")
    pelvic_reference: str = ""
    fppa_low_deg: float = float("nan")
    fppa_high_deg: float = float("nan")
    pelvic_drop_low_deg: float = float("nan")
    pelvic_drop_high_deg: float = float("nan")
    knee_displacement: float = float("nan")
    knee_displacement_low: float = float("nan")
    knee_displacement_high: float = float("nan")
    undecided: list[CriterionName] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Length of the rep in seconds."""
        return self.t_end - self.t_start

    @property
    def descent_s(self) -> float:
        """Time from start to the deepest frame, in seconds."""
        return self.t_bottom - self.t_start

    @property
    def ascent_s(self) -> float:
        """Time from the deepest frame to the end, in seconds."""
        return self.t_end - self.t_bottom


@dataclass
class LegSummary:
    """Means over the reliable reps of one stance leg (NaN when none).

    ``fppa_low_deg`` and ``fppa_high_deg`` (and those of pelvic drop) are the
    means of the reps' interval ends: the reps of one video share the
    person, the camera and the pose model's habits, so their placement
    errors are taken as moving together and averaging does not narrow the
    interval.

    ``rating_best`` and ``rating_worst`` bound the rating this video allows:
    the rating again with FPPA and pelvic drop at the end of their intervals
    least and most like a finding (equal to ``rating`` when the intervals
    decide nothing; None when not rated).
    """

    leg: Leg
    n_reps: int
    n_reliable: int
    fppa_deg: float
    pelvic_drop_deg: float
    trunk_lean_deg: float
    knee_wobble: float
    depth: float
    rating: Rating | None
    rating_reasons: list[str] = field(default_factory=list)
    fppa_low_deg: float = float("nan")
    fppa_high_deg: float = float("nan")
    pelvic_drop_low_deg: float = float("nan")
    pelvic_drop_high_deg: float = float("nan")
    rating_best: Rating | None = None
    rating_worst: Rating | None = None


@dataclass
class Recommendation:
    """An exercise suggested because of a finding."""

    key: str
    name: str
    how: str
    dosage: str
    why: str


@dataclass
class Summary:
    """What the whole session shows.

    ``measurable`` is False when the view or the video does not support FPPA
    and pelvic drop; ``messages`` then says why and what to change.
    ``rating`` is good / fair / poor in the spirit of Crossley 2011, or None
    when there are too few reliable reps; ``rating_best`` and
    ``rating_worst`` bound what this video allows (the worst leg's
    :attr:`LegSummary.rating_best` and ``rating_worst``). ``camera_roll_deg`` is the camera
    roll removed from pelvic drop (deg, positive = the
    person's left appears lower), with ``camera_roll_source`` saying where it
    came from; NaN when it was estimated per rep instead (see
    :attr:`Rep.pelvic_reference`).
    """

    n_reps: int
    n_reliable: int
    view: View
    view_confidence: float
    exercise: Exercise
    measurable: bool
    legs: list[LegSummary]
    rating: Rating | None
    rating_reasons: list[str]
    messages: list[str]
    camera_roll_deg: float = float("nan")
    camera_roll_source: str = ""
    rating_best: Rating | None = None
    rating_worst: Rating | None = None


def _clean(value: Any) -> Any:
    """Turn numpy scalars/arrays and NaN into JSON-friendly values (NaN -> None)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Enum):
        return value.value
    return value


@dataclass
class Analysis:
    """The full result of analysing one pose track.

    Attributes
    ----------
    series : FrameSeries
        Per-frame series (:class:`knee_cv.core.series.FrameSeries`); of
        length 0 for sessions saved before series were stored.
    reps : list of Rep
    shallow_dips : list of tuple of float
        (start s, bottom s, end s) of dips too shallow to count as reps.
    summary : Summary
    recommendations : list of Recommendation
    safety_note : str
    thresholds : Thresholds
        The thresholds used, with their sources (written out as
        ``thresholds.toml`` lays them out, :meth:`Thresholds.as_dict`).
    model : str
        Pose model identifier (variant and SHA-256).
    source : str
        What was analysed (file name).
    """

    series: FrameSeries
    reps: list[Rep]
    shallow_dips: list[tuple[float, float, float]]
    summary: Summary
    recommendations: list[Recommendation]
    safety_note: str
    thresholds: Thresholds
    model: str
    source: str

    CONVENTIONS = (
        "FPPA: angle between thigh (hip->knee) and shank (knee->ankle) in the image, "
        "0 = straight, positive = valgus (knee inward), negative = varus. "
        "Pelvic drop: tilt of the hip line, positive = free-leg side lower. "
        "Trunk lean: hip-midpoint to shoulder-midpoint line from the picture's vertical, positive = "
        "toward the stance leg. Depth: hip drop as a fraction of leg length."
    )
    #: How far knee_cv's FPPA is from a clinician's, as measured by scripts/bench_accuracy.py.
    ACCURACY = (
        "Measured from the camera without markers, FPPA differed from a clinician's hand-digitised angle "
        "by 4.7° on average and by up to 15° on a deep rep (knee_cv's check on 12 standing and deepest frames of "
        "five real clips); two digitisations of the same frame by hand differ by about 3° (Munro 2012). So every "
        "FPPA and pelvic drop comes with the range that likely holds the true value: on 16 hand-digitised frames, "
        "each judged by an error model made without its own clip, it held the hand's FPPA in 14 and was "
        "typically 18° wide, more when the thigh points at the camera."
    )
    #: What the intervals shown beside FPPA, pelvic drop and knee displacement mean.
    INTERVALS = (
        "'likely A to B': the range that holds the true value 4 times in 5, from where the pose model is "
        "known to place hip, knee and ankle against hand-marked joint centres. Knee displacement: the knee's "
        "distance from the hip-ankle line at the deepest point, % of leg length, positive = inward."
    )

    def level_note(self) -> str:
        """One sentence on what pelvic drop is measured from ("" when no rep has a reference)."""
        s = self.summary
        if not s.camera_roll_source or not any(rep.pelvic_reference for rep in self.reps):
            return ""
        if not math.isfinite(s.camera_roll_deg):
            return f"Pelvic drop is measured from the hip line at {s.camera_roll_source}, taken as level."
        return (
            f"Pelvic drop is measured from the hip line in {s.camera_roll_source}, taken as level "
            f"(it was {s.camera_roll_deg:+.1f}° from level in the picture: a tilted camera or the standing posture)."
        )

    def rep_rows(self) -> list[dict[str, Any]]:
        """One flat dict per rep (for tables and CSV), flags joined as text."""
        rows = []
        for rep in self.reps:
            row = {
                k: str(v) if isinstance(v, Enum) else v
                for k, v in asdict(rep).items()
                if k not in ("flags", "unreliable_reasons", "undecided")
            }
            row["duration_s"] = rep.duration_s
            row["flags"] = "; ".join(f.reason for f in rep.flags)
            row["undecided"] = "; ".join(rep.undecided)
            row["unreliable_reasons"] = "; ".join(rep.unreliable_reasons)
            rows.append(row)
        return rows

    def reps_frame(self) -> pd.DataFrame:
        """One row a rep as a :class:`pandas.DataFrame`, units in the column names (needs pandas).

        The table of :func:`knee_cv.report.tables.rep_table`: numbers rounded to
        what is measured, the measures of unreliable reps NaN. Full precision
        stays in :attr:`reps`.

        Examples
        --------
        >>> import knee_cv
        >>> reps = knee_cv.analyze("samples/squat_oblique_front_01.csv").reps_frame()
        >>> print(reps[["rep", "leg", "t_bottom_s", "fppa_bottom_deg", "confidence", "reliable"]].to_string(index=False))
         rep  leg  t_bottom_s  fppa_bottom_deg  confidence  reliable
           1 both        2.32              NaN        0.30     False
           2 both        4.68              NaN        0.21     False
           3 both        7.04              NaN        0.29     False

        The reps of this two-leg squat filmed at an angle are unreliable, so
        their measures are blank; ``reps["unreliable_reasons"]`` says why.
        """
        from knee_cv.report.tables import rep_table

        return rep_table(self)

    def series_frame(self) -> pd.DataFrame:
        """One row a frame as a :class:`pandas.DataFrame`, units in the column names (needs pandas).

        The table of :func:`knee_cv.report.tables.frame_table`; full precision
        stays in :attr:`series`.

        Examples
        --------
        >>> import knee_cv
        >>> frames = knee_cv.analyze("samples/squat_oblique_front_01.csv").series_frame()
        >>> print(frames.loc[57:58, ["frame", "t_s", "rep", "view", "hip_drop_leg_lengths"]].to_string(index=False))
         frame  t_s  rep    view  hip_drop_leg_lengths
            57 2.28    1 oblique                 0.556
            58 2.32    1 oblique                 0.563
        """
        from knee_cv.report.tables import frame_table

        return frame_table(self)

    def to_dict(self, include_series: bool = True) -> dict[str, Any]:
        """Everything as plain JSON types (NaN becomes None)."""
        data = {
            "source": self.source,
            "model": self.model,
            "conventions": self.CONVENTIONS,
            "summary": asdict(self.summary),
            "reps": [asdict(r) | {"duration_s": r.duration_s} for r in self.reps],
            "shallow_dips": self.shallow_dips,
            "recommendations": [asdict(r) for r in self.recommendations],
            "safety_note": self.safety_note,
            "thresholds": self.thresholds.as_dict(),
        }
        if include_series:
            data["series"] = self.series.to_dict()
        cleaned: dict[str, Any] = _clean(data)
        return cleaned

    def to_json(self, include_series: bool = True) -> str:
        """The result as a JSON document (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(include_series), indent=2)
