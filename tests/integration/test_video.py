"""knee_cv.media.video: bad files are refused with a useful sentence, good ones decode upright with real times.

Every bad input is generated here with PyAV; the real clips come from the
``shared_videos`` fixture.
"""

from __future__ import annotations

import io
import os
import threading
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from knee_cv.errors import VideoError
from knee_cv.media.video import (
    VideoLimits,
    capped_rate,
    creation_time,
    frames_in_background,
    iter_frames,
    probe,
    shrink,
)

W, H = 64, 48


def _noise_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` RGB frames of gray 4x4-pixel blocks of random brightness.

    Noise compresses poorly, so the bytes spread evenly over the file; gray
    blocks survive chroma subsampling, so decoded frames can be compared.
    """
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (n, H // 4, W // 4, 1), dtype=np.uint8)
    return list(blocks.repeat(4, axis=1).repeat(4, axis=2).repeat(3, axis=3))


def _write_clip(
    path: Path,
    codec: str = "libx264",
    n: int = 30,
    fps: int = 30,
    pix_fmt: str = "yuv420p",
    pts_ms: list[int] | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode a small W x H noise clip; ``pts_ms`` gives each frame's time in milliseconds (variable rate)."""
    frames = _noise_frames(len(pts_ms) if pts_ms else n)
    with av.open(str(path), "w", options=options or {}) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = W, H, pix_fmt
        if pts_ms:
            stream.codec_context.time_base = stream.time_base = Fraction(1, 1000)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if pts_ms:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _write_sized(path: Path, width: int, height: int, n: int = 3) -> Path:
    """Encode ``n`` gray frames of ``width`` x ``height`` pixels as H.264."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(n):
            frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), 128, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _write_still(path: Path, suffix: str) -> Path:
    """Write a picture in the format of ``suffix`` (``.png``, ``.jpg``), then rename it to ``path``."""
    picture = path.with_suffix(suffix)
    av.VideoFrame.from_ndarray(_noise_frames(1)[0], format="rgb24").to_image().save(picture)
    picture.rename(path)
    return path


def _write_sine(path: Path, seconds: float = 1.0, rate: int = 44100) -> Path:
    """Encode a 440 Hz sine as AAC sound only."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate)
        for start in range(0, samples.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(samples[:, start : start + 1024].copy(), format="flt", layout="mono")
            frame.sample_rate = rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _truncate(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def _refused(path: Path, phrase: str, limits: VideoLimits = VideoLimits()) -> str:
    """Assert that both probe and iter_frames raise VideoError containing ``phrase``."""
    with pytest.raises(VideoError, match=phrase) as probed:
        probe(path, limits)
    with pytest.raises(VideoError, match=phrase):
        next(iter_frames(path, limits))
    return str(probed.value)


# --- bad input --------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    _refused(tmp_path / "nowhere.mp4", "does not exist")


def test_folder_instead_of_file(tmp_path):
    _refused(tmp_path, "is a folder")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    message = _refused(path, "is empty")
    assert "Export the clip again" in message


def test_random_bytes(tmp_path):
    path = tmp_path / "random.mp4"
    path.write_bytes(np.random.default_rng(0).bytes(50_000))
    _refused(path, "not a video format")


def test_text_renamed_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("Patient 12, left knee, single-leg squat.\n" * 100)
    _refused(path, "is a text file")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_image_renamed_mp4(tmp_path, suffix):
    message = _refused(_write_still(tmp_path / "photo.mp4", suffix), "looks like a still image")
    assert "Record the squats as a video" in message


def test_one_frame_video_is_a_still(tmp_path):
    _refused(_write_clip(tmp_path / "one.mp4", n=1), "looks like a still image")


def test_audio_only(tmp_path):
    _refused(_write_sine(tmp_path / "sound.m4a"), "only sound, no picture")


def test_audio_only_named_mp4(tmp_path):
    _refused(_write_sine(tmp_path / "sound.mp4"), "only sound, no picture")


def test_zero_decodable_frames(tmp_path):
    """A clip whose picture data is wiped (container index intact) decodes to nothing."""
    path = _write_clip(tmp_path / "wiped.mp4")
    data = bytearray(path.read_bytes())
    start, end = data.find(b"mdat") + 4, data.find(b"moov") - 4
    assert 0 < start < end, "the test clip should have its index (moov) after the picture data"
    data[start:end] = bytes(end - start)
    path.write_bytes(bytes(data))
    _refused(path, "Not a single frame")


def test_truncated_before_index(tmp_path):
    """Cut off so early that the container's index is missing: nothing can be opened."""
    path = _write_clip(tmp_path / "clip.mp4")  # PyAV's mp4 muxer writes the index last
    _refused(_truncate(path, tmp_path / "cut.mp4", 0.6), "incompletely copied")


def test_truncated_generated_keeps_the_readable_part(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=90, options={"movflags": "faststart"})
    whole = list(iter_frames(path))
    kept = list(iter_frames(_truncate(path, tmp_path / "cut.mp4", 0.7)))
    assert len(whole) == 90
    assert 30 < len(kept) < 90
    for (t_kept, rgb_kept), (t_whole, rgb_whole) in zip(kept, whole):
        assert t_kept == pytest.approx(t_whole)
        assert np.array_equal(rgb_kept, rgb_whole)


def test_truncated_generated_too_short_is_refused(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=90, options={"movflags": "faststart"})
    cut = _truncate(path, tmp_path / "cut.mp4", 0.2)
    probe(cut)  # the first frames are fine; the damage shows further on
    with pytest.raises(VideoError, match="damaged or cut off"):
        list(iter_frames(cut))


def test_cut_off_after_its_first_frame_is_called_damaged_not_a_picture(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=30, options={"movflags": "faststart"})
    with av.open(str(path)) as container:
        positions = [packet.pos for packet in container.demux(video=0) if packet.pos is not None]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: (positions[1] + positions[2]) // 2])  # halfway into the second frame
    message = _refused(cut, "damaged or cut off after its first frame")
    assert "still image" not in message and "Export the clip again" in message


def test_picture_too_large(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4")
    _refused(path, "larger than knee_cv accepts", VideoLimits(max_side=32))
    _refused(path, "larger than knee_cv accepts", VideoLimits(max_pixels=W * H - 1))


@pytest.mark.parametrize(
    ("width", "height", "phrase"),
    [
        (8000, 8, "strip"),
        (8, 8000, "strip"),
        (2048, 256, "strip"),
        (32, 16, "too small"),
        (16, 32, "too small"),
    ],
)
def test_picture_too_thin_or_too_small_is_refused_before_decoding(tmp_path, width, height, phrase):
    """An 8000 x 8 clip passed every size limit and crashed in OpenCV: now one sentence, from the header alone."""
    from knee_cv.pipeline import track_of

    path = _write_sized(tmp_path / "strip.mp4", width, height)
    message = _refused(path, phrase)
    assert f"{width}x{height}" in message and "upload that" in message
    with pytest.raises(VideoError, match=phrase):
        track_of(path)


def test_picture_limits_are_those_of_video_limits(tmp_path):
    path = _write_sized(tmp_path / "clip.mp4", 128, 64)
    probe(path)
    _refused(path, "too small", VideoLimits(min_side=65))
    _refused(path, "strip", VideoLimits(max_aspect=1.9))


def test_path_with_a_name_too_long_for_the_system(tmp_path):
    message = _refused(tmp_path / ("a" * 300 + ".mp4"), "cannot be opened")
    assert "file name too long" in message


@pytest.mark.skipif(not Path("/dev/null").is_char_device(), reason="no /dev/null device on this system")
def test_device_is_not_called_a_folder():
    message = _refused(Path("/dev/null"), "a device or a pipe")
    assert "folder" not in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file, so permissions cannot refuse it here")
def test_file_without_read_permission(tmp_path):
    path = _write_clip(tmp_path / "locked.mp4")
    path.chmod(0)
    _refused(path, "permission denied")


def test_tag_that_is_not_utf8_is_read(tmp_path):
    """A title tag of invalid UTF-8 made PyAV's open raise UnicodeDecodeError (found by tests/unit/media/test_track_fuzz.py)."""
    path = _write_clip(tmp_path / "clip.mp4")
    with av.open(str(path)) as source, av.open(str(tmp_path / "tagged.mp4"), "w") as tagged:
        tagged.metadata["title"] = "TITLE-TO-BREAK"
        stream = tagged.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                tagged.mux(packet)
    data = (tmp_path / "tagged.mp4").read_bytes()
    assert data.count(b"TITLE-TO-BREAK") == 1
    (tmp_path / "tagged.mp4").write_bytes(data.replace(b"TITLE-TO-BREAK", b"\xff\xfe\xfd" * 4 + b"\xff\xfe"))
    assert len(list(iter_frames(tmp_path / "tagged.mp4"))) == 30


def test_codec_no_decoder_knows_is_refused(tmp_path):
    """A stream naming an unknown codec has no codec context: it raised AttributeError (found by the fuzz test)."""
    path = _write_clip(tmp_path / "clip.mp4")
    data = path.read_bytes()
    entry = data.rfind(b"avc1")  # the sample entry in the index (the first is a brand in the file type box)
    path.write_bytes(data[:entry] + b"zzz9" + data[entry + 4 :])
    _refused(path, "codec knee_cv cannot read")


def test_too_long(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=60)
    message = _refused(path, "longer than the limit", VideoLimits(max_duration_s=1.0))
    assert "Trim the clip" in message


def test_too_long_by_real_timestamps_when_the_container_states_no_duration(tmp_path):
    path = _write_clip(tmp_path / "clip.mjpeg", codec="mjpeg", n=60, fps=25, pix_fmt="yuvj420p")
    limits = VideoLimits(max_duration_s=1.0)
    assert np.isnan(probe(path, limits).duration_s)
    with pytest.raises(VideoError, match="longer than the limit"):
        list(iter_frames(path, limits))
    assert len(list(iter_frames(path))) == 60


def test_bare_stream_without_timestamps(tmp_path):
    _refused(_write_clip(tmp_path / "clip.h264"), "without timestamps")


def test_file_too_large(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4")
    _refused(path, "too large", VideoLimits(max_bytes=path.stat().st_size - 1))


# --- codecs and timing ------------------------------------------------------------------------

CODECS = [
    ("libx264", "clip.mp4", "yuv420p", "h264"),
    ("libx265", "clip.mp4", "yuv420p", "hevc"),
    ("libvpx-vp9", "clip.webm", "yuv420p", "vp9"),
    ("libvpx-vp9", "clip.mp4", "yuv420p", "vp9"),
    ("mjpeg", "clip.avi", "yuvj420p", "mjpeg"),
]


@pytest.mark.parametrize(("encoder", "name", "pix_fmt", "codec"), CODECS)
def test_codecs_read_back(tmp_path, encoder, name, pix_fmt, codec):
    if encoder not in av.codecs_available:
        pytest.skip(f"PyAV's FFmpeg has no {encoder} encoder")
    path = _write_clip(tmp_path / name, codec=encoder, n=12, fps=25, pix_fmt=pix_fmt)
    info = probe(path)
    assert (info.codec, info.width, info.height, info.rotation) == (codec, W, H, 0)
    assert info.fps == pytest.approx(25)
    frames = list(iter_frames(path))
    assert len(frames) == 12
    times = np.array([t for t, _ in frames])
    np.testing.assert_allclose(times, np.arange(12) / 25, atol=1e-3)
    for _, rgb in frames:
        assert rgb.shape == (H, W, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    # lossy, but the decoded noise must still resemble what was written
    written = _noise_frames(12)
    diff = np.mean([np.abs(rgb.astype(int) - ref.astype(int)).mean() for (_, rgb), ref in zip(frames, written)])
    assert diff < 20, f"decoded frames differ from the written ones by {diff:.1f} gray levels"


def test_variable_frame_rate_times_come_back_as_written(tmp_path):
    pts_ms = [0, 40, 70, 150, 160, 300, 333, 400, 520, 600]
    path = _write_clip(tmp_path / "vfr.mp4", pts_ms=pts_ms)
    times = [t for t, _ in iter_frames(path)]
    np.testing.assert_allclose(times, np.array(pts_ms) / 1000, atol=1e-6)


def test_times_start_at_zero_when_the_first_pts_does_not(tmp_path):
    path = _write_clip(tmp_path / "late.mp4", pts_ms=[500, 540, 580, 620])
    times = [t for t, _ in iter_frames(path)]
    np.testing.assert_allclose(times, [0.0, 0.04, 0.08, 0.12], atol=1e-6)


def test_repeated_timestamp_is_skipped(tmp_path, caplog):
    """A broken file that repeats a timestamp: times stay strictly increasing, the repeat is dropped."""
    pts = [0, 1, 1, 2, 3]  # in frames of 1/25 s
    path = tmp_path / "repeat.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuvj420p"
        for index, rgb in enumerate(_noise_frames(len(pts))):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                packet.pts = packet.dts = pts[index]
                container.mux(packet)
        container.mux(stream.encode())
    frames = list(iter_frames(path))
    np.testing.assert_allclose([t for t, _ in frames], [0.0, 0.04, 0.08, 0.12], atol=1e-6)
    written = _noise_frames(len(pts))
    kept = [written[i] for i in (0, 1, 3, 4)]
    for (_, rgb), ref in zip(frames, kept):
        assert np.abs(rgb.astype(int) - ref.astype(int)).mean() < 20
    assert "does not follow" in caplog.text


# --- seeking and the rate cap ----------------------------------------------------------------


def _same_frames(got: list, expected: list) -> None:
    assert [t for t, _ in got] == [t for t, _ in expected]
    for (_, a), (_, b) in zip(got, expected):
        assert np.array_equal(a, b)


# MP4 with B-frames (reordered: a keyframe's decoding time is before its presentation time)
# and MPEG-TS (seeks land on the next keyframe or past the end; the reader must step back).
SEEKABLE = [("clip.mp4", "mp4", {"g": "12", "bf": "2"}), ("clip.ts", "mpegts", {"g": "25"})]


@pytest.mark.parametrize(("name", "fmt", "x264"), SEEKABLE)
@pytest.mark.parametrize(("start", "stop"), [(0.0, 1.0), (1.0, 2.0), (1.37, 2.71), (2.5, np.inf), (2.95, np.inf)])
def test_start_and_stop_give_exactly_a_full_decodes_slice(tmp_path, name, fmt, x264, start, stop):
    path = tmp_path / name
    frames = _noise_frames(90)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream("libx264", rate=30, options=x264)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for rgb in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode())
    full = list(iter_frames(path))
    assert len(full) == 90
    part = list(iter_frames(path, start_s=start, stop_s=stop))
    expected = [(t, rgb) for t, rgb in full if start <= t < stop]
    assert expected, "the slice should not be empty"
    _same_frames(part, expected)


@pytest.mark.parametrize("name", ["two_people_01.mp4", "squat_side_rotated_meta_01.mp4", "sls_front_hyva2.mp4"])
def test_real_clip_slices_match_a_full_decode(shared_videos, name):
    """VP9, a rotation tag, and an MPEG-TS file named .mp4 whose first frame is at 3.36 s."""
    path = shared_videos / name
    full = list(iter_frames(path))
    end = full[-1][0]
    for start, stop in [(end / 2, np.inf), (end * 0.8, np.inf), (end / 3, end / 3 + 1.0)]:
        _same_frames(list(iter_frames(path, start_s=start, stop_s=stop)), [(t, rgb) for t, rgb in full if start <= t < stop])


def test_near_times_give_only_those_frames_of_a_full_decode(tmp_path):
    """The reps' key frames: a few pictures out of a stretch, the others decoded but not converted."""
    path = _write_clip(tmp_path / "clip.mp4", n=90, fps=30)
    full = list(iter_frames(path))
    near, tolerance = [0.5, 1.49, 2.8], 0.5 / 30
    got = list(iter_frames(path, start_s=0.4, stop_s=2.9, near_s=near, near_tolerance_s=tolerance))
    _same_frames(got, [(t, rgb) for t, rgb in full if 0.4 <= t < 2.9 and any(abs(t - n) <= tolerance for n in near)])
    assert len(got) == 3


@pytest.mark.parametrize(("fps", "kept_rate"), [(60, 30), (50, 25), (120, 30), (30, 30), (25, 25)])
def test_rate_cap_keeps_every_kth_frame_at_its_real_time(tmp_path, fps, kept_rate):
    path = _write_clip(tmp_path / "clip.mp4", n=2 * fps, fps=fps)
    assert capped_rate(probe(path).fps, 30) == pytest.approx(kept_rate)
    full = list(iter_frames(path))
    capped = list(iter_frames(path, max_rate_hz=30))
    assert len(capped) == 2 * kept_rate  # duration x rate
    _same_frames(capped, full[:: fps // kept_rate])
    np.testing.assert_allclose(np.diff([t for t, _ in capped]), 1 / kept_rate, atol=1e-3)


def test_rate_cap_keeps_every_frame_of_a_jittery_30_fps_clip(tmp_path):
    """Phone timestamps wobble by a few milliseconds; at 30 fps the 30 Hz cap must drop nothing."""
    pts_ms = [round(i * 1000 / 30) + (3 if i % 3 == 1 else -2 if i % 3 == 2 else 0) for i in range(60)]
    path = _write_clip(tmp_path / "vfr.mp4", pts_ms=pts_ms)
    assert len(list(iter_frames(path, max_rate_hz=30))) == 60


def test_rate_cap_and_start_agree_with_a_full_capped_decode(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=120, fps=60)
    capped = list(iter_frames(path, max_rate_hz=30))
    later = list(iter_frames(path, start_s=1.0, max_rate_hz=30))
    _same_frames(later, [(t, rgb) for t, rgb in capped if t >= 1.0])


def test_capped_rate():
    assert capped_rate(59.94, 30) == pytest.approx(29.97)
    assert capped_rate(29.97, 30) == pytest.approx(29.97)
    assert capped_rate(30.2, 30) == pytest.approx(30.2)  # within 1 % of the cap: kept whole
    assert capped_rate(240, 30) == pytest.approx(30)
    assert capped_rate(100, 30) == pytest.approx(25)
    assert np.isnan(capped_rate(float("nan"), 30))


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv444p"])  # shrunk in YUV, or converted first
def test_long_side_shrinks_frames_like_shrinking_the_full_frames(tmp_path, pix_fmt):
    path = _write_clip(tmp_path / "clip.mp4", n=10, pix_fmt=pix_fmt)
    full = list(iter_frames(path))
    small = list(iter_frames(path, long_side=32))
    assert [t for t, _ in small] == [t for t, _ in full]
    for (_, a), (_, b) in zip(small, full):
        assert a.shape == (24, 32, 3) and a.flags.c_contiguous
        assert np.abs(a.astype(int) - shrink(b, 32).astype(int)).mean() < 4  # gray levels


def test_long_side_of_a_real_rotated_clip(shared_videos):
    path = shared_videos / "squat_side_rotated_meta_01.mp4"  # stored 960 x 540, shown 540 x 960
    (_, full), (_, small) = next(iter_frames(path)), next(iter_frames(path, long_side=480))
    assert small.shape == (480, 270, 3)
    assert np.abs(small.astype(int) - shrink(full, 480).astype(int)).mean() < 4


def test_long_side_leaves_smaller_frames_alone(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=5)
    for (_, a), (_, b) in zip(iter_frames(path, long_side=1000), iter_frames(path)):
        assert np.array_equal(a, b)


# --- background decoding ----------------------------------------------------------------------


def _decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "knee_cv-decode"]


def test_background_gives_the_same_frames(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=20)
    direct = list(iter_frames(path))
    background = list(frames_in_background(iter_frames(path), maxsize=2))
    assert len(background) == len(direct) == 20
    for (t_a, a), (t_b, b) in zip(direct, background):
        assert t_a == t_b and np.array_equal(a, b)
    assert not _decode_threads()


def test_background_reraises_decoder_errors(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=90, options={"movflags": "faststart"})
    cut = _truncate(path, tmp_path / "cut.mp4", 0.2)
    received = []
    with pytest.raises(VideoError, match="damaged or cut off"):
        for item in frames_in_background(iter_frames(cut)):
            received.append(item)
    assert received, "frames decoded before the damage should reach the consumer first"
    assert not _decode_threads()


def test_background_stops_when_the_consumer_stops(tmp_path):
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    items = frames_in_background(endless(), maxsize=3)
    assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()
    assert closed.is_set(), "the source iterator should be closed"
    assert not _decode_threads()


def test_background_stops_on_break_with_real_decoding(tmp_path):
    path = _write_clip(tmp_path / "clip.mp4", n=60)
    items = frames_in_background(iter_frames(path), maxsize=2)
    for i, _ in enumerate(items):
        if i == 3:
            break
    items.close()
    assert not _decode_threads()


# --- real clips -------------------------------------------------------------------------------


def test_real_rotated_clip_matches_its_upright_twin(shared_videos):
    rotated = shared_videos / "squat_side_rotated_meta_01.mp4"
    info = probe(rotated)
    assert (info.width, info.height, info.rotation) == (540, 960, -90)
    pairs = 0
    for (t_up, up), (t_rot, rot) in zip(iter_frames(shared_videos / "squat_side_01.mp4"), iter_frames(rotated)):
        assert rot.shape == up.shape == (960, 540, 3)
        assert t_rot == pytest.approx(t_up, abs=1e-3)
        assert np.abs(rot.astype(int) - up.astype(int)).mean() < 3
        pairs += 1
    assert pairs == 187


def test_real_phone_front_clip_is_portrait(shared_videos):
    path = shared_videos / "squat_front_01.mp4"
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (480, 640, -90)
    t, rgb = next(iter_frames(path))
    assert t == 0.0 and rgb.shape == (640, 480, 3)


def test_real_frame_count_is_decoded_not_claimed(shared_videos):
    path = shared_videos / "sls_side_supported_01.mp4"
    assert probe(path).claimed_frames == 981
    times = np.array([t for t, _ in frames_in_background(iter_frames(path))])
    assert len(times) == 912
    assert np.all(np.diff(times) > 0)
    assert times[-1] == pytest.approx(38.2, abs=0.1)


def test_real_vp9_clip_decodes(shared_videos):
    path = shared_videos / "two_people_01.mp4"
    info = probe(path)
    assert (info.codec, info.width, info.height) == ("vp9", 1768, 994)
    frames = iter_frames(path)
    for _ in range(10):
        _, rgb = next(frames)
        assert rgb.shape == (994, 1768, 3)
    frames.close()


@pytest.mark.parametrize(("fraction", "kept"), [(0.5, True), (0.02, False)])
def test_real_clip_truncated(shared_videos, tmp_path, fraction, kept):
    cut = _truncate(shared_videos / "squat_side_01.mp4", tmp_path / "cut.mp4", fraction)
    if kept:
        frames = list(iter_frames(cut))
        assert 30 < len(frames) < 187
        assert frames[-1][1].shape == (960, 540, 3)
    else:
        with pytest.raises(VideoError, match="damaged or cut off|Not a single frame|incompletely copied"):
            list(iter_frames(cut))


def _clip_with_tags(tags: dict[str, str]) -> bytes:
    """A three-frame MP4 in memory with these container tags."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        container.metadata.update(tags)
        stream = container.add_stream("libx264", rate=10)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for _ in range(3):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")))
        container.mux(stream.encode(None))
    return out.getvalue()


def test_creation_time_from_the_container_when_it_has_one():
    """The upload page's default filming date: the MP4's creation_time tag, or None."""
    assert creation_time(_clip_with_tags({"creation_time": "2026-05-01T17:30:00.000000Z"})) == datetime(
        2026, 5, 1, 17, 30, tzinfo=timezone.utc
    )
    assert creation_time(_clip_with_tags({})) is None
    assert creation_time(b"not a video") is None


def test_creation_time_from_a_path_reads_the_file(tmp_path):
    """The command line's saves read the tag from the file itself, not from a copy in memory."""
    path = tmp_path / "tagged.mp4"
    path.write_bytes(_clip_with_tags({"creation_time": "2026-05-01T17:30:00.000000Z"}))
    assert creation_time(path) == datetime(2026, 5, 1, 17, 30, tzinfo=timezone.utc)
    assert creation_time(tmp_path / "missing.mp4") is None


def _counting_opens(monkeypatch) -> list[Path]:
    """The paths video.py opens from now on (the real opener, each call recorded)."""
    from knee_cv.media import video

    opened: list[Path] = []
    real = video._open

    def counted(path: Path):
        opened.append(path)
        return real(path)

    monkeypatch.setattr(video, "_open", counted)
    return opened


@pytest.mark.parametrize("start_s", [4.64, 5.5])
def test_a_start_before_the_second_keyframe_is_decoded_without_reopening(shared_videos, monkeypatch, start_s):
    """sls_front_hyva2 (MPEG-TS named .mp4) has keyframes at 0 and 5.12 s, and a seek into its first stretch
    lands on the second. From 4.64 s (the pose stage's second part) it is read from the start, from 5.5 s
    seeked: the file is opened to probe it, to read its packets up to the second keyframe and once to decode (it
    was opened 6 times from 4.64 s), and the frames are those of a full decode."""
    clip = shared_videos / "sls_front_hyva2.mp4"
    whole = [(t, rgb) for t, rgb in iter_frames(clip, long_side=64) if t >= start_s]
    opened = _counting_opens(monkeypatch)
    part = list(iter_frames(clip, start_s=start_s, long_side=64))
    assert len(opened) == 3
    assert [t for t, _ in part] == [t for t, _ in whole]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(part, whole))
