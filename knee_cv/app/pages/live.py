"""Page "Live webcam": a guided self-test followed from 2-3 m, then the full analysis.

START (above the picture, large) opens the camera and the guided protocol
(:mod:`knee_cv.core.protocol`) leads: stand where the camera sees you, a
countdown, stand on both feet, N slow squats on the left leg, switch, N on
the right. The picture carries the instructions, a rep counter per leg and
each rep's cue in large type (:mod:`knee_cv.media.live_overlay`); spoken
cues (the browser's speech synthesis) are off unless switched on. The stream
stops by itself at the end (or with STOP), and the frames measured are
analysed like an uploaded video: the same results section shows at once, the
annotated video is drawn in the server's video worker meanwhile.

ICE servers: none by default (a local connection needs none); for a remote
deployment set ``KNEE_CV_ICE_SERVERS`` to a JSON list of RTCIceServer
objects, or ``ice_servers`` in ``.streamlit/secrets.toml``.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from knee_cv.app.live_session import LiveSession
from knee_cv.app.processing import pose_model, start_video
from knee_cv.app.results import show_results
from knee_cv.core.labels import Leg
from knee_cv.core.protocol import Step, asked_reps_only
from knee_cv.core.thresholds import load_thresholds
from knee_cv.errors import KneeCvError
from knee_cv.pipeline import process_recording

#: The picture's largest height on the page, px: at 1400 x 900 the controls and the picture fit without scrolling.
VIDEO_MAX_HEIGHT_PX = 560
#: Large START / STOP buttons (Streamlit gives an element with ``key`` the class ``st-key-<key>``).
BUTTON_CSS = """<style>
.st-key-live_start button, .st-key-live_stop button {min-height: 3.4rem; width: 100%;}
.st-key-live_start button p, .st-key-live_stop button p {font-size: 1.6rem; font-weight: 700;}
</style>"""
#: Speaks the texts in the page's window (a START click there allows it); a short tone where speech is missing.
SPEAK_JS = """<script>
const texts = %s;
const host = window.parent;
if (host.speechSynthesis) {
  for (const text of texts) host.speechSynthesis.speak(new host.SpeechSynthesisUtterance(text));
} else if (host.AudioContext) {
  const audio = new host.AudioContext(), tone = audio.createOscillator();
  tone.connect(audio.destination); tone.frequency.value = 880; tone.start(); tone.stop(audio.currentTime + 0.15);
}
</script>"""


def ice_servers() -> list[Any]:  # JSON RTCIceServer objects, passed on to the browser as they are
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
                '[{"urls": ["stun:stun.example.org:3478"]}]; fix or unset it and restart the app.'
            )
        return servers
    try:
        return list(st.secrets.get("ice_servers", []))
    except FileNotFoundError:
        return []


def start(model_path: Path) -> None:
    """START: a fresh session with the chosen reps per leg (any earlier result is dropped)."""
    if st.session_state.get("live_session") is not None:
        st.session_state.live_session.close()
    st.session_state.live_session = LiveSession(model_path, reps_per_leg=int(st.session_state.live_reps))
    st.session_state.live_result = st.session_state.live_video = st.session_state.live_recording = None
    st.session_state.live_playing = True


def stop() -> None:
    """STOP: the stream ends and what was measured is analysed."""
    st.session_state.live_playing = False


def speak(place: DeltaGenerator, texts: list[str]) -> None:
    """Say ``texts`` aloud in the browser (an invisible component in ``place``)."""
    place.iframe(SPEAK_JS % json.dumps(texts), height=1)


st.title("Live webcam")
try:
    model_path = pose_model().path
    rtc_configuration = {"iceServers": ice_servers()}
except KneeCvError as problem:
    st.error(str(problem), icon=":material/block:")
    st.stop()
st.session_state.setdefault("live_playing", False)
st.session_state.setdefault("live_result", None)
st.session_state.setdefault("live_video", None)
st.session_state.setdefault("live_session", None)  # made by START: its pose model loads while the camera opens

st.markdown(BUTTON_CSS, unsafe_allow_html=True)
playing = st.session_state.live_playing
button, reps_box, sound_box, blur_box = st.columns([1.3, 1, 1, 1.4], vertical_alignment="center")
if playing:
    button.button("STOP", key="live_stop", on_click=stop, icon=":material/stop:")
else:
    button.button("START", key="live_start", type="primary", on_click=start, args=(model_path,), icon=":material/play_arrow:")
reps_box.number_input(
    "Squats per leg",
    min_value=1,
    max_value=10,
    key="live_reps",
    disabled=playing,
    value=int(load_thresholds().protocol.reps_per_leg),
)
sound = sound_box.toggle("Spoken cues", key="live_sound", help="Instructions and each rep's cue read aloud.")
blur = blur_box.toggle("Blur the face in the results", key="live_blur_face")
session: LiveSession | None = st.session_state.live_session

try:
    ctx = webrtc_streamer(
        key="knee-cv-live",
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=rtc_configuration,
        media_stream_constraints={"video": True, "audio": False},
        video_frame_callback=session.on_frame if session is not None else None,
        async_processing=True,
        desired_playing_state=playing,
        video_html_attrs={
            "autoPlay": True,
            "muted": True,
            "style": {"width": "100%", "maxHeight": f"{VIDEO_MAX_HEIGHT_PX}px", "objectFit": "contain", "background": "#000"},
        },
    )
except AttributeError:
    # streamlit-webrtc 0.72.0 stops a stream's shutdown watcher from two threads at once now and then
    # ("'NoneType' object has no attribute 'is_alive'" in shutdown.py, seen in the Chromium test); the
    # stream is stopped by then, and the next run goes on. A second failure in a row is not that.
    if st.session_state.get("live_stop_retried"):
        raise
    st.session_state.live_stop_retried = True
    st.rerun()
st.session_state.live_stop_retried = False
status_box, voice = st.empty(), st.empty()
if not playing and st.session_state.live_result is None:
    st.caption(
        "Stand 2 to 3 m from the camera, whole body in view, facing it, and press **START**: the picture tells you "
        "what to do (stand on both feet, then slow single-leg squats on each leg) and ends by itself. The picture is "
        "not mirrored: your left leg appears on the right, as others see you. The video stays in this server's "
        "memory for the results only; nothing is saved unless you save it."
    )

if ctx.state.playing and session is not None:
    spoken = 0
    while ctx.state.playing and st.session_state.live_playing:
        status = session.snapshot()
        shown = status.shown
        step = (
            f"step: **{shown.step}** · left {shown.counts[Leg.LEFT]}/{shown.target} · "
            f"right {shown.counts[Leg.RIGHT]}/{shown.target}"
            if shown
            else "starting"
            if session.ready.is_set()
            else "loading the pose model"
        )
        status_box.caption(
            f"{step} · measured {status.frames_measured} of {status.frames} camera frames, a person in {status.frames_with_pose}"
        )
        new = [text for number, text in status.announcements if number > spoken]
        if new and sound:
            speak(voice, new)
        spoken = len(status.announcements)
        if shown is not None and shown.step is Step.DONE:
            time.sleep(1.5)  # "Done" stays on the picture a moment
            st.session_state.live_playing = False
            st.rerun()
        time.sleep(0.3)
elif st.session_state.live_result is None and session is not None and session.snapshot().frames_measured:
    session.close()
    st.session_state.live_recording = recording = session.recording()
    with st.spinner("Analysing the session..."):
        result = process_recording(recording, session.track(), blur_face=blur)
        result.analysis = asked_reps_only(result.analysis, session.protocol.windows)  # the squats the counters counted
        st.session_state.live_result = result
    if recording and result.track.has_pose.any():
        st.session_state.live_video = start_video(recording, result, blur_face=blur)

if st.session_state.live_result is not None:
    shown_result = show_results(st.session_state.live_result, key="live", video=st.session_state.live_video)
    if st.session_state.live_video is not None and st.session_state.live_video.done():
        st.session_state.live_result, st.session_state.live_video = shown_result, None
    if st.session_state.get("live_recording"):
        st.download_button(
            "Camera recording (MP4)",
            st.session_state.live_recording,
            "knee_cv_live_recording.mp4",
            "video/mp4",
            help="The camera frames that were measured, without drawings: to keep, or to analyse again as a video.",
            icon=":material/download:",
        )
