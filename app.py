"""knee_cv's web app: ``streamlit run app.py``.

A multipage app (``st.navigation``); the pages live in ``knee_cv/app_pages``.
Everything runs on this machine: videos are processed in memory and nothing
is stored unless a clinician saves a session.
"""

import streamlit as st

st.set_page_config(page_title="knee_cv: single-leg squat check", page_icon="🦵", layout="wide")

PAGES = "knee_cv/app_pages"
navigation = st.navigation([
    st.Page(f"{PAGES}/analyze.py", title="Analyze a video", icon=":material/upload_file:", default=True),
    st.Page(f"{PAGES}/live.py", title="Live webcam", icon=":material/videocam:"),
    st.Page(f"{PAGES}/review.py", title="Clinician review", icon=":material/clinical_notes:"),
    st.Page(f"{PAGES}/how_to_film.py", title="How to film", icon=":material/help:"),
])
navigation.run()
