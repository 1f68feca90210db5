"""Per-rep clinical measures, confidence, flags and the session summary.

Inputs are the per-frame series of :mod:`knee_cv.core.analysis` (arrays of shape
(T,)) and the rep segments of :mod:`knee_cv.core.reps`; outputs are the plain
result types of :mod:`knee_cv.core.result`. Sign conventions are those of
:mod:`knee_cv.core.result`: FPPA positive = valgus, pelvic drop positive = free
side lower, trunk lean positive = toward the stance leg.

A rep whose confidence is below ``thresholds.confidence.min`` is
*unreliable*: its numbers are reported with the reasons, but it is never
flagged and never enters the session means.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from knee_cv.core.criteria import ABOVE, CANT_TELL, CRITERIA, UNSURE, Criterion
from knee_cv.core.labels import FRONTAL_VIEWS, CriterionName, Exercise, Leg, Rating, View, is_frontal
from knee_cv.core.reps import Segment
from knee_cv.core.result import Flag, LegSummary, Rep, Summary
from knee_cv.core.series import FrameSeries
from knee_cv.core.shown import likely
from knee_cv.core.stats import finite_median, frame_interval_s, robust_sd
from knee_cv.core.threshold_tables import Thresholds
from knee_cv.core.uncertainty import Geometry, bottom_measures
from knee_cv.core.view import dominant_view

#: What to do to get a measurable recording.
FILMING_ADVICE = "Film from the front at hip height, 2-3 m away, whole body in view."

SIDE_VIEW_REASON = "FPPA needs a front view; this was filmed from the side"


class ReasonCode(str, Enum):
    """What a reason a rep is unreliable is about, where a decision depends on it."""

    HIP_NEAR_KNEE = "hip_near_knee"


class Reason(str):
    """Why a rep is unreliable: the sentence a person reads, with a code for decisions.

    A ``str``: :attr:`Rep.unreliable_reasons <knee_cv.core.result.Rep>` holds
    it and the JSON, the CSV and the store keep only the sentence. The code
    lives in memory, for the decisions made during the analysis that
    produced it (a reason read back from a file is plain text).
    """

    code: ReasonCode | None

    def __new__(cls, text: str, code: ReasonCode | None = None) -> Reason:
        """The reason ``text``, with ``code`` (None: no decision reads it)."""
        reason = super().__new__(cls, text)
        reason.code = code
        return reason


#: Why a rep's FPPA is not read when the hip sinks to knee height.
HIP_NEAR_KNEE_REASON = Reason(
    "the hip came close to knee height (thigh pointing at the camera), where the projected angle is inflated",
    ReasonCode.HIP_NEAR_KNEE,
)

#: What to do when most reps were too deep to measure from the front.
DEPTH_ADVICE = (
    "Most reps went so deep that the thigh pointed at the camera. Squat only until the hip is "
    "still clearly above the knee (about 60 deg of knee bend, the depth of the clinical single-leg "
    "squat): a deeper, pistol-style squat hides the thigh's angle from a front camera."
)


@dataclass
class LegQuality:
    """Per-frame checks of one leg, each of shape (T,).

    Attributes
    ----------
    visible : ndarray of bool
        Hip, knee and ankle visible and inside the picture.
    hip_above_knee : ndarray
        Height of the hip above the knee, fraction of the standing thigh length.
    fppa_raw : ndarray
        FPPA of the unsmoothed landmarks, degrees, positive = valgus.
    """

    visible: np.ndarray
    hip_above_knee: np.ndarray
    fppa_raw: np.ndarray


@dataclass
class FrameQuality:
    """Per-frame checks that a rep's confidence is built from.

    Attributes
    ----------
    pose : ndarray of bool, shape (T,)
        The model found a pose.
    left, right : LegQuality
    """

    pose: np.ndarray
    left: LegQuality
    right: LegQuality

    def leg(self, leg: Leg | str) -> LegQuality:
        """The checks of one single leg (``"left"`` or ``"right"``)."""
        return self.left if leg == Leg.LEFT else self.right


def leg_name(leg: str) -> str:
    """``"left leg"``, ``"right leg"`` or ``"both legs"`` for display."""
    return "both legs" if leg == Leg.BOTH else f"{leg} leg"


def _peak(values: np.ndarray) -> float:
    """Largest finite value (NaN when none)."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else float("nan")


