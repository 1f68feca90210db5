"""The evidence kept of one rep for a clinician to check: its clip and the landmarks on each of its frames.

Made from the annotated video by :func:`knee_cv.media.rep_clips.rep_clips`,
stored with a saved session (:func:`knee_cv.store.sessions.save_analysis`,
only with the user's consent) and read back by the review page's frame
stepper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)
class RepClip:
    """A short H.264 clip of one rep, one video frame per analysed frame, with what was measured on each.

    Attributes
    ----------
    mp4 : bytes
        The clip: H.264 (yuv420p) in MP4, at most 1280 x 720 (either way up),
        cut from the annotated video (the measured landmarks drawn, the face
        blurred when that was chosen).
    frames : ndarray of int, shape (N,)
        Row of the analysed track shown by each frame of the clip, in order.
    t : ndarray of float, shape (N,)
        Time of each of those frames in the video, seconds.
    xy : ndarray of float, shape (N, 33, 2)
        The body landmarks the analysis measured on those frames (shoulders,
        hips, knees, ankles: :func:`knee_cv.core.analysis.measured_landmarks`),
        pixels of the upright frame the track was measured in; NaN where not
        measured and for the other landmarks.
    scale : ndarray of float, shape (2,)
        Clip pixels per track pixel, x and y: a point at ``xy`` lies at
        ``xy * scale`` in the clip's frames.
    """

    mp4: bytes
    frames: np.ndarray
    t: np.ndarray
    xy: np.ndarray
    scale: np.ndarray

    def __len__(self) -> int:
        return len(self.frames)
