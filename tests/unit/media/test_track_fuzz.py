"""Fuzzing the two edges where files come in: track files and video files.

Whatever the bytes, reading a track (and analysing it when it is read) or
probing and decoding a video gives a result or a :class:`KneeCvError` with
its one sentence, never another exception. The inputs are small valid files
made here (a synthetic squat track in every format, a short H.264 clip made
with PyAV), mutated byte by byte or cell by cell, cut short, or replaced by
random bytes. Hypothesis runs derandomized and without an example database,
so every run tries the same inputs.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import synthetic_squats
from test_trackio import _write_posetrack_json, _write_sharana

from knee_cv.core.analysis import analyze
from knee_cv.core.track import PoseTrack
from knee_cv.errors import KneeCvError
from knee_cv.media.trackio import load_track, save_csv, save_npz
from knee_cv.media.video import iter_frames

#: Same inputs on every run, and a fixed number of them, so the test is deterministic and takes seconds.
FUZZ = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Numbers that a number cell may hold and that test the analysis: missing, infinite, huge, tiny, negative.
NUMBERS = ["", "nan", "-nan", "inf", "-inf", "0", "-0", "1e308", "-1e308", "1e999", "5e-324", "1e-300", "1e12", "-1"]
#: Text that breaks number cells and lines in interesting ways.
TOKENS = [",", "\n", "\r\n", '"', "#", "0x1F", "abc", "ä", "\ufeff", "[" * 50, "{}", "null", "1_000", *NUMBERS]


def _write_stored_npz(track: PoseTrack, path: Path) -> None:
    """Write ``track`` as an uncompressed ``.npz``, so mutations reach the arrays' headers and data."""
    compressed = path.with_name("compressed.npz")
    save_npz(track, compressed)
    with np.load(compressed) as data:
        np.savez(path, **{name: data[name] for name in data.files})


WRITERS = {
    "track.csv": save_csv,
    "track.npz": save_npz,
    "stored.npz": _write_stored_npz,
    "pd1.csv": _write_sharana,
    "track.posetrack.json": _write_posetrack_json,
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Where the seeds and each mutated example are written."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def track_seeds(folder) -> dict[str, bytes]:
    """A short synthetic single-leg squat (69 frames at 15 fps, one rep, one frame without a pose) in every format."""
    track, _ = synthetic_squats(n_reps=1, fps=15.0, standing_s=0.5, tempo_s=1.5, pause_s=0.2)
    track.xy[20] = np.nan
    seeds = {}
    for name, write in WRITERS.items():
        write(track, folder / name)
        seeds[name] = (folder / name).read_bytes()
    return seeds


@pytest.fixture(scope="module")
def video_seeds(folder) -> dict[str, bytes]:
    """A 10-frame 64 x 48 H.264 clip, with its index at the end (as PyAV writes it) and at the start."""
    seeds = {}
    for name, options in (("clip.mp4", {}), ("faststart.mp4", {"movflags": "faststart"})):
        path = folder / name
        rng = np.random.default_rng(0)
        with av.open(str(path), "w", options=options) as container:
            stream = container.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for _ in range(10):
                rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
            container.mux(stream.encode())
        seeds[name] = path.read_bytes()
    return seeds


@st.composite
def _mutated(draw, seed: bytes, tokens: list[bytes]) -> bytes:
    """``seed`` with a few bytes overwritten, inserted or deleted, a span repeated, or cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["overwrite", "insert", "delete", "repeat", "truncate"]))
        chunk = draw(st.sampled_from(tokens) | st.binary(min_size=1, max_size=8))
        if kind == "overwrite":
            data[at : at + len(chunk)] = chunk
        elif kind == "insert":
            data[at:at] = chunk
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
        else:
            del data[at:]
    return bytes(data)


def _track_result_or_refusal(path: Path) -> None:
    """Read ``path`` as a track and analyse it: a result or a KneeCvError, nothing else."""
    try:
        track = load_track(path)
    except KneeCvError as refusal:
        assert path.name in str(refusal) and "\n" not in str(refusal)
        return
    try:
        analyze(track)
    except KneeCvError:
        pass


TRACK_TOKENS = [token.encode() for token in TOKENS]


@settings(FUZZ, max_examples=250)
@given(data=st.data(), name=st.sampled_from(sorted(WRITERS)))
def test_mutated_track_files_give_a_result_or_a_refusal(folder, track_seeds, data, name):
    path = folder / f"fuzzed-{name}"
    path.write_bytes(data.draw(_mutated(track_seeds[name], TRACK_TOKENS)))
    _track_result_or_refusal(path)


@settings(FUZZ, max_examples=60)
@given(content=st.binary(max_size=4096), name=st.sampled_from(["bytes.csv", "bytes.npz", "bytes.json"]))
def test_random_bytes_as_track_files_give_a_refusal(folder, content, name):
    path = folder / name
    path.write_bytes(content)
    _track_result_or_refusal(path)


CELL_VALUES = st.sampled_from(NUMBERS) | st.floats().map(repr)


@settings(FUZZ, max_examples=80)
@given(data=st.data(), name=st.sampled_from(["track.csv", "pd1.csv"]))
def test_csv_tracks_with_odd_numbers_give_a_result_or_a_refusal(folder, track_seeds, data, name):
    """Cells swapped for odd numbers keep the file readable, so these reach the analysis."""
    lines = track_seeds[name].decode().splitlines()
    first_row = next(i for i, line in enumerate(lines) if line[:1].isdigit())
    for _ in range(data.draw(st.integers(1, 12))):
        row = data.draw(st.integers(first_row, len(lines) - 1))
        cells = lines[row].split(",")
        cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(CELL_VALUES)
        lines[row] = ",".join(cells)
    path = folder / f"cells-{name}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _track_result_or_refusal(path)


VIDEO_TOKENS = [b"\x00" * 4, b"\xff" * 4, b"moov", b"mdat", b"trak", b"stsz", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x01"]


@settings(FUZZ, max_examples=120)
@given(data=st.data(), name=st.sampled_from(["clip.mp4", "faststart.mp4"]))
def test_mutated_videos_give_frames_or_a_refusal(folder, video_seeds, data, name):
    path = folder / f"fuzzed-{name}"
    path.write_bytes(data.draw(_mutated(video_seeds[name], VIDEO_TOKENS)))
    try:
        frames = list(iter_frames(path))
    except KneeCvError as refusal:
        assert "\n" not in str(refusal)
        return
    assert all(rgb.ndim == 3 and rgb.shape[2] == 3 for _, rgb in frames)
