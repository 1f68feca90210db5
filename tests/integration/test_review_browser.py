"""The clinician review page: its flow in a real Chromium, and its edge cases in AppTest.

In the browser, two sessions of one subject are analysed from the real front-view
single-leg-squat landmark track (its first and second half), saved to a
fresh database (an SQLite file, then PostgreSQL: the ``db_url`` fixture) with key frames drawn from those landmarks, and reviewed
in the browser: open the queue, confirm one flag, dismiss another with a
note, and see the history chart.
"""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from browser_util import launch_chromium, screenshot, settle, streamlit_server
from streamlit import config
from streamlit.testing.v1 import AppTest
from test_rep_evidence import _clip
from test_report import _poppler
from test_store import sample_analysis

from knee_cv.core.analysis import analyze
from knee_cv.core.context import SessionContext
from knee_cv.media.render import rep_thumbnail
from knee_cv.media.trackio import load_track
from knee_cv.store import measurements, prescriptions
from knee_cv.store import sessions as store

PAGE = str(Path(__file__).resolve().parents[2] / "knee_cv" / "app" / "pages" / "review.py")
TIMEOUT_MS = 60_000


def _save_two_sessions(track_path, db_url: str) -> int:
    """Save both halves of a real track as sessions of subject SLS01; return how many flags they raised."""
    track = load_track(track_path)
    half = len(track) // 2
    n_flags = 0
    for part, month in ((track.slice(0, half), 1), (track.slice(half, len(track)), 2)):
        analysis = analyze(part)
        canvas = np.full((part.height, part.width, 3), 40, np.uint8)  # no video exists for this track
        frames = {rep.index: rep_thumbnail(canvas, part.xy[rep.bottom_frame], rep) for rep in analysis.reps}
        store.save_analysis(
            analysis,
            "SLS01",
            key_frames=frames,
            recorded_at=datetime(2026, month, 14, 9, 0, tzinfo=timezone.utc),
            saved_by="dr test",
            db_url=db_url,
        )
        n_flags += sum(len(rep.flags) for rep in analysis.reps)
    return n_flags


@pytest.mark.browser
def test_review_flow(shared_landmarks, db_url):
    from playwright.sync_api import expect, sync_playwright

    n_flags = _save_two_sessions(shared_landmarks / "sls_front_ref_01.csv", db_url)
    assert n_flags >= 2, "the real front-view track should raise at least two flags"

    with streamlit_server({"KNEE_CV_DB_URL": db_url}) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/review", timeout=TIMEOUT_MS)
        queue_tab = page.get_by_role("tab", name=f"Review queue ({n_flags})")
        expect(queue_tab).to_be_visible(timeout=TIMEOUT_MS)
        settle(page)
        page.get_by_role("textbox", name="Your name").fill("Dr Test")
        page.get_by_role("textbox", name="Your name").press("Enter")
        settle(page)
        forms = page.locator('[data-testid="stForm"]')
        expect(forms.first).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_role("img").first).to_be_visible()  # the deepest frame
        screenshot(page, "review_queue")

        first = forms.first
        first_reason = first.locator('[data-testid="stMarkdownContainer"]').first.inner_text()
        first.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("tab", name=f"Review queue ({n_flags - 1})")).to_be_visible(timeout=TIMEOUT_MS)
        settle(page)

        second = forms.first
        second.get_by_label("Note").fill("landmark jitter at the hip, not a real drop")
        second.get_by_label("Note").press("Tab")
        second.get_by_role("button", name="Dismiss").click()
        expect(page.get_by_role("tab", name=f"Review queue ({n_flags - 2})")).to_be_visible(timeout=TIMEOUT_MS)
        settle(page)
        screenshot(page, "review_after_decisions")

        page.get_by_role("tab", name="Subjects (1)").click()
        chart = page.locator('[data-testid="stPlotlyChart"]', has_text="SDD")
        expect(chart).to_be_visible(timeout=TIMEOUT_MS)
        expect(chart.get_by_text("FPPA left")).to_be_visible()
        expect(chart.get_by_text("FPPA right")).to_be_visible()
        expect(page.get_by_role("button", name="Download PDF report")).to_be_visible()
        screenshot(page, "review_history")
        browser.close()

    reviewed = [f for f in store.list_flags(subject_id="SLS01", db_url=db_url) if f.reviews]
    assert sorted(f.decision for f in reviewed) == ["confirm", "dismiss"]
    confirmed = next(f for f in reviewed if f.decision == "confirm")
    dismissed = next(f for f in reviewed if f.decision == "dismiss")
    assert confirmed.reason in first_reason
    assert dismissed.reviews[0].note == "landmark jitter at the hip, not a real drop"
    assert len(store.review_queue(db_url=db_url)) == n_flags - 2


