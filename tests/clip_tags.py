"""Real clips with the tags a phone writes, made in memory for the tests."""

from __future__ import annotations

import io
from pathlib import Path

import av


def with_creation_time(clip: Path, when: str) -> bytes:
    """``clip`` remuxed (no re-encoding) into an MP4 whose container says it was made at ``when``."""
    out = io.BytesIO()
    with av.open(str(clip)) as src, av.open(out, "w", format="mp4") as dst:
        dst.metadata["creation_time"] = when
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    return out.getvalue()
