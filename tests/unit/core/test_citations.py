"""What a person reads cites published sources, never the project's own notes ("CLINICAL.md")."""

from __future__ import annotations

import pytest

from knee_cv.core.criteria import CRITERIA
from knee_cv.core.exercises import load_catalog
from knee_cv.core.thresholds import load_thresholds


@pytest.mark.parametrize("sex", [None, "female", "male"])
def test_threshold_sources_and_flag_texts_cite_publications(sex):
    thresholds = load_thresholds(sex=sex)
    sources = {name: table["source"] for name, table in thresholds.as_dict().items()}
    assert sources and not [name for name, source in sources.items() if "CLINICAL" in source]
    for criterion in CRITERIA:
        text = criterion.reason(thresholds.limit(criterion.name).value, thresholds.limit(criterion.name))
        assert "CLINICAL" not in text, criterion.name
    assert "Uhlar 2021" in thresholds.knee_wobble.source


def test_exercise_sources_say_where_each_comes_from():
    catalog = load_catalog()
    sources = [exercise["source"] for exercise in catalog["exercises"].values()]
    assert sources and not [source for source in sources if "CLINICAL" in source]