def _largest_magnitude(values: np.ndarray) -> float:
    """The finite value furthest from 0, with its sign (NaN when none)."""
    finite = values[np.isfinite(values)]
    return float(finite[np.argmax(np.abs(finite))]) if finite.size else float("nan")


def bottom_frames(seg: Segment, hip_drop: np.ndarray, t: np.ndarray, depth_fraction: float, max_s: float) -> np.ndarray:
    """Frame indices around a rep's deepest frame: the frames its bottom values are taken over.

    Parameters
    ----------
    seg : Segment
    hip_drop : ndarray, shape (T,)
        Hip drop, fraction of leg length (positive = lower).
    t : ndarray, shape (T,)
        Frame times, s.
    depth_fraction : float
        Frames whose hip is within this share of the rep's depth of the
        deepest frame's hip belong to the bottom.
    max_s : float
        ... and at most this many seconds from the deepest frame.

    Returns
    -------
    ndarray of int
        The unbroken run of such frames that holds ``seg.bottom`` (at least
        the deepest frame itself).
    """
    frames = np.arange(seg.start, seg.end + 1)
    with np.errstate(invalid="ignore"):
        deep = hip_drop[frames] >= hip_drop[seg.bottom] - depth_fraction * max(seg.depth, 0.0)
    inside = deep & (np.abs(t[frames] - t[seg.bottom]) <= max_s)
    at = seg.bottom - seg.start
    inside[at] = True
    breaks = np.flatnonzero(~inside)
    first = breaks[breaks < at].max() + 1 if (breaks < at).any() else 0
    last = breaks[breaks > at].min() if (breaks > at).any() else len(frames)
    return frames[first:last]


def _wobble(offset: np.ndarray, depth: np.ndarray) -> float:
    """Side-to-side spread of the knee: std of its offset around the depth-driven path.

    The knee's medio-lateral offset follows the squat's depth (a knee that
    caves in as the hips go down is valgus, not wobble), so a straight line
    of offset against hip drop is fitted over the rep and the standard
    deviation of what is left is returned (leg lengths; NaN with fewer than
    5 frames where both are finite).
    """
    ok = np.isfinite(offset) & np.isfinite(depth)
    if ok.sum() < 5:
        return float("nan")
    x, y = depth[ok] - depth[ok].mean(), offset[ok] - offset[ok].mean()
    sxx = float(x @ x)
    residual = y - (float(x @ y) / sxx) * x if sxx > 0 else y
    return float(np.sqrt(residual @ residual / len(residual)))


def _jitter_reason(spread: float) -> str:
    return f"the knee's landmarks jittered at the deepest point (FPPA varied by {spread:.1f} deg from frame to frame)"