@pytest.fixture
def local_page(db_url, monkeypatch):
    """The review page in AppTest on 127.0.0.1, over a store holding one session of P001."""
    url = db_url
    store.save_analysis(sample_analysis(), "P001", saved_by="dr test", db_url=url)
    monkeypatch.setenv(store.DB_URL_ENV, url)
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield url, AppTest.from_file(PAGE, default_timeout=60)
    config.set_option("server.address", before)


def test_dismiss_needs_a_note_and_a_name(local_page):
    url, at = local_page
    at.run()
    at.sidebar.text_input(key="knee_cv_local_reviewer").input("Dr Test").run()
    assert not at.exception
    dismiss = next(b for b in at.button if b.label == "Dismiss")
    dismiss.click().run()
    assert any("Say why you dismiss" in e.value for e in at.error)
    at.sidebar.text_input(key="knee_cv_local_reviewer").input("")
    next(b for b in at.button if b.label == "Confirm").click().run()
    assert any("Enter your name" in e.value for e in at.error)
    assert store.count_open_flags(db_url=url) == 3  # nothing was recorded


def test_delete_subject_needs_its_code_typed(local_page):
    url, at = local_page
    at.run()
    at.sidebar.text_input(key="knee_cv_local_reviewer").input("Dr Test").run()
    delete = at.button(key="delete-button-P001")
    assert delete.disabled
    at.text_input(key="delete-P001").input("P00").run()
    assert at.button(key="delete-button-P001").disabled
    at.text_input(key="delete-P001").input("P001").run()
    at.button(key="delete-button-P001").click().run()
    assert not at.exception
    assert store.list_subjects(db_url=url) == []
    assert any("No saved sessions yet" in i.value for i in at.info)
    assert [(d.what, d.subject_code, d.deleted_by) for d in store.list_deletions(db_url=url)] == [("subject", "P001", "Dr Test")]


def test_a_deleted_session_id_used_again_shows_the_new_session(local_page):
    """SQLite gives a deleted session's id to the next one saved: the page must show the new data, not a cache."""
    url, at = local_page
    old = store.save_analysis(sample_analysis(10.0), "OLD", video_hash="a" * 64, saved_by="dr test", db_url=url).id
    at.run()
    at.selectbox(key="queue_subject").select("OLD").run()
    assert "+27.2°" in [m.value for m in at.metric]  # 17.25 + 10
    store.delete_session(old, deleted_by="dr test", db_url=url)
    new = store.save_analysis(sample_analysis(-10.0), "NEW", video_hash="b" * 64, saved_by="dr test", db_url=url).id
    if url.startswith("sqlite"):
        assert new == old
    at.run()
    at.selectbox(key="queue_subject").select("NEW").run()
    values = [m.value for m in at.metric]
    assert "+7.2°" in values and "+27.2°" not in values


def test_patient_list_filters_by_code_and_open_flags(local_page):
    url, at = local_page
    store.upsert_subject("Q9", db_url=url)  # no session, no open flag
    at.run()

    def listed() -> list[str]:
        table = next(d.value for d in at.dataframe if "open flags" in d.value.columns)
        return list(table["subject"])

    assert listed() == ["P001", "Q9"]
    at.checkbox(key="patients_open").check().run()
    assert listed() == ["P001"]
    at.checkbox(key="patients_open").uncheck().run()
    at.text_input(key="patients_find").input("q").run()
    assert listed() == ["Q9"] and not at.exception


