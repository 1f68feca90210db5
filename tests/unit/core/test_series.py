"""The typed per-frame series and the Leg / View labels keep the plain form results are saved in."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.labels import SIDES, Leg, View, is_frontal
from knee_cv.core.series import FrameSeries


def test_flat_form_round_trips_and_fills_what_an_old_result_lacks():
    track, _ = synthetic_squats(n_reps=2, stance_legs=["left", "right"])
    series = analyze(track).series
    flat = series.to_dict()
    again = FrameSeries.from_dict(flat)
    for name, values in again.to_dict().items():
        assert np.array_equal(values, flat[name], equal_nan=values.dtype.kind == "f"), name
    old = FrameSeries.from_dict({"t": flat["t"], "fppa_left": flat["fppa_left"], "view": flat["view"]})
    assert np.array_equal(old.left.fppa, series.left.fppa, equal_nan=True)
    assert np.isnan(old.right.fppa).all() and np.isnan(old.pelvic_drop).all() and len(old) == len(series)
    assert (old.stance_leg == "").all()
    assert len(FrameSeries.from_dict({})) == 0 and FrameSeries.from_dict({}).view.dtype.kind == "U"  # saved without series
    with pytest.raises(ValueError, match="leg must be"):
        series.leg(Leg.BOTH)


def test_labels_are_their_plain_text():
    assert Leg.LEFT == "left" and {"left": 1}[Leg.LEFT] == 1 and f"{Leg.BOTH}" == "both"
    assert json.dumps({"leg": Leg.RIGHT, "view": View.OBLIQUE}) == '{"leg": "right", "view": "oblique"}'
    assert Leg.BOTH.sides == SIDES and Leg.LEFT.sides == (Leg.LEFT,)
    assert [v.shows_frontal_plane for v in View] == [True, True, False, False]
    assert is_frontal(np.array(["frontal", "side", "oblique", "none"])).tolist() == [True, False, True, False]
