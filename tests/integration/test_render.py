"""Tests of knee_cv.media.render: overlays, face pixelation, thumbnails, annotated H.264 video."""

from __future__ import annotations

import math

import av
import cv2
import numpy as np
import pytest

from knee_cv.core.labels import Exercise, Leg, View
from knee_cv.core.landmarks import NUM_LANDMARKS, Landmark
from knee_cv.core.result import Analysis, Flag, Rep, Summary
from knee_cv.core.series import FrameSeries
from knee_cv.core.thresholds import load_thresholds
from knee_cv.core.track import PoseTrack
from knee_cv.media import render
from knee_cv.media.video import iter_frames


def figure(width: int, height: int, knee_in: float = 0.0) -> np.ndarray:
    """A standing figure facing the camera, (33, 2) pixels; ``knee_in`` moves the right knee medially (px)."""
    xy = np.full((NUM_LANDMARKS, 2), np.nan)
    cx = width / 2
    u = height / 10
    # Frontal view: the person's right side is on the image's left.
    xy[Landmark.NOSE] = cx, 1.0 * u
    xy[Landmark.RIGHT_EYE] = cx - 0.15 * u, 0.85 * u
    xy[Landmark.LEFT_EYE] = cx + 0.15 * u, 0.85 * u
    xy[Landmark.RIGHT_EAR] = cx - 0.3 * u, 0.9 * u
    xy[Landmark.LEFT_EAR] = cx + 0.3 * u, 0.9 * u
    xy[Landmark.MOUTH_RIGHT] = cx - 0.1 * u, 1.2 * u
    xy[Landmark.MOUTH_LEFT] = cx + 0.1 * u, 1.2 * u
    xy[Landmark.RIGHT_SHOULDER] = cx - 1.0 * u, 2.0 * u
    xy[Landmark.LEFT_SHOULDER] = cx + 1.0 * u, 2.0 * u
    xy[Landmark.RIGHT_HIP] = cx - 0.6 * u, 5.0 * u
    xy[Landmark.LEFT_HIP] = cx + 0.6 * u, 5.0 * u
    xy[Landmark.RIGHT_KNEE] = cx - 0.6 * u + knee_in, 7.0 * u
    xy[Landmark.LEFT_KNEE] = cx + 0.6 * u, 7.0 * u
    xy[Landmark.RIGHT_ANKLE] = cx - 0.6 * u, 9.0 * u
    xy[Landmark.LEFT_ANKLE] = cx + 0.6 * u, 9.0 * u
    return xy


def make_rep(index: int, frames: tuple[int, int, int], t: np.ndarray, *, flags=(), reliable=True) -> Rep:
    start, bottom, end = frames
    return Rep(
        index=index,
        leg=Leg.RIGHT,
        start_frame=start,
        bottom_frame=bottom,
        end_frame=end,
        t_start=float(t[start]),
        t_bottom=float(t[bottom]),
        t_end=float(t[end]),
        depth=0.2,
        knee_flexion_deg=60.0,
        fppa_bottom_deg=14.0,
        fppa_peak_deg=15.0,
        pelvic_drop_bottom_deg=3.0,
        pelvic_drop_peak_deg=4.0,
        trunk_lean_deg=2.0,
        knee_wobble=0.01,
        confidence=0.9,
        reliable=reliable,
        flags=list(flags),
    )


VALGUS = Flag("knee_valgus", 14.0, 10.0, "deg", "Knee moves inward: FPPA 14.0 deg > 10 deg.", "heuristic")
LEAN = Flag("trunk_lean", 12.0, 10.0, "deg", "Trunk leans 12 deg.", "heuristic")


def make_analysis(t: np.ndarray, reps: list[Rep]) -> Analysis:
    n = len(t)
    summary = Summary(
        n_reps=len(reps),
        n_reliable=sum(r.reliable for r in reps),
        view=View.FRONTAL,
        view_confidence=1.0,
        exercise=Exercise.SINGLE_LEG,
        measurable=True,
        legs=[],
        rating=None,
        rating_reasons=[],
        messages=[],
    )
    series = FrameSeries.from_dict(
        {
            "t": t,
            "fppa_left": np.full(n, 2.0),
            "fppa_right": np.linspace(0.0, 20.0, n),
            "pelvic_drop": np.full(n, np.nan),
        }
    )
    return Analysis(
        series=series,
        reps=reps,
        shallow_dips=[],
        summary=summary,
        recommendations=[],
        safety_note="",
        thresholds=load_thresholds(),
        model="test",
        source="test",
    )


