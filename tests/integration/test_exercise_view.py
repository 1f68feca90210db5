"""The app's exercises section (knee_cv.app.exercise_view): in AppTest, and in Chromium with the sheet downloaded.

Both drive ``tests/apps/exercise_view_app.py``, a page with the section alone
for a real analysis of synthetic squats.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from browser_util import launch_chromium, screenshot, streamlit_server
from fixtures.shared import PROJECT_ROOT
from streamlit.testing.v1 import AppTest
from test_report import _poppler

from knee_cv.app.exercise_view import PICTURE_CAPTION, SHEET_LABEL

APP = "tests/apps/exercise_view_app.py"


def run(case: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / APP), default_timeout=60)
    at.query_params["case"] = case
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_section_shows_the_safety_note_first_and_a_picture_per_exercise():
    at = run("valgus")
    first = list(at.main.children.values())[:3]
    assert first[0].value == "Exercises" and "not a diagnosis" in first[1].value  # the safety note first
    names = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value[:6]]
    assert len(names) == 6 and names[0].startswith("**1. Clamshells**") and "for: knee moving inward" in names[0]
    images = at.get("image")
    assert len(images) == 6
    assert all(i.captions == [PICTURE_CAPTION] and i.proto.imgs[0].url.endswith(".png") for i in images)
    assert (
        sum(
            re.match(r"\*Why:\* Suggested (for your \w+ leg )?because your knee moved inward", m.value) is not None
            for m in at.markdown
        )
        >= 4
    )
    assert any("Weeks 5-6" in m.value for m in at.markdown)
    assert any("Also suggested" in c.value for c in at.caption)
    button = at.get("download_button")[0]
    assert button.proto.label == SHEET_LABEL and button.proto.deferred_file_id  # made when clicked


def test_no_finding_shows_the_safety_note_and_no_sheet():
    at = run("none")
    assert "not a diagnosis" in at.warning[0].value
    assert any("No finding" in m.value for m in at.markdown)
    assert not at.get("image") and not at.get("download_button")


@pytest.mark.browser
def test_in_chromium_every_exercise_has_its_picture_and_the_sheet_downloads_as_a_pdf(tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    pdfinfo = _poppler("pdfinfo")
    with streamlit_server(app=APP) as url, playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("button", name=SHEET_LABEL).wait_for(timeout=60_000)
            assert page.get_by_role("heading", name="Exercises").is_visible()
            pictures = page.locator("[data-testid='stImage'] img")
            assert pictures.count() == 6
            assert all(pictures.nth(i).evaluate("img => img.naturalWidth") > 600 for i in range(6))
            screenshot(page, "exercise_view")
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name=SHEET_LABEL).click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
        finally:
            browser.close()
    assert saved.name == "synthetic_squat_home_exercises.pdf"
    assert saved.read_bytes().startswith(b"%PDF-")
    info = subprocess.run([pdfinfo, str(saved)], capture_output=True, text=True, check=True).stdout
    assert [line.split() for line in info.splitlines() if line.startswith("Pages:")] == [["Pages:", "2"]]