def _confidence(
    seg: Segment,
    leg: str,
    window: np.ndarray,
    fppa_bottom: dict[Leg, float],
    spread: float,
    series: FrameSeries,
    quality: FrameQuality,
    thresholds: Thresholds,
) -> tuple[float, list[str]]:
    """Confidence in [0, 1] of a rep's frontal measures, and the reasons it is low.

    Factors (multiplied), each falling smoothly from 1:

    * the share of the rep's frames with a pose (short gaps are bridged, so
      6 % of single frames missing costs 6 %, not the rep);
    * the share of the frames with a pose where the leg's hip, knee and
      ankle are visible and inside the picture;
    * the view over the bottom frames (frontal: its confidence times the
      rep's frontal share; oblique: that times ``oblique_factor``; side 0);
    * the spread of the raw per-frame FPPA around the smoothed one over the
      bottom frames, that is the landmarks' jitter, not the knee's motion (1
      at 0, ``1 - spread_weight`` at ``max_fppa_spread`` deg).

    Hard limits cap the confidence at ``cap_factor * min`` (unreliable):
    see :func:`_hard_limits`.

    An unreliable rep always has a reason: where neither a hard limit nor
    the view or visibility named one, the factor that pulled the confidence
    lowest is named (for example an uncertain front view when a few frames
    of the rep were seen at an angle).
    """
    conf = thresholds.confidence
    frames = slice(seg.start, seg.end + 1)
    legs = Leg(leg).sides
    reasons: list[str] = []
    pose = quality.pose.astype(bool)
    posed = np.flatnonzero(pose[frames]) + seg.start
    gaps = 1.0 - posed.size / (seg.end + 1 - seg.start)
    visible = min(float(np.mean(quality.leg(side).visible[posed])) for side in legs) if posed.size else 0.0
    frontal_share = float(np.mean(is_frontal(series.view[posed]))) if posed.size else 0.0
    bottom_view, view_conf = dominant_view(series.view, series.view_confidence, window[pose[window]])
    if bottom_view == View.FRONTAL:
        view_factor = view_conf * frontal_share
    elif bottom_view == View.OBLIQUE:
        view_factor = conf.oblique_factor * view_conf * frontal_share
        reasons.append("filmed at an angle (oblique view): FPPA is foreshortened")
    else:
        view_factor = 0.0
        reasons.append(SIDE_VIEW_REASON if bottom_view == View.SIDE else "no usable body view at the deepest point")
    if visible < conf.min_visible_share:
        reasons.append(f"the leg was hidden or out of the frame in {100 * (1 - visible):.0f} % of the rep")
    spread_factor = 1.0
    if np.isfinite(spread):
        spread_factor = 1.0 - conf.spread_weight * min(spread / conf.max_fppa_spread, 1.0)
    confidence = (1.0 - gaps) * visible * view_factor * spread_factor
    limits = _hard_limits(seg, legs, bottom_view, gaps, fppa_bottom, spread, series.t[frames], quality, thresholds)
    if limits:
        confidence = min(confidence, conf.cap_factor * conf.min)
    reasons += limits
    if confidence < conf.min and not reasons:
        reasons.append(
            min(
                [
                    (1.0 - gaps, f"no pose found in {100 * gaps:.0f} % of the rep's frames"),
                    (visible, f"the leg was hidden or out of the frame in {100 * (1 - visible):.0f} % of the rep"),
                    (
                        view_factor,
                        f"only {100 * frontal_share:.0f} % of the rep's frames were seen from the front "
                        f"(view confidence {view_conf:.2f} at the deepest point)",
                    ),
                    (spread_factor, _jitter_reason(spread)),
                ]
            )[1]
        )
    return float(np.clip(confidence, 0.0, 1.0)), list(dict.fromkeys(reasons))


def _hard_limits(
    seg: Segment,
    legs: tuple[Leg, ...],
    bottom_view: str,
    gaps: float,
    fppa_bottom: dict[Leg, float],
    spread: float,
    t: np.ndarray,
    quality: FrameQuality,
    thresholds: Thresholds,
) -> list[str]:
    """Why a rep cannot be measured at all (empty when nothing stops it).

    A rep cut off by the recording, more than ``max_gap_fraction`` of its
    frames (times ``t``, s) without a pose, frames further apart than
    ``thresholds.frame_rate.max_interval_s`` (the deepest point falls
    between them), an FPPA spread above ``max_fppa_spread`` deg, a hip near
    knee height at the deepest frame, and a missing or implausible FPPA there.
    """
    conf = thresholds.confidence
    limits = []
    if seg.partial:
        limits.append("the recording starts or ends during this rep, so its deepest point may be missing")
    if gaps > conf.max_gap_fraction:
        limits.append(f"no pose found in {100 * gaps:.0f} % of the rep's frames")
    interval = frame_interval_s(t)
    if interval > thresholds.frame_rate.max_interval_s:
        limits.append(
            f"the video has only one frame every {interval:.2g} s here, too few to catch the deepest "
            "point (film at 25-30 frames a second)"
        )
    if np.isfinite(spread) and spread > conf.max_fppa_spread:
        limits.append(_jitter_reason(spread))
    for side in legs if bottom_view in FRONTAL_VIEWS else ():
        hip_above = float(quality.leg(side).hip_above_knee[seg.bottom])
        value = fppa_bottom[side]
        if np.isfinite(hip_above) and hip_above < conf.min_hip_above_knee:
            limits.append(HIP_NEAR_KNEE_REASON)
        elif not np.isfinite(value):
            limits.append("the leg's points were missing at the deepest point")
        elif abs(value) > conf.implausible_fppa:
            limits.append(f"the landmarks were garbled at the deepest point (FPPA {value:.0f} deg)")
    return limits


