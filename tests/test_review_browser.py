"""The clinician review flow in a real Chromium against a local Streamlit server.

Two sessions of one subject are analysed from the real front-view
single-leg-squat landmark track (its first and second half), saved to a
fresh SQLite file with key frames drawn from those landmarks, and reviewed
in the browser: open the queue, confirm one flag, dismiss another with a
note, and see the history chart.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from browser_util import launch_chromium, screenshot, streamlit_server

from knee_cv import store
from knee_cv.analysis import analyze
from knee_cv.render import rep_thumbnail
from knee_cv.trackio import load_track

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000


def _settle(page) -> None:
    """Wait until the Streamlit script run has finished and the page shows its result."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)


def _save_two_sessions(track_path, db_url: str) -> int:
    """Save both halves of a real track as sessions of subject SLS01; return how many flags they raised."""
    track = load_track(track_path)
    half = len(track) // 2
    n_flags = 0
    for part, month in ((track.slice(0, half), 1), (track.slice(half, len(track)), 2)):
        analysis = analyze(part)
        canvas = np.full((part.height, part.width, 3), 40, np.uint8)  # no video exists for this track
        frames = {rep.index: rep_thumbnail(canvas, part.xy[rep.bottom_frame], rep) for rep in analysis.reps}
        store.save_analysis(analysis, "SLS01", key_frames=frames,
                            recorded_at=datetime(2026, month, 14, 9, 0, tzinfo=timezone.utc), db_url=db_url)
        n_flags += sum(len(rep.flags) for rep in analysis.reps)
    return n_flags


def test_review_flow(shared_landmarks, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    db_url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    n_flags = _save_two_sessions(shared_landmarks / "sls_front_ref_01.csv", db_url)
    assert n_flags >= 2, "the real front-view track should raise at least two flags"

    with streamlit_server({"KNEE_CV_DB_URL": db_url}) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/review", timeout=TIMEOUT_MS)
        queue_tab = page.get_by_role("tab", name=f"Review queue ({n_flags})")
        expect(queue_tab).to_be_visible(timeout=TIMEOUT_MS)
        _settle(page)
        forms = page.locator('[data-testid="stForm"]')
        expect(forms.first).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_role("img").first).to_be_visible()  # the deepest frame
        screenshot(page, "review_queue")

        first = forms.first
        first_reason = first.locator('[data-testid="stMarkdownContainer"]').first.inner_text()
        first.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("tab", name=f"Review queue ({n_flags - 1})")).to_be_visible(timeout=TIMEOUT_MS)
        _settle(page)

        second = forms.first
        second.get_by_label("Note").fill("landmark jitter at the hip, not a real drop")
        second.get_by_label("Note").press("Tab")
        second.get_by_role("button", name="Dismiss").click()
        expect(page.get_by_role("tab", name=f"Review queue ({n_flags - 2})")).to_be_visible(timeout=TIMEOUT_MS)
        _settle(page)
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
