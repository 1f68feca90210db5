"""knee_cv's web app: ``streamlit run app.py`` (or ``knee-cv serve``).

A multipage app (``st.navigation``); the entry script and the pages live in
``knee_cv/app``. Everything runs on this machine: videos are processed
in memory and nothing is stored unless a clinician saves a session.
"""

from knee_cv.app.main import run

run()
