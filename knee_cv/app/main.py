"""The web app's entry script: page setup and navigation.

``knee-cv serve`` runs this file with ``streamlit run`` (it is part of the
installed package); the ``app.py`` beside the project calls :func:`run` for
``streamlit run app.py``. Page paths are absolute, so either way works from
any folder.
"""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent / "pages"


def run() -> None:
    """Set up the page and run the page the user picked."""
    st.set_page_config(page_title="knee_cv: single-leg squat check", page_icon="🦵", layout="wide")
    navigation = st.navigation(
        [
            st.Page(PAGES / "analyze.py", title="Analyze a video", icon=":material/upload_file:", default=True),
            st.Page(PAGES / "live.py", title="Live webcam", icon=":material/videocam:"),
            st.Page(PAGES / "review.py", title="Clinician review", icon=":material/clinical_notes:"),
            st.Page(PAGES / "how_to_film.py", title="How to film", icon=":material/help:"),
        ]
    )
    navigation.run()


if __name__ == "__main__":
    run()
