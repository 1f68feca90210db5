"""The analyze page as a runner sees it, in Chromium, on a laptop (1400x900) and a phone (390x844).

Two real frontal single-leg-squat clips: ``sls_front_hyva_ja_paha`` (right
leg, one measurable rep with the knee caving in: a flagged leg) and
``sls_front_hyva2`` (left leg, one measurable rep, nothing flagged). Each is
uploaded with the page's options set as a person sets them (sex, painful
side); the test reads the plain verdict first on the page, the options said
back, the general advice when nothing is flagged, alt text on every image and
video, the palette (the flag red, the legs never red), no Deploy button, and
on the phone no sideways scrolling and the whole result within
:data:`PHONE_SCREENS` screens with its expanders closed. Screenshots of each go
to ``test-artifacts/runner_<clip>_<viewport>.png``.
"""

from __future__ import annotations

import colorsys
import re

import pytest
from browser_util import launch_chromium, screenshot, streamlit_server

from knee_cv.palette import rgb

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.shared]

#: Longest wait for a result page, in ms (pose tracking on a busy 2-core machine).
RESULT_TIMEOUT_MS = 300_000
#: The phone's result, options to downloads with the expanders closed, fits in this many 844 px screens.
PHONE_SCREENS = 5
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as driver:
        chromium = launch_chromium(driver)
        yield chromium
        chromium.close()


def _css(meaning: str) -> str:
    red, green, blue = rgb(meaning)
    return f"rgb({red}, {green}, {blue})"


def _hue(css: str) -> float:
    """The hue of a CSS ``rgb(r, g, b)`` in degrees (Streamlit darkens coloured text for contrast, keeping the hue)."""
    red, green, blue = (int(part) / 255 for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return colorsys.rgb_to_hsv(red, green, blue)[0] * 360


def _upload(page, server: str, clip, sex: str, painful: str) -> None:
    """Open the page, set the options as a person does, upload ``clip`` and wait for the result and its video."""
    page.goto(server)
    page.get_by_role("heading", name="Analyze a single-leg squat video").wait_for(timeout=60_000)
    page.get_by_text(sex, exact=True).click()
    page.get_by_role("combobox", name="Which knee hurts?").click()
    page.get_by_role("option", name=painful).click()
    # waited for, not checked at once: choosing the knee reruns the page, which redraws the toggle
    page.get_by_text("Filmed with the selfie camera (mirrored picture)").wait_for(timeout=30_000)
    page.locator('input[type="file"]').set_input_files(str(clip))
    page.get_by_text("Date filmed").wait_for(timeout=60_000)  # after the file: its default is the file's own date
    try:
        page.get_by_role("heading", name="Your result").wait_for(timeout=RESULT_TIMEOUT_MS)
    except playwright_api.TimeoutError:
        screenshot(page, f"runner_{clip.stem}_timeout")
        raise
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=\"stMain\"] video'); return v && v.readyState >= 2; }",
        timeout=RESULT_TIMEOUT_MS,
    )
    page.get_by_role("heading", name="Downloads").wait_for(timeout=30_000)


