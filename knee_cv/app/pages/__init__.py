"""The page scripts that ``st.navigation`` runs (see :mod:`knee_cv.app.main`)."""
