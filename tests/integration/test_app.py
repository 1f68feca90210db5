"""AppTest (streamlit.testing.v1) of the pages' logic, with real videos through the real pose model.

The upload goes through the real ``st.file_uploader`` of the "Analyze a
video" page (AppTest can set its value), so the page is tested as a person
uses it, minus the browser (see test_browser.py for that).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import time
from datetime import date
from pathlib import Path

import av
import numpy as np
import pytest
from clip_tags import with_creation_time
from streamlit.testing.v1 import AppTest

from knee_cv import pipeline
from knee_cv.app import processing
from knee_cv.app.live_session import ANALYSIS_INTERVAL_S, LiveSession
from knee_cv.core.context import SessionContext

APP = str(Path(__file__).resolve().parents[2] / "app.py")
#: Seconds a run may take: pose tracking of a 17 s clip on a busy 2-core machine.
TIMEOUT = 240


def upload(video: Path, name: str | None = None, content: bytes | None = None) -> AppTest:
    """Open the app, upload a file on the default page, run until the results are drawn."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.file_uploader[0].upload(name or video.name, content if content is not None else video.read_bytes(), "video/mp4")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def unescaped(markdown: str) -> str:
    """Markdown source as a reader sees it: backslash escapes (:func:`knee_cv.app.markdown.escaped`) removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest) -> str:
    """All markdown, captions, errors, warnings and infos of the page as one string."""
    parts = [
        e.value for kind in ("markdown", "caption", "error", "warning", "info", "subheader", "header") for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def pictures(at: AppTest) -> list:
    """Every picture on the page (an st.image of a list holds several), each with its caption and alt text."""
    return [img for element in at.get("image") for img in element.proto.imgs]


def squat_pictures(at: AppTest) -> list:
    """The pictures of each squat's deepest moment (captioned "Squat N, ... leg: ...")."""
    return [img for img in pictures(at) if img.caption.startswith("Squat ")]


