"""The Streamlit web app (``knee-cv serve``, or ``streamlit run app.py``).

``main.py`` is the entry script; ``pages/`` holds the page scripts that
``st.navigation`` runs (analyze a video, live webcam, clinician review, how
to film). Shared Streamlit code: ``processing.py`` (the pipeline in a worker
thread with a progress bar, cached by the file's SHA-256), ``results.py``
(the results section), ``recorder.py`` and ``live_session.py`` (the webcam),
``auth.py`` (the review page's login).
"""
