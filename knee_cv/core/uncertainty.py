"""How sure a rep's FPPA, pelvic drop and knee displacement are: a landmark placement error model.

The pose model places a hip, knee or ankle point some way from the joint
centre a clinician would mark (MediaPipe's knee sits on the kneecap, above the
joint line; its hip high and lateral). :class:`PlacementError` describes that
error in **body units**, so it scales with the person's size in the picture:
for each joint, its mean (bias) and standard deviation along and across a
body direction, as fractions of the standing leg length (hip to ankle, px):

* hip: along the thigh (hip -> knee) and across it;
* knee: along the leg (hip -> ankle) and across it;
* ankle: along the shank (knee -> ankle) and across it.

"Across" points medially (toward the other hip). An error is *observed minus
true*, so the true point is the observed one minus the error. The model is
estimated (:func:`fit`) from hand-digitised frames against the pose model's
points (``scripts/bench_accuracy.py`` fits it leave-one-clip-out, and on all
frames for ``thresholds.toml``'s ``[placement_error]``).

Intervals are found by sampling: :data:`N_SAMPLES` draws of the error (fixed
seed: the same points give the same interval), the true points that go with
each, the measure of each (the functions of :mod:`knee_cv.core.kinematics`),
and the central ``coverage`` share of the results. With few frames behind
the model, its standard deviations are widened to a prediction interval
(:meth:`PlacementError.widening`).

Units and signs are those of :mod:`knee_cv.core.kinematics`: pixels with y
down, degrees, FPPA positive = valgus, pelvic drop positive = the free leg's
side lower, knee displacement positive = medial. NaN in, NaN out.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from knee_cv.core import kinematics as kin
from knee_cv.core.arrays import FloatArray
from knee_cv.core.landmarks import Landmark
from knee_cv.core.stats import finite_median
from knee_cv.core.threshold_tables import PlacementErrorTable

#: Draws of the placement error per interval.
N_SAMPLES = 2000

#: Joints of the model, in the order of :attr:`PlacementError.bias` rows.
JOINTS = ("hip", "knee", "ankle")

_RNG = np.random.default_rng(20261207)
#: Standard normal draws of the four points' errors (along, across), and of two independent extras
#: (the FPPA jitter, the pelvic reference).
_DRAWS = _RNG.standard_normal((N_SAMPLES, 4, 2))
_EXTRA = _RNG.standard_normal((N_SAMPLES, 2))


@dataclass(frozen=True)
class PlacementError:
    """Where the pose model puts hip, knee and ankle against the joint centres, in leg lengths.

    Attributes
    ----------
    bias : ndarray, shape (3, 2)
        Mean error (observed minus true) of hip, knee, ankle (rows) along and
        across (columns) their body direction (see the module notes), as a
        fraction of the standing leg length.
    sd : ndarray, shape (3, 2)
        Standard deviation of the same, leg lengths.
    n_frames : int
        Hand-digitised frames the model was estimated from.
    coverage : float
        Share of the true values an interval is to hold (0.8: an 80 % interval).
    """

    bias: np.ndarray
    sd: np.ndarray
    n_frames: int
    coverage: float = 0.8

    @classmethod
    def from_table(cls, table: PlacementErrorTable) -> PlacementError:
        """The model from ``thresholds.placement_error``."""
        return cls(
            bias=np.asarray(table.bias, float),
            sd=np.asarray(table.sd, float),
            n_frames=table.n_frames,
            coverage=table.coverage,
        )

    def widening(self) -> float:
        """Factor on :attr:`sd` that makes a normal interval a prediction interval from ``n_frames`` frames.

        Student's t quantile over the normal one, times sqrt(1 + 1/n): the
        spread is estimated, not known (1 with no frames counted).
        """
        n = self.n_frames
        if n < 3:
            return 1.0
        q = 0.5 + self.coverage / 2
        return float(stats.t.ppf(q, n - 1) / stats.norm.ppf(q) * math.sqrt(1 + 1 / n))


def _unit(vector: FloatArray) -> FloatArray:
    unit: FloatArray = vector / np.linalg.norm(vector, axis=-1, keepdims=True)
    return unit


def body_axes(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, other_hip: np.ndarray) -> np.ndarray:
    """Unit vectors along and across each joint's body direction, shape (..., 3, 2, 2).

    Parameters
    ----------
    hip, knee, ankle, other_hip : ndarray, shape (..., 2)
        Pixel points of the leg and the other hip.

    Returns
    -------
    ndarray, shape (..., 3, 2, 2)
        ``[..., j, 0]`` along and ``[..., j, 1]`` across (medial, toward the
        other hip) for hip, knee, ankle (see the module notes). NaN where a
        point is missing or a segment has no length.
    """
    along = np.stack([_unit(knee - hip), _unit(ankle - hip), _unit(ankle - knee)], axis=-2)
    across = np.stack([-along[..., 1], along[..., 0]], axis=-1)
    medial = np.sign(np.sum(across * (other_hip - hip)[..., None, :], axis=-1, keepdims=True))
    return np.stack([along, across * np.where(medial == 0, np.nan, medial)], axis=-2)


def residuals(observed: FloatArray, true: FloatArray, leg_px: float) -> FloatArray:
    """Placement errors of one frame in body units: what :func:`fit` takes.

    Parameters
    ----------
    observed, true : ndarray, shape (4, 2)
        Hip, knee, ankle and other hip, pixels: the pose model's and the
        hand-digitised ones.
    leg_px : float
        Standing leg length, px.

    Returns
    -------
    ndarray, shape (3, 2)
        (observed - true) of hip, knee, ankle along and across the body
        directions of the observed points, leg lengths.
    """
    axes = body_axes(*observed)
    body_units: FloatArray = np.einsum("jd,jcd->jc", observed[:3] - true[:3], axes) / leg_px
    return body_units


def fit(errors: np.ndarray, coverage: float = 0.8) -> PlacementError:
    """A placement error model from per-frame :func:`residuals`, shape (n, 3, 2).

    The bias is the mean, the spread the standard deviation (n - 1), over the
    frames where every residual is finite.
    """
    errors = np.asarray(errors, float)
    errors = errors[np.isfinite(errors).all(axis=(1, 2))]
    return PlacementError(bias=errors.mean(axis=0), sd=errors.std(axis=0, ddof=1), n_frames=len(errors), coverage=coverage)


def _true_samples(points: FloatArray, leg_px: float, model: PlacementError) -> FloatArray:
    """Samples of the true hip, knee, ankle and other hip, shape (N_SAMPLES, 4, 2), pixels.

    The other hip gets the hip's error with its own draw, mirrored across
    (its medial is the other way).
    """
    axes = body_axes(*points)  # (3, 2, 2)
    scale = model.sd * model.widening()
    errors = model.bias[None] + scale[None] * _DRAWS[:, :3]  # (N, 3, 2) leg lengths
    shift = np.einsum("njc,jcd->njd", errors, axes) * leg_px
    other = model.bias[0] + scale[0] * _DRAWS[:, 3]
    other_axes = axes[0] * np.array([[1.0], [-1.0]])
    other_shift = np.einsum("nc,cd->nd", other, other_axes) * leg_px
    samples: FloatArray = points[None] - np.concatenate([shift, other_shift[:, None]], axis=1)
    return samples


def _body(samples: np.ndarray, leg: str) -> np.ndarray:
    """Samples (N, 4, 2) of one leg's hip, knee, ankle and other hip as landmark arrays (N, 33, 2)."""
    xy = np.full((len(samples), len(Landmark), 2), np.nan)
    hip, knee, ankle = kin.LEG_LANDMARKS[leg]
    other = kin.LEG_LANDMARKS["right" if leg == "left" else "left"][0]
    xy[:, [hip, knee, ankle, other]] = samples
    return xy


