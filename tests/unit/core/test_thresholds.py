"""Thresholds are checked where they come in: a misfit is one sentence naming the key (knee_cv.core.thresholds)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.threshold_tables import Thresholds
from knee_cv.core.thresholds import THRESHOLDS_PATH, load_thresholds, read_toml, saved_thresholds, validate_thresholds
from knee_cv.errors import KneeCvError, ThresholdsError


def test_the_packaged_thresholds_fit_their_own_layout_for_each_sex():
    for sex in (None, "female", "male"):
        validate_thresholds(load_thresholds(sex=sex).as_dict())


def test_the_typed_tables_read_back_as_the_file_lays_them_out_and_cannot_be_changed():
    thresholds = load_thresholds()
    assert thresholds.as_dict() == read_toml(THRESHOLDS_PATH)
    assert Thresholds.from_dict(thresholds.as_dict()) == thresholds
    assert thresholds.limit("knee_valgus") is thresholds.knee_valgus and thresholds.knee_valgus.value == 13.5
    with pytest.raises(KeyError):
        thresholds.limit("reps")  # a table, not a cut-off
    with pytest.raises(dataclasses.FrozenInstanceError):
        thresholds.knee_valgus.value = 5.0  # type: ignore[misc]
    male = load_thresholds(sex="male")
    assert (male.knee_valgus.value, male.knee_valgus.source) == (11.0, male.knee_valgus.source_male)


def test_thresholds_kept_by_an_earlier_version_read_back_with_the_packaged_values_where_they_lack_one():
    """A session saved before [placement_error] and the live readouts' filter existed, with a key since dropped."""
    kept = load_thresholds(overrides={"knee_valgus": 9.0}).as_dict()
    del kept["placement_error"], kept["filters"]["live_readout_beta"]
    kept["reps"]["old_key"] = 1.0
    kept["session"]["min_frames"] = "fifteen"  # damaged: the packaged value stands in
    read = saved_thresholds(kept)
    packaged = load_thresholds()
    assert read.knee_valgus.value == 9.0 and read.knee_valgus.source == "set by the user"
    assert read.placement_error == packaged.placement_error
    assert read.filters.live_readout_beta == packaged.filters.live_readout_beta
    assert read.session.min_frames == packaged.session.min_frames
    assert saved_thresholds(None) == packaged


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"reps": {"min_dept": 0.1}}, r"the overrides: unknown key 'min_dept' in \[reps\]; known: .*min_depth"),
        ({"knee_valgus": "high"}, r"the overrides: \[knee_valgus\] value must be a number, not 'high'"),
        ({"knee_valgus": math.nan}, r"\[knee_valgus\] value must be a finite number, not nan"),
        ({"reps": 3}, r"the table \[reps\] has no single value: override one of its keys"),
        ({"filters": {"hampel_window": [7]}}, r"\[filters\] hampel_window must be a number, not \[7\]"),
        ({"valgus": 10}, r"unknown threshold 'valgus'"),
    ],
)
def test_a_bad_override_is_one_sentence_naming_the_key(overrides, says):
    with pytest.raises(ThresholdsError, match=says) as caught:
        load_thresholds(overrides=overrides)
    assert isinstance(caught.value, KneeCvError) and isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_a_thresholds_file_missing_a_table_or_with_a_typo_is_named(tmp_path):
    text = THRESHOLDS_PATH.read_text()
    no_view = tmp_path / "no_view.toml"
    no_view.write_text(text.replace("[view]", "[veiw]", 1))
    with pytest.raises(ThresholdsError, match=r"no_view.toml: unknown table \[veiw\]"):
        load_thresholds(no_view)
    same = tmp_path / "same.toml"
    same.write_text(text)
    assert load_thresholds(same) == load_thresholds()


def test_analyze_refuses_thresholds_that_do_not_hold_before_any_work():
    track, _ = synthetic_squats(n_reps=1)
    packaged = load_thresholds()
    thresholds = dataclasses.replace(packaged, stance=dataclasses.replace(packaged.stance, planted_tolerance=math.inf))
    with pytest.raises(ThresholdsError, match=r"thresholds: \[stance\] planted_tolerance must be a finite number, not inf"):
        analyze(track, thresholds=thresholds)
    assert analyze(track, thresholds=load_thresholds(overrides={"stance": {"planted_tolerance": 0.05}})).reps
