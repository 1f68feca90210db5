"""No input ends in a traceback (issue 17): bad output paths, a full disk, no permission, Ctrl-C.

Output paths are refused before any slow work, each in one sentence with exit
status 2; files are written whole or not at all; Ctrl-C ends ``analyze`` and
``batch`` with one line and status 130. The refusals of a path run
:func:`knee_cv.cli.main` in this process; everything that depends on signals,
file descriptors, another user or another mount runs the real command in a
subprocess.
"""

from __future__ import annotations

import csv
import fcntl
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from knee_cv.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "squat_oblique_front_01.csv"
#: A text file: were it read before the output path is checked, the refusal would be about it.
NOT_A_VIDEO = SAMPLE.with_name("README.md")
CLIP = "sls_front_hyva2.mp4"  # 9 s frontal single-leg squat: a pose run of several seconds
SHORT_CLIP = "sls_front_hyva3.mp4"
#: The progress bar of the pose run with at least one frame done: "12/270 [".
FRAMES_DONE = re.compile(r"\b[1-9]\d*/\d+ \[")
STOPPED = "knee-cv: stopped (Ctrl-C); no output file was left half-written."


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "knee_cv.cli", *args]


def _one_sentence(stderr: str) -> str:
    """The single line of a refusal, checked to be one line starting with ``knee-cv: ``."""
    assert "Traceback" not in stderr, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("knee-cv: "), stderr
    return stderr.strip()


def _outputs(tmp_path: Path, kind: str) -> str:
    """An output path of the given kind: an existing folder, or a file in a folder that does not exist."""
    return str(tmp_path) if kind == "folder" else str(tmp_path / "missing" / "out.csv")


COMMANDS = {
    "pose": lambda out, db: ["pose", str(NOT_A_VIDEO), "-o", out],
    "analyze --json": lambda out, db: ["analyze", str(NOT_A_VIDEO), "--json", out],
    "analyze --csv": lambda out, db: ["analyze", str(NOT_A_VIDEO), "--csv", out],
    "report": lambda out, db: ["report", "1", "-o", out, "--db", db],
    "history": lambda out, db: ["history", "P001", "-o", out, "--db", db],
}