def _central(values: np.ndarray, coverage: float) -> tuple[float, float]:
    """The central ``coverage`` share of the finite values: (low, high); NaN when under half are finite."""
    finite = values[np.isfinite(values)]
    if finite.size < values.size / 2:
        return math.nan, math.nan
    tail = 50.0 * (1.0 - coverage)
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def knee_displacement(xy: FloatArray, leg: str, leg_length_px: float) -> FloatArray:
    """Medial knee displacement, per frame: the knee's signed distance from the hip-ankle line.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2)
        Landmarks, pixels.
    leg : {"left", "right"}
    leg_length_px : float
        Standing leg length, px.

    Returns
    -------
    ndarray, shape (T,)
        Distance of the knee from the line through hip and ankle, as a
        fraction of the standing leg length; positive = medial (toward the
        other hip, the valgus side), as :func:`knee_cv.core.kinematics.fppa`.
        Unlike :func:`knee_cv.core.kinematics.knee_offset` it is not divided
        by the (foreshortened) hip-ankle distance of the frame, so a deep
        squat does not inflate it. NaN where a point is missing.
    """
    hip, _, ankle = kin.leg_points(xy, leg)
    displacement: FloatArray = kin.knee_offset(xy, leg) * np.hypot(*(ankle - hip).T) / leg_length_px
    return displacement


