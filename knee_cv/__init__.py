"""knee_cv: single-leg squat analysis from video with MediaPipe pose landmarks.

The notebook entry point is :func:`knee_cv.analyze`::

    import knee_cv
    result = knee_cv.analyze("squat.mp4")      # or a PoseTrack, or a track file
    print(result.summary.rating, [rep.fppa_bottom_deg for rep in result.reps])
    result.to_json()
"""

__version__ = "0.1.0"

__all__ = ["analyze", "__version__"]


def analyze(source, **options):
    """Analyse a video, a pose-track file or a PoseTrack; see :func:`knee_cv.pipeline.analyze_source`."""
    from knee_cv.pipeline import analyze_source

    return analyze_source(source, **options)
