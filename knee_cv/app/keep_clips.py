"""Keeping a short clip of each rep with a saved session: the consent asked in the save form, and the clips.

The clips let a clinician step through each rep and measure it by hand
later (:mod:`knee_cv.app.rep_check`). They are kept only when the person
saving ticks the box; they are cut from the annotated video
(:func:`knee_cv.media.rep_clips.rep_clips`: at most 720p, the face blurred
when that was chosen), stored in the database within its size limits
(:mod:`knee_cv.store.evidence`) and deleted with the session.
"""

from __future__ import annotations

import streamlit as st

from knee_cv.core.evidence import RepClip
from knee_cv.errors import KneeCvError
from knee_cv.media.rep_clips import rep_clips
from knee_cv.pipeline import Processed
from knee_cv.store.evidence import MAX_CLIP_BYTES, MAX_SESSION_CLIP_BYTES

CONSENT = "Keep a short clip of each rep with the session"
CONSENT_NOTE = (
    "Only with the person's consent: a few seconds of video of each rep (at most 720p, cut from the annotated "
    "video, so the face is blurred when that was chosen), kept in the clinic's database with the session so a "
    "clinician can step through each rep and measure it by hand; deleted with the session."
)


def keep_clips_choice(key: str) -> bool:
    """The consent checkbox of the save form (off until ticked), with what is kept and why."""
    keep = st.checkbox(CONSENT, key=f"{key}_keep_clips")
    st.caption(CONSENT_NOTE)
    return keep


def clips_of(processed: Processed) -> dict[int, RepClip]:
    """The rep clips of a processed video, by ``Rep.index``.

    Raises
    ------
    KneeCvError
        The annotated video is not drawn yet (the clips are cut from it), or
        it cannot be read.
    """
    if processed.video is None:
        raise KneeCvError(
            f"The rep clips are cut from the annotated video, which is not ready yet: save when it shows, or untick “{CONSENT}”."
        )
    return rep_clips(
        processed.video,
        processed.track,
        processed.analysis,
        max_clip_bytes=MAX_CLIP_BYTES,
        max_total_bytes=MAX_SESSION_CLIP_BYTES,
    )
