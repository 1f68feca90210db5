"""An analysis decided again with clinicians' measurements: flags and ratings follow the measured values.

A clinician who measures a rep by hand (:class:`~knee_cv.core.shown.Measured`)
replaces its automatic FPPA and pelvic drop (:func:`knee_cv.core.shown.shown`).
:func:`rerated` puts those values into the rep and runs the analysis' own
decisions on it: the rep's flags (:func:`knee_cv.core.assessment.rep_flags`)
and the legs' means, ratings and left-right sentence
(:func:`knee_cv.core.assessment.rerate`), with the thresholds the analysis
used. So the review page, the history, left versus right, the PDF and the
history CSV rate what they show.

A measured rep counts as a measured one (``reliable``) whether or not the
analysis found it reliable: its FPPA and pelvic drop are the clinician's,
and its other measures are blank where the analysis withheld them
(:func:`knee_cv.core.shown.visible`). Its peak FPPA is blank (not measured
by hand). The automatic values stay in the original
:class:`~knee_cv.core.result.Analysis`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace

from knee_cv.core.assessment import rep_flags, rerate
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.shown import AUTOMATIC_ONLY, Measured, blanked, visible
from knee_cv.core.threshold_tables import Thresholds


def measured_rep(rep: Rep, measured: Measured, thresholds: Thresholds) -> Rep:
    """``rep`` with a clinician's FPPA and pelvic drop, counted as measured, flagged again.

    Parameters
    ----------
    rep : Rep
    measured : Measured
    thresholds : Thresholds
        Those the analysis used (:attr:`Analysis.thresholds`).

    Returns
    -------
    Rep
        ``fppa_bottom_deg`` and ``pelvic_drop_bottom_deg`` from ``measured``
        (degrees, positive = valgus, positive = free side lower; a NaN pelvic
        drop raises no flag), ``fppa_peak_deg`` NaN, ``reliable`` True with no
        reasons, and ``flags`` from :func:`knee_cv.core.assessment.rep_flags`.
        The automatic intervals and knee displacement
        (:data:`knee_cv.core.shown.AUTOMATIC_ONLY`) are NaN: they describe the
        pose model's points, not the clinician's, so the value alone decides
        the flags.
    """
    out = replace(
        blanked(visible(rep), AUTOMATIC_ONLY),
        fppa_bottom_deg=measured.fppa_deg,
        pelvic_drop_bottom_deg=measured.pelvic_drop_deg,
        fppa_peak_deg=math.nan,
        reliable=True,
        unreliable_reasons=[],
        undecided=[],
    )
    out.flags = rep_flags(out, thresholds)
    return out


def rerated(analysis: Analysis, measured: Mapping[int, Measured]) -> Analysis:
    """``analysis`` with each measured rep's values from ``measured``, its flags and summary decided again.

    Parameters
    ----------
    analysis : Analysis
    measured : mapping of int to Measured
        The clinicians' measurements in force, by ``Rep.index``.

    Returns
    -------
    Analysis
        ``analysis`` itself when nothing was measured; otherwise a copy whose
        measured reps are :func:`measured_rep` and whose summary is
        :func:`knee_cv.core.assessment.rerate` of them (the other reps, the
        series and the recommendations unchanged).

    Examples
    --------
    >>> import knee_cv
    >>> analysis = knee_cv.analyze("samples/squat_oblique_front_01.csv")
    >>> rerated(analysis, {}) is analysis
    True
    """
    if not measured:
        return analysis
    reps = rerated_reps(analysis.reps, measured, analysis.thresholds)
    return replace(analysis, reps=reps, summary=rerate(analysis.summary, reps, analysis.thresholds))


def rerated_reps(reps: Iterable[Rep], measured: Mapping[int, Measured], thresholds: Thresholds) -> list[Rep]:
    """Each rep of ``reps``, the measured ones (by ``Rep.index``) as :func:`measured_rep`, the others as they are."""
    return [measured_rep(rep, measured[rep.index], thresholds) if rep.index in measured else rep for rep in reps]
