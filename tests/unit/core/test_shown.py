"""What may be shown of a rep (core/shown.py), and angles from hand-placed points (core/correction.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze, format_text, measured_landmarks
from knee_cv.core.correction import angles_from_points, correctable, level_roll
from knee_cv.core.landmarks import Landmark
from knee_cv.core.rerated import rerated
from knee_cv.core.shown import AUTOMATIC, WITHHELD, Measured, measured_note, rep_number, shown, visible
from knee_cv.report.tables import MEASURE_FIELDS, rep_table


@pytest.fixture(scope="module")
def session():
    track, _ = synthetic_squats(n_reps=3, stance_legs=["left", "right", "left"], valgus_deg=14.0, jitter_px=1.0)
    return track, analyze(track)


def test_reliable_rep_is_shown_as_measured_and_numbered_from_one(session):
    _, analysis = session
    rep = analysis.reps[0]
    assert rep.reliable
    values = shown(rep)
    assert values.number == rep_number(rep) == 1
    assert (values.fppa_deg, values.pelvic_drop_deg, values.trunk_lean_deg) == (
        rep.fppa_bottom_deg,
        rep.pelvic_drop_bottom_deg,
        rep.trunk_lean_deg,
    )
    assert values.source == AUTOMATIC and values.withheld == ""


def test_unreliable_rep_shows_no_angle_but_its_reason(session):
    _, analysis = session
    rep = replace(analysis.reps[1], reliable=False, unreliable_reasons=["the knee was hidden"])
    values = shown(rep)
    for name in ("fppa_deg", "fppa_peak_deg", "pelvic_drop_deg", "trunk_lean_deg", "knee_wobble", "knee_flexion_deg"):
        assert math.isnan(getattr(values, name)), name
    assert math.isnan(values.depth) and values.source == ""
    assert values.withheld == "unreliable: the knee was hidden"
    assert shown(replace(rep, unreliable_reasons=[])).withheld == "unreliable: low confidence"
    text = format_text(replace(analysis, reps=[analysis.reps[0], rep]))
    line = next(row for row in text.splitlines() if row.startswith(" 2 right"))
    assert f"{rep.fppa_bottom_deg:.1f}" not in line and "unreliable: the knee was hidden" in line


def test_the_rep_table_blanks_what_a_person_is_shown_blank(session):
    """One rule for depth and the angles: the CSV's rep table and shown() blank the same measures."""
    _, analysis = session
    rep = replace(analysis.reps[1], reliable=False, unreliable_reasons=["the knee was hidden"])
    row = rep_table(replace(analysis, reps=[analysis.reps[0], rep])).iloc[1]
    values = shown(rep)
    assert math.isnan(row["depth_leg_lengths"]) == math.isnan(values.depth)
    assert sorted(MEASURE_FIELDS.values()) == sorted(WITHHELD)
    assert all(math.isnan(row[column]) == math.isnan(getattr(visible(rep), name)) for column, name in MEASURE_FIELDS.items())
    assert visible(analysis.reps[0]) is analysis.reps[0]


def test_a_measurement_replaces_fppa_and_pelvic_drop_with_its_source(session):
    _, analysis = session
    rep = replace(analysis.reps[1], reliable=False, unreliable_reasons=["jitter"])
    by_hand = Measured(fppa_deg=21.5, pelvic_drop_deg=3.25, by="dr a", frame=208, t_s=6.945)
    values = shown(rep, by_hand)
    assert (values.fppa_deg, values.pelvic_drop_deg) == (21.5, 3.25) and math.isnan(values.fppa_peak_deg)
    assert values.source == "measured by dr a on frame 209 (6.95 s)" and math.isnan(values.trunk_lean_deg)
    left_reps = [r for r in analysis.reps if r.leg == "left"]
    legs = rerated(analysis, {left_reps[1].index: by_hand}).summary.legs
    assert legs[0].leg == "left" and legs[0].fppa_deg == pytest.approx((left_reps[0].fppa_bottom_deg + 21.5) / 2)
    assert measured_note(analysis.reps, {2: by_hand}) == "rep 3: measured by dr a on frame 209 (6.95 s)"


@pytest.mark.parametrize("two_foot_phases", [True, False], ids=["level", "rep start"])
def test_points_placed_where_the_landmarks_are_give_the_analysis_angles(two_foot_phases):
    legs = ["right", "left"] if two_foot_phases else "right"  # on one foot all along: one stance leg
    track, _ = synthetic_squats(
        n_reps=2, stance_legs=legs, valgus_deg=12.0, pelvic_drop_deg=6.0, roll_deg=3.0, two_foot_phases=two_foot_phases
    )
    analysis = analyze(track)
    assert math.isfinite(analysis.summary.camera_roll_deg) == two_foot_phases
    xy = measured_landmarks(track, filters=analysis.thresholds.filters)
    for rep in analysis.reps:
        frames = np.arange(rep.start_frame, rep.end_frame + 1)
        roll = level_roll(analysis, rep, frames, xy[frames])
        assert math.isfinite(roll)
        f = rep.bottom_frame
        points = {lm: tuple(xy[f, lm]) for lm in correctable(rep.leg)}
        fppa, drop = angles_from_points(points, rep.leg, roll)
        assert fppa == pytest.approx(analysis.series.leg(rep.leg).fppa[f], abs=1e-9)
        assert drop == pytest.approx(analysis.series.pelvic_drop[f], abs=1e-9)
        knee = Landmark[f"{rep.leg.upper()}_KNEE"]
        medial = 1.0 if xy[f, correctable(rep.leg)[3], 0] > xy[f, knee, 0] else -1.0
        moved = dict(points) | {knee: (points[knee][0] + 15 * medial, points[knee][1])}
        assert angles_from_points(moved, rep.leg, roll)[0] > fppa + 2  # the knee moved medially: more valgus


def test_correctable_points_are_the_stance_leg_and_the_other_hip():
    assert correctable("right") == (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE, Landmark.LEFT_HIP)
    assert correctable("left")[3] == Landmark.RIGHT_HIP


def test_rep_label_counts_from_one_with_or_without_the_leg():
    from knee_cv.core.labels import Leg
    from knee_cv.core.result import Rep
    from knee_cv.core.shown import rep_label

    rep = Rep(0, Leg.BOTH, 0, 1, 2, 0.0, 0.5, 1.0, *[math.nan] * 8, confidence=0.1, reliable=False)
    assert rep_label(rep) == "Rep 1 (both)"
    assert rep_label(replace(rep, index=9, leg=Leg.RIGHT), with_leg=False) == "Rep 10"


def test_number_writes_each_output_as_before():
    from knee_cv.core.shown import number, signed_angle

    assert number(12.345) == "12.3" and number(0.12345, 3) == "0.123" and number(0.125, 0, scale=100) == "12"
    assert number(-0.04, signed=True, unit=" deg") == "-0.0 deg" and number(3.0, signed=True, unit="°") == "+3.0°"
    assert number(math.nan) == "-" and number(None) == "-" and number(math.inf, missing="NaN") == "NaN"
    assert signed_angle(7.25) == "+7.2°" and signed_angle(math.nan) == "—"
    assert signed_angle(-3.0, " deg", "--") == "-3.0 deg" and signed_angle(math.nan, " deg", "--") == "--"
