"""A real browser (Debian's Chromium via playwright) against a real ``streamlit run app.py``.

Upload: a real squat clip goes through the file picker; the test waits for
the results and checks what a person sees: the plain verdict and the next
step first, a video element that can play, and in "Details for your physio"
(opened) the rep table and the plots; on a real frontal single-leg squat,
the stance legs, the valgus rep's finding and the partial rep's reason; and
that the verdict and thumbnails show before the annotated video, whose
progress bar holds its place until it is drawn (test_runner_browser.py
checks the runner's page at a laptop's and a phone's size). Page timings are printed (run with ``-s``), never asserted.
Screenshots go to ``test-artifacts/``.

Live: Chromium's fake camera plays a real frontal single-leg squat clip (made
into a y4m at test time, in a temporary folder: standing, the clip mirrored
for the left leg, standing, the clip) into the live page; the guided protocol
runs from START to the results at 1400 x 900 with a screenshot of each step,
and the result's reps, stance legs and FPPA are compared with ``knee-cv
analyze`` of the recording the page offers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from browser_util import ARTIFACTS, launch_chromium, screenshot, streamlit_server

from knee_cv.media.video import iter_frames

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

#: Longest wait for a result page, in ms (pose tracking on a busy 2-core machine).
RESULT_TIMEOUT_MS = 300_000


@pytest.fixture(scope="module")
def server():
    """One Streamlit server for the module's tests, on 127.0.0.1 at a free port."""
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def pw():
    """The module's playwright driver (only one sync driver may run per thread)."""
    with playwright_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(pw):
    chromium = launch_chromium(pw)
    yield chromium
    chromium.close()


def open_details(page) -> None:
    """Open "Details for your physio", where the rep table and the chart are drawn once it is open."""
    page.get_by_text("Details for your physio").click()
    page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').wait_for(timeout=60_000)


def video_state(page) -> dict:
    """readyState, duration and size of the page's first <video>."""
    return page.evaluate(
        """() => { const v = document.querySelector('video');
                   return v && {ready: v.readyState, duration: v.duration,
                                width: v.videoWidth, height: v.videoHeight, error: v.error && v.error.code}; }"""
    )


@pytest.mark.parametrize(
    ("clip_name", "measurable"),
    [
        ("squat_oblique_front_01.mp4", False),  # 3/4 view: reps listed, angles withheld
        ("squat_side_01.mp4", False),  # side view
        ("squat_front_01.mp4", True),  # true front view
    ],
)
def test_upload_shows_the_whole_result_page(server, browser, shared_videos, clip_name, measurable):
    clip = shared_videos / clip_name
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server)
        page.get_by_role("heading", name="Analyze a single-leg squat video").wait_for(timeout=60_000)
        start = time.monotonic()
        page.locator('input[type="file"]').set_input_files(str(clip))
        page.get_by_text("Drawing the annotated video").or_(page.get_by_text("Finding the body")).first.wait_for(timeout=60_000)
        screenshot(page, f"upload_progress_{clip.stem}")
        page.get_by_role("heading", name="Downloads").wait_for(timeout=RESULT_TIMEOUT_MS)
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); return v && v.readyState >= 2; }", timeout=60_000
        )
        assert page.get_by_role("heading", name="Your result").is_visible()
        assert page.get_by_role("heading", name="What to do next").is_visible()
        open_details(page)
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        elapsed = time.monotonic() - start
        with av.open(str(clip)) as container:
            duration = float(container.duration / av.time_base)
        print(f"\nPAGE TIME {clip_name}: whole result page after {elapsed:.1f} s (clip lasts {duration:.1f} s)")

        state = video_state(page)
        assert state["ready"] >= 2 and state["error"] is None, state
        assert state["duration"] == pytest.approx(duration, abs=0.5), state
        assert state["width"] > 0 and state["height"] > 0
        table = page.locator('[data-testid="stDataFrame"]')
        table.wait_for(timeout=30_000)
        assert table.count() == 1
        table.scroll_into_view_if_needed()
        headers, rows = grid_rows(page)
        assert {"Rep", "Stance leg", "Depth", "Reliable"} <= set(headers), headers
        assert ({"FPPA", "Pelvic drop"} <= set(headers)) == measurable, headers
        assert page.get_by_text("cannot be measured").count() == (0 if measurable else 1)
        if measurable:
            assert page.locator('[data-testid="stMetric"]').count() >= 5
        n_rows = len(rows)
        assert n_rows >= 2, "the clip has at least 2 clear reps"
        print(f"rep table: {n_rows} reps")
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 1
        assert page.get_by_text(re.compile("not a diagnosis")).first.is_visible()
        assert page.get_by_role("button", name="Per-rep CSV").is_visible()
        assert page.get_by_role("button", name="Annotated video (MP4)").is_visible()
        page.evaluate("() => document.querySelector('video').play()")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.3", timeout=20_000)
        screenshot(page, f"upload_results_{clip.stem}")

        # The same file again is answered from the cache.
        start = time.monotonic()
        page.reload()
        page.locator('input[type="file"]').set_input_files(str(clip))
        page.get_by_role("heading", name="Downloads").wait_for(timeout=RESULT_TIMEOUT_MS)
        print(f"PAGE TIME {clip_name}, same file again (cached): {time.monotonic() - start:.1f} s")
    finally:
        page.close()