def _certainty(criterion: Criterion, rep: Rep, threshold: float) -> str:
    """The sentence a flag's reason ends with when its criterion has an interval ("" without one)."""
    if criterion.rep_interval is None or not np.isfinite(criterion.rep_interval(rep)).all():
        return ""
    low, high = (int(round(end)) for end in criterion.rep_interval(rep))
    if criterion.verdict(rep, threshold) == ABOVE:
        return f" Likely {low} to {high} {criterion.unit}: above the threshold even at the low end."
    return f" Likely {low} to {high} {criterion.unit}, which holds the threshold: {CANT_TELL} whether it is above it."


def rep_flags(rep: Rep, thresholds: Thresholds) -> list[Flag]:
    """Flags of one reliable rep, one per crossed criterion of :data:`knee_cv.core.criteria.CRITERIA` (none for NaN).

    A criterion with an interval says in its reason how sure the finding is:
    above the threshold over the whole interval, or "can't tell from this
    video" when the interval holds the threshold
    (:meth:`~knee_cv.core.criteria.Criterion.verdict`; such a criterion is
    also named by :func:`undecided`). Which criteria are flagged, and so the
    exercises and the rating, follow the value.
    """
    flags = []
    for criterion in CRITERIA:
        limit = thresholds.limit(criterion.name)
        value = criterion.rep_value(rep)
        if criterion.crossed(value, limit.value):
            reason = criterion.reason(value, limit) + _certainty(criterion, rep, limit.value)
            flags.append(Flag(criterion.name, value, limit.value, criterion.unit, reason, limit.source))
    return flags


def undecided(rep: Rep, thresholds: Thresholds) -> list[CriterionName]:
    """The criteria a reliable rep's video cannot decide: their interval holds the threshold."""
    return [c.name for c in CRITERIA if c.verdict(rep, thresholds.limit(c.name).value) == UNSURE]


