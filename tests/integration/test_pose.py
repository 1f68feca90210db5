"""The pose stage on real videos through the real model (tracks cached per code version)."""

from __future__ import annotations

import numpy as np
import pytest

from knee_cv.core.filters import gate
from knee_cv.core.landmarks import Landmark
from knee_cv.core.thresholds import load_thresholds
from knee_cv.media import trackio

TORSO = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP]


def _largest_jump(track) -> float:
    """Largest frame-to-frame move of the torso centre, in body heights."""
    centre = track.xy[:, TORSO].mean(axis=1)
    height = np.nanmedian(np.ptp(track.xy[:, :, 1], axis=1))
    steps = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    return float(np.nanmax(steps) / height)


@pytest.mark.parametrize(
    "name",
    [
        "squat_side_01.mp4",
        "squat_oblique_front_01.mp4",
        "squat_side_lowres_01.mp4",
        "squat_front_01.mp4",
        "sls_side_02.mp4",
    ],
)
def test_squat_clips_have_a_pose_in_nearly_every_frame(video_track, name):
    track = video_track(name)
    assert track.detection_rate >= 0.95
    assert track.max_people == 1
    assert np.all(np.diff(track.t) > 0)
    assert track.model.startswith("full sha256:")


def test_rotated_clip_gives_the_same_track_as_its_upright_twin(video_track):
    rotated = video_track("squat_side_rotated_meta_01.mp4")
    upright = video_track("squat_side_01.mp4")
    assert (rotated.width, rotated.height) == (upright.width, upright.height) == (540, 960)
    difference = np.abs(rotated.xy - upright.xy)
    assert np.nanmedian(difference) < 2.0  # pixels


def test_front_phone_clip_is_portrait(video_track):
    track = video_track("squat_front_01.mp4")
    assert (track.width, track.height) == (480, 640)
    hips_y = track.xy[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 1]
    shoulders_y = track.xy[:, [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER], 1]
    assert np.nanmedian(shoulders_y) < np.nanmedian(hips_y)  # upright: head up


@pytest.mark.parametrize("name", ["two_people_01.mp4", "two_people_02.mp4"])
def test_two_people_give_one_consistent_subject(video_track, name):
    track = video_track(name)
    assert track.max_people == 2
    assert (track.people == 2).mean() > 0.3
    assert track.detection_rate > 0.5
    # The two people stand about 1.4 body heights apart (median); a swap would jump
    # that far, while the backlit man's own jittery first frames move up to 0.25.
    assert _largest_jump(track) < 0.3


def _torso_centre(track) -> np.ndarray:
    return track.xy[:, TORSO].mean(axis=1)


def test_two_people_01_follows_the_man_who_jumps_not_the_woman_walking_by(video_track):
    """The man stands on a box (torso above y = 400 px) until he jumps off at about 5.6 s and
    rolls on the grass to the right (x > 1000 px); the woman walks right to left below the box
    (torso at y = 650 px) from 2 s to 6.8 s. He is backlit by the sun and hard to find."""
    track = video_track("two_people_01.mp4")
    centre = _torso_centre(track)
    on_box = (track.t > 0.3) & (track.t < 5.5)
    assert track.has_pose[on_box].mean() > 0.85
    assert (centre[on_box & track.has_pose, 1] < 400).all()
    rolling = (track.t > 6.6) & track.has_pose
    assert rolling.sum() > 15 and (centre[rolling, 0] > 1000).all()
    assert track.detection_rate > 0.75


def test_rate_cap_keeps_real_times_of_a_60_fps_clip(shared_videos):
    from knee_cv.media.pose import track_video

    clip = shared_videos / "singleleg_balance_oblique_01.mp4"
    capped, every = track_video(clip), track_video(clip, max_rate_hz=0)
    assert (len(capped), len(every)) == (50, 100)
    assert np.array_equal(capped.t, every.t[::2])
    assert capped.detection_rate == every.detection_rate == 1.0
    assert np.nanmedian(np.abs(capped.xy - every.xy[::2])) < 3.0  # pixels, on a 1080 x 1920 frame