#: Records, in ``window.firstSeen`` (reset by ``window.firstSeen = {}``), when each part of the results
#: first shows, in ms since the page opened.
FIRST_SEEN = """
window.firstSeen = {};
const parts = {thumbnail: '[data-testid="stMain"] [data-testid="stImage"]', video: '[data-testid="stMain"] video'};
new MutationObserver(() => {
  const now = performance.now();
  for (const [name, selector] of Object.entries(parts)) {
    if (!(name in firstSeen) && document.querySelector(selector)) firstSeen[name] = now;
  }
  if (!('verdict' in firstSeen) && document.body.textContent.includes('What to do next')) firstSeen.verdict = now;
  if (!('drawing' in firstSeen) && document.body.textContent.includes('Drawing the annotated video')) {
    firstSeen.drawing = now;
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def wait_for_video(page) -> None:
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.readyState >= 2; }", timeout=RESULT_TIMEOUT_MS
    )


@pytest.mark.shared
def test_the_results_show_while_the_annotated_video_is_drawn(server, browser, shared_videos):
    """sls_front_hyva6 (6.7 s, one rep): the verdict and the thumbnail are on the page, and the annotated
    video's progress bar in its place, before the video element; then the video plays.

    A first upload of the clip with the face blurred loads the page's scripts (Plotly, the table's grid):
    loading them the first time takes a busy 2-core machine longer than drawing this short clip's video. The
    second upload, without blur, is processed afresh (the blur is part of the cache key) and is the one timed.
    """
    clip = shared_videos / "sls_front_hyva6.mp4"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(FIRST_SEEN)
    try:
        page.goto(server)
        page.get_by_text("Blur the face in the annotated video and pictures").click(timeout=60_000)
        page.locator('input[type="file"]').set_input_files(str(clip))
        wait_for_video(page)
        page.get_by_role("link", name="How to film").click()
        page.get_by_role("heading", name="How to film").wait_for(timeout=30_000)
        page.get_by_role("link", name="Analyze a video").click()
        page.get_by_role("heading", name="Analyze a single-leg squat video").wait_for(timeout=30_000)
        assert page.get_by_role("switch", name="Blur the face in the annotated video and pictures").is_checked() is False
        start = page.evaluate("() => { window.firstSeen = {}; return performance.now(); }")
        page.locator('input[type="file"]').set_input_files(str(clip))
        page.get_by_role("heading", name="What to do next").wait_for(timeout=RESULT_TIMEOUT_MS)
        screenshot(page, "upload_results_before_video")
        wait_for_video(page)
        seen = page.evaluate("() => window.firstSeen")
        print(
            f"\nPAGE TIME {clip.name}: results after {(seen['verdict'] - start) / 1000:.1f} s, "
            f"annotated video after {(seen['video'] - start) / 1000:.1f} s"
        )
        assert {"verdict", "thumbnail", "drawing", "video"} <= set(seen), seen
        assert max(seen["verdict"], seen["thumbnail"]) < seen["video"], seen
        assert seen["drawing"] < seen["video"], seen
        assert page.get_by_text("Drawing the annotated video").count() == 0, "the progress bar gives way to the video"
        assert page.get_by_role("button", name="Annotated video (MP4)").is_visible()
        assert page.get_by_text(re.compile(r"^Processed on this computer in .*video \d")).is_visible()
        page.evaluate("() => document.querySelector('video').play()")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.3", timeout=20_000)
    finally:
        page.close()


def wide_grid(page):
    """The rep table's accessible grid with every column in it: it holds only the columns in view, so the page is
    widened until the table's last column fits (the caller restores the viewport)."""
    page.set_viewport_size({"width": 2600, "height": page.viewport_size["height"]})
    page.wait_for_timeout(1000)
    grid = page.locator('[data-testid="stDataFrame"] table[role="grid"]')
    grid.wait_for(state="attached", timeout=30_000)
    return grid


