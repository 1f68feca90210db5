"""Rep clips cut from a real annotated video (media/rep_clips.py), and the save form's refusal without a video."""

from __future__ import annotations

import numpy as np
import pytest

from knee_cv.app.keep_clips import clips_of
from knee_cv.core.analysis import analyze
from knee_cv.errors import KneeCvError
from knee_cv.media import rep_clips as clips
from knee_cv.media.render import annotate_video
from knee_cv.pipeline import Processed

CLIP = "sls_front_hyva_ja_paha.mp4"  # 1280 x 720, two reps on the right leg


@pytest.fixture(scope="module")
def annotated(shared_videos, video_track, tmp_path_factory):
    track = video_track(CLIP)
    analysis = analyze(track)
    out = tmp_path_factory.mktemp("annotated") / "annotated.mp4"
    annotate_video(shared_videos / CLIP, track, analysis, out)
    return out.read_bytes(), track, analysis


@pytest.fixture(scope="module")
def made(annotated):
    video, track, analysis = annotated
    return clips.rep_clips(video, track, analysis, max_clip_bytes=3_000_000, max_total_bytes=30_000_000)


def test_each_rep_gets_a_720p_clip_of_its_frames_with_their_landmarks(annotated, made):
    _, track, analysis = annotated
    assert set(made) == {rep.index for rep in analysis.reps}
    for rep in analysis.reps:
        clip = made[rep.index]
        assert list(clip.frames) == list(range(rep.start_frame, rep.end_frame + 1))  # one frame per analysed frame
        assert np.array_equal(clip.t, track.t[clip.frames]) and clip.xy.shape == (len(clip), 33, 2)
        assert np.isnan(clip.xy[:, 0]).all() and np.isfinite(clip.xy[:, 26]).any()  # the nose is not kept, knees are
        frame = clips.clip_frame(clip.mp4, len(clip) - 1)
        assert frame.shape == (720, 1280, 3) and np.allclose(clip.scale, 1.0)
        with pytest.raises(IndexError):
            clips.clip_frame(clip.mp4, len(clip))
        assert len(clip.mp4) < 400_000


def test_clips_over_the_limits_are_made_smaller_or_left_out(annotated, made):
    video, track, analysis = annotated
    full = made
    largest = max(len(c.mp4) for c in full.values())
    smaller = clips.rep_clips(video, track, analysis, max_clip_bytes=largest - 1, max_total_bytes=30_000_000)
    index = max(full, key=lambda i: len(full[i].mp4))
    assert len(smaller[index].mp4) < largest and clips.clip_frame(smaller[index].mp4, 0).shape == (360, 640, 3)
    assert np.allclose(smaller[index].scale, 0.5)
    first = clips.rep_clips(
        video, track, analysis, max_clip_bytes=3_000_000, max_total_bytes=len(full[0].mp4) + len(full[1].mp4) - 1
    )
    assert list(first) == [0]  # the second no longer fits the session's limit


@pytest.mark.parametrize(
    "size, fitted",
    [
        ((1080, 1920), (720, 1280)),
        ((1920, 1080), (1280, 720)),
        ((1280, 960), (960, 720)),
        ((406, 720), (406, 720)),
        ((641, 361), (640, 360)),
    ],
)
def test_clip_size_fits_720p_either_way_up(size, fitted):
    assert clips._fit(*size) == fitted


def test_keeping_clips_before_the_annotated_video_is_drawn_says_to_wait(annotated):
    _, track, analysis = annotated
    with pytest.raises(KneeCvError, match="not ready yet: save when it shows"):
        clips_of(Processed(analysis, track, None, {}))
