"""A page with only the rep check (knee_cv.app.rep_check) of one saved rep, for AppTest.

The store is ``KNEE_CV_DB_URL``; ``?session=ID&rep=INDEX`` names the rep
(``Rep.index``), and the reviewer is "Dr Test".
"""

from __future__ import annotations

import streamlit as st

from knee_cv.app.rep_check import rep_check
from knee_cv.store import sessions as store

db_url = store.default_db_url()
session_id, index = int(st.query_params["session"]), int(st.query_params["rep"])
analysis = store.load_analysis(session_id, db_url=db_url)
rep_check(session_id, analysis, next(r for r in analysis.reps if r.index == index), "Dr Test", db_url, "test")
