"""The app served beyond localhost (127.0.0.2), as a clinic server is, in a real Chromium (issue 17).

Two browser contexts are two visitors. The first uploads a real frontal clip under a file name that
carries a patient's name; the second uploads the same bytes as ``other.mp4`` and must get nothing of
the first (its downloads and result name its own file). Saving to a subject needs a clinician's login
(one account per clinician in ``[clinicians]``); the saver recorded is the account; a second click
saves nothing new; a subject code full of Markdown is shown as typed, and an anonymous visitor's
review page shows the login and nothing of the store.
"""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from browser_util import launch_chromium, screenshot, settle, streamlit_server

from knee_cv.passwords import hash_password
from knee_cv.store import sessions as store

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.shared]

TIMEOUT_MS = 300_000
HOST = "127.0.0.2"
PATIENT_FILE = "Virtanen_Aino_1985-02-03.mp4"
MARKDOWN_CODE = "![t](http://127.0.0.9/t.png) **x** --"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A server on 127.0.0.2 with one clinician account and an empty SQLite store; yields (url, db_url)."""
    folder = tmp_path_factory.mktemp("clinic")
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[clinicians]\n"dr.test" = "{hash_password("s3cret-pass")}"\n')
    db_url = f"sqlite:///{folder / 'clinic.sqlite3'}"
    env = {store.DB_URL_ENV: db_url, "STREAMLIT_SECRETS_FILES": str(secrets)}
    with streamlit_server(env, host=HOST) as url:
        yield url, db_url


def _upload(page, url: str, clip) -> None:
    page.goto(url)
    page.locator('input[type="file"]').set_input_files(str(clip))
    page.get_by_role("heading", name="Downloads").wait_for(timeout=TIMEOUT_MS)
    # The results come before the annotated video; the rerun that draws the video leaves the old buttons
    # on the page for a moment, so wait for the video's own download before clicking any button.
    page.get_by_role("button", name="Annotated video (MP4)").wait_for(timeout=TIMEOUT_MS)
    settle(page)


def _json_download(page) -> tuple[str, dict]:
    with page.expect_download() as download:
        page.get_by_role("button", name="Full result (JSON)").click()
    settle(page)  # the download's rerun
    return download.value.suggested_filename, json.loads(open(download.value.path()).read())


def test_clinic_server_keeps_patient_data_behind_the_login(clinic, shared_videos, tmp_path):
    url, db_url = clinic
    patient_clip = tmp_path / PATIENT_FILE
    shutil.copyfile(shared_videos / "sls_front_hyva6.mp4", patient_clip)
    other_clip = tmp_path / "other.mp4"
    shutil.copyfile(patient_clip, other_clip)

    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        first = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        _upload(first, url, patient_clip)
        name, result = _json_download(first)
        assert name == "Virtanen_Aino_1985-02-03_analysis.json" and result["source"] == PATIENT_FILE
        with first.expect_download() as download:
            first.get_by_role("button", name="Per-rep CSV").click()
        reps = pd.read_csv(download.value.path())
        assert list(reps["rep"]) == [1] and not reps["reliable"].any()  # numbered from 1, as everywhere
        assert reps["fppa_bottom_deg"].isna().all()  # an unreliable rep's angle is blank, as in the app

        # Anonymous: the save form asks for the login and offers no subject field. A download reruns the
        # page, which leaves its old widgets for a moment (two "Account name" fields): let it finish first.
        settle(first)
        first.get_by_text("Save to a subject (clinician)").click()
        settle(first)
        first.get_by_label("Account name").wait_for(timeout=30_000)
        assert first.get_by_label("Subject code").count() == 0
        screenshot(first, "clinic_anonymous_save")

        # A second visitor, the same bytes under another name: nothing of the first.
        second = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        _upload(second, url, other_clip)
        name, result = _json_download(second)
        assert name == "other_analysis.json" and result["source"] == "other.mp4"
        assert "Virtanen" not in json.dumps(result) and "Virtanen" not in second.content()

        # The second visitor logs in (a wrong password first) and saves, twice.
        second.get_by_text("Save to a subject (clinician)").click()
        second.get_by_label("Account name").fill("dr.test")
        second.get_by_role("textbox", name="Password").fill("wrong-password")
        second.get_by_role("button", name="Log in").click()
        second.get_by_text("Wrong account name or password.").wait_for(timeout=30_000)
        second.get_by_role("textbox", name="Password").fill("s3cret-pass")
        second.get_by_role("button", name="Log in").click()
        second.get_by_role("button", name="Log out (dr.test)").wait_for(timeout=30_000)
        settle(second)
        if not second.get_by_label("Subject code").is_visible():
            second.get_by_text("Save to a subject (clinician)").click()
        second.get_by_label("Subject code").fill("P001")
        second.get_by_role("button", name="Save to subject").click()
        second.get_by_text(re.compile(r"Saved as session \d+ of P001")).wait_for(timeout=30_000)
        settle(second)
        second.get_by_role("button", name="Save to subject").click()
        second.get_by_text(re.compile(r"Already saved as session \d+ of P001")).wait_for(timeout=30_000)
        settle(second)
        second.get_by_label("Subject code").fill(MARKDOWN_CODE)
        second.get_by_role("button", name="Save to subject").click()
        second.get_by_text(re.compile(r"Saved as session \d+ of")).wait_for(timeout=30_000)
        screenshot(second, "clinic_saved")

        # The clinician's review page shows the Markdown code as typed, fetching nothing.
        requests: list[str] = []
        second.on("request", lambda request: requests.append(request.url))
        second.get_by_role("link", name="Clinician review").click()  # the same session: still logged in
        second.get_by_role("tab", name=re.compile(r"Review queue")).wait_for(timeout=TIMEOUT_MS)
        settle(second)
        assert second.get_by_text(MARKDOWN_CODE, exact=False).count() >= 1
        second.get_by_role("tab", name="Subjects (2)").click()
        settle(second)
        second.locator('[data-testid="stSelectbox"]').filter(has_text="Subject").last.click()
        second.get_by_role("option", name=MARKDOWN_CODE).click()
        settle(second)
        assert second.get_by_text(f"Deletes {MARKDOWN_CODE}", exact=False).count() == 1  # in its warning
        assert not any("127.0.0.9" in request for request in requests)
        screenshot(second, "clinic_review_logged_in")

        # The first visitor, still anonymous, sees the login and nothing of the store.
        first.goto(f"{url}/review")
        first.get_by_role("heading", name="Clinician review").wait_for(timeout=TIMEOUT_MS)
        settle(first)
        screenshot(first, "clinic_review_login")
        assert first.get_by_label("Account name").is_visible()
        assert first.get_by_role("tab").count() == 0 and "P001" not in first.content()
        first.set_viewport_size({"width": 390, "height": 844})
        first.wait_for_timeout(1500)  # the sidebar folds away on a phone
        screenshot(first, "clinic_review_login_phone")
        browser.close()

    sessions = store.list_sessions("P001", db_url=db_url)
    assert [(s.source, s.saved_by) for s in sessions] == [("other.mp4", "dr.test")]
    assert [s.code for s in store.list_subjects(db_url=db_url)] == sorted(["P001", MARKDOWN_CODE])


def test_failed_logins_count_across_browser_contexts(clinic):
    """Each wrong guess from a new browser context counts; after 5, the right password is refused too.

    Runs after the test above (it locks this address out of the module's server for 15 minutes).
    """
    url, _db_url = clinic
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)

        def attempt(password: str):
            page = browser.new_context().new_page()
            page.goto(f"{url}/review")
            page.get_by_label("Account name").fill("dr.test")
            page.get_by_role("textbox", name="Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            return page

        for _ in range(5):
            attempt("guess-guess").get_by_text("Wrong account name or password.").wait_for(timeout=60_000)
        page = attempt("s3cret-pass")
        page.get_by_text(re.compile("Too many failed logins")).wait_for(timeout=60_000)
        assert page.get_by_role("tab").count() == 0
        screenshot(page, "clinic_login_locked")
        browser.close()
