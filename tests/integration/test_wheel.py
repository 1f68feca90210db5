"""The package as a user installs it: a built wheel, outside the source tree, serves the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from browser_util import free_port

from knee_cv.app import main


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> object:
    """The project built into a wheel and unpacked into a folder of its own (no source tree on the path)."""
    root = tmp_path_factory.mktemp("wheel")
    project = Path(main.__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(project)], check=True, timeout=300
    )
    (wheel,) = (root / "dist").glob("knee_cv-*.whl")
    site = root / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_wheel_holds_the_app_pages_and_data(installed):
    package = installed / "knee_cv"
    assert (package / "app" / "main.py").is_file()
    pages = package / "app" / "pages"
    assert {"analyze.py", "live.py", "review.py", "how_to_film.py"} <= {p.name for p in pages.iterdir()}
    assert (package / "core" / "thresholds.toml").is_file() and (package / "core" / "exercises.toml").is_file()
    assert (package / "store" / "migrations" / "env.py").is_file()
    assert len(list((package / "store" / "migrations" / "versions").glob("0*.py"))) >= 2


def test_serve_from_the_wheel_answers(installed, tmp_path):
    """``knee-cv serve`` from the installed package, run in an empty folder, starts the app."""
    port = free_port()
    env = {"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    code = (
        "import knee_cv, sys; assert 'site' in knee_cv.__file__, knee_cv.__file__; "
        "from knee_cv.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--address", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # serve starts streamlit as a child: stop the group
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not answer within 60 s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"<noscript>" in page.read()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_installed_entry_script_runs_the_upload_page(installed):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(installed / "knee_cv" / "app" / "main.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Analyze a single-leg squat video"
