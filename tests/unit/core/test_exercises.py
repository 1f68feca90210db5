"""The exercise catalog and the rules from findings to exercises."""

from __future__ import annotations

import pytest

from knee_cv.core.criteria import BY_NAME
from knee_cv.core.exercises import CATALOG_PATH, load_catalog, recommend, safety_note

ARTICLE_EXERCISES = {"calf_step_stretch", "fire_hydrants", "foam_rolling"}
ADDITIONS = {
    "clamshells",
    "side_lying_hip_abduction",
    "lateral_band_walks",
    "single_leg_glute_bridge",
    "side_plank",
    "single_leg_balance",
    "slow_step_downs",
    "knee_to_wall",
}


def test_catalog_has_every_exercise_with_how_dosage_and_source():
    catalog = load_catalog()
    assert set(catalog["exercises"]) == ARTICLE_EXERCISES | ADDITIONS
    for key, exercise in catalog["exercises"].items():
        assert exercise["name"] and len(exercise["how"]) > 40 and exercise["dosage"], key
        expected = "physiotherapy article" if key in ARTICLE_EXERCISES else "common physiotherapy practice"
        assert exercise["source"].startswith(expected), key
    calf = catalog["exercises"]["calf_step_stretch"]
    assert "30 s" in calf["dosage"] and "3 times" in calf["dosage"] and "pelvis level" in calf["how"]
    assert "every day" in catalog["exercises"]["foam_rolling"]["dosage"]


def test_every_criterion_has_a_rule_and_the_loader_checks_it(tmp_path):
    assert set(load_catalog()["rules"]) == set(BY_NAME)
    text = CATALOG_PATH.read_text()
    broken = tmp_path / "exercises.toml"
    broken.write_text(text.replace("[rules.shallow]", "[rules.too_shallow]"))
    with pytest.raises(ValueError, match="no rule for the criteria \\['shallow'\\]"):
        load_catalog(broken)


@pytest.mark.parametrize("finding", sorted(BY_NAME))
def test_each_finding_gives_exercises_with_why(finding):
    recs = recommend([finding], {finding: ["left"]})
    assert recs
    for rec in recs:
        assert rec.why.startswith("Suggested for your left leg because ") and "(left leg)" not in rec.why


def test_the_legs_are_named_once_when_every_finding_was_on_the_same_ones():
    same = recommend(["knee_valgus", "knee_wobble"], {"knee_valgus": ["right"], "knee_wobble": ["right"]})
    both = next(r for r in same if "knee moved inward" in r.why and "wobbled" in r.why)
    assert both.why.startswith("Suggested for your right leg because your knee moved inward") and "(right" not in both.why
    apart = recommend(["knee_valgus", "pelvic_drop"], {"knee_valgus": ["left", "right"], "pelvic_drop": ["right"]})
    hip = next(r for r in apart if r.key == "side_lying_hip_abduction")
    assert hip.why.startswith("Suggested because your knee moved inward")
    assert "(left and right legs)" in hip.why and "(right leg)" in hip.why
    two = recommend(["knee_valgus"], {"knee_valgus": ["left", "right"]})
    assert two[0].why.startswith("Suggested for your left and right legs because ")


def test_an_exercise_for_two_findings_appears_once_with_both_reasons():
    recs = recommend(["knee_valgus", "pelvic_drop", "knee_valgus", "unknown"])
    keys = [r.key for r in recs]
    assert len(keys) == len(set(keys))
    hip = next(r for r in recs if r.key == "side_lying_hip_abduction")
    assert "knee moved inward" in hip.why and "pelvis dropped" in hip.why
    assert recommend([]) == []


def test_valgus_leads_to_hip_work_and_shallow_to_ankle_mobility():
    assert {"clamshells", "lateral_band_walks", "slow_step_downs"} <= {r.key for r in recommend(["knee_valgus"])}
    assert {"calf_step_stretch", "knee_to_wall"} <= {r.key for r in recommend(["shallow"])}


def test_safety_note_sends_red_flags_to_a_clinician():
    note = safety_note().lower()
    for words in ("suddenly", "swollen", "locks", "gives way", "sharp pain", "not a diagnosis", "physiotherapist or doctor"):
        assert words in note
