"""Round trips of knee_cv's own formats and loading of the shared real tracks."""

from __future__ import annotations

import numpy as np
import pytest

from knee_cv.core.landmarks import NUM_LANDMARKS, Landmark
from knee_cv.core.track import PoseTrack
from knee_cv.errors import TrackFormatError
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
        t=t, xy=xy, visibility=visibility, presence=presence, world=world, width=1080,
        height=1920, fps=29.97, model='full sha256:"ab12", ünïcode', people=people,
        source="clip, with comma\nand newline.mp4", duration_s=t[-1] + 0.04,
    )


def test_csv_round_trip_is_exact(tmp_path):
    track = _random_track()
    path = tmp_path / "track.csv"
    save_csv(track, path)
    back = load_csv(path)
    assert back.equals(track)
    assert not back.has_pose[4] and back.people[4] == 0
    assert load_track(path).equals(track)
    first_lines = path.read_text(encoding="utf-8").splitlines()[:9]
    assert first_lines[0] == "# knee_cv pose track"
    assert first_lines[8].startswith("frame,t,people,nose_x,nose_y,nose_visibility,nose_presence,")
    row_4 = path.read_text(encoding="utf-8").splitlines()[13].split(",")
    assert row_4[0] == "4" and set(row_4[3:]) == {""}


def test_a_track_file_without_the_video_duration_loads_it_as_unknown(tmp_path):
    """Files written before ``duration_s`` existed (no header line, no array) still load."""
    track = _random_track()
    csv_path, npz_path = tmp_path / "old.csv", tmp_path / "old.npz"
    save_csv(track, csv_path)
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    csv_path.write_text("".join(line for line in lines if not line.startswith("# duration_s")), encoding="utf-8")
    save_npz(track, npz_path)
    with np.load(npz_path) as data:
        arrays = {k: data[k] for k in data.files if k != "duration_s"}
    np.savez(npz_path, **arrays)
    for old in (load_csv(csv_path), load_npz(npz_path)):
        assert np.isnan(old.duration_s)
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
    [("sls_side_left_ref_01.csv", 756, 26.0), ("sls_side_right_ref_01.csv", 746, 25.7),
     ("app_session_front_messy_01.csv", 2181, 38.1)],
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