def assess_rep(
    index: int,
    seg: Segment,
    leg: Leg,
    series: FrameSeries,
    quality: FrameQuality,
    thresholds: Thresholds,
    pelvic_reference: str = "",
    geometry: Geometry | None = None,
) -> Rep:
    """Measure one rep, rate its confidence and flag it.

    Parameters
    ----------
    index : int
        Rep number from 0.
    seg : Segment
        Frames of the rep.
    leg : {"left", "right", "both"}
        Stance leg. For a two-leg squat (``"both"``) the knee measures are
        those of the leg with the larger FPPA at the deepest point, and
        pelvic drop and trunk lean are NaN (they need a free side).
    series : FrameSeries
        Per-frame series before the view masking of
        :attr:`knee_cv.core.result.Analysis.series`.
    quality : FrameQuality
        Per-frame checks (pose found, leg visible, hip above knee, raw FPPA).
    thresholds : Thresholds
        From :func:`knee_cv.core.thresholds.load_thresholds`.
    pelvic_reference : str
        What the pelvic drop is measured against (see
        :attr:`knee_cv.core.result.Rep.pelvic_reference`).
    geometry : Geometry, optional
        The landmarks, size and pelvic reference the knee displacement and
        the intervals are computed from (:mod:`knee_cv.core.uncertainty`);
        without it they are NaN and flags follow the values alone.

    Returns
    -------
    Rep
        FPPA and pelvic drop at the deepest point (medians over the bottom
        frames, see :func:`bottom_frames`) and their peaks over the rep (NaN
        outside a frontal or oblique view), the spread of the raw FPPA around
        the smoothed one over the bottom frames (jitter), trunk lean at its largest over the rep (signed),
        knee wobble (std over the rep of the knee offset around its
        straight-line fit against hip drop, leg lengths; see :func:`_wobble`),
        depth, and 2D knee flexion at the deepest frame (side views only:
        NaN in a frontal or oblique view, where the image does not show it).
        Flags only when reliable, and only where the interval lies beyond
        the threshold; criteria whose interval holds it are named in
        ``undecided``.
    """
    conf = thresholds.confidence
    frames = slice(seg.start, seg.end + 1)
    t = series.t
    window = bottom_frames(seg, series.hip_drop, t, conf.bottom_depth_fraction, conf.bottom_max_s)
    frontal_window = window[is_frontal(series.view[window])]
    sides = Leg(leg).sides
    fppa_bottom = {side: finite_median(series.leg(side).fppa[frontal_window]) for side in sides}
    knee_leg = max(sides, key=lambda side: np.nan_to_num(fppa_bottom[side], nan=-np.inf))
    knee = series.leg(knee_leg)
    jitter = quality.leg(knee_leg).fppa_raw[frontal_window] - knee.fppa[frontal_window]
    spread = robust_sd(jitter)
    frontal = is_frontal(series.view[frames])
    fppa = np.where(frontal, knee.fppa[frames], np.nan)
    drop = np.where(frontal, series.pelvic_drop[frames], np.nan)
    lean = np.where(frontal, series.trunk_lean[frames], np.nan)
    offset = np.where(frontal, knee.knee_offset[frames], np.nan)
    confidence, reasons = _confidence(seg, leg, window, fppa_bottom, spread, series, quality, thresholds)
    reliable = confidence >= conf.min
    flexion = float(knee.knee_flexion[seg.bottom])
    rep = Rep(
        index=index,
        leg=leg,
        start_frame=seg.start,
        bottom_frame=seg.bottom,
        end_frame=seg.end,
        t_start=float(t[seg.start]),
        t_bottom=float(t[seg.bottom]),
        t_end=float(t[seg.end]),
        depth=seg.depth,
        knee_flexion_deg=float("nan") if is_frontal(series.view[seg.bottom : seg.bottom + 1])[0] else flexion,
        fppa_bottom_deg=fppa_bottom[knee_leg],
        fppa_peak_deg=_peak(fppa),
        pelvic_drop_bottom_deg=finite_median(series.pelvic_drop[frontal_window]),
        pelvic_drop_peak_deg=_peak(drop),
        trunk_lean_deg=_largest_magnitude(lean),
        knee_wobble=_wobble(offset, series.hip_drop[frames]),
        confidence=confidence,
        reliable=reliable,
        unreliable_reasons=[] if reliable else reasons,
        fppa_spread_deg=spread,
        pelvic_reference=pelvic_reference if leg != Leg.BOTH else "",
    )
    if geometry is not None and knee_leg in (Leg.LEFT, Leg.RIGHT):
        stance = str(leg) if leg != Leg.BOTH else ""
        rep.knee_displacement, bounds = bottom_measures(geometry, knee_leg, stance, frontal_window, spread)
        rep.fppa_low_deg, rep.fppa_high_deg = bounds.fppa_deg
        rep.pelvic_drop_low_deg, rep.pelvic_drop_high_deg = bounds.pelvic_drop_deg
        rep.knee_displacement_low, rep.knee_displacement_high = bounds.knee_displacement
    if reliable:
        rep.flags = rep_flags(rep, thresholds)
        rep.undecided = undecided(rep, thresholds)
    return rep


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _grade(n_crossed: int, far: bool) -> Rating:
    """Good with no criterion crossed, fair with one (FPPA not far above), poor otherwise."""
    return Rating.GOOD if not n_crossed else Rating.FAIR if n_crossed == 1 and not far else Rating.POOR


