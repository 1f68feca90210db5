"""Round trips of knee_cv's own formats and loading of the shared real tracks."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib

import numpy as np
import pytest

from knee_cv.core.landmarks import LANDMARK_NAMES, NUM_LANDMARKS, Landmark
from knee_cv.core.orientation import AS_FILMED, Orientation
from knee_cv.core.track import PoseTrack
from knee_cv.errors import TrackFormatError
from knee_cv.media import trackio
from knee_cv.media.trackio import (
    load_csv,
    load_npz,
    load_posetrack_json,
    load_sharana_csv,
    load_track,
    save_csv,
    save_npz,
)


def _random_track(n: int = 25, seed: int = 3) -> PoseTrack:
    """A track with awkward floats, one no-pose frame and partly missing fields."""
    rng = np.random.default_rng(seed)
    xy = rng.normal(500.0, 300.0, (n, NUM_LANDMARKS, 2)) / 3.0
    visibility = rng.random((n, NUM_LANDMARKS))
    presence = rng.random((n, NUM_LANDMARKS))
    world = rng.normal(0.0, 0.5, (n, NUM_LANDMARKS, 3)) * 1e-7
    xy[4] = np.nan
    visibility[4] = presence[4] = np.nan
    world[4] = np.nan
    presence[7, Landmark.LEFT_KNEE] = np.nan
    people = np.ones(n, dtype=int)
    people[4] = 0
    people[9] = 2
    t = np.cumsum(rng.uniform(0.01, 0.04, n)) + 1 / 3
    return PoseTrack(
        t=t,
        xy=xy,
        visibility=visibility,
        presence=presence,
        world=world,
        width=1080,
        height=1920,
        fps=29.97,
        model='full sha256:"ab12", ünïcode',
        people=people,
        source="clip, with comma\nand newline.mp4",
        duration_s=t[-1] + 0.04,
        orientation=Orientation(mirrored=True, turned_deg=90),
    )


def test_csv_round_trip_is_exact(tmp_path):
    track = _random_track()
    path = tmp_path / "track.csv"
    save_csv(track, path)
    back = load_csv(path)
    assert back.equals(track)
    assert not back.has_pose[4] and back.people[4] == 0
    assert load_track(path).equals(track)
    first_lines = path.read_text(encoding="utf-8").splitlines()[:11]
    assert first_lines[0] == "# knee_cv pose track"
    assert first_lines[8:10] == ["# mirrored: true", "# turned_deg: 90"]
    assert first_lines[10].startswith("frame,t,people,nose_x,nose_y,nose_visibility,nose_presence,")
    row_4 = path.read_text(encoding="utf-8").splitlines()[15].split(",")
    assert row_4[0] == "4" and set(row_4[3:]) == {""}


def test_a_track_file_without_the_video_duration_loads_it_as_unknown(tmp_path):
    """Files written before ``duration_s`` existed (no header line, no array) still load."""
    track = _random_track()
    csv_path, npz_path = tmp_path / "old.csv", tmp_path / "old.npz"
    save_csv(track, csv_path)
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    older = ("# duration_s", "# mirrored", "# turned_deg")
    csv_path.write_text("".join(line for line in lines if not line.startswith(older)), encoding="utf-8")
    save_npz(track, npz_path)
    with np.load(npz_path) as data:
        arrays = {k: data[k] for k in data.files if k not in ("duration_s", "mirrored", "turned_deg")}
    np.savez(npz_path, **arrays)
    for old in (load_csv(csv_path), load_npz(npz_path)):
        assert np.isnan(old.duration_s)
        assert old.orientation == AS_FILMED
        assert np.array_equal(old.xy, track.xy, equal_nan=True)


def test_npz_round_trip_is_exact(tmp_path):
    track = _random_track()
    path = tmp_path / "track.npz"
    save_npz(track, path)
    assert load_npz(path).equals(track)
    assert load_track(path).equals(track)


def test_empty_track_round_trips(tmp_path):
    track = PoseTrack.empty(0, width=640, height=480, fps=30.0)
    save_csv(track, tmp_path / "e.csv")
    save_npz(track, tmp_path / "e.npz")
    assert load_csv(tmp_path / "e.csv").equals(track)
    assert load_npz(tmp_path / "e.npz").equals(track)


def test_unknown_and_damaged_files_raise_clear_errors(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(TrackFormatError, match="not a pose-track format"):
        load_track(other)
    with pytest.raises(TrackFormatError, match="No pose-track file"):
        load_track(tmp_path / "missing.csv")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(TrackFormatError):
        load_track(text)
    bad = tmp_path / "bad.csv"
    save_csv(_random_track(10), bad)
    bad.write_text(bad.read_text().replace("# width: 1080\n", ""))
    with pytest.raises(TrackFormatError, match="header"):
        load_csv(bad)


@pytest.mark.shared
def test_sharana_front_reference_loads_in_pixels(shared_landmarks):
    track = load_sharana_csv(shared_landmarks / "sls_front_ref_01.csv", width=1080, height=1920)
    assert len(track) == 1061
    assert track.xy.shape == (1061, NUM_LANDMARKS, 2)
    assert track.t[0] == 0.0 and 35.0 < track.t[-1] < 35.5
    assert track.fps == pytest.approx(30.0, abs=0.5)
    assert track.has_pose.all()
    hips = track.xy[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]
    assert np.nanmin(hips) > 0 and np.nanmax(hips[..., 0]) < 1080 and np.nanmax(hips[..., 1]) < 1920
    assert np.isnan(track.presence).all() and np.isnan(track.world).all()
    by_dispatch = load_track(shared_landmarks / "sls_front_ref_01.csv")
    assert by_dispatch.equals(track)


@pytest.mark.shared
@pytest.mark.parametrize(
    "name, frames, duration",
    [
        ("sls_side_left_ref_01.csv", 756, 26.0),
        ("sls_side_right_ref_01.csv", 746, 25.7),
        ("app_session_front_messy_01.csv", 2181, 38.1),
    ],
)
def test_other_sharana_files_load(shared_landmarks, name, frames, duration):
    track = load_track(shared_landmarks / name, width=1080, height=1920)
    assert len(track) == frames
    assert track.t[0] == 0.0
    assert track.t[-1] == pytest.approx(duration, abs=0.15)
    assert np.all(np.diff(track.t) > 0)


@pytest.mark.shared
def test_app_session_times_start_at_zero_and_keep_variable_rate(shared_landmarks):
    track = load_track(shared_landmarks / "app_session_front_messy_01.csv")
    steps = np.diff(track.t)
    assert steps.min() < 0.012 and steps.max() > 0.03
    assert track.fps == pytest.approx(1 / 0.017, rel=0.1)


@pytest.mark.shared
def test_posetrack_json_loads(shared_landmarks):
    track = load_posetrack_json(shared_landmarks / "pistol_side_ref_01.posetrack.json")
    assert len(track) == 915
    assert (track.width, track.height, track.fps) == (1920, 1080, 30.0)
    assert track.has_pose.sum() == 902
    assert not track.has_pose[0]
    assert track.t[1] == pytest.approx(1 / 30, abs=1e-4)
    assert 600 < np.nanmin(track.xy[..., 0]) and np.nanmax(track.xy[..., 0]) < 1250
    assert np.nanmax(track.visibility) <= 1.0
    assert track.equals(load_track(shared_landmarks / "pistol_side_ref_01.posetrack.json"))


# --- damaged and hostile track files: one TrackFormatError naming the file, never a traceback ----------------


def _write_sharana(track: PoseTrack, path, mode: str = "single_leg_squat") -> None:
    """Write ``track`` as a pose-detection1 CSV (time in ms, coordinates normalized by the frame size)."""
    header = ["t", "mode"] + [f"lm{i}_{f}" for i in range(NUM_LANDMARKS) for f in "xyzv"]
    lines = [",".join(header)]
    with np.errstate(divide="ignore", invalid="ignore"):  # a frame size of 0 is written as it is
        normalized = track.xy / (track.width, track.height)
    for i in range(len(track)):
        cells = [repr(float(track.t[i] * 1000.0)), mode]
        for lm in range(NUM_LANDMARKS):
            x, y = normalized[i, lm]
            cells += [repr(float(x)), repr(float(y)), "0.0", repr(float(track.visibility[i, lm]))]
        lines.append(",".join("" if c == "nan" else c for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_posetrack_json(track: PoseTrack, path) -> None:
    """Write ``track`` as a swing-analyzer ``.posetrack.json``."""
    frames = [
        {
            "videoTime": float(track.t[i]),
            "keypoints": [
                {
                    "name": name,
                    "x": float(track.xy[i, lm, 0]),
                    "y": float(track.xy[i, lm, 1]),
                    "score": float(track.visibility[i, lm]),
                }
                for lm, name in enumerate(LANDMARK_NAMES)
                if track.has_pose[i]
            ],
        }
        for i in range(len(track))
    ]
    meta = {"videoWidth": track.width, "videoHeight": track.height, "fps": track.fps, "model": "blazepose"}
    path.write_text(json.dumps({"metadata": meta, "frames": frames}), encoding="utf-8")


WRITERS = {"track.csv": save_csv, "track.npz": save_npz, "pd1.csv": _write_sharana, "track.posetrack.json": _write_posetrack_json}


def _with_times(track: PoseTrack, t: np.ndarray) -> PoseTrack:
    return PoseTrack(
        t=t,
        xy=track.xy,
        visibility=track.visibility,
        presence=track.presence,
        world=track.world,
        width=track.width,
        height=track.height,
        fps=track.fps,
        people=track.people,
    )


def _refused(path, phrase: str, **kw) -> str:
    """Assert that load_track refuses ``path`` with a TrackFormatError naming the file and containing ``phrase``."""
    with pytest.raises(TrackFormatError, match=phrase) as refused:
        load_track(path, **kw)
    message = str(refused.value)
    assert path.name in message and "\n" not in message
    return message


def _edit_line(path, index: int, edit) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[index] = edit(lines[index])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", ["track.csv", "pd1.csv"])
@pytest.mark.parametrize(
    ("edit", "phrase"),
    [
        (lambda line: line.rsplit(",", 1)[0], "cells"),  # a cell short
        (lambda line: line + ",0.5", "cells"),  # a cell over
        (lambda line: ",".join(line.split(",")[:5] + ["abc"] + line.split(",")[6:]), "not a number"),
        (lambda line: ",".join(line.split(",")[:5] + ["0x1F"] + line.split(",")[6:]), "not a number"),
    ],
)
def test_ragged_rows_and_text_cells_are_refused(tmp_path, name, edit, phrase):
    path = tmp_path / name
    WRITERS[name](_random_track(10), path)
    n_header = 9 if name == "track.csv" else 1
    _edit_line(path, n_header + 4, edit)
    _refused(path, phrase)


@pytest.mark.parametrize("name", ["track.csv", "pd1.csv", "track.posetrack.json"])
def test_invalid_utf8_is_refused(tmp_path, name):
    path = tmp_path / name
    WRITERS[name](_random_track(10), path)
    data = path.read_bytes()
    path.write_bytes(data[:300] + b"\xff\xfe\xc3" + data[300:])
    _refused(path, "UTF-8")


BAD_TIMES = {
    "constant": lambda t: np.full_like(t, 1.5),
    "duplicate": lambda t: np.repeat(t[::2], 2)[: len(t)],
    "all NaN": lambda t: np.full_like(t, np.nan),
    "one infinite": lambda t: np.where(np.arange(len(t)) == 3, np.inf, t),
    "shuffled": lambda t: np.random.default_rng(1).permutation(t),
    "reversed": lambda t: t[::-1].copy(),
    "microseconds apart": lambda t: np.arange(len(t)) * 1e-6,
    "last one far off": lambda t: np.where(np.arange(len(t)) == len(t) - 1, 1e300, t),  # the rep finder's grid blew up
}


@pytest.mark.parametrize("name", list(WRITERS))
@pytest.mark.parametrize("times", list(BAD_TIMES))
def test_unusable_frame_times_are_refused(tmp_path, name, times):
    """Constant or duplicate times divided by zero further on; NaN, shuffled or reversed ones broke the filters.

    A frame far off in time made the rep finder resample the track onto a grid
    of 1e300 / 0.03 points (found by tests/unit/media/test_track_fuzz.py).
    """
    track = _random_track(12)
    path = tmp_path / name
    WRITERS[name](_with_times(track, BAD_TIMES[times](track.t)), path)
    message = _refused(path, "frame")
    assert "Export the track again" in message


@pytest.mark.parametrize("name", list(WRITERS))
@pytest.mark.parametrize("size", [(0, 1920), (1080, 10**12)])
def test_absurd_frame_sizes_are_refused(tmp_path, name, size):
    track = _random_track(10)
    track.width, track.height = size
    path = tmp_path / name
    WRITERS[name](track, path)
    _refused(path, "frame size", width=size[0], height=size[1])


@pytest.mark.parametrize(
    ("name", "phrase"),
    [("bytes.csv", "not a pose-track format"), ("bytes.npz", "not a knee_cv track archive"), ("bytes.json", "UTF-8")],
)
def test_random_bytes_are_refused(tmp_path, name, phrase):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(5).bytes(20_000))
    _refused(path, phrase)


def test_plain_npy_renamed_npz_is_refused(tmp_path):
    path = tmp_path / "track.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros((10, NUM_LANDMARKS, 2)))
    _refused(path, "not a knee_cv track archive")


def _npz_members(track: PoseTrack) -> dict[str, bytes]:
    """The ``.npy`` members of ``save_npz(track)``, as bytes by array name."""
    buffer = io.BytesIO()
    save_npz(track, buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name.removesuffix(".npy"): archive.read(name) for name in archive.namelist()}


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _write_npz(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)


@pytest.mark.parametrize(
    ("name", "array", "phrase"),
    [
        ("xy", np.zeros((10, NUM_LANDMARKS, 3)), "shape"),
        ("visibility", np.zeros((10, NUM_LANDMARKS - 1)), "shape"),
        ("t", np.arange(20.0).reshape(10, 2), "shape"),
        ("t", np.arange(11.0), "frames"),
        ("width", np.array([1080, 1080]), "shape"),
        ("xy", np.zeros((10, NUM_LANDMARKS, 2), complex), "numbers"),
        ("xy", np.array([None] * 10 * NUM_LANDMARKS * 2, dtype=object).reshape(10, NUM_LANDMARKS, 2), "Python objects"),
        ("model", np.array({"pickled": "dict"}, dtype=object), "Python objects"),
        ("source", np.str_("x" * 100_000), "text"),
        ("fps", np.str_("thirty"), "number"),
        ("width", np.array(np.nan), "number"),
    ],
)
def test_npz_with_wrong_arrays_is_refused(tmp_path, name, array, phrase):
    members = _npz_members(_random_track(10))
    members[name] = _npy(array)
    path = tmp_path / "track.npz"
    _write_npz(path, members)
    _refused(path, phrase)


def test_npz_missing_an_array_is_refused(tmp_path):
    members = _npz_members(_random_track(10))
    del members["world"]
    path = tmp_path / "track.npz"
    _write_npz(path, members)
    _refused(path, "world")


def test_npy_header_claiming_1e11_floats_is_refused_before_reading(tmp_path):
    members = _npz_members(_random_track(10))
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**11,)})
    members["t"] = header.getvalue() + bytes(800)
    path = tmp_path / "track.npz"
    _write_npz(path, members)
    _refused(path, "frames")


def _zip_bomb(path, name: str, inflated: int) -> None:
    """A real zip whose one member ``name`` inflates to ``inflated`` bytes of zeros (a multiple of 1 MiB).

    The deflate stream is one compressed MiB of zeros repeated (each ends in
    a full flush, so the copies are identical), so it is built in a blink.
    """
    mib = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    stream = block * (inflated >> 20) + deflate.flush()
    crc = 0
    for _ in range(inflated >> 20):
        crc = zlib.crc32(mib, crc)
    encoded = name.encode()
    sizes = struct.pack("<III", crc, len(stream), inflated)
    local = struct.pack("<IHHHHH", 0x04034B50, 20, 0, 8, 0, 0) + sizes + struct.pack("<HH", len(encoded), 0) + encoded
    central = (
        struct.pack("<IHHHHHH", 0x02014B50, 20, 20, 0, 8, 0, 0)
        + sizes
        + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, 0)
        + encoded
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(stream), 0)
    path.write_bytes(local + stream + central + end)


def test_npz_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    _zip_bomb(path, "xy.npy", 2000 << 20)
    assert path.stat().st_size < 3_000_000
    with zipfile.ZipFile(path) as archive:  # a well-formed archive: the sizes are true
        assert archive.getinfo("xy.npy").file_size == 2000 << 20
    _refused(path, "inflate")


@pytest.mark.parametrize(
    ("name", "limit"),
    [("track.csv", "max_csv_bytes"), ("track.npz", "max_npz_bytes"), ("track.posetrack.json", "max_json_bytes")],
)
def test_files_over_the_size_limit_are_refused_before_reading(tmp_path, name, limit):
    path = tmp_path / name
    with open(path, "wb") as handle:  # sparse: no disk space, no time
        handle.truncate(getattr(trackio.TrackLimits(), limit) + 1)
    _refused(path, "too large")


@pytest.mark.parametrize("name", list(WRITERS))
def test_the_row_limit_holds_for_every_format(tmp_path, name):
    path = tmp_path / name
    WRITERS[name](_random_track(11), path)
    assert len(load_track(path, limits=trackio.TrackLimits(max_rows=11))) == 11
    _refused(path, "more than 10", limits=trackio.TrackLimits(max_rows=10))


def test_csv_header_damage_is_refused(tmp_path):
    path = tmp_path / "track.csv"
    save_csv(_random_track(10), path)
    for old, new in [
        ('# model: "full', "# model: " + "[" * 30_000 + '"full'),
        ("# width: 1080", "# width: 1e999"),
        ('# source: "clip', "# source: 12#"),
        ("# fps: 29.97", "# fps: fast"),
    ]:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        _refused(path, "header")
        save_csv(_random_track(10), path)


@pytest.mark.parametrize(
    ("doc", "phrase"),
    [
        ("[" * 100_000 + "]" * 100_000, "swing-analyzer"),
        ('{"metadata": {"videoWidth": 1080, "videoHeight": 1920}, "frames": 5}', "swing-analyzer"),
        ('{"metadata": [], "frames": []}', "swing-analyzer"),
        ('{"metadata": {"videoWidth": 1e999, "videoHeight": 1920}, "frames": []}', "swing-analyzer"),
        ('{"metadata": {"videoWidth": 1080, "videoHeight": 1920}, "frames": [{"keypoints": []}]}', "frame 0"),
        (
            '{"metadata": {"videoWidth": 1080, "videoHeight": 1920}, "frames": [{"videoTime": 0, "keypoints": '
            + json.dumps([{"x": 1, "y": 2}] * 34)
            + "}]}",
            "frame 0",
        ),
        (
            '{"metadata": {"videoWidth": 1080, "videoHeight": 1920}, "frames": [{"videoTime": 0, "keypoints": '
            '[{"x": "left", "y": 2}]}]}',
            "frame 0",
        ),
        (
            '{"metadata": {"videoWidth": 1080, "videoHeight": 1920}, "frames": [{"videoTime": 0, "keypoints": '
            '[{"x": 1' + "0" * 400 + ', "y": 2}]}]}',
            "frame 0",
        ),
    ],
)
def test_damaged_posetrack_json_is_refused(tmp_path, doc, phrase):
    path = tmp_path / "x.posetrack.json"
    path.write_text(doc, encoding="utf-8")
    _refused(path, phrase)


def test_a_folder_named_like_a_track_is_refused(tmp_path):
    folder = tmp_path / "track.csv"
    folder.mkdir()
    _refused(folder, "No pose-track file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file, so permissions cannot refuse it here")
def test_a_track_without_read_permission_is_refused(tmp_path):
    path = tmp_path / "track.csv"
    save_csv(_random_track(5), path)
    path.chmod(0)
    _refused(path, "permission denied")


@pytest.mark.parametrize("name", list(WRITERS))
@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("pose", [True, False])
def test_degenerate_but_valid_tracks_give_a_result(tmp_path, name, n, pose):
    """A few frames, or no landmark anywhere, is a result that says so (or a KneeCvError), never a crash."""
    from knee_cv.errors import KneeCvError
    from knee_cv.pipeline import analyze_source

    track = _random_track(12).slice(0, n) if pose else PoseTrack.empty(n, width=1080, height=1920, fps=30.0)
    path = tmp_path / name
    WRITERS[name](track, path)
    try:
        analysis = analyze_source(path)
    except KneeCvError:
        return
    assert analysis.reps == []
