"""The Streamlit pages of knee_cv (run with ``streamlit run app.py``).

Page scripts (run by ``st.navigation``): ``analyze.py``, ``live.py``,
``review.py``, ``how_to_film.py``. Shared code: ``processing.py`` (bytes to
results, cached) and ``results.py`` (the results section).
"""
