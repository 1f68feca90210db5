"""The result's labels: str enums that read, compare and serialise as their text."""

from __future__ import annotations

import copy
import json

import pytest

from knee_cv.core.assessment import HIP_NEAR_KNEE_REASON, Reason, ReasonCode, _has_reason
from knee_cv.core.labels import CriterionName, Exercise, Rating
from knee_cv.core.result import _clean


@pytest.mark.parametrize("label", [*Exercise, *Rating, *CriterionName])
def test_label_is_its_text(label):
    assert label == label.value
    assert str(label) == f"{label}" == label.value
    assert {label.value: 1}[label] == 1
    assert json.dumps(_clean({"x": label})) == json.dumps({"x": label.value})


def test_rating_rank_worst_last():
    assert max([Rating.FAIR, Rating.POOR, Rating.GOOD], key=lambda r: r.rank) is Rating.POOR


def test_reason_keeps_its_code_in_memory_only():
    copied = copy.deepcopy(HIP_NEAR_KNEE_REASON)
    assert copied.code is ReasonCode.HIP_NEAR_KNEE
    assert json.loads(json.dumps([copied])) == [str.__str__(HIP_NEAR_KNEE_REASON)]
    assert Reason("some sentence").code is None


def test_decision_reads_the_code_not_the_text():
    class _Rep:
        unreliable_reasons = [Reason(str(HIP_NEAR_KNEE_REASON))]  # same text, no code

    assert not _has_reason(_Rep(), ReasonCode.HIP_NEAR_KNEE)  # type: ignore[arg-type]
    _Rep.unreliable_reasons = ["other", HIP_NEAR_KNEE_REASON]
    assert _has_reason(_Rep(), ReasonCode.HIP_NEAR_KNEE)  # type: ignore[arg-type]


def test_store_rebuilds_optional_labels():
    from dataclasses import asdict

    from knee_cv.core.labels import Leg
    from knee_cv.core.result import LegSummary
    from knee_cv.store.sessions import DECISIONS, Decision, _rebuild

    leg = LegSummary(Leg.LEFT, 5, 5, 1.0, 2.0, 3.0, 0.01, 0.3, Rating.FAIR)
    saved = json.loads(json.dumps(_clean(asdict(leg))))
    assert _rebuild(LegSummary, saved).rating is Rating.FAIR
    assert _rebuild(LegSummary, saved | {"rating": None}).rating is None
    assert DECISIONS == ("confirm", "dismiss") and Decision("dismiss") is Decision.DISMISS