def test_parallel_parts_track_like_one_pass(video_track, shared_videos):
    """Two workers (the second seeks to its part and tracks 1 s before it) against one."""
    from knee_cv.media.pose import track_video

    parts = video_track("squat_side_01.mp4")
    whole = track_video(shared_videos / "squat_side_01.mp4", workers=1)
    assert np.array_equal(parts.t, whole.t)
    assert np.array_equal(parts.has_pose, whole.has_pose)
    assert np.nanmedian(np.abs(parts.xy - whole.xy)) < 1.0  # pixels


def test_a_cut_off_phone_video_is_analysed_up_to_the_cut_and_says_so(shared_videos, tmp_path):
    """An interrupted copy of an MP4 whose index comes first: the readable part is analysed and reported."""
    import av

    from knee_cv.core.analysis import analyze
    from knee_cv.media.pose import track_video

    whole = tmp_path / "whole.mp4"
    with (
        av.open(str(shared_videos / "sls_front_hyva3.mp4")) as source,
        av.open(str(whole), "w", options={"movflags": "faststart"}) as out,
    ):
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for frame in source.decode(video=0):
            out.mux(stream.encode(frame.reformat(640, 360, "yuv420p")))
        out.mux(stream.encode())
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.5)])
    track = track_video(cut)
    assert track.duration_s == pytest.approx(6.7, abs=0.1)
    assert 1.5 < track.t[-1] < 5.0 and track.detection_rate > 0.9
    summary = analyze(track).summary
    said = [m for m in summary.messages if m.startswith(f"The video could not be read from {track.t[-1]:.1f} s to 6.7 s")]
    assert said and "damaged or cut off" in said[0]
    assert not [m for m in analyze(track_video(whole)).summary.messages if "could not be read" in m]


def test_no_person_gives_an_empty_track(video_track):
    track = video_track("noperson_01.mp4")
    assert len(track) > 300
    assert track.detection_rate == 0.0 and track.max_people == 0
    assert np.isnan(track.xy).all()


def test_invented_upper_body_is_gated_out(video_track):
    """MediaPipe invents the head and shoulders of a legs-only clip, with high visibility;
    they lie above the frame, so the gate drops them while the legs stay."""
    track = video_track("partial_legs_only_01.mp4")
    p = load_thresholds().filters
    gated = gate(track, min_visibility=p.min_visibility, margin=p.frame_margin, min_presence=p.min_presence)
    kept = np.isfinite(gated).all(axis=-1)[track.has_pose]
    assert kept[:, Landmark.NOSE].mean() < 0.1
    assert kept[:, [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]].mean() < 0.5
    assert kept[:, [Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE]].mean() > 0.8


def test_real_track_round_trips_exactly(video_track, tmp_path):
    track = video_track("squat_side_lowres_01.mp4")
    trackio.save_csv(track, tmp_path / "t.csv")
    trackio.save_npz(track, tmp_path / "t.npz")
    assert trackio.load_csv(tmp_path / "t.csv").equals(track)
    assert trackio.load_npz(tmp_path / "t.npz").equals(track)


def test_cli_pose_writes_a_track(shared_videos, tmp_path):
    from knee_cv.cli import main

    output = tmp_path / "track.csv"
    assert main(["pose", str(shared_videos / "two_people_02.mp4"), "-o", str(output)]) == 0
    track = trackio.load_csv(output)
    assert len(track) == 50 and track.max_people == 2  # 100 frames at 60 fps, inferred at 30 Hz
    assert main(["pose", str(shared_videos / "two_people_02.mp4"), "-o", str(output), "--max-rate", "0"]) == 0
    assert len(trackio.load_csv(output)) == 100  # every frame


def test_cli_reports_a_bad_video_in_one_sentence(tmp_path, capsys):
    from knee_cv.cli import main

    bogus = tmp_path / "clip.mp4"
    bogus.write_text("not a video")
    assert main(["pose", str(bogus), "-o", str(tmp_path / "t.csv")]) == 2
    assert "knee-cv:" in capsys.readouterr().err