def _far_above(fppa_deg: float, thresholds: Thresholds) -> bool:
    """Whether FPPA is above its threshold by more than the smallest detectable difference (False for NaN)."""
    limit = thresholds.knee_valgus.value + thresholds.smallest_detectable_difference.value
    return bool(fppa_deg > limit)


def _rating_range(leg: LegSummary, rating: Rating, thresholds: Thresholds) -> tuple[Rating, Rating, list[str]]:
    """The best and the worst rating this video allows, and the criteria that make them differ.

    The rating again with each criterion at the end of its leg interval least
    like a finding, then most like it (:meth:`~knee_cv.core.criteria.Criterion.leg_ends`);
    the range always holds ``rating`` itself (an interval corrected for the
    model's bias need not hold the value). Criteria without an interval count
    by their value in both.
    """
    ends = {c.name: c.leg_ends(leg) for c in CRITERIA}
    best, worst = (
        _grade(
            sum(c.crossed(ends[c.name][pick], thresholds.limit(c.name).value) for c in CRITERIA),
            _far_above(ends[CriterionName.KNEE_VALGUS][pick], thresholds),
        )
        for pick in (0, 1)
    )
    undecided = [
        c.rating_name
        for c in CRITERIA
        if c.crossed(ends[c.name][0], thresholds.limit(c.name).value)
        != c.crossed(ends[c.name][1], thresholds.limit(c.name).value)
    ]
    return min(best, rating, key=lambda r: r.rank), max(worst, rating, key=lambda r: r.rank), undecided


def _rate(leg: LegSummary, thresholds: Thresholds) -> tuple[Rating | None, list[str]]:
    """The rating (good, fair or poor) from the means of one leg, with the criteria that drove it."""
    if leg.n_reliable == 0:
        return None, ["no reliable reps to rate"]
    crossed, passed = [], []
    for criterion in CRITERIA:
        value, limit = criterion.leg_value(leg), thresholds.limit(criterion.name).value
        if not np.isfinite(value):
            continue
        shown = abs(value) if criterion.magnitude else value
        line = f"{criterion.rating_name}: " + criterion.rating_text.format(v=shown, t=limit, pv=100 * shown, pt=100 * limit)
        if criterion.crossed(value, limit):
            crossed.append(line)
        elif criterion.rate_when_passed:
            passed.append(line)
    far = _far_above(leg.fppa_deg, thresholds)
    rating = _grade(len(crossed), far)
    reasons = [f"above threshold: {c}" for c in crossed] + [f"within threshold: {p}" for p in passed]
    if far:
        reasons.insert(
            0,
            "FPPA above the threshold by more than the "
            f"{thresholds.smallest_detectable_difference.value:.0f} deg smallest detectable difference",
        )
    if leg.n_reliable < thresholds.rating.min_reps:
        reasons.append(
            f"based on {leg.n_reliable} reliable rep{'' if leg.n_reliable == 1 else 's'}; clinical protocols average "
            f"{thresholds.rating.min_reps} or more, so record more reps on this leg"
        )
    return rating, reasons


