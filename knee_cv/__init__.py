"""knee_cv: single-leg squat analysis from video with MediaPipe pose landmarks."""

__version__ = "0.1.0"
