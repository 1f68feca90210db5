"""The numpy core: a PoseTrack in, an Analysis out.

Imports no MediaPipe, OpenCV, Streamlit or database code (a test checks):
``landmarks`` and ``track`` (the input), ``filters``, ``kinematics``, ``view``,
``reps``, ``criteria``, ``assessment`` and ``exercises`` (the steps),
``thresholds`` (their numbers), ``analysis`` (the steps in order) and
``result`` (the output).
"""
