"""The shared H.264 writer (knee_cv.media.h264)."""

from __future__ import annotations

import av
import numpy as np

from knee_cv.media.h264 import h264_writer


def test_frames_keep_their_times_made_increasing_and_the_file_is_browser_h264(tmp_path):
    path = tmp_path / "out.mp4"
    with h264_writer(path, 30.0, preset="ultrafast", crf=23) as out:
        out.stream.width, out.stream.height = 64, 48
        for t in (0.0, 0.0, 0.1):  # a repeated time moves 1 ms on
            rgb = np.full((48, 64, 3), 128, dtype=np.uint8)
            out.write(av.VideoFrame.from_ndarray(rgb, format="rgb24"), t)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (64, 48)
        times = sorted(round(float(frame.time), 3) for frame in container.decode(stream))
    assert times == [0.0, 0.001, 0.1]
    assert path.read_bytes()[4:8] == b"ftyp" and path.read_bytes().find(b"moov") < path.read_bytes().find(b"mdat")