def test_left_and_right_deepest_frames_side_by_side(local_page):
    import cv2

    url, at = local_page
    jpeg = cv2.imencode(".jpg", np.full((40, 30, 3), 128, np.uint8))[1].tobytes()
    store.save_analysis(
        sample_analysis(1.0), "P001", key_frames={0: jpeg, 2: jpeg}, video_hash="d" * 64, saved_by="dr test", db_url=url
    )
    at.run()  # the newest session is the one shown
    headings = [m.value for m in at.markdown]
    assert "#### Left and right, deepest frames" in headings and not at.exception
    assert headings.index("**Left leg**") < headings.index("**Right leg**")


def test_a_measured_rep_is_flagged_and_rated_from_the_measured_values(local_page):
    """Rep 1 measured straight by hand: the page says which flags the measured values raise, and the rating follows."""
    url, at = local_page
    analysis = sample_analysis()
    clip = _clip(analysis, 0)
    sid = store.save_analysis(analysis, "M1", rep_clips={0: clip}, video_hash="f" * 64, saved_by="dr test", db_url=url).id
    info = measurements.add_measurement(
        sid,
        0,
        frame=int(clip.frames[3]),
        measured_by="dr a",
        db_url=url,
        points={
            "LEFT_HIP": (580.0, 900.0),
            "LEFT_KNEE": (575.0, 1150.0),
            "LEFT_ANKLE": (580.0, 1400.0),
            "RIGHT_HIP": (500.0, 900.0),
        },
    )
    assert 1.0 < info.fppa_deg < 5.0  # the knee a little inside the hip-ankle line
    at.run()
    at.selectbox(key="queue_subject").select("M1").run()
    said = [m.value for m in at.markdown if m.value.startswith("**On the measured values:**")]
    assert said == ["**On the measured values:** neither knee valgus nor pelvic drop crosses its threshold\\."]
    assert f"{info.fppa_deg:+.1f}°" in [m.value for m in at.metric]
    at.selectbox(key="subject").select("M1").run()
    sessions = next(d.value for d in at.dataframe if "rating" in d.value.columns)
    assert list(sessions["rating"]) == ["fair"]  # "poor" from the automatic 17.3 deg valgus
    history = next(d.value for d in at.dataframe if "FPPA left − right (°)" in d.value.columns)
    assert history["FPPA (°) left"].tolist() == [round(info.fppa_deg, 1)] and not at.exception


def test_this_session_against_an_earlier_one_the_same_leg_side_by_side(local_page):
    import cv2

    url, at = local_page
    jpeg = cv2.imencode(".jpg", np.full((40, 30, 3), 128, np.uint8))[1].tobytes()
    frames = {i: jpeg for i in range(4)}
    first = store.save_analysis(
        sample_analysis(),
        "B1",
        key_frames=frames,
        video_hash="1" * 64,
        saved_by="dr test",
        recorded_at=datetime(2026, 1, 5, tzinfo=timezone.utc),
        db_url=url,
    ).id
    later = store.save_analysis(
        sample_analysis(-10.0),
        "B1",
        key_frames=frames,
        video_hash="2" * 64,
        saved_by="dr test",
        recorded_at=datetime(2026, 3, 2, tzinfo=timezone.utc),
        db_url=url,
    ).id
    at.run()
    at.selectbox(key="subject").select("B1").run()
    assert at.selectbox(key="session-B1").value == later and not at.exception
    assert "#### This session against an earlier one" in [m.value for m in at.markdown]
    assert at.selectbox(key=f"baseline-{later}").value == first
    left_right = next(d.value for d in at.dataframe if "FPPA left − right (°)" in d.value.columns)
    assert left_right["session"].tolist() == [first, later]  # one row a session, not every session with every date
    assert left_right["FPPA left − right (°)"].tolist() == [11.4, 11.4]  # 17.25 - 5.8125, then both 10 lower

    def pictures() -> list[str]:
        return [c for image in at.get("image") for c in image.captions if c.startswith("Rep ")]

    # the left leg's deepest rep with a key frame (rep 2 is unreliable), earlier session first
    assert pictures()[-2:] == ["Rep 1 (left): FPPA +17.2°, pelvic drop +7.5°", "Rep 1 (left): FPPA +7.2°, pelvic drop +7.5°"]
    assert any("Mean FPPA changed by -10.0°, more than the 8° smallest detectable difference" in c.value for c in at.caption)
    at.selectbox(key=f"baseline-leg-{later}").select("right").run()
    assert pictures()[-2:] == ["Rep 4 (right): FPPA +5.5°, pelvic drop +1.5°", "Rep 4 (right): FPPA -4.5°, pelvic drop +1.5°"]
    at.selectbox(key="session-B1").select(first).run()  # the first session has no earlier one
    assert "#### This session against an earlier one" not in [m.value for m in at.markdown] and not at.exception
    filmed = store.save_analysis(
        sample_analysis(5.0),
        "B1",
        key_frames=frames,
        video_hash="3" * 64,
        saved_by="dr test",
        context=SessionContext(filmed_on=date(2025, 12, 1)),
        db_url=url,
    ).id
    at.run()
    at.selectbox(key="session-B1").select(later).run()  # saved last, filmed first: the earliest of all
    assert at.selectbox(key=f"baseline-{later}").options[0] == f"{filmed}: filmed 2025-12-01 clip.mp4"


