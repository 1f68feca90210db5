"""An in-memory H.264 recording of a live stream, encoded in a background thread.

The live page keeps the camera frames it analysed so that, after the
stream stops, the same annotated video and rep thumbnails can be made as
for an uploaded file. The recording lives in memory only and is dropped
with the session: nothing is written to disk.
"""

from __future__ import annotations

import io
import queue
import threading
from fractions import Fraction
from typing import Any, cast

import av
import cv2
import numpy as np

#: Frames waiting for the encoder before new ones are dropped (about 1 s of video).
QUEUE_FRAMES = 30
_TIME_BASE = Fraction(1, 1000)


class Recorder:
    """Encode upright RGB frames with their times into an MP4 held in memory.

    Parameters
    ----------
    width, height : int
        Size of the recording in pixels; frames of another size are resized
        to it, and odd sizes are cut down by one pixel (H.264 yuv420p needs
        even sides).

    Notes
    -----
    :meth:`add` never blocks the caller (the WebRTC thread): when the
    encoder falls behind by :data:`QUEUE_FRAMES`, the frame is dropped from
    the recording and ``dropped`` is counted.
    """

    def __init__(self, width: int, height: int) -> None:
        self.size = (max(2, width // 2 * 2), max(2, height // 2 * 2))
        self.dropped = 0
        self._buffer = io.BytesIO()
        self._frames: queue.Queue[tuple[float, np.ndarray] | None] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._thread = threading.Thread(target=self._encode, name="knee_cv-live-recorder", daemon=True)
        self._thread.start()

    def add(self, t: float, rgb: np.ndarray) -> None:
        """Queue a frame taken ``t`` seconds after the first (strictly increasing)."""
        try:
            self._frames.put_nowait((t, rgb))
        except queue.Full:
            self.dropped += 1

    def _encode(self) -> None:
        with av.open(self._buffer, mode="w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=30)
            stream.width, stream.height = self.size
            stream.pix_fmt = "yuv420p"
            stream.time_base = stream.codec_context.time_base = _TIME_BASE
            stream.options = {"preset": "ultrafast", "crf": "23"}
            last = -1
            while (item := self._frames.get()) is not None:
                t, rgb = item
                if (rgb.shape[1], rgb.shape[0]) != self.size:
                    rgb = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)
                # The frames are RGB uint8, so the YUV picture is uint8 too (cv2's stubs say only "an array").
                yuv = cast("np.ndarray[Any, np.dtype[np.uint8]]", cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420))
                frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                frame.pts, frame.time_base = max(round(t * 1000), last + 1), _TIME_BASE
                last = frame.pts
                out.mux(stream.encode(frame))
            if last >= 0:
                out.mux(stream.encode(None))

    def finish(self) -> bytes:
        """Stop, flush the encoder and return the MP4 file's bytes."""
        self._frames.put(None)
        self._thread.join()
        return self._buffer.getvalue()