@dataclass(frozen=True)
class Intervals:
    """The ``coverage`` intervals of one rep's bottom measures: (low, high) pairs, NaN when unknown.

    Attributes
    ----------
    fppa_deg : tuple of float
        FPPA, degrees, positive = valgus.
    knee_displacement : tuple of float
        Medial knee displacement, leg lengths, positive = medial.
    pelvic_drop_deg : tuple of float
        Pelvic drop, degrees, positive = the free leg's side lower.
    """

    fppa_deg: tuple[float, float]
    knee_displacement: tuple[float, float]
    pelvic_drop_deg: tuple[float, float]


NO_INTERVALS = Intervals((math.nan,) * 2, (math.nan,) * 2, (math.nan,) * 2)


def rep_intervals(
    points: np.ndarray,
    leg: str,
    leg_px: float,
    model: PlacementError,
    *,
    fppa_jitter_deg: float = 0.0,
    stance: str = "",
    roll_deg: float = 0.0,
    roll_sd_deg: float = 0.0,
) -> Intervals:
    """The intervals of a rep's FPPA, knee displacement and pelvic drop at its deepest point.

    Parameters
    ----------
    points : ndarray, shape (4, 2)
        The measured hip, knee and ankle of ``leg`` and the other hip at the
        deepest point (medians over the bottom frames), pixels.
    leg : {"left", "right"}
        The leg whose FPPA is reported.
    leg_px : float
        Standing leg length, px.
    model : PlacementError
    fppa_jitter_deg : float
        The landmarks' jitter at the bottom (``Rep.fppa_spread_deg``, deg):
        added to each FPPA draw as an independent normal error, so a shaky
        video gets a wider interval (0 or NaN: none).
    stance : {"left", "right", ""}
        Stance leg for pelvic drop ("" for none: its interval is NaN).
    roll_deg : float
        The pelvic-drop reference (hip-line tilt taken as level), degrees in
        the :func:`knee_cv.core.kinematics.pelvic_tilt` convention.
    roll_sd_deg : float
        How uncertain that reference is (robust SD of the hip-line tilt over
        the frames it was taken from, deg): an independent normal error.

    Returns
    -------
    Intervals
        Each NaN where a point or the leg length is missing. For pelvic
        drop both hips get independent draws of the *across* part of the
        hip's error in x and y (its bias and the phase-dependent along part
        are shared by both hips and cancel in the hip line's tilt).
    """
    points = np.asarray(points, float)
    if not (np.isfinite(points).all() and np.isfinite(leg_px) and leg_px > 0):
        return NO_INTERVALS
    samples = _true_samples(points, leg_px, model)
    body = _body(samples, leg)
    fppa = kin.fppa(body, leg)
    if np.isfinite(fppa_jitter_deg) and fppa_jitter_deg > 0:
        fppa = fppa + fppa_jitter_deg * _EXTRA[:, 0]
    drop = (math.nan, math.nan)
    if stance in ("left", "right"):
        hips = _body(np.repeat(points[None], N_SAMPLES, axis=0), leg)
        spread = model.sd[0, 1] * model.widening() * leg_px
        hips[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] += spread * _DRAWS[:, 2:4]
        roll = roll_deg + (roll_sd_deg if np.isfinite(roll_sd_deg) else 0.0) * _EXTRA[:, 1]
        drop = _central(kin.pelvic_drop(hips, stance, roll), model.coverage)
    return Intervals(
        fppa_deg=_central(fppa, model.coverage),
        knee_displacement=_central(knee_displacement(body, leg, leg_px), model.coverage),
        pelvic_drop_deg=drop,
    )


