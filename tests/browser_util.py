"""Helpers for the browser tests: a local Streamlit server and Debian's Chromium.

Import from any test (``tests`` is on ``sys.path``)::

    from browser_util import launch_chromium, streamlit_server

    with streamlit_server({"KNEE_CV_DB": str(tmp_path / "db.sqlite")}) as url:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page()
            page.goto(url)

The server listens on 127.0.0.1 only, at a free port, and is stopped when
the ``with`` block ends. Chromium is the system one (``/usr/bin/chromium``,
Debian package ``chromium``); no browser is ever downloaded. Where it is
missing the test skips, or fails when ``KNEE_CV_REQUIRE_SHARED=1`` (CI).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from unavailable import unavailable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")

#: Flags for a headless Chromium in a container, without network chatter.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout_s: float) -> None:
    """Poll Streamlit's health endpoint until it answers ``ok``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer within {timeout_s} s:\n{log.read_text()}")


@contextmanager
def streamlit_server(
    env: Mapping[str, str] | None = None,
    *,
    app: str = "app.py",
    host: str = "127.0.0.1",
    extra_args: Sequence[str] = (),
    timeout_s: float = 90.0,
) -> Iterator[str]:
    """Run ``streamlit run app.py`` on ``host`` at a free port for the block.

    Parameters
    ----------
    env : mapping of str to str, optional
        Extra environment variables for the server (added to ``os.environ``).
    app : str
        Script path relative to the project root.
    host : str
        Address to listen on; keep it a loopback address.
    extra_args : sequence of str
        More ``streamlit run`` options, e.g. ``("--server.maxUploadSize", "50")``.
    timeout_s : float
        How long to wait for the server to answer, in seconds.

    Yields
    ------
    str
        The base URL, e.g. ``http://127.0.0.1:41234``. The server log is
        written to ``test-artifacts/streamlit-<port>.log``.
    """
    port = free_port(host)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"streamlit-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        app,
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *extra_args,
    ]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://{host}:{port}"
    try:
        _wait_healthy(url, proc, log, timeout_s)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def require_chromium() -> Path:
    """Path of Debian's Chromium; skip (or fail in CI) where it is not installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    unavailable(f"{CHROMIUM} not found: install Debian's browser with `apt-get install -y chromium`")


def launch_chromium(playwright, extra_args: Sequence[str] = (), **kwargs):
    """Launch the system Chromium headless through playwright.

    Parameters
    ----------
    playwright : playwright.sync_api.Playwright
        From ``sync_playwright()``.
    extra_args : sequence of str
        More command-line flags (e.g. the fake-camera ones).
    **kwargs
        Passed on to ``playwright.chromium.launch``.

    Returns
    -------
    playwright.sync_api.Browser
    """
    return playwright.chromium.launch(
        executable_path=str(require_chromium()),
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
        **kwargs,
    )


def screenshot(page, name: str) -> Path:
    """Save a screenshot of the whole page as ``test-artifacts/<name>.png`` and return its path.

    Streamlit scrolls inside its main section, not the document, so the
    viewport is stretched to the section's height for the shot and then
    restored.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 0; }"
    )
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})
        page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    if size:
        page.set_viewport_size(size)
    return path


#: True when the Streamlit script has finished its run and no element is left over from the last one.
_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.dataset.testScriptState === 'notRunning'
        && document.querySelector('[data-stale="true"]') === null;
}"""


def settle(page, *, timeout_ms: float = 180_000, quiet_ms: float = 700) -> None:
    """Wait until the page has finished its Streamlit rerun and held still for ``quiet_ms``.

    A click, a download or Enter in a text field starts a rerun a few tens of
    milliseconds later; until it ends, elements of the previous run stay on the
    page beside the new ones (two "Save to a subject" expanders, two name
    fields). Waiting only for the "not running" state can catch the moment
    before the rerun starts, so the page must be idle, with no stale element,
    for ``quiet_ms`` on end.

    Raises
    ------
    TimeoutError
        When the page is still busy after ``timeout_ms``.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    quiet_since: float | None = None
    while True:
        now = time.monotonic()
        if page.evaluate(_IDLE_JS):
            quiet_since = now if quiet_since is None else quiet_since
            if now - quiet_since >= quiet_ms / 1000:
                return
        else:
            quiet_since = None
        if now > deadline:
            raise TimeoutError(f"the Streamlit page was still busy after {timeout_ms / 1000:.0f} s")
        page.wait_for_timeout(100)
