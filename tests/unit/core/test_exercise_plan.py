"""The catalog's plain-words guide of every exercise and the six-week home plan built from findings."""

from __future__ import annotations

import pytest
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.criteria import BY_NAME
from knee_cv.core.exercises import CATALOG_PATH, findings_of, load_catalog, recommend
from knee_cv.core.plan import ADDED_WHY, build_plan, catalog_item, plan_for, plan_from_items, plan_items
from knee_cv.core.result import Recommendation

ALL_FINDINGS = list(BY_NAME)


def test_every_exercise_has_three_short_steps_feel_avoid_stop_and_a_dose_per_block():
    catalog = load_catalog()
    blocks = catalog["plan"]["blocks"]
    for key, exercise in catalog["exercises"].items():
        assert len(exercise["steps"]) == 3 and all(20 < len(step) < 130 for step in exercise["steps"]), key
        assert exercise["stop"].startswith("Stop "), key
        assert all(exercise[name].isascii() for name in ("feel", "avoid", "stop")), key
        assert len(exercise["plan"]["doses"]) == len(blocks), key


def test_the_loader_refuses_an_exercise_without_its_guide(tmp_path):
    text = CATALOG_PATH.read_text()
    broken = tmp_path / "exercises.toml"
    broken.write_text(text.replace('stop = "Stop if it pinches at the front of the hip.', 'unused = "'))
    with pytest.raises(ValueError, match="exercise 'fire_hydrants' .* needs 'stop'"):
        load_catalog(broken)


def test_doses_match_the_catalog_dosage_they_spell_out():
    plan = build_plan(recommend(ALL_FINDINGS))
    by_key = {e.key: e for e in build_plan(recommend(["shallow", "knee_valgus"])).exercises}
    by_key |= {e.key: e for e in plan.exercises}
    assert [d.text() for d in by_key["calf_step_stretch"].doses] == ["3 holds of 30 s each leg"] * 3
    assert by_key["calf_step_stretch"].days_per_week == 7
    assert by_key["clamshells"].doses[-1].text() == "3 sets of 15 each side, light band around the knees"
    assert by_key["clamshells"].days_per_week == 3
    assert plan.weeks == 6 and plan.blocks == ("Weeks 1-2", "Weeks 3-4", "Weeks 5-6")


def test_all_findings_give_six_exercises_and_every_finding_keeps_one():
    recs = recommend(ALL_FINDINGS)
    assert len(recs) == 11
    plan = build_plan(recs, ALL_FINDINGS)
    keys = [e.key for e in plan.exercises]
    assert len(keys) == 6 and len(plan.also) == 5
    rules = load_catalog()["rules"]
    for finding in ALL_FINDINGS:
        assert set(rules[finding]["exercises"]) & set(keys), finding
    assert keys == [r.key for r in recs if r.key in keys]  # the recommendations' order
    hip = next(e for e in plan.exercises if e.key == "side_lying_hip_abduction")
    assert hip.findings == ("knee moving inward", "pelvis dropping")


def test_valgus_trunk_and_shallow_keep_two_each_instead_of_the_first_six():
    findings = ["knee_valgus", "trunk_lean", "shallow"]
    plan = build_plan(recommend(findings), findings)
    assert {e.key for e in plan.exercises} == {
        "clamshells",
        "side_lying_hip_abduction",
        "side_plank",
        "single_leg_balance",
        "calf_step_stretch",
        "knee_to_wall",
    }


def test_a_few_recommendations_all_go_in_and_none_gives_an_empty_plan_with_the_safety_note():
    plan = build_plan(recommend(["shallow"]), ["shallow"])
    assert [e.key for e in plan.exercises] == ["calf_step_stretch", "knee_to_wall", "foam_rolling"]
    assert plan.also == ()
    empty = build_plan([])
    assert empty.exercises == () and "not a diagnosis" in empty.safety_note and "3 out of 10" in empty.pain


def test_an_exercise_no_longer_in_the_catalog_is_listed_as_also_suggested():
    old = Recommendation("clamshell", "Clamshells", "Open the top knee.", "2 x 15", "Suggested because ...")
    plan = build_plan([old, *recommend(["shallow"])])
    assert plan.also == (old,) and len(plan.exercises) == 3


def test_plan_for_an_analysis_follows_its_flags():
    track, _ = synthetic_squats(n_reps=4, stance_legs="left", valgus_deg=22.0, pelvic_drop_deg=2.0)
    analysis = analyze(track)
    findings = findings_of(analysis.reps)
    assert "knee_valgus" in findings and findings["knee_valgus"] == ["left"]
    plan = plan_for(analysis)
    assert [e.key for e in plan.exercises][:2] == ["clamshells", "side_lying_hip_abduction"]
    clamshells = next(e for e in plan.exercises if e.key == "clamshells")
    assert clamshells.why.startswith("Suggested for your left leg ") and clamshells.findings[0] == "knee moving inward"


def test_a_plan_as_items_and_back_is_the_same_plan_without_the_extras():
    plan = build_plan(recommend(list(BY_NAME), {f: ["left"] for f in BY_NAME}), list(BY_NAME))
    again = plan_from_items(plan_items(plan))
    assert again.exercises == plan.exercises and again.also == () and plan.also
    assert plan_items(again) == plan_items(plan)
    added = catalog_item("knee_to_wall")
    assert (added["why"], added["findings"], added["note"], len(added["doses"])) == (ADDED_WHY, [], "", 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"days_per_week": 0}, "days per week must be a whole number from 1 to 7"),
        ({"days_per_week": 2.5}, "days per week"),
        ({"doses": []}, "one dose for each of 3 blocks"),
    ],
)
def test_items_out_of_range_are_refused_naming_the_exercise(change, message):
    with pytest.raises(ValueError, match=f"Clamshells.*{message}|{message}"):
        plan_from_items([catalog_item("clamshells") | change])


def test_a_dose_needs_reps_or_a_hold_and_sets_in_range():
    item = catalog_item("clamshells")
    for dose, message in (
        ({"sets": 2, "reps": 15, "hold_s": 30}, "either repetitions or a hold"),
        ({"sets": 11, "reps": 15}, "sets must be a whole number from 1 to 10"),
        ({"sets": 2, "hold_s": 400}, "hold s must be"),
    ):
        with pytest.raises(ValueError, match=message):
            plan_from_items([item | {"doses": [dose, *item["doses"][1:]]}])
    assert plan_from_items([{**item, "key": "gone_from_the_catalog"}]).exercises == ()
