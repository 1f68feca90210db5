"""A page with only the exercises section, for the AppTest and Chromium tests of knee_cv.app.exercise_view.

The analysis is real (:func:`knee_cv.core.analysis.analyze`) on synthetic
single-leg squats (``tests/synthetic.py``): ``?case=valgus`` (the default)
has the knee moving inward and the pelvis dropping, more exercises than the
plan holds; ``?case=none`` has no finding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthetic import synthetic_squats  # noqa: E402

from knee_cv.app.exercise_view import exercises_section  # noqa: E402
from knee_cv.core.analysis import analyze  # noqa: E402

CASES = {"valgus": {"valgus_deg": 22.0, "pelvic_drop_deg": 9.0}, "none": {"valgus_deg": 2.0, "pelvic_drop_deg": 0.0}}

st.set_page_config(layout="wide")  # as the app's pages (knee_cv/app/main.py)
track, _ = synthetic_squats(n_reps=4, stance_legs="left", **CASES[st.query_params.get("case", "valgus")])
analysis = analyze(track)
analysis.source = "synthetic squat.mp4"
exercises_section(analysis)
