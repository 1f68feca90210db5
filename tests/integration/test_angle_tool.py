"""The rep check's three-click angle tool (knee_cv.app.rep_check) in AppTest, on SQLite and PostgreSQL.

A session of the hand-made sample analysis is saved with a real H.264 clip of its third rep (right
leg) whose landmarks are a frontal stick figure; the page is ``tests/apps/rep_check_app.py``. A
click on the frame cannot be made in AppTest, so the clicks' points are put where the click
handler puts them (the rep's drafts in the session state); the browser test of the rep check
(test_rep_check_browser.py) clicks for real, and so does the Chromium test here, three times.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from browser_util import launch_chromium, screenshot, streamlit_server
from fixtures.shared import PROJECT_ROOT
from streamlit.testing.v1 import AppTest
from test_rep_evidence import _clip
from test_store import sample_analysis

from knee_cv.app.rep_check import VIEW_WIDTH, next_angle_point, view_box
from knee_cv.core import kinematics as kin
from knee_cv.core.landmarks import NUM_LANDMARKS, Landmark
from knee_cv.media.rep_clips import _encode
from knee_cv.store import measurements
from knee_cv.store import sessions as store

APP = "tests/apps/rep_check_app.py"


def test_the_clicks_go_hip_knee_ankle_then_start_again():
    assert next_angle_point("left", {}) == (Landmark.LEFT_HIP, False)
    assert next_angle_point("left", {"LEFT_HIP": (1, 1)}) == (Landmark.LEFT_KNEE, False)
    assert next_angle_point("left", {"LEFT_HIP": (1, 1), "LEFT_KNEE": (1, 2)}) == (Landmark.LEFT_ANKLE, False)
    three = {"RIGHT_HIP": (1, 1), "RIGHT_KNEE": (1, 2), "RIGHT_ANKLE": (1, 3)}
    assert next_angle_point("right", three) == (Landmark.RIGHT_HIP, True)
    assert next_angle_point("right", {"LEFT_HIP": (5, 1)}) == (Landmark.RIGHT_HIP, False)  # the other hip is no click


def _saved_session(db_url: str, tmp_path: Path) -> int:
    """A session of the sample analysis with a real H.264 clip of rep 3: its right leg drawn on grey, half size."""
    analysis = sample_analysis()
    clip = _clip(analysis, 2)
    frame = np.full((1440, 960, 3), 90, np.uint8)
    for leg in ("RIGHT", "LEFT"):
        joints = [tuple(int(v) for v in clip.xy[0, Landmark[f"{leg}_{j}"]]) for j in ("HIP", "KNEE", "ANKLE")]
        cv2.polylines(frame, [np.array(joints)], False, (230, 230, 230), 24)
    clip.mp4 = _encode([frame] * len(clip.frames), clip.t, (480, 720), 30, 30.0, tmp_path / "rep.mp4")
    return store.save_analysis(analysis, "P001", rep_clips={2: clip}, saved_by="dr test", db_url=db_url).id


@pytest.fixture
def page(db_url, monkeypatch, tmp_path: Path):
    """The rep check of rep 3 of a saved session, its session id and the frame it opens on."""
    sid = _saved_session(db_url, tmp_path)
    monkeypatch.setenv(store.DB_URL_ENV, db_url)
    at = AppTest.from_file(str(PROJECT_ROOT / APP), default_timeout=60)
    at.query_params["session"], at.query_params["rep"] = str(sid), "2"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, sid, int(at.select_slider(key=f"check-test-{sid}-2-frame").value)


def test_three_clicks_give_the_angle_by_the_fppa_function_and_it_is_saved(page, db_url):
    at, sid, frame = page
    base = f"check-test-{sid}-2"
    at.radio(key=f"{base}-tool").set_value("angle").run()
    assert any("Click the right hip (1 of 3)" in c.value for c in at.caption)
    hip, knee, ankle = (470.0, 880.0), (515.0, 1140.0), (490.0, 1410.0)
    at.session_state[f"{base}-placed"] = {frame: {"RIGHT_HIP": hip, "RIGHT_KNEE": knee}}
    at.run()
    assert any("Click the right ankle (3 of 3)" in c.value for c in at.caption)
    assert any("2 of 3 points clicked" in c.value for c in at.caption)
    assert not [b for b in at.button if b.label == "Save measurement"]  # two clicks are no angle yet

    at.session_state[f"{base}-placed"] = {frame: {"RIGHT_HIP": hip, "RIGHT_KNEE": knee, "RIGHT_ANKLE": ankle}}
    at.run()
    xy = np.full((1, NUM_LANDMARKS, 2), np.nan)
    for landmark, point in (
        (Landmark.RIGHT_HIP, hip),
        (Landmark.RIGHT_KNEE, knee),
        (Landmark.RIGHT_ANKLE, ankle),
        (Landmark.LEFT_HIP, (580.0, 900.0)),
    ):  # the other hip: the clip's landmark
        xy[0, landmark] = point
    expected = float(kin.fppa(xy, "right")[0])
    shown = next(m for m in at.metric if m.label == "Angle from your three clicks (FPPA)")
    assert shown.value == f"{expected:+.1f}°" and expected > 5  # the knee inside the hip-ankle line: valgus
    assert any("a fourth click starts a new angle" in c.value for c in at.caption)

    next(b for b in at.button if b.label == "Save measurement").click().run()
    assert not at.exception
    (saved,) = measurements.standing_measurements(sid, db_url=db_url).values()
    assert saved.fppa_deg == pytest.approx(expected) and saved.frame == frame and saved.measured_by == "Dr Test"
    assert saved.points["RIGHT_KNEE"] == knee and saved.points["LEFT_HIP"] == (580.0, 900.0)


@pytest.mark.browser
def test_in_chromium_three_clicks_measure_the_angle_and_a_fourth_starts_again(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    db_url = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    sid = _saved_session(db_url, tmp_path)
    clip = measurements.load_rep_clip(sid, 2, db_url=db_url)
    rep = sample_analysis().reps[2]
    position = int(np.argmin(np.abs(clip.frames - rep.bottom_frame)))  # the frame the check opens on
    x0, y0, x1, _ = view_box(clip, position, {})
    zoom = VIEW_WIDTH / (x1 - x0)
    # inside the legs' extent, so the enlarged picture's box stays the same from click to click
    clicks = {"RIGHT_HIP": (505.0, 905.0), "RIGHT_KNEE": (545.0, 1150.0), "RIGHT_ANKLE": (505.0, 1395.0)}

    def at(point):
        return {"x": (point[0] * clip.scale[0] - x0) * zoom, "y": (point[1] * clip.scale[1] - y0) * zoom}

    with streamlit_server({store.DB_URL_ENV: db_url}, app=APP) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/?session={sid}&rep=2", timeout=120_000)
            page.get_by_text("Angle: click hip, knee, ankle").click()
            expect(page.get_by_text("Click the right hip (1 of 3)", exact=False)).to_be_visible(timeout=60_000)
            picture = page.frame_locator('iframe[title="streamlit_image_coordinates.streamlit_image_coordinates"]')
            for n, point in enumerate(clicks.values(), start=1):
                picture.locator("#image").click(position=at(point))
                if n < 3:
                    expect(page.get_by_text(f"{n} of 3 points clicked")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Angle from your three clicks (FPPA)")).to_be_visible(timeout=60_000)
            page.wait_for_timeout(500)
            screenshot(page, "angle_tool_three_clicks")
            page.get_by_role("button", name="Save measurement").click()
            expect(page.get_by_text("measured by Dr Test on frame", exact=False).first).to_be_visible(timeout=60_000)
            (saved,) = measurements.standing_measurements(sid, db_url=db_url).values()
            for name, point in clicks.items():
                assert np.abs(np.subtract(saved.points[name], point)).max() < 2 / clip.scale[0]  # 2 px of the clip
            picture.locator("#image").click(position=at(clicks["RIGHT_KNEE"]))  # a new angle: its hip first
            expect(page.get_by_text("1 of 3 points clicked")).to_be_visible(timeout=60_000)
            screenshot(page, "angle_tool_saved_and_restarted")
        finally:
            browser.close()
    assert saved.fppa_deg > 5 and saved.frame == int(clip.frames[position])