def colour_near(frame: np.ndarray, colour, point, radius: int = 3, tol: int = 40) -> bool:
    """True if some pixel within ``radius`` of ``point`` is within ``tol`` of ``colour`` (RGB)."""
    x, y = (int(round(v)) for v in point)
    patch = frame[y - radius : y + radius + 1, x - radius : x + radius + 1].astype(int)
    return bool((np.abs(patch - np.array(colour)).max(axis=2) <= tol).any())


def test_rep_colour_follows_flags_and_reliability():
    t = np.arange(10) / 10
    assert render.rep_colour(make_rep(1, (0, 2, 4), t)) == render.OK
    assert render.rep_colour(make_rep(1, (0, 2, 4), t, flags=[VALGUS])) == render.FLAGGED
    assert render.rep_colour(make_rep(1, (0, 2, 4), t, flags=[LEAN])) == render.CAUTION
    assert render.rep_colour(make_rep(1, (0, 2, 4), t, flags=[VALGUS], reliable=False)) == render.UNRELIABLE


def test_draw_leg_paints_thigh_and_shank_in_the_colour():
    frame = np.zeros((400, 300, 3), np.uint8)
    xy = figure(300, 400, knee_in=20)
    render.draw_leg(frame, xy, "right", render.FLAGGED)
    thigh_mid = (xy[Landmark.RIGHT_HIP] + xy[Landmark.RIGHT_KNEE]) / 2
    shank_mid = (xy[Landmark.RIGHT_KNEE] + xy[Landmark.RIGHT_ANKLE]) / 2
    assert colour_near(frame, render.FLAGGED, thigh_mid, tol=0)
    assert colour_near(frame, render.FLAGGED, shank_mid, tol=0)
    left_thigh_mid = (xy[Landmark.LEFT_HIP] + xy[Landmark.LEFT_KNEE]) / 2
    assert not colour_near(frame, render.FLAGGED, left_thigh_mid, radius=5)


def test_draw_leg_with_a_missing_joint_draws_nothing():
    frame = np.zeros((400, 300, 3), np.uint8)
    xy = figure(300, 400)
    xy[Landmark.RIGHT_KNEE] = np.nan
    render.draw_leg(frame, xy, "right", render.FLAGGED)
    render.draw_skeleton(frame, np.full((NUM_LANDMARKS, 2), np.nan))
    assert not frame.any()


def test_skeleton_skips_low_visibility_bones():
    xy = figure(300, 400)
    visible = np.ones(NUM_LANDMARKS)
    shown = render.draw_skeleton(np.zeros((400, 300, 3), np.uint8), xy, visible)
    visible[Landmark.LEFT_ANKLE] = 0.1
    hidden = render.draw_skeleton(np.zeros((400, 300, 3), np.uint8), xy, visible)
    shin_mid = (xy[Landmark.LEFT_KNEE] + xy[Landmark.LEFT_ANKLE]) / 2
    assert colour_near(shown, render.SKELETON, shin_mid, tol=30)
    assert not colour_near(hidden, render.SKELETON, shin_mid, radius=2, tol=100)


def test_pixelate_face_changes_the_face_only():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (400, 300, 3), dtype=np.uint8)
    before = frame.copy()
    xy = figure(300, 400)
    render.pixelate_face(frame, xy)
    nose = xy[Landmark.NOSE].astype(int)
    face_box = (slice(nose[1] - 10, nose[1] + 10), slice(nose[0] - 10, nose[0] + 10))
    # Pixelation averages the noise: far less spread than the random original.
    assert frame[face_box].std() < before[face_box].std() / 3
    assert np.array_equal(frame[300:], before[300:])


def test_pixelate_face_without_face_landmarks_keeps_the_frame():
    frame = np.full((100, 100, 3), 7, np.uint8)
    xy = figure(100, 100)
    xy[list(render.FACE)] = np.nan
    render.pixelate_face(frame, xy)
    assert (frame == 7).all()


def test_rep_thumbnail_is_a_small_jpeg_with_the_leg_drawn():
    frame = np.full((1920, 1080, 3), 40, np.uint8)
    xy = figure(1080, 1920, knee_in=60)
    rep = make_rep(2, (0, 1, 2), np.arange(3.0), flags=[VALGUS])
    jpeg = render.rep_thumbnail(frame, xy, rep, max_side=480)
    assert jpeg[:2] == b"\xff\xd8"
    image = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert max(image.shape[:2]) <= 480
    red = (np.abs(image.astype(int) - np.array(render.FLAGGED)).max(axis=2) < 40).sum()
    assert red > 200
    assert np.array_equal(frame, np.full((1920, 1080, 3), 40, np.uint8)), "the input frame must not change"