@dataclass(frozen=True)
class Geometry:
    """What a rep's intervals are computed from (made once per analysis).

    Attributes
    ----------
    xy : ndarray, shape (T, 33, 2)
        The cleaned landmarks the analysis measures, pixels.
    leg_px : float
        Standing leg length, px.
    roll_deg, roll_sd_deg : float or ndarray, shape (T,)
        The pelvic-drop reference (hip-line tilt taken as level, deg) and its
        uncertainty (deg), for the whole clip or per frame.
    model : PlacementError
    """

    xy: np.ndarray
    leg_px: float
    roll_deg: float | np.ndarray
    roll_sd_deg: float | np.ndarray
    model: PlacementError


def _at(values: float | np.ndarray, frames: np.ndarray) -> float:
    """A clip-wide value, or the median of a per-frame one over ``frames`` (NaN when none is finite)."""
    if np.ndim(values) == 0:
        return float(values)
    return finite_median(np.asarray(values)[frames])


def bottom_measures(
    geometry: Geometry, leg: str, stance: str, frames: np.ndarray, fppa_jitter_deg: float
) -> tuple[float, Intervals]:
    """A rep's knee displacement and its intervals, from its bottom frames.

    Parameters
    ----------
    geometry : Geometry
    leg : {"left", "right"}
        The leg whose FPPA and displacement are reported.
    stance : {"left", "right", ""}
        The stance leg for pelvic drop ("" for none).
    frames : ndarray of int
        The bottom frames the rep's values are medians over (frontal ones).
    fppa_jitter_deg : float
        As for :func:`rep_intervals`.

    Returns
    -------
    displacement : float
        Median of :func:`knee_displacement` over ``frames``, leg lengths,
        positive = medial (NaN when none is finite).
    intervals : Intervals
        :func:`rep_intervals` at the median points over ``frames``.
    """
    if not len(frames):
        return math.nan, NO_INTERVALS
    xy = geometry.xy[frames]
    displacement = finite_median(knee_displacement(xy, leg, geometry.leg_px))
    other = kin.LEG_LANDMARKS["right" if leg == "left" else "left"][0]
    with warnings.catch_warnings():  # a point missing on every bottom frame: NaN, and no interval
        warnings.simplefilter("ignore", RuntimeWarning)
        points = np.nanmedian(xy[:, [*kin.LEG_LANDMARKS[leg], other]], axis=0)
    intervals = rep_intervals(
        points,
        leg,
        geometry.leg_px,
        geometry.model,
        fppa_jitter_deg=fppa_jitter_deg,
        stance=stance,
        roll_deg=_at(geometry.roll_deg, frames),
        roll_sd_deg=_at(geometry.roll_sd_deg, frames),
    )
    return displacement, intervals