def test_app_opens_on_the_upload_page_and_navigates():
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Analyze a single-leg squat video"
    assert {".mp4", ".mov", ".m4v", ".webm", ".avi"} <= set(at.file_uploader[0].allowed_type)
    at.switch_page("knee_cv/app/pages/how_to_film.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "How to film"
    assert "hip height" in texts(at) and "2 to 3 m" in texts(at)


def test_upload_of_a_real_squat_clip_shows_every_section(shared_videos):
    clip = shared_videos / "squat_oblique_front_01.mp4"
    at = upload(clip)
    page = texts(at)
    assert "Your result" in page and "could not be measured in this video" in page
    # The 3/4 view is not frontal: the page says so and what to change instead of angles.
    assert "cannot be measured" in page and "Film from the front" in page
    table = at.dataframe[0].value
    assert len(table) == 3, table
    assert not table["reliable"].any() and table["fppa_bottom_deg"].isna().all()
    assert (table["unreliable_reasons"].str.len() > 0).all()
    assert "Fire hydrants" in page, "nothing measured: the article's general advice"
    assert any("not a diagnosis" in w.value for w in at.warning)
    labels = {b.label for b in at.get("download_button")}
    assert {"Per-rep CSV", "Full result (JSON)", "Annotated video (MP4)"} <= labels, labels
    assert at.get("video") and at.get("plotly_chart") and len(squat_pictures(at)) == 3
    assert all(img.alt for img in pictures(at)), "every picture has alt text"

    key = (hashlib.sha256(clip.read_bytes()).hexdigest(), False, False, None)  # (content, blur_face, mirrored, sex)
    cached = processing.cached(key)
    assert cached is not None and len(cached.analysis.reps) == 3
    assert cached.video is not None, "the cached result gains its video, drawn after the results were shown"
    assert cached.analysis.source == "upload.mp4", "the shared cache holds nothing of the uploader"
    # A rerun takes the result from the cache (the same object, nothing recomputed).
    at.run()
    assert not at.exception
    assert processing.cached(key) is cached
    assert len(at.dataframe[0].value) == 3


def test_a_measurable_front_view_shows_cards_with_the_sign_convention_and_angles(shared_videos):
    # squat_front_01: a true front view (two-leg squats), the one shared clip the analysis can measure.
    at = upload(shared_videos / "squat_front_01.mp4")
    assert "cannot be measured" not in texts(at)
    metrics = {m.label: m for m in at.metric}
    assert {"Reps", "Stance leg", "Mean FPPA", "Pelvic drop", "Rating"} <= set(metrics), list(metrics)
    assert "positive = valgus" in metrics["Mean FPPA"].help
    assert "free leg" in metrics["Pelvic drop"].help
    table = at.dataframe[0].value
    reliable = table[table["reliable"]]
    assert len(reliable) >= 2 and reliable["fppa_bottom_deg"].notna().all()
    assert len(squat_pictures(at)) == len(table)
    assert "Conventions: FPPA" in texts(at)


def test_a_file_that_is_not_a_video_shows_what_to_do(shared_videos):
    at = upload(shared_videos / "SOURCES.md", name="squats.mp4")
    assert len(at.error) == 1
    message = unescaped(at.error[0].value)
    assert message.startswith("squats.mp4 is a text file, not a video")  # the visitor's own file name
    assert not at.dataframe and "Your result" not in texts(at)


def test_random_bytes_show_a_readable_error(shared_videos):
    at = upload(shared_videos / "SOURCES.md", name="clip.mov", content=bytes(range(256)) * 400)
    assert len(at.error) == 1
    assert "clip.mov is not a video format knee_cv can read" in unescaped(at.error[0].value)


def test_a_clip_with_nobody_says_so_and_shows_no_numbers(shared_videos):
    at = upload(shared_videos / "noperson_01.mp4")
    page = texts(at)
    assert "cannot be measured" in page
    assert "What to change" in page and "whole body in the picture" in page
    assert not at.metric and not at.dataframe
    processed = processing.cached(
        (hashlib.sha256((shared_videos / "noperson_01.mp4").read_bytes()).hexdigest(), False, False, None)
    )
    assert processed is not None and processed.video is None and not processed.analysis.summary.measurable


def test_navigation_lists_the_four_pages():
    # The live page needs a real Streamlit server for its WebRTC component
    # (AppTest has none), so it is tested in test_browser.py.
    from knee_cv.app import main

    source = Path(main.__file__).read_text()
    for title in ("Analyze a video", "Live webcam", "Clinician review", "How to film"):
        assert f'title="{title}"' in source
    for page in ("analyze", "live", "review", "how_to_film"):
        assert (main.PAGES / f"{page}.py").is_file()


def measured_by(session: LiveSession, frames: int) -> None:
    """Wait until the live session's pose thread has measured ``frames`` frames (at most 10 s).

    A camera as slow as the model: each frame is measured before the next
    comes (a faster camera's frames are skipped while the model is busy;
    ``scripts/bench_live.py`` measures that).
    """
    deadline = time.monotonic() + 10
    while session.snapshot().frames_measured < frames and time.monotonic() < deadline:
        time.sleep(0.005)


def test_live_session_draws_counts_and_keeps_the_track(shared_videos):
    """The live page's video callback on real camera-like frames (the browser test drives it over WebRTC)."""
    session = LiveSession()
    changed = fed = 0
    try:
        assert session.ready.wait(60), "the pose model loads"
        with av.open(str(shared_videos / "squat_side_01.mp4")) as container:
            for frame in container.decode(video=0):
                out = session.on_frame(frame)
                fed += 1
                measured_by(session, fed)
                assert (out.width, out.height) == (frame.width, frame.height)
                assert out.pts == frame.pts
                changed += not np.array_equal(out.to_ndarray(format="rgb24"), frame.to_ndarray(format="rgb24"))
        time.sleep(2 * ANALYSIS_INTERVAL_S + 0.5)
        status = session.snapshot()
        track = session.track()
        recording = session.recording()
        dropped = session.dropped_frames
    finally:
        session.close()
    assert status.frames == status.frames_measured == len(track) == fed > 150
    assert status.frames_with_pose >= 0.9 * status.frames
    assert changed >= status.frames_with_pose - 1, "each frame gets the overlay of the last one measured"
    assert status.view == "side" and math.isnan(status.fppa_deg), "no FPPA shown in a side view"
    assert status.reps >= 2
    assert (track.width, track.height) == (540, 960)
    assert track.t[0] == 0.0 and np.all(np.diff(track.t) > 0)
    assert track.detection_rate >= 0.9

    # Stopping gives the same results as an upload: analysis and thumbnails first, the annotated video after.
    processed = pipeline.process_recording(recording, track)
    assert len(processed.analysis.reps) >= 2 and processed.video is None
    assert set(processed.thumbnails) == {rep.index for rep in processed.analysis.reps}
    processed = pipeline.add_video(recording, processed)
    with av.open(io.BytesIO(recording)) as container:
        recorded = [float(f.time) for f in container.decode(video=0)]
    assert len(recorded) + dropped == len(track)
    assert recorded[0] == pytest.approx(0.0, abs=1e-3) and recorded[-1] == pytest.approx(track.t[-1], abs=1e-3)
    with av.open(io.BytesIO(processed.video)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == len(recorded)


def test_save_to_subject_stores_the_session_only_when_asked(shared_videos, tmp_path, monkeypatch):
    from streamlit import config

    from knee_cv.store import sessions as store

    db_url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    monkeypatch.setenv(store.DB_URL_ENV, db_url)
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")  # this computer only: the clinician types a name
    try:
        clip = shared_videos / "squat_front_01.mp4"
        at = upload(clip)
        assert not [t for t in at.text_input if t.label == "Subject code"], "no save form without a name"
        at.sidebar.text_input(key="knee_cv_local_reviewer").input("Dr Test").run()
        assert not (tmp_path / "clinic.sqlite3").exists(), "nothing is stored before the user saves"
        next(t for t in at.text_input if t.label == "Subject code").input("RUN-017")
        for _ in range(2):  # Enter in the field, then the button: one session
            at.button(key="FormSubmitter:upload_save-Save to subject").click()
            at.run()
    finally:
        config.set_option("server.address", before)
    assert not at.exception
    assert any("Already saved as session" in s.value for s in at.info), [e.value for e in at.error]
    sessions = store.list_sessions("RUN-017", db_url=db_url)
    assert len(sessions) == 1 and sessions[0].saved_by == "Dr Test"
    assert sessions[0].video_hash == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert len(store.load_key_frames(sessions[0].id, db_url=db_url)) == len(at.dataframe[0].value)


def test_live_session_leaves_out_frames_whose_camera_time_does_not_advance(shared_videos):
    """A camera that repeats a frame time (or goes back) must not give a track the analysis refuses."""
    with av.open(str(shared_videos / "sls_front_hyva6.mp4")) as container:
        frames = [frame for _, frame in zip(range(6), container.decode(video=0))]
    session = LiveSession()
    try:
        assert session.ready.wait(60), "the pose model loads"
        for frame in frames:
            session.on_frame(frame)
            measured_by(session, session.snapshot().frames)
        for frame in (frames[-1], frames[2]):
            session.on_frame(frame)
        time.sleep(0.5)
        track = session.track()
    finally:
        session.close()
    assert len(track) == 6 and np.all(np.diff(track.t) > 0)
    assert track.problem() is None


@pytest.mark.shared
def test_the_runner_gets_a_plain_verdict_with_her_options_kept(shared_videos, tmp_path, monkeypatch):
    """sls_front_hyva_ja_paha (right leg: a partial rep, then one with the knee caving in), as a man with a sore
    right knee who typed the filming date: the verdict first in plain words, the numbers only in the physio's
    details (with the men's cut-off), and the options in the exports and the saved session."""
    from streamlit import config

    from knee_cv.store import sessions as store

    db_url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    monkeypatch.setenv(store.DB_URL_ENV, db_url)
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    clip = shared_videos / "sls_front_hyva_ja_paha.mp4"
    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        at.radio(key="sex").set_value("Man")
        at.selectbox(key="painful_side").set_value("Right knee")
        at.file_uploader[0].upload(clip.name, clip.read_bytes(), "video/mp4")
        at.run()
        (filmed,) = at.date_input
        assert filmed.label == "Date filmed" and filmed.value is None, "the clip has no creation time"
        filmed.set_value(date(2026, 11, 30)).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.header[0].value == "Your result"
        card = next(m.value for m in at.markdown if "Right leg (the painful side)" in m.value)
        assert ":red[:material/flag:]" in card, "a flagged leg is marked red, the only red"
        seen = next(m.value for m in at.markdown if m.value.startswith("- Your knee moved inward"))
        assert "in the one squat that could be measured, more than in most men without knee pain" in seen
        assert not re.search(r"\d|FPPA|valgus", seen), "no numbers or jargon in the verdict"
        assert any("This rests on 1 squat that could be measured clearly (of 2 squats found)" in c.value for c in at.caption)
        assert not any("compared with women" in c.value for c in at.caption), "a sex was given"
        assert any(w.value.startswith("**When to see a physiotherapist:**") for w in at.warning)
        labels = [e.label for e in at.expander]
        assert labels[:2] == ["How to do the exercises: pictures, steps and doses", "Details for your physio"]
        assert any("Knee valgus cut-off used: FPPA 11° (sex male; Ghulam 2021" in c.value for c in at.caption)
        assert [img.caption for img in squat_pictures(at)] == [
            "Squat 1, right leg: could not be measured clearly",
            "Squat 2, right leg: knee moved inward (toward the other knee); upper body leaned to the side; "
            "knee wobbled from side to side",
        ]

        at.sidebar.text_input(key="knee_cv_local_reviewer").input("Dr Test").run()
        next(t for t in at.text_input if t.label == "Subject code").input("RUN-019")
        at.button(key="FormSubmitter:upload_save-Save to subject").click()
        at.run()
    finally:
        config.set_option("server.address", before)
    assert not at.exception
    (session,) = store.list_sessions("RUN-019", db_url=db_url)
    assert session.context == SessionContext("male", "right", date(2026, 11, 30), mirrored=False)


@pytest.mark.shared
def test_the_filming_date_comes_from_the_file_and_goes_with_the_save(shared_videos, tmp_path, monkeypatch):
    """A clip whose MP4 says when it was made: the date field starts on that day, and a save records that time."""
    from datetime import datetime, timezone

    from streamlit import config

    from knee_cv.store import sessions as store

    db_url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    monkeypatch.setenv(store.DB_URL_ENV, db_url)
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    try:
        at = upload(
            shared_videos / "sls_front_hyva2.mp4",
            content=with_creation_time(shared_videos / "sls_front_hyva2.mp4", "2026-11-29T08:15:00.000000Z"),
        )
        assert at.date_input[0].value == date(2026, 11, 29)
        at.sidebar.text_input(key="knee_cv_local_reviewer").input("Dr Test").run()
        next(t for t in at.text_input if t.label == "Subject code").input("RUN-020")
        at.button(key="FormSubmitter:upload_save-Save to subject").click()
        at.run()
    finally:
        config.set_option("server.address", before)
    assert not at.exception
    (session,) = store.list_sessions("RUN-020", db_url=db_url)
    assert session.recorded_at == datetime(2026, 11, 29, 8, 15, tzinfo=timezone.utc)
    assert session.context == SessionContext(None, None, date(2026, 11, 29))