def write_clip(path, width: int, height: int, greys, *, codec: str = "libx264", gop: int = 250):
    """A 25 fps clip of flat grey frames, one per value of ``greys``; H.264 (lossless) or another codec."""
    options = {"preset": "ultrafast", "qp": "0", "g": str(gop)} if codec == "libx264" else {}
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25, options=options)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p" if codec == "libx264" else "bgr0"
        for grey in greys:
            frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), grey, np.uint8), format="rgb24")
            container.mux(stream.encode(frame.reformat(format=stream.pix_fmt)))
        container.mux(stream.encode())
    return path


def standing_track(clip, width: int, height: int) -> PoseTrack:
    """A track of ``clip``'s frames with :func:`figure` standing still in each."""
    t = np.array([ts for ts, _ in iter_frames(clip)])
    n = len(t)
    return PoseTrack(
        t=t,
        xy=np.repeat(figure(width, height)[None], n, axis=0),
        visibility=np.ones((n, NUM_LANDMARKS)),
        presence=np.ones((n, NUM_LANDMARKS)),
        world=np.full((n, NUM_LANDMARKS, 3), np.nan),
        width=width,
        height=height,
        fps=25.0,
        source=clip.name,
    )


@pytest.mark.parametrize(
    ("size", "codec", "expected"),
    [
        ((541, 961), "ffv1", (540, 960)),  # odd: the last row and column are cut, not scaled
        ((1920, 1080), "libx264", (1280, 720)),
        ((1080, 1920), "libx264", (720, 1280)),
        ((1768, 994), "libx264", (1280, 720)),
    ],
)
def test_the_annotated_video_is_at_most_720p_with_even_sides_and_the_overlay_in_place(tmp_path, size, codec, expected):
    width, height = size
    clip = write_clip(tmp_path / ("clip.mkv" if codec == "ffv1" else "clip.mp4"), width, height, [40] * 4, codec=codec)
    track = standing_track(clip, width, height)
    reps = [make_rep(0, (0, 1, 3), track.t, flags=[VALGUS])]
    out = tmp_path / "annotated.mp4"
    render.annotate_video(clip, track, make_analysis(track.t, reps), out)
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 4 and frames[1].shape[:2] == (expected[1], expected[0])
    factor = expected[0] / width if expected[0] < width - 1 else 1.0
    thigh = (track.xy[1, Landmark.RIGHT_HIP] + track.xy[1, Landmark.RIGHT_KNEE]) / 2 * factor
    assert colour_near(frames[1], render.FLAGGED, thigh)


def test_seek_groups_cut_where_a_keyframe_lies_between_two_reps():
    wanted = [(0.5, 0), (1.0, 1), (2.5, 2), (2.9, 3), (4.0, 4)]
    assert render._seek_groups(wanted, [0.0, 2.0, 3.0]) == [wanted[:2], wanted[2:4], wanted[4:]]
    assert render._seek_groups(wanted, []) == [wanted]
    assert render._seek_groups(wanted[:1], [0.0]) == [wanted[:1]]


def test_key_frames_are_the_reps_deepest_frames_across_keyframes(tmp_path):
    """Frame i is grey 8 i, a keyframe every 8 frames: each thumbnail's background says which frame it shows."""
    clip = write_clip(tmp_path / "numbered.mp4", 320, 240, [8 * i for i in range(30)], gop=8)
    track = standing_track(clip, 320, 240)
    bottoms = {0: 3, 1: 5, 2: 20, 3: 29}  # rep index: deepest frame (two reps in the first stretch, seeks after)
    reps = [make_rep(index, (bottom, bottom, bottom), track.t) for index, bottom in bottoms.items()]
    thumbs = render.rep_key_frames(clip, track, make_analysis(track.t, reps))
    assert set(thumbs) == set(bottoms)
    for index, bottom in bottoms.items():
        image = cv2.imdecode(np.frombuffer(thumbs[index], np.uint8), cv2.IMREAD_GRAYSCALE)
        assert abs(float(np.median(image[-4:, -4:])) - 8 * bottom) <= 2, (index, bottom)