def leg_summary(leg: Leg, reps: list[Rep], thresholds: Thresholds) -> LegSummary:
    """Means over the reliable reps of one stance leg, with a rating.

    Parameters
    ----------
    leg : {"left", "right", "both"}
    reps : list of Rep
        All reps of the session (other legs are ignored).
    thresholds : Thresholds

    Returns
    -------
    LegSummary
        Means are NaN when no rep of this leg is reliable.
    """
    mine = [r for r in reps if r.leg == leg]
    good = [r for r in mine if r.reliable]
    summary = LegSummary(
        leg=leg,
        n_reps=len(mine),
        n_reliable=len(good),
        fppa_deg=_mean([r.fppa_bottom_deg for r in good]),
        pelvic_drop_deg=_mean([r.pelvic_drop_bottom_deg for r in good]),
        trunk_lean_deg=_mean([r.trunk_lean_deg for r in good]),
        knee_wobble=_mean([r.knee_wobble for r in good]),
        depth=_mean([r.depth for r in good]),
        rating=None,
        fppa_low_deg=_mean([r.fppa_low_deg for r in good]),
        fppa_high_deg=_mean([r.fppa_high_deg for r in good]),
        pelvic_drop_low_deg=_mean([r.pelvic_drop_low_deg for r in good]),
        pelvic_drop_high_deg=_mean([r.pelvic_drop_high_deg for r in good]),
    )
    summary.rating, summary.rating_reasons = _rate(summary, thresholds)
    if summary.rating is not None:
        summary.rating_best, summary.rating_worst, undecided = _rating_range(summary, summary.rating, thresholds)
        if summary.rating_best != summary.rating_worst:
            summary.rating_reasons.append(
                f"{CANT_TELL} whether {summary.rating_best} or {summary.rating_worst}: the likely range of the "
                f"{' and the '.join(undecided)} holds its threshold"
            )
    return summary


def _left_right(legs: list[LegSummary], thresholds: Thresholds) -> list[str]:
    """A sentence comparing left and right FPPA when both were measured.

    Each leg's mean comes with its interval (:func:`knee_cv.core.shown.likely`);
    where the two intervals overlap the sentence says this video cannot
    tell which knee goes further in, whatever the difference of the means.
    """
    by_leg = {s.leg: s for s in legs}
    if Leg.LEFT not in by_leg or Leg.RIGHT not in by_leg:
        return []
    left, right = by_leg[Leg.LEFT], by_leg[Leg.RIGHT]
    if not (np.isfinite(left.fppa_deg) and np.isfinite(right.fppa_deg)):
        return []
    sdd = thresholds.smallest_detectable_difference.value
    diff = left.fppa_deg - right.fppa_deg
    verdict = "within" if abs(diff) < sdd else "beyond"
    values, ranges = f"{left.fppa_deg:.1f} vs {right.fppa_deg:.1f} deg,", ""
    bounds = [left.fppa_low_deg, left.fppa_high_deg, right.fppa_low_deg, right.fppa_high_deg]
    if np.isfinite(bounds).all():
        values = f"left {likely(left.fppa_deg, bounds[0], bounds[1])}; right {likely(right.fppa_deg, bounds[2], bounds[3])};"
        overlap = max(bounds[0], bounds[2]) <= min(bounds[1], bounds[3])
        ranges = (
            f" The two ranges overlap: {CANT_TELL} which knee goes further in." if overlap else " The two ranges do not overlap."
        )
    return [
        f"Left vs right: FPPA {values} a difference of {abs(diff):.1f} deg, "
        f"{verdict} the {sdd:.0f} deg smallest detectable difference "
        f"({thresholds.smallest_detectable_difference.source}).{ranges}"
    ]


def _overall(legs: list[LegSummary]) -> tuple[Rating | None, list[str]]:
    """The session's rating (the worst leg's; None when no leg is rated) and every leg's reasons."""
    ratings = [Rating(s.rating) for s in legs if s.rating is not None]
    rating = max(ratings, key=lambda r: r.rank) if ratings else None
    return rating, [f"{leg_name(s.leg)}: {reason}" for s in legs for reason in s.rating_reasons]


def _overall_range(legs: list[LegSummary]) -> tuple[Rating | None, Rating | None]:
    """The session's best and worst rating this video allows: the worst leg's, at each end (None when no leg is rated)."""
    rated = [s for s in legs if s.rating_best is not None and s.rating_worst is not None]
    if not rated:
        return None, None
    return (
        max((Rating(s.rating_best) for s in rated), key=lambda r: r.rank),
        max((Rating(s.rating_worst) for s in rated), key=lambda r: r.rank),
    )


