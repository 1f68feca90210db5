"""Writing H.264 MP4 that browsers play: the one encoder set-up of the annotated video and the rep clips.

yuv420p, ``+faststart`` (the index first, so a browser starts playing before
the whole file has arrived) and a millisecond time base; frame times are the
video's own, made strictly increasing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

#: The time base of every frame written, s: times are kept to the millisecond.
TIME_BASE = Fraction(1, 1000)


class H264Writer:
    """An open H.264 stream in an MP4 container (made by :func:`h264_writer`).

    Attributes
    ----------
    stream : av.video.stream.VideoStream
        The stream; set its ``width`` and ``height`` before the first frame.
    """

    def __init__(self, container: Any, stream: Any) -> None:
        self._container = container
        self.stream = stream
        self._last_pts = -1

    def write(self, frame: av.VideoFrame, t: float) -> None:
        """Encode ``frame`` shown at ``t`` seconds (a time not after the last one moves 1 ms past it)."""
        self._last_pts = max(int(round(t * 1000)), self._last_pts + 1)
        frame.pts, frame.time_base = self._last_pts, TIME_BASE
        self._container.mux(self.stream.encode(frame))


@contextmanager
def h264_writer(path: str | Path, fps: float, *, preset: str, crf: int) -> Iterator[H264Writer]:
    """Open ``path`` for an H.264 MP4; the encoder is flushed when the block ends without an error.

    Parameters
    ----------
    path : str or Path
        The file to write (replaced).
    fps : float
        Nominal frame rate, frames per second (at least 1 is written); the
        frames' own times decide when each is shown.
    preset : str
        x264 preset (``"ultrafast"`` ... ``"veryslow"``): speed against size.
    crf : int
        x264 constant rate factor (0-51, lower is better quality and larger).

    Yields
    ------
    H264Writer
    """
    with av.open(str(path), mode="w", container_options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(round(max(fps, 1.0) * 1000), 1000))
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        stream.codec_context.time_base = TIME_BASE
        stream.options = {"preset": preset, "crf": str(crf)}
        writer = H264Writer(out, stream)
        yield writer
        out.mux(stream.encode(None))
