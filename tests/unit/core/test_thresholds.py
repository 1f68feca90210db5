"""Thresholds are checked where they come in: a misfit is one sentence naming the key (knee_cv.core.thresholds)."""

from __future__ import annotations

import copy
import math

import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.thresholds import THRESHOLDS_PATH, load_thresholds, validate_thresholds
from knee_cv.errors import KneeCvError, ThresholdsError


def test_the_packaged_thresholds_fit_their_own_layout_for_each_sex():
    for sex in (None, "female", "male"):
        validate_thresholds(load_thresholds(sex=sex))


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


def test_analyze_refuses_thresholds_that_lack_a_key_before_any_work():
    track, _ = synthetic_squats(n_reps=1)
    thresholds = copy.deepcopy(load_thresholds())
    del thresholds["stance"]["planted_tolerance"]
    with pytest.raises(ThresholdsError, match=r"thresholds: \[stance\] has no 'planted_tolerance'"):
        analyze(track, thresholds=thresholds)
    assert analyze(track, thresholds=load_thresholds(overrides={"stance": {"planted_tolerance": 0.05}})).reps
