"""Page "Analyze a video": upload a phone video of single-leg squats, say a little about it, get a plain answer.

The options that change the analysis (sex: which knee cut-off; the selfie
camera: the frames flipped back) come before the file; the date filmed
defaults to the file's own creation time when it has one. All of them go
with the result (:class:`~knee_cv.core.context.SessionContext`).
"""

from datetime import date

import streamlit as st

from knee_cv.app.processing import VIDEO_TYPES
from knee_cv.app.results import analyze_bytes
from knee_cv.core.context import SessionContext
from knee_cv.media.video import creation_time

#: The sex choices, as shown, to the value the analysis takes (None: the sex-neutral cut-off).
SEXES = {"Woman": "female", "Man": "male", "Prefer not to say": None}
#: The painful side choices, as shown, to the value kept.
PAINFUL_SIDES = {"Prefer not to say": None, "Left knee": "left", "Right knee": "right", "Both knees": "both", "No pain": "none"}

st.title("Analyze a single-leg squat video")
st.write(
    "Upload a video of 5 slow single-leg squats on each leg, filmed from the front with the whole body "
    "in view (see **How to film**). It is processed on this computer and not stored."
)
with st.container(border=True):
    st.markdown("**About you and the video**")
    sex_col, side_col = st.columns(2)
    sex = sex_col.radio(
        "Sex",
        list(SEXES),
        index=2,
        key="sex",
        horizontal=True,
        help="Women's and men's knees are compared with different reference values. If you prefer not to say, "
        "the women's value is used, and the result says so.",
    )
    side = side_col.selectbox(
        "Which knee hurts?", list(PAINFUL_SIDES), key="painful_side", help="Your result starts with that leg."
    )
    mirrored = st.toggle(
        "Filmed with the selfie camera (mirrored picture)",
        key="mirrored",
        help="A phone's front (selfie) camera often saves a mirror image, where the left leg shows as the right. "
        "Turn this on for such a video, so the stance leg and each knee's angle are put on the right side. "
        "The picture cannot show whether it was mirrored; see **How to film**.",
    )
    blur = st.toggle("Blur the face in the annotated video and pictures", key="blur_face")
upload = st.file_uploader("Video", type=list(VIDEO_TYPES), help="MP4, MOV, M4V, WebM or AVI from a phone or camera.")
if upload is None:
    st.info(
        "Choose a video to start. The results of a 15-second clip show in about as long or less; the annotated video follows.",
        icon="🎬",
    )
else:
    data = upload.getvalue()
    made = creation_time(data)
    today = date.today()
    if made is not None and made.date() > today:  # a camera clock ahead, or a time zone east of the server's
        made = None
    filmed_on: date | None = st.date_input(
        "Date filmed",
        value=made.date() if made else None,
        max_value=today,
        key=f"filmed_{upload.file_id}",
        help="Taken from the video file when it says; otherwise type it in, so your sessions line up over time.",
    )
    context = SessionContext(sex=SEXES[sex], painful_side=PAINFUL_SIDES[side], filmed_on=filmed_on, mirrored=mirrored)
    filmed_at = made if made is not None and filmed_on == made.date() else None
    analyze_bytes(data, upload.name, blur_face=blur, context=context, filmed_at=filmed_at)
