"""Issue 20 in Chromium: a clinician checks a flagged rep frame by frame, moves the knee, and every output follows.

A real frontal clip (sls_front_hyva_ja_paha.mp4, whose second rep is flagged for knee valgus) is
uploaded and saved with its rep clips (the consent box ticked); on the review page the clinician
opens the flagged rep, steps through its frames, moves the knee by clicking on the frame and saves
the measurement; the review, the PDF (read back with pdftotext) and the history CSV then report the
measured FPPA with who measured it on which frame; undoing it brings the automatic value back, and
both steps are in the measurement log. About 70 s, most of it the pose model on the clip.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess

import numpy as np
import pytest
from browser_util import launch_chromium, screenshot, settle, streamlit_server

from knee_cv.app.rep_check import VIEW_WIDTH, view_box
from knee_cv.core.landmarks import Landmark
from knee_cv.store import measurements
from knee_cv.store import sessions as store

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.shared]

TIMEOUT_MS = 180_000
CLIP = "sls_front_hyva_ja_paha.mp4"


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return metric.locator('[data-testid="stMetricValue"]').first.inner_text()


def _name(page) -> None:
    box = page.get_by_role("textbox", name="Your name")
    if box.input_value() != "Dr Test":
        box.fill("Dr Test")
        box.press("Enter")
        settle(page)


def _download(page, button: str):
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    return download.value.path()


def test_clinician_measures_a_flagged_rep_by_hand(shared_videos, tmp_path):
    expect = playwright_api.expect
    clip = tmp_path / CLIP
    shutil.copyfile(shared_videos / CLIP, clip)
    db_url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    with streamlit_server({store.DB_URL_ENV: db_url}) as url, playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, timeout=TIMEOUT_MS)
        page.locator('input[type="file"]').set_input_files(str(clip))
        # the clips are cut from the annotated video: save once it is drawn
        page.get_by_role("button", name="Annotated video (MP4)").wait_for(timeout=TIMEOUT_MS)
        settle(page)
        page.get_by_text("Save to a subject (clinician)").click()
        _name(page)
        if not page.get_by_label("Subject code").is_visible():
            page.get_by_text("Save to a subject (clinician)").click()
        page.get_by_label("Subject code").fill("SLS20")
        page.get_by_text("Keep a short clip of each rep with the session").click()
        page.get_by_role("button", name="Save to subject").click()
        page.get_by_text(re.compile(r"Saved as session \d+ of SLS20")).wait_for(timeout=TIMEOUT_MS)
        screenshot(page, "rep_check_saved_with_clips")

        (session,) = store.list_sessions("SLS20", db_url=db_url)
        analysis = store.load_analysis(session.id, db_url=db_url)
        rep = next(r for r in analysis.reps if any(f.criterion == "knee_valgus" for f in r.flags))
        sizes = measurements.clip_sizes(session.id, db_url=db_url)
        assert set(sizes) == {r.index for r in analysis.reps} and sum(sizes.values()) < 1_000_000
        kept = measurements.load_rep_clip(session.id, rep.index, db_url=db_url)

        page.get_by_role("link", name="Clinician review").click()
        page.get_by_role("tab", name=re.compile(r"Review queue")).wait_for(timeout=TIMEOUT_MS)
        settle(page)
        _name(page)
        automatic = f"{rep.fppa_bottom_deg:+.1f}°"
        assert _metric(page, "FPPA") == automatic
        page.get_by_text("Check this rep frame by frame").click()
        settle(page)
        deepest = f"{rep.bottom_frame + 1} ("
        slider = page.locator('[data-testid="stSlider"]').filter(has_text="Frame")
        expect(slider).to_contain_text(deepest)
        for button in ("Next frame ▶", "Next frame ▶", "◀ Previous frame"):
            page.get_by_role("button", name=button).click()
            settle(page)
        frame = rep.bottom_frame + 1
        expect(slider).to_contain_text(f"{frame + 1} (")

        # Where the knee is drawn in the enlarged picture, and a click 20 px lateral of it (less valgus).
        position = [int(f) for f in kept.frames].index(frame)
        x0, y0, x1, _ = view_box(kept, position, {})
        zoom = VIEW_WIDTH / (x1 - x0)
        knee = kept.xy[position, Landmark.RIGHT_KNEE] * kept.scale
        lateral = -1.0 if kept.xy[position, Landmark.LEFT_HIP, 0] > kept.xy[position, Landmark.RIGHT_KNEE, 0] else 1.0
        click = ((knee[0] - x0) * zoom + 20 * lateral, (knee[1] - y0) * zoom)
        picture = page.frame_locator('iframe[title="streamlit_image_coordinates.streamlit_image_coordinates"]')
        picture.locator("#image").click(position={"x": click[0], "y": click[1]})
        page.get_by_text("FPPA from your points").wait_for(timeout=TIMEOUT_MS)
        settle(page)
        screenshot(page, "rep_check_knee_moved")
        page.get_by_role("button", name="Save measurement").click()
        page.get_by_text(re.compile(f"measured by Dr Test on frame {frame + 1}")).first.wait_for(timeout=TIMEOUT_MS)
        settle(page)

        (measured,) = measurements.standing_measurements(session.id, db_url=db_url).values()
        placed = np.asarray(measured.points["RIGHT_KNEE"])
        expected = (np.array([x0, y0]) + np.array(click) / zoom) / kept.scale
        assert np.abs(placed - expected).max() < 2.0  # pixels of the video frame
        assert measured.frame == frame and measured.fppa_deg < rep.fppa_bottom_deg - 2
        value = f"{measured.fppa_deg:+.1f}°"
        assert _metric(page, "FPPA") == value  # the review reports the measurement
        screenshot(page, "rep_check_measured")

        page.get_by_role("tab", name="Subjects (1)").click()
        settle(page)
        report = subprocess.run(
            ["pdftotext", "-layout", _download(page, "Download PDF report"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert f"{measured.fppa_deg:.0f}*" in report  # the rep table, marked
        assert f"Measured by hand: rep 2: FPPA {measured.fppa_deg:.1f} deg" in " ".join(report.split())
        assert f"measured by Dr Test on frame {frame + 1}" in " ".join(report.split())
        with open(_download(page, "Download history (CSV)"), newline="") as handle:
            (right,) = [row for row in csv.DictReader(handle) if row["leg"] == "right"]
        assert float(right["fppa_deg"]) == pytest.approx(measured.fppa_deg)  # the only reliable right rep
        assert f"measured by Dr Test on frame {frame + 1}" in right["measured"]
        expect(page.get_by_text("Measurements by hand")).to_be_visible()
        # the same rep opened under its session too, while it is open in the queue
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Check a rep frame by frame").click()
        page.get_by_role("option", name="Rep 2 (right)").click()
        expect(page.get_by_role("button", name="Undo this measurement")).to_be_visible(timeout=TIMEOUT_MS)
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "rep_check_subject")

        page.get_by_role("tab", name=re.compile(r"Review queue")).click()
        page.get_by_role("button", name="Undo this measurement").first.click()
        expect(page.get_by_role("button", name="Undo this measurement")).to_have_count(0, timeout=TIMEOUT_MS)
        settle(page)
        assert _metric(page, "FPPA") == automatic
        screenshot(page, "rep_check_undone")
        browser.close()

    assert measurements.standing_measurements(session.id, db_url=db_url) == {}
    (logged,) = measurements.measurement_log(session.id, db_url=db_url)
    assert (logged.measured_by, logged.undone_by) == ("Dr Test", "Dr Test")
    right = next(r for r in store.history("SLS20", db_url=db_url) if r.leg == "right")
    assert right.fppa_deg == pytest.approx(rep.fppa_bottom_deg) and right.measured == ""