def test_prescription_editor_adds_removes_reorders_doses_and_saves_with_a_name(local_page):
    url, at = local_page
    (session_id,) = [s.id for s in store.list_sessions("P001", db_url=url)]
    at.run()
    draft = f"rx-{session_id}-0"
    assert any("not prescribed yet" in c.value for c in at.caption)
    for key in ("clamshells", "side_plank", "knee_to_wall"):  # the sample's one suggestion is not in the catalog
        at.selectbox(key=f"{draft}-add").select(key).run()
        at.button(key=f"{draft}-add-button").click().run()
    at.button(key=f"{draft}-side_plank-remove").click().run()
    at.button(key=f"{draft}-knee_to_wall-up").click().run()
    at.number_input(key=f"{draft}-clamshells-days").set_value(4).run()
    at.number_input(key=f"{draft}-clamshells-0-reps").set_value(20).run()
    at.text_input(key=f"{draft}-clamshells-note").input("slow, **no** band yet").run()
    at.button(key=f"{draft}-save").click().run()
    assert any("Enter your name" in e.value for e in at.error)  # nobody named: nothing saved
    assert prescriptions.list_prescriptions(session_id, db_url=url) == []

    at.sidebar.text_input(key="knee_cv_local_reviewer").input("Dr Test").run()
    at.button(key=f"{draft}-save").click().run()
    assert not at.exception and not at.error
    (saved,) = prescriptions.list_prescriptions(session_id, db_url=url)
    assert saved.prescribed_by == "Dr Test"
    assert [i["key"] for i in saved.items] == ["knee_to_wall", "clamshells"]
    clamshells = saved.items[1]
    assert (clamshells["days_per_week"], clamshells["doses"][0]["reps"], clamshells["note"]) == (4, 20, "slow, **no** band yet")
    assert any("Prescribed by `Dr Test`" in c.value for c in at.caption)
    assert at.button(key=f"rx-{session_id}-{saved.id}-save")  # the editor now starts from what was saved

    later = store.save_analysis(
        sample_analysis(1.0),
        "P001",
        video_hash="e" * 64,
        saved_by="dr test",
        recorded_at=datetime(2099, 1, 1, tzinfo=timezone.utc),
        db_url=url,
    ).id
    at.run()
    at.selectbox(key="session-P001").select(later).run()  # the next session starts from the prescription
    assert any(f"(session {session_id})" in c.value for c in at.caption)
    assert at.number_input(key=f"rx-{later}-{saved.id}-clamshells-days").value == 4