def _common_checks(page) -> None:
    """What holds on every result page: alt text, no Deploy button, the verdict before the details."""
    missing = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=\"stMain\"] img')].filter(i => !i.alt.trim()).length"
    )
    assert missing == 0, "every image has alt text"
    assert page.locator('[data-testid="stMain"] video').get_attribute("aria-label") or page.evaluate(
        "() => !!document.querySelector('[data-testid=\"stMain\"] video').closest('[aria-label]')"
    ), "the video has alt"
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0, "client.toolbarMode = viewer"
    order = page.evaluate("""() => { const text = document.querySelector('[data-testid="stMain"]').innerText;
        return [text.indexOf('Your result'), text.indexOf('What to do next'), text.indexOf('Details for your physio')]; }""")
    assert -1 < order[0] < order[1] < order[2], order


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_flagged_leg_is_said_plainly_first(server, browser, shared_videos, viewport):
    page = browser.new_page(viewport=viewport)
    try:
        _upload(page, server, shared_videos / "sls_front_hyva_ja_paha.mp4", "Woman", "Right knee")
        main = page.locator('[data-testid="stMain"]')
        assert main.get_by_text("Something was seen on your right leg").is_visible()
        assert main.get_by_text("Right leg (the painful side)").is_visible()
        seen = main.get_by_text(
            "Your knee moved inward (toward the other knee) in the one squat that could be "
            "measured, more than in most women without knee pain."
        )
        assert seen.is_visible()
        assert main.get_by_text(
            "This rests on 1 squat that could be measured clearly (of 2 squats found).", exact=False
        ).is_visible()
        assert main.get_by_text("When to see a physiotherapist:").is_visible()
        verdict = page.evaluate("""() => { const text = document.querySelector('[data-testid="stMain"]').innerText;
            return text.slice(text.indexOf('Your result'), text.indexOf('Your video, marked up')); }""")
        assert not re.search(r"FPPA|valgus|varus|°|\bdeg\b|threshold", verdict), "the verdict is in plain words"
        flag = (
            main.locator('[data-testid="stMarkdownContainer"] h4')
            .filter(has_text="Right leg")
            .locator(".stMarkdownColoredText")
            .first
        )
        colour = flag.evaluate("e => getComputedStyle(e).color")
        assert _hue(colour) == pytest.approx(_hue(_css("flag")), abs=3), f"a flag is the palette's red: {colour}"
        _common_checks(page)
        if viewport is PHONE:
            _phone_checks(page)
        screenshot(page, f"runner_sls_front_hyva_ja_paha_{'phone' if viewport is PHONE else 'laptop'}")
        if viewport is LAPTOP:
            _details_checks(page)
    finally:
        page.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_nothing_flagged_gives_general_advice_and_the_cutoff_used(server, browser, shared_videos, viewport):
    page = browser.new_page(viewport=viewport)
    try:
        _upload(page, server, shared_videos / "sls_front_hyva2.mp4", "Prefer not to say", "Left knee")
        main = page.locator('[data-testid="stMain"]')
        assert main.get_by_text("Nothing stood out in the squats that could be measured.").is_visible()
        assert main.get_by_text("Left leg (the painful side)").is_visible()
        assert main.get_by_text("wobble or roll inward, these may help", exact=False).is_visible()
        for exercise in ("Calf and ankle step stretch", "Fire hydrants", "Foam rolling"):
            assert main.get_by_text(exercise, exact=False).first.is_visible(), exercise
        assert main.get_by_text("compared with women without knee pain", exact=False).is_visible()
        _common_checks(page)
        if viewport is PHONE:
            _phone_checks(page)
        screenshot(page, f"runner_sls_front_hyva2_{'phone' if viewport is PHONE else 'laptop'}")
    finally:
        page.close()


def _phone_checks(page) -> None:
    """No sideways scrolling, and the whole result within PHONE_SCREENS screens."""
    sizes = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
        return {height: m.scrollHeight, width: m.scrollWidth, client: m.clientWidth}; }""")
    print(f"\nphone page: {sizes['height']} px tall ({sizes['height'] / PHONE['height']:.1f} screens)")
    assert sizes["width"] <= sizes["client"] + 1, sizes
    assert sizes["height"] <= PHONE_SCREENS * PHONE["height"], sizes
    video = page.locator('[data-testid="stMain"] video').bounding_box()
    assert video["width"] >= 0.8 * PHONE["width"], "the annotated video takes the phone's width"


def _details_checks(page) -> None:
    """Open the physio's details: the numbers, the cut-off and its source; the chart in the palette, no toolbar."""
    page.get_by_text("Details for your physio").click()
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Knee valgus cut-off used: FPPA 13.5°", exact=False).wait_for(timeout=30_000)
    main.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    assert main.locator(".modebar-container .modebar").count() == 0, "no Plotly toolbar over the titles"
    strokes = set(
        page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot .scatterlayer path.js-line')].map(p => p.style.stroke)"
        )
    )
    assert strokes and strokes <= {_css(m) for m in ("left", "right", "pelvis", "both")}, strokes
    assert _css("flag") not in strokes, "no series is drawn in the flag's red"
    screenshot(page, "runner_sls_front_hyva_ja_paha_laptop_details")
