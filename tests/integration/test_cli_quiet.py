"""The command line stays readable: no MediaPipe log flood, a progress bar only on a terminal.

These run the real ``knee-cv`` (``python -m knee_cv.cli``) as a subprocess on
a real clip through the real model, because the lines at stake are written
by MediaPipe's C++ core straight to file descriptor 2, which only a separate
process shows honestly.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading

import pytest
from tqdm import tqdm

from knee_cv.progress import frame_counter

CLIP = "sls_front_hyva6.mp4"  # 6.7 s, one person from the front
#: What MediaPipe / LiteRT / TFLite / absl print: a glog prefix ("W0000 00:00:..."),
#: LiteRT's "INFO: [file.cc:N]" and "WARNING: [...]", and the well-known messages.
NATIVE_LINE = re.compile(
    r"^[IWEF]\d{4} |^(INFO|WARNING): \[|Created TensorFlow Lite|XNNPACK|Sparsity|InitGoogle|LiteRT",
    re.MULTILINE,
)
#: The per-rep table's header in ``format_text``.
TABLE_HEADER = re.compile(r"^\s*# leg\s+bottom s .*FPPA", re.MULTILINE)


def _knee_cv(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "KNEE_CV_NATIVE_LOGS"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "knee_cv.cli", *args], capture_output=True, text=True, env=environment, timeout=600
    )


@pytest.mark.shared
def test_analyze_prints_the_table_and_no_native_log_line(shared_videos):
    run = _knee_cv("analyze", str(shared_videos / CLIP))
    assert run.returncode == 0, run.stderr
    assert TABLE_HEADER.search(run.stdout), run.stdout
    assert not NATIVE_LINE.search(run.stderr), run.stderr
    # stderr is a pipe, not a terminal: no progress bar either, so nothing at all
    assert run.stderr == ""


@pytest.mark.shared
def test_verbose_shows_the_native_log_lines(shared_videos):
    run = _knee_cv("--verbose", "analyze", str(shared_videos / CLIP))
    assert run.returncode == 0, run.stderr
    assert TABLE_HEADER.search(run.stdout)
    found = NATIVE_LINE.findall(run.stderr)
    assert len(found) > 20, run.stderr  # about 200 lines on this clip
    assert "Sparsity tensors" in run.stderr


@pytest.mark.shared
def test_progress_bar_on_a_terminal_without_native_lines(shared_videos, tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    controller, terminal = pty.openpty()
    # a fresh pseudo-terminal is 0 columns wide, where tqdm draws nothing
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    command = [sys.executable, "-m", "knee_cv.cli", "pose", str(shared_videos / CLIP), "-o", str(tmp_path / "track.csv")]
    environment = {k: v for k, v in os.environ.items() if k != "KNEE_CV_NATIVE_LOGS"}
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal, env=environment)
    os.close(terminal)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: _read(controller), b"")))
    reader.start()
    stdout = process.communicate(timeout=600)[0].decode()
    reader.join(timeout=60)
    os.close(controller)
    shown = b"".join(chunks).decode(errors="replace")
    assert process.returncode == 0, shown
    assert "frames" in stdout
    bars = re.findall(r"pose:\s+\d+%\|.*?\| *(\d+)/(\d+) \[[\d:]+<[\d:]+, +[\d.]+frame/s\]", shown)
    assert bars, shown  # done/expected frames, elapsed<left, frames per second
    assert int(bars[-1][0]) > 0.9 * int(bars[-1][1])
    assert not NATIVE_LINE.search(shown.replace("\r", "\n")), shown


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end closed
        return b""


def test_a_user_error_stays_one_sentence_with_status_2(samples):
    run = _knee_cv("analyze", str(samples.parent / "README.md"))
    assert run.returncode == 2
    assert run.stderr.startswith("knee-cv: README.md is a text file, not a video.")
    assert run.stderr.count("\n") == 1


def test_silencing_keeps_python_output_and_restores_the_descriptor():
    script = (
        "import os, sys, threading\n"
        "from knee_cv.media.quiet import native_logs_silenced\n"
        "def inner():\n"
        "    with native_logs_silenced():\n"
        "        os.write(2, b'native-in-thread\\n')\n"
        "with native_logs_silenced():\n"
        "    os.write(2, b'native-outer\\n')\n"
        "    thread = threading.Thread(target=inner); thread.start(); thread.join()\n"
        "    os.write(2, b'native-after-thread\\n')\n"
        "os.write(2, b'restored\\n')\n"
        "print('python-error', file=sys.stderr)\n"
    )
    quiet = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "KNEE_CV_NATIVE_LOGS": "0"}
    )
    assert quiet.stderr == "restored\npython-error\n"
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "KNEE_CV_NATIVE_LOGS": "1"}
    )
    assert "native-outer" in shown.stderr and "native-in-thread" in shown.stderr


def test_frame_counter_follows_passes_and_ignores_late_calls():
    bar = tqdm(total=None, file=io.StringIO(), disable=False, unit="frame")
    update = frame_counter(bar)
    update(1, 100)
    update(3, 100)
    update(2, 100)  # a late call from the other thread
    assert (bar.n, bar.total) == (3, 100)
    update(1, 100)  # a second pass starts over
    update(2, 100)
    assert (bar.n, bar.total) == (2, 100)
    bar.close()