def grid_rows(page) -> tuple[list[str], list[list[str]]]:
    """Headers and cell texts of the page's rep table (its accessible grid holds the raw values)."""
    size = page.viewport_size
    grid = wide_grid(page)
    headers = grid.locator('[role="columnheader"]').all_inner_texts()
    rows = [row.locator("td").all_inner_texts() for row in grid.locator("tbody tr").all()]
    page.set_viewport_size(size)
    return headers, rows


@pytest.mark.shared
def test_frontal_single_leg_squat_shows_the_valgus_rep_and_the_partial_rep(server, browser, shared_videos):
    """sls_front_hyva_ja_paha: on the right leg, a partial rep cut by the recording's start, then a deep
    rep with the knee caving in (valgus)."""
    clip = shared_videos / "sls_front_hyva_ja_paha.mp4"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server)
        page.locator('input[type="file"]').set_input_files(str(clip))
        page.get_by_role("heading", name="Downloads").wait_for(timeout=RESULT_TIMEOUT_MS)
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); return v && v.readyState >= 2; }", timeout=60_000
        )
        assert page.get_by_text("Squat 1, right leg: could not be measured clearly").is_visible()
        assert page.get_by_text(re.compile(r"^Squat 2, right leg: knee moved inward")).is_visible()
        open_details(page)

        headers, rows = grid_rows(page)
        column = {name: headers.index(name) for name in ("Stance leg", "FPPA", "Reliable")}
        assert [row[column["Stance leg"]] for row in rows] == ["right", "right"], rows
        partial, valgus = rows
        assert partial[column["Reliable"]] == "false" and partial[column["FPPA"]] == "", partial
        assert valgus[column["Reliable"]] == "true", valgus

        notes = page.locator('[data-testid="stMarkdownContainer"] li')
        partial_note = notes.filter(has_text="Rep 1, right leg: unreliable").inner_text()
        assert "recording starts or ends" in partial_note and "deg" not in partial_note, partial_note
        valgus_note = notes.filter(has_text="Rep 2, right leg:").inner_text()
        shown = float(re.search(r"Knee moved inward: FPPA ([-+]?\d+\.\d) deg", valgus_note).group(1))
        cell = float(re.match(r"[-+]?\d+(\.\d+)?", valgus[column["FPPA"]]).group(0))  # "44°, likely 27 to 51"
        assert shown == pytest.approx(cell, abs=0.6) and shown > 13.5, valgus_note
        level = re.compile(
            r"^Pelvic drop is measured from the hip line in frames standing on both feet, "
            r"taken as level \(it was -7\.5° from level"
        )
        assert page.get_by_text(level).is_visible()

        with av.open(str(clip)) as container:
            duration = float(container.duration / av.time_base)
        state = video_state(page)
        assert state["error"] is None and state["duration"] == pytest.approx(duration, abs=0.5), state
        page.evaluate("() => document.querySelector('video').play()")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.3", timeout=20_000)

        page.get_by_text("How to do the exercises: pictures, steps and doses").click()
        page.get_by_role("heading", name="Exercises").wait_for(timeout=30_000)
        assert page.get_by_text(re.compile(r"^Why: .*inward")).count() >= 1
        screenshot(page, "upload_results_sls_front_hyva_ja_paha")
    finally:
        page.close()


def test_a_bad_file_shows_a_sentence_to_act_on(server, browser, tmp_path):
    bad = tmp_path / "squats.mp4"
    bad.write_text("this is a note, not a video\n")
    page = browser.new_page()
    try:
        page.goto(server)
        page.locator('input[type="file"]').set_input_files(str(bad))
        alert = page.get_by_text("is a text file, not a video")
        alert.wait_for(timeout=60_000)
        screenshot(page, "upload_bad_file")
        assert page.get_by_role("heading", name="Results").count() == 0
    finally:
        page.close()


