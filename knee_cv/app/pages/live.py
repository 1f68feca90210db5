"""Page "Live webcam": squat in front of the camera, see the skeleton, FPPA and a rep count live.

When the stream stops, the frames seen are analysed like an uploaded video
and the same results section is shown at once; the annotated video is drawn
in the server's video worker meanwhile and appears when it is done. ICE servers: none by default (a
local connection needs none); for a remote deployment set
``KNEE_CV_ICE_SERVERS`` to a JSON list of RTCIceServer objects, or
``ice_servers`` in ``.streamlit/secrets.toml``.
"""

import json
import os
import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from knee_cv.app.live_session import LiveSession
from knee_cv.app.processing import pose_model, start_video
from knee_cv.app.results import show_results
from knee_cv.errors import KneeCvError
from knee_cv.pipeline import process_recording


def ice_servers() -> list:
    """ICE servers from ``KNEE_CV_ICE_SERVERS`` (JSON) or ``st.secrets["ice_servers"]``; none by default.

    Raises
    ------
    KneeCvError
        If ``KNEE_CV_ICE_SERVERS`` is not a JSON list.
    """
    text = os.environ.get("KNEE_CV_ICE_SERVERS", "").strip()
    if text:
        try:
            servers = json.loads(text)
        except json.JSONDecodeError as error:
            servers = error
        if not isinstance(servers, list):
            raise KneeCvError(
                "KNEE_CV_ICE_SERVERS must be a JSON list such as "
                '[{"urls": ["stun:stun.example.org:3478"]}]; fix or unset it and restart the app.')
        return servers
    try:
        return list(st.secrets.get("ice_servers", []))
    except FileNotFoundError:
        return []


st.title("Live webcam")
st.write(
    "Stand 2 to 3 m from the camera, whole body in view, and press **START**. Do slow single-leg squats: "
    "the skeleton, your stance leg and its knee angle (FPPA, positive = knee inward) are drawn live, and "
    "the reps are counted. Press **STOP** for the full analysis. The picture is not mirrored, so your "
    "left leg appears on the right, as others see you. The video stays in this server's memory for the "
    "results only and is gone when you leave the page or start again; nothing is saved unless you save it."
)

blur = st.toggle("Blur the face in the annotated video and pictures", key="live_blur_face")
try:
    model_path = pose_model().path
    rtc_configuration = {"iceServers": ice_servers()}
except KneeCvError as problem:
    st.error(str(problem), icon=":material/block:")
    st.stop()
if "live_session" not in st.session_state:
    st.session_state.live_session = LiveSession(model_path)
    st.session_state.live_result = st.session_state.live_video = None
session: LiveSession = st.session_state.live_session

ctx = webrtc_streamer(
    key="knee-cv-live",
    mode=WebRtcMode.SENDRECV,
    rtc_configuration=rtc_configuration,
    media_stream_constraints={"video": True, "audio": False},
    video_frame_callback=session.on_frame,
    async_processing=True,
)

status_box = st.empty()
if ctx.state.playing:
    if st.session_state.live_result is not None:
        session.close()
        st.session_state.live_session = session = LiveSession(model_path)
        st.session_state.live_result = st.session_state.live_video = None
        st.rerun()
    while ctx.state.playing:
        status = session.snapshot()
        leg = status.stance_leg or "unknown"
        fppa = (f"FPPA {status.fppa_deg:+.1f}°" if status.fppa_deg == status.fppa_deg
                else "FPPA needs a front view" if status.view == "side" else "FPPA —")
        status_box.markdown(
            f"**Skeleton found** in {status.frames_with_pose} of {status.frames} frames · "
            f"**Reps: {status.reps}** · stance leg: **{leg}** · {status.view} view · {fppa}"
            if status.frames_with_pose else f"Waiting for a person... ({status.frames} frames)"
        )
        time.sleep(0.3)
elif st.session_state.live_result is None and session.snapshot().frames:
    session.close()
    recording = session.recording()
    with st.spinner("Analysing the session..."):
        st.session_state.live_result = result = process_recording(recording, session.track(), blur_face=blur)
    if recording and result.track.has_pose.any():
        st.session_state.live_video = start_video(recording, result, blur_face=blur)

if st.session_state.live_result is not None:
    shown = show_results(st.session_state.live_result, key="live", video=st.session_state.live_video)
    if st.session_state.live_video is not None and st.session_state.live_video.done():
        st.session_state.live_result, st.session_state.live_video = shown, None