@pytest.mark.browser
def test_in_chromium_a_prescription_is_edited_saved_and_printed(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url_db = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    session_id = store.save_analysis(sample_analysis(), "P001", saved_by="dr test", db_url=url_db).id
    draft = f".st-key-rx-{session_id}-0"
    with streamlit_server({"KNEE_CV_DB_URL": url_db}) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/review", timeout=TIMEOUT_MS)
            expect(page.get_by_role("tab", name="Subjects (1)")).to_be_visible(timeout=TIMEOUT_MS)
            settle(page)
            page.get_by_role("textbox", name="Your name").fill("Dr Test")
            page.get_by_role("textbox", name="Your name").press("Enter")
            settle(page)
            page.get_by_role("tab", name="Subjects (1)").click()
            for name, key in (("Clamshells", "clamshells"), ("Knee-to-wall ankle mobility", "knee_to_wall")):
                page.locator(f"{draft}-add").click()
                page.keyboard.type(name)  # the list shows a few options at a time: type to find one
                page.keyboard.press("Enter")
                settle(page)
                page.locator(f"{draft}-add-button button").click()
                expect(page.locator(f"{draft}-{key}-days input").first).to_be_visible(timeout=TIMEOUT_MS)
                settle(page)
            up = page.locator(f"{draft}-knee_to_wall-up button").first  # a button with help is drawn twice
            up.click()
            # the click's rerun may not have started when settle looks: wait for its result, the moved
            # exercise first in the list, before the stale widgets of the old order can be counted
            expect(up).to_be_disabled(timeout=TIMEOUT_MS)
            settle(page)
            days = page.locator(f"{draft}-clamshells-days input")
            expect(days).to_have_count(1, timeout=TIMEOUT_MS)  # the moved exercise's old widgets gone
            days.fill("4")
            days.press("Enter")
            settle(page)
            note = page.locator(f"{draft}-clamshells-note input")
            expect(note).to_have_count(1, timeout=TIMEOUT_MS)
            note.fill("slow, no band yet")
            note.press("Enter")
            settle(page)
            page.get_by_role("button", name="Save prescription").click()
            expect(page.get_by_text("Prescribed by")).to_be_visible(timeout=TIMEOUT_MS)
            settle(page)
            screenshot(page, "review_prescription")
            with page.expect_download(timeout=TIMEOUT_MS) as download:
                page.get_by_role("button", name="Download home exercise sheet").click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
        finally:
            browser.close()
    assert saved.name == f"P001_session_{session_id}_home_exercises.pdf"
    sheet = " ".join(
        subprocess.run(
            [_poppler("pdftotext"), "-raw", str(saved), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "Prescribed by Dr Test on" in sheet
    assert sheet.index("1. Knee-to-wall ankle mobility") < sheet.index("2. Clamshells")
    assert "4 days a week" in sheet and "Note from your physiotherapist: slow, no band yet" in sheet


def test_one_session_is_deleted_from_the_page_after_a_tick_and_logged(local_page):
    url, at = local_page
    keep = store.list_sessions("P001", db_url=url)[0].id
    gone = store.save_analysis(sample_analysis(3.0), "P001", video_hash="c" * 64, saved_by="dr test", db_url=url).id
    at.run()
    at.selectbox(key="session-P001").select(gone).run()
    assert at.button(key=f"delete-session-{gone}").disabled
    at.checkbox(key=f"delete-session-sure-{gone}").check().run()
    at.button(key=f"delete-session-{gone}").click().run()
    assert any("Enter your name" in e.value for e in at.error)  # nobody to log it under yet
    assert len(store.list_sessions("P001", db_url=url)) == 2
    at.sidebar.text_input(key="knee_cv_local_reviewer").input("Dr Test").run()
    at.button(key=f"delete-session-{gone}").click().run()
    assert not at.exception
    assert [s.id for s in store.list_sessions("P001", db_url=url)] == [keep]
    assert [(d.what, d.session_id, d.deleted_by) for d in store.list_deletions(db_url=url)] == [("session", gone, "Dr Test")]


def test_the_session_picker_and_table_say_the_day_a_clip_was_filmed(local_page):
    """A session saved with the filming date the person gave (issue 19) is labelled by it, not by the save time."""
    url, at = local_page
    filmed = store.save_analysis(
        sample_analysis(),
        "F1",
        video_hash="3" * 64,
        saved_by="dr test",
        db_url=url,
        context=SessionContext("female", "left", date(2026, 11, 30)),
    ).id
    unknown = store.save_analysis(sample_analysis(-10.0), "F1", video_hash="4" * 64, saved_by="dr test", db_url=url).id
    at.run()
    at.selectbox(key="subject").select("F1").run()
    picker = at.selectbox(key="session-F1")
    assert any(label.startswith(f"{filmed}: filmed 2026-11-30 ") for label in picker.options), picker.options
    sessions = next(d.value for d in at.dataframe if "filmed" in d.value.columns)
    assert sessions.set_index("session").loc[filmed, "filmed"] == "2026-11-30"
    assert sessions.set_index("session").loc[unknown, "filmed"] == "—" and not at.exception