def test_how_to_film_page(server, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto(server)
        page.get_by_role("link", name="How to film").click()
        page.get_by_role("heading", name="How to film").wait_for(timeout=30_000)
        diagram = page.locator('[data-testid="stImage"] img').first
        diagram.wait_for(timeout=30_000)
        page.wait_for_function(
            "() => { const i = document.querySelector('[data-testid=\"stImage\"] img');"
            " return i && i.complete && i.naturalWidth > 0; }",
            timeout=30_000,
        )
        assert page.get_by_text("Lens at hip height", exact=True).is_visible()
        assert page.get_by_text("Start and finish standing on both feet", exact=True).is_visible()
        assert page.get_by_text("Only as deep as keeps your hip above your knee", exact=True).is_visible()
        alts = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')].map(i => i.alt)")
        assert len(alts) == 2 and all(alts), "the framing drawing (from the front) and the set-up, each with alt text"
        assert "seen from the front" in alts[0] and "hip above" in alts[0]
        screenshot(page, "how_to_film")
    finally:
        page.close()


#: The guided protocol's camera: a standing frame held (s), the clip mirrored (left-leg reps), standing, the clip.
STANDING_FIRST_S, STANDING_BETWEEN_S, STANDING_AT_S = 16.0, 8.0, 3.6
CAMERA_SIZE, CAMERA_FPS = (640, 360), 25


def guided_camera(clip: Path, out: Path) -> Path:
    """A y4m for the guided protocol from a real frontal clip of right-leg squats, 640 x 360 at 25 fps.

    ``sls_front_hyva_ja_paha`` holds two squats on the right leg, with under
    2 s on both feet between them. The camera plays a frame of him standing
    (at ``STANDING_AT_S``) for ``STANDING_FIRST_S`` (framing, countdown and the
    standing reference), the clip mirrored (the same squats on his left leg, as
    the pose model sees them), the standing frame again while the protocol says
    to switch, then the clip itself.
    """
    frames = [(t, cv2.resize(rgb, CAMERA_SIZE, interpolation=cv2.INTER_AREA)) for t, rgb in iter_frames(clip)]
    times = np.array([t for t, _ in frames])
    duration = times[-1]
    pick = [frames[int(np.searchsorted(times, t, side="right")) - 1][1] for t in np.arange(0.0, duration, 1 / CAMERA_FPS)]
    standing = frames[int(np.searchsorted(times, STANDING_AT_S))][1]
    sequence = (
        [standing] * int(STANDING_FIRST_S * CAMERA_FPS)
        + [rgb[:, ::-1] for rgb in pick]
        + [standing] * int(STANDING_BETWEEN_S * CAMERA_FPS)
        + pick
    )
    with av.open(str(out), "w", format="yuv4mpegpipe") as dst:
        stream = dst.add_stream("rawvideo", rate=CAMERA_FPS)
        stream.width, stream.height = CAMERA_SIZE
        stream.pix_fmt = "yuv420p"
        for rgb in sequence:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            dst.mux(stream.encode(frame.reformat(format="yuv420p")))
        dst.mux(stream.encode(None))
    return out


@pytest.fixture(scope="module")
def fake_camera(shared_videos, tmp_path_factory) -> Path:
    """The guided protocol's camera (:func:`guided_camera`) from sls_front_hyva_ja_paha, in a temporary folder."""
    return guided_camera(shared_videos / "sls_front_hyva_ja_paha.mp4", tmp_path_factory.mktemp("camera") / "guided.y4m")


#: Records what the page would say aloud (headless Chromium has no voices).
SPOKEN_JS = """window.__spoken = [];
if (window.speechSynthesis) window.speechSynthesis.speak = (utterance) => window.__spoken.push(utterance.text);"""
#: Largest FPPA difference, deg, between the live track and knee-cv analyze of the recording (two pose runs
#: on the same frames, the second on their H.264 copy), unless the live value lies in the range knee-cv
#: analyze gives as likely (at a deep rep's bottom a few pixels along the thigh move FPPA by 10 deg or more).
FPPA_TOLERANCE_DEG = 6.0


def test_live_guided_protocol_on_a_real_clip_matches_knee_cv_analyze(server, pw, fake_camera, tmp_path):
    """The guided protocol in Chromium, 2 squats a leg, from START to the results, at 1400 x 900.

    Each step's screen is saved (``test-artifacts/live_step_*.png``, the
    viewport only: what a person sees without scrolling). The live result's
    reps, stance legs and FPPA are compared with ``knee-cv analyze`` of the
    recording the page offers (the frames the live session measured).
    """
    flags = (
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={fake_camera}",
        "--allow-loopback-in-peer-connection",
    )
    browser = launch_chromium(pw, extra_args=flags)
    context = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.add_init_script(SPOKEN_JS)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(server)
        page.get_by_role("link", name="Live webcam").click()
        page.get_by_role("heading", name="Live webcam").wait_for(timeout=30_000)
        reps_input = page.get_by_label("Squats per leg")
        reps_input.fill("2")
        reps_input.press("Tab")
        page.get_by_text("Spoken cues").click()
        start = page.get_by_role("button", name="START")
        box = start.bounding_box()
        assert box["y"] + box["height"] < 300, box  # above the picture
        start.click()
        status = page.locator('[data-testid="stCaptionContainer"]', has_text="step:")
        try:
            status.wait_for(timeout=90_000)
        except playwright_api.TimeoutError:
            # The WebRTC connection did not come up (seen once in a few runs under load): as a person would,
            # press STOP and START again; a second failure fails the test.
            page.screenshot(path=str(ARTIFACTS / "live_start_retry.png"))
            stop = page.get_by_role("button", name="STOP")
            if stop.count():
                stop.first.click()
            page.get_by_role("button", name="START").wait_for(timeout=30_000)
            page.get_by_role("button", name="START").click()
            status.wait_for(timeout=90_000)
        seen, text, deadline = [], "", time.monotonic() + 240
        while time.monotonic() < deadline:
            text = status.inner_text() if status.count() else text
            found = re.search(r"step: (\w+) · left (\d)/2 · right (\d)/2", text)
            key = found and f"{found[1]}_{found[2]}{found[3]}"
            if key and key not in seen:
                seen.append(key)
                if key[-2:] != "00":  # a rep was counted: its cue shows on the picture for 2.5 s
                    page.wait_for_timeout(800)
                page.screenshot(path=str(ARTIFACTS / f"live_step_{len(seen)}_{key}.png"))
            if key and found[1] == "done":
                break
            time.sleep(0.25)
        print(f"\nLIVE steps: {seen}")
        video = page.locator("iframe[title*='webrtc']").bounding_box()
        assert video["y"] + video["height"] <= 900, video  # the whole picture without scrolling
        assert [key.split("_")[0] for key in seen][:3] == ["framing", "countdown", "standing"], seen
        assert "left_10" in seen and "switch_20" in seen and "right_21" in seen and seen[-1] == "done_22", seen
        page.get_by_role("heading", name="Results").wait_for(timeout=180_000)
        page.get_by_role("heading", name="Every rep").wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / f"live_step_{len(seen) + 1}_results.png"))
        spoken = page.evaluate("() => window.__spoken")
        assert "Done" in spoken and any(re.match(r"1: ", said) for said in spoken), spoken
        with page.expect_download() as download:
            page.get_by_role("button", name="Full result (JSON)").click()
        live = json.loads(Path(download.value.path()).read_text())
        with page.expect_download() as download:
            page.get_by_role("button", name="Camera recording (MP4)").click()
        recording = tmp_path / "recording.mp4"
        download.value.save_as(recording)
    finally:
        context.close()
        browser.close()
    offline_json = tmp_path / "offline.json"
    run = subprocess.run(
        [sys.executable, "-m", "knee_cv.cli", "analyze", str(recording), "--max-rate", "0", "--json", str(offline_json)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    offline = json.loads(offline_json.read_text())
    rows = [
        (a["leg"], b["leg"], a["reliable"], b["reliable"], a["fppa_bottom_deg"], b["fppa_bottom_deg"])
        for a, b in zip(live["reps"], offline["reps"])
    ]
    print(f"LIVE vs knee-cv analyze (leg, leg, reliable, reliable, FPPA, FPPA): {rows}")
    assert len(live["reps"]) == len(offline["reps"]), rows
    # a rep neither run could measure (cut by the camera file's loop, say) may have its leg told apart differently
    assert all(leg_live == leg_offline for leg_live, leg_offline, ra, rb, _, _ in rows if ra or rb), rows
    assert sum(rep["leg"] == "left" for rep in live["reps"]) >= 2 and sum(rep["leg"] == "right" for rep in live["reps"]) >= 2
    compared = [(a["fppa_bottom_deg"], b) for a, b in zip(live["reps"], offline["reps"]) if a["reliable"] and b["reliable"]]
    assert compared, rows
    for fppa_live, rep in compared:
        agree = abs(fppa_live - rep["fppa_bottom_deg"]) <= FPPA_TOLERANCE_DEG
        assert agree or rep["fppa_low_deg"] <= fppa_live <= rep["fppa_high_deg"], (fppa_live, rep)