@pytest.mark.parametrize("kind", ["folder", "missing folder"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_unwritable_output_is_refused_first_in_one_sentence(name, kind, tmp_path, capsys):
    out = _outputs(tmp_path, kind)
    db = f"sqlite:///{tmp_path / 'empty.sqlite3'}"  # no such session or subject either
    assert main(COMMANDS[name](out, db)) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert out in line
    if kind == "folder":
        assert "is a folder; give the name of a file to write, such as" in line
    else:
        assert "its folder does not exist; create the folder first or choose another one" in line
    assert not (tmp_path / "missing").exists()


def test_batch_into_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "clip.mp4").write_bytes(b"not read before the output folder is checked")
    (tmp_path / "out").write_text("a file, not a folder")
    assert main(["batch", str(tmp_path / "clip.mp4"), "-o", str(tmp_path / "out")]) == 2
    assert "is a file; give a folder for the results" in _one_sentence(capsys.readouterr().err)


def test_a_full_device_is_one_sentence(tmp_path, capsys):
    (tmp_path / "result.json").symlink_to("/dev/full")  # every write there fails with ENOSPC
    assert main(["analyze", str(SAMPLE), "--json", str(tmp_path / "result.json")]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert line == (
        f"knee-cv: Could not write {tmp_path / 'result.json'}: no space left on the device; "
        "free some space or choose another folder. Nothing was written to it."
    )


def test_a_full_disk_keeps_the_old_file_and_leaves_no_part(tmp_path):
    """A real 64 kB tmpfs (mounted in a user namespace of its own) on which the JSON does not fit."""
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("a tmpfs needs unshare -rm (user namespaces), which this machine does not allow")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        'mount -t tmpfs -o size=64k tmpfs "$0" && printf old > "$0/result.json" && "$@" >/dev/null; '
        'status=$?; ls -A "$0"; cat "$0/result.json"; exit $status'
    )
    run = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            script,
            str(disk),
            *_command("analyze", str(SAMPLE), "--json", str(disk / "result.json"), "--csv", str(disk / "reps.csv")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert "no space left on the device" in _one_sentence(run.stderr)
    assert run.stdout == "result.json\nold"  # no temporary file, no CSV, the old JSON as it was


def _as_user(*args: str) -> subprocess.CompletedProcess:
    """Run ``knee-cv`` bound by file permissions: as root, without the capabilities that override them."""
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv (util-linux), which drops root's right to any file")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    return subprocess.run(prefix + _command(*args), capture_output=True, text=True, timeout=120)


def test_a_folder_without_write_permission_is_one_sentence(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    run = _as_user("analyze", str(SAMPLE), "--json", str(locked / "result.json"))
    assert run.returncode == 2
    assert _one_sentence(run.stderr) == (
        f"knee-cv: Could not write {locked / 'result.json'}: permission denied; "
        "choose a folder you may write to. Nothing was written to it."
    )
    assert run.stdout == ""  # refused before the analysis


@pytest.mark.shared
def test_a_video_without_read_permission_is_one_sentence(tmp_path, shared_videos):
    video = tmp_path / "squat.mp4"
    shutil.copyfile(shared_videos / SHORT_CLIP, video)
    video.chmod(0)
    run = _as_user("analyze", str(video))
    assert run.returncode == 2
    assert "permission denied" in _one_sentence(run.stderr).lower()


def _default_sigint() -> None:
    """In the child: Ctrl-C's default, whatever this test run inherited (a shell ignores it in background jobs)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str], **streams) -> subprocess.Popen:
    """Start ``knee-cv`` in a process group of its own, so Ctrl-C can reach all its processes as on a terminal."""
    return subprocess.Popen(
        _command(*args), stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_default_sigint, **streams
    )


def _ctrl_c(process: subprocess.Popen) -> None:
    """Press Ctrl-C: SIGINT to every process of its group (the driver and any workers)."""
    os.killpg(process.pid, signal.SIGINT)


def _group_ends(process: subprocess.Popen, within_s: float = 10.0) -> bool:
    """True when no process of ``process``'s group is left within ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _wait_until(condition, timeout_s: float = 120) -> None:
    """Poll ``condition()`` every 0.1 s until it is true or ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end closed
        return b""


def _visible_lines(terminal_text: str) -> list[str]:
    """The lines a terminal shows at the end: each line's text after its last carriage return, blanks left out.

    The terminal itself turns each newline into CR LF, so those carriage returns are not counted.
    """
    lines = (line.rsplit("\r", 1)[-1].strip() for line in terminal_text.replace("\r\n", "\n").split("\n"))
    return [line for line in lines if line]


@pytest.mark.shared
def test_ctrl_c_during_the_pose_run_of_analyze_is_one_line_and_status_130(shared_videos, tmp_path):
    """On a terminal (a pseudo-terminal for stderr), Ctrl-C once the progress bar counts frames."""
    controller, terminal = pty.openpty()
    # a fresh pseudo-terminal is 0 columns wide, where tqdm draws nothing
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = _start(
        ["analyze", str(shared_videos / CLIP), "--json", str(tmp_path / "result.json")], stdout=subprocess.PIPE, stderr=terminal
    )
    os.close(terminal)
    chunks: list[bytes] = []  # read all along: a terminal's other end cannot be read once it closed
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: _read(controller), b"")))
    reader.start()
    _wait_until(lambda: FRAMES_DONE.search(b"".join(chunks).decode(errors="replace")))
    started = b"".join(chunks).decode(errors="replace")
    _ctrl_c(process)
    stdout = process.communicate(timeout=60)[0].decode()
    reader.join(timeout=60)
    os.close(controller)
    shown = b"".join(chunks).decode(errors="replace")
    assert FRAMES_DONE.search(started), shown  # the pose run had started
    assert process.returncode == 130, shown
    assert "Traceback" not in shown
    assert _visible_lines(shown) == [STOPPED]  # the progress bar gone, one line left
    assert stdout == ""
    assert list(tmp_path.iterdir()) == []
    assert _group_ends(process)


def _summary(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.shared
def test_ctrl_c_during_a_batch_keeps_what_was_finished_and_a_rerun_resumes(shared_videos, tmp_path):
    videos, out = tmp_path / "videos", tmp_path / "out"
    videos.mkdir()
    (videos / "a.mp4").symlink_to(shared_videos / "singleleg_balance_oblique_01.mp4")  # 1.7 s, done first
    (videos / "b.mp4").symlink_to(shared_videos / "sls_front_hyva6.mp4")  # 6.7 s, interrupted
    process = _start(
        ["batch", str(videos), "-o", str(out), "--workers", "1"],  # one video after the other
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_until(lambda: (out / "summary.csv").is_file() and _summary(out))  # a.mp4 done
    _ctrl_c(process)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert _one_sentence(stderr) == (
        f"knee-cv: stopped (Ctrl-C); the videos finished so far are kept in {out}, and the same command again resumes from there."
    )
    assert stdout == ""
    assert _group_ends(process)  # the worker too
    assert [(Path(row["file"]).name, row["status"]) for row in _summary(out)] == [("a.mp4", "ok")]
    assert not [path for path in out.rglob("*") if ".part" in path.name]

    rerun = subprocess.run(
        _command("batch", str(videos), "-o", str(out), "--workers", "1"), capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "2 videos: 1 run now, 1 kept from an earlier batch, 0 failed." in rerun.stdout
