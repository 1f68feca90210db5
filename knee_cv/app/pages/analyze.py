"""Page "Analyze a video": upload a phone video of single-leg squats, see every rep."""

import streamlit as st

from knee_cv.app.processing import VIDEO_TYPES
from knee_cv.app.results import analyze_bytes

st.title("Analyze a single-leg squat video")
st.write(
    "Upload a video of 5 slow single-leg squats on each leg, filmed from the front with the whole body "
    "in view (see **How to film**). It is processed on this computer and not stored."
)
upload = st.file_uploader("Video", type=list(VIDEO_TYPES), help="MP4, MOV, M4V, WebM or AVI from a phone or camera.")
blur = st.toggle("Blur the face in the annotated video and pictures", key="blur_face")
mirrored = st.toggle(
    "Filmed with the selfie camera (mirrored picture)", key="mirrored",
    help="A phone's front (selfie) camera often saves a mirror image, where the left leg shows as the right. "
         "Turn this on for such a video, so the stance leg and each knee's angle are put on the right side. "
         "The picture cannot show whether it was mirrored; see **How to film**.")
if upload is None:
    st.info("Choose a video to start. The results of a 15-second clip show in about as long or less; "
            "the annotated video follows.", icon="🎬")
else:
    analyze_bytes(upload.getvalue(), upload.name, blur_face=blur, mirrored=mirrored)