def test_annotate_video_writes_browser_playable_h264(shared_videos, tmp_path):
    clip = shared_videos / "squat_side_01.mp4"
    t = np.array([ts for ts, _ in iter_frames(clip)])
    n = len(t)
    xy = np.repeat(figure(540, 960, knee_in=40)[None], n, axis=0)
    track = PoseTrack(
        t=t,
        xy=xy,
        visibility=np.ones((n, NUM_LANDMARKS)),
        presence=np.ones((n, NUM_LANDMARKS)),
        world=np.full((n, NUM_LANDMARKS, 3), np.nan),
        width=540,
        height=960,
        fps=30.0,
        source=clip.name,
    )
    reps = [make_rep(1, (10, 30, 50), t, flags=[VALGUS]), make_rep(2, (80, 100, 120), t)]
    calls = []
    out = tmp_path / "annotated.mp4"
    render.annotate_video(
        clip, track, make_analysis(t, reps), out, blur_face=True, progress=lambda d, tot: calls.append((d, tot))
    )

    assert calls[-1] == (n, n) and [d for d, _ in calls] == list(range(1, n + 1))
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "moov atom must come first (faststart)"
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        frames = [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    assert len(frames) == n
    assert math.isclose(frames[-1][0], t[-1], abs_tol=0.002)
    width, height = frames[0][1].shape[1], frames[0][1].shape[0]
    assert (width, height) == (540, 960)
    thigh = (xy[0, Landmark.RIGHT_HIP] + xy[0, Landmark.RIGHT_KNEE]) / 2
    assert colour_near(frames[30][1], render.FLAGGED, thigh)
    assert colour_near(frames[100][1], render.OK, thigh)
    assert colour_near(frames[65][1], render.NEUTRAL, thigh)


def test_real_clip_through_the_real_model_gets_a_pixelated_face_and_rep_thumbnails(shared_videos, tmp_path):
    from knee_cv.core.analysis import analyze
    from knee_cv.media.pose import track_video

    clip = shared_videos / "squat_front_01.mp4"
    track = track_video(clip)
    analysis = analyze(track)
    assert analysis.reps, "the front-view clip has squats"
    out = tmp_path / "blurred.mp4"
    render.annotate_video(clip, track, analysis, out, blur_face=True)
    thumbs = render.rep_key_frames(clip, track, analysis, blur_face=True)
    assert set(thumbs) == {rep.index for rep in analysis.reps}

    # Frames where the face is found, below the readout box (which hides what it covers itself, and whose
    # text would be read as detail): compare the eyes' box before and after.
    marker = np.full((track.height, track.width, 3), 255, np.uint8)
    render.draw_readouts(marker, ["M" * 60] * 6)  # more and longer lines than any frame's readouts
    below_box = int((marker[:, -1, 0] < 255).sum())
    index = [
        i
        for i in range(0, len(track), 15)
        if np.isfinite(track.xy[i, list(render.FACE)]).all()
        and track.xy[i, [Landmark.LEFT_EYE, Landmark.RIGHT_EYE], 1].min() > below_box
    ]
    assert len(index) >= 5
    wanted = {round(float(track.t[i]), 3) for i in index}
    source = {round(t, 3): rgb for t, rgb in iter_frames(clip) if round(t, 3) in wanted}
    with av.open(str(out)) as container:
        frames = {
            round(float(f.pts * f.time_base), 3): f.to_ndarray(format="rgb24")
            for f in container.decode(video=0)
            if round(float(f.pts * f.time_base), 3) in wanted
        }
    for i in index:
        t = float(track.t[i])
        before = source[min(source, key=lambda s: abs(s - t))]
        after = frames[min(frames, key=lambda s: abs(s - t))]
        assert after.shape == before.shape  # 480 x 640 portrait: not scaled
        eyes = track.xy[i, [Landmark.LEFT_EYE, Landmark.RIGHT_EYE]]
        x0, y0 = np.floor(eyes.min(axis=0)).astype(int)
        x1, y1 = np.ceil(eyes.max(axis=0)).astype(int) + 1
        box = (slice(y0, y1), slice(x0, x1))
        # Pixelation flattens the eyes' detail: much smaller pixel-to-pixel steps than in the source.
        grey_before = before[box].mean(axis=2)
        grey_after = after[box].mean(axis=2)
        assert np.abs(np.diff(grey_after, axis=1)).mean() < 0.6 * np.abs(np.diff(grey_before, axis=1)).mean()