def rerate(summary: Summary, reps: list[Rep], thresholds: Thresholds) -> Summary:
    """``summary`` with its legs, rating and left-right sentence decided again from ``reps``.

    For reps whose values changed after the analysis (a clinician's
    measurement: :func:`knee_cv.core.rerated.rerated`): the same means,
    ratings and left-right comparison as :func:`summarize`, with the same
    thresholds; the view, exercise and the other messages stay.

    Parameters
    ----------
    summary : Summary
        The analysis' own summary (made by :func:`summarize` with ``thresholds``).
    reps : list of Rep
    thresholds : Thresholds
        Those the analysis used (:attr:`knee_cv.core.result.Analysis.thresholds`).
    """
    legs = [leg_summary(leg.leg, reps, thresholds) for leg in summary.legs]
    rating, reasons = _overall(legs)
    best, worst = _overall_range(legs)
    before, after = _left_right(summary.legs, thresholds), _left_right(legs, thresholds)
    messages = [m for m in summary.messages if m not in before]
    return replace(
        summary,
        n_reliable=sum(r.reliable for r in reps),
        legs=legs,
        rating=rating,
        rating_reasons=reasons,
        messages=messages + after,
        rating_best=best,
        rating_worst=worst,
    )


def _has_reason(rep: Rep, code: ReasonCode) -> bool:
    """Whether one of ``rep``'s unreliable reasons, made by this analysis, has ``code``."""
    return any(isinstance(reason, Reason) and reason.code == code for reason in rep.unreliable_reasons)


def summarize(
    reps: list[Rep],
    *,
    view: View,
    view_confidence: float,
    exercise: Exercise,
    messages: list[str],
    thresholds: Thresholds,
    blocking: bool = False,
) -> Summary:
    """The session summary: per-leg means and ratings, the overall rating, messages.

    Parameters
    ----------
    reps : list of Rep
    view : View
        The session's main view (``"frontal"``, ``"oblique"``, ``"side"``, ``"none"``).
    view_confidence : float
        In [0, 1].
    exercise : Exercise
        ``"single-leg"``, ``"double-leg"`` or ``"no squat"``.
    messages : list of str
        Problems found with the recording so far, each saying what to change.
    thresholds : Thresholds
    blocking : bool
        True when a problem in ``messages`` keeps the recording from being
        measured (nobody found, too short, body cut off).

    Returns
    -------
    Summary
        ``rating`` is the worst leg's rating (None when no leg has a reliable
        rep); ``rating_reasons`` lists each leg's criteria. ``measurable`` is
        False when the view does not support FPPA or the recording has a
        blocking problem.
    """
    legs = [leg_summary(leg, reps, thresholds) for leg in Leg if any(r.leg == leg for r in reps)]
    rating, reasons = _overall(legs)
    best, worst = _overall_range(legs)
    messages = list(messages)
    measurable = view in FRONTAL_VIEWS and not blocking and any(r.reliable for r in reps)
    if view == View.SIDE:
        messages.append(f"{SIDE_VIEW_REASON}. {FILMING_ADVICE}")
    elif view == View.OBLIQUE:
        messages.append("Filmed at an angle: FPPA is foreshortened and less certain. " + FILMING_ADVICE)
    if reps and not any(r.reliable for r in reps) and view in FRONTAL_VIEWS:
        too_deep = sum(_has_reason(r, ReasonCode.HIP_NEAR_KNEE) for r in reps) > len(reps) / 2
        messages.append(
            "No rep could be measured reliably (see each rep's reasons). " + (DEPTH_ADVICE if too_deep else FILMING_ADVICE)
        )
    messages += _left_right(legs, thresholds)
    return Summary(
        n_reps=len(reps),
        n_reliable=sum(r.reliable for r in reps),
        view=view,
        view_confidence=float(view_confidence),
        exercise=exercise,
        measurable=measurable,
        legs=legs,
        rating=rating,
        rating_reasons=reasons,
        messages=messages,
        rating_best=best,
        rating_worst=worst,
    )
