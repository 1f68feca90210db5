"""Progress bars for long command-line work (tqdm on stderr, only on a terminal)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import IO

from tqdm import tqdm


def progress_bar(total: int | None, *, unit: str, desc: str | None = None, file: IO[str] | None = None) -> tqdm:
    """A tqdm bar: count done, rate per second and time left.

    Parameters
    ----------
    total : int or None
        Items expected (None: a count and rate without time left).
    unit : str
        What is counted, singular ("frame", "video").
    desc : str, optional
        Short label before the bar.
    file : text stream, optional
        Where to draw; default ``sys.stderr`` so stdout stays clean for results.

    Returns
    -------
    tqdm
        Disabled (draws nothing, costs next to nothing) when ``file`` is not a
        terminal; it disappears from the terminal when closed. Use it as a
        context manager or call ``close()``.
    """
    stream = sys.stderr if file is None else file
    return tqdm(total=total, unit=unit, desc=desc, file=stream, disable=None, leave=False, dynamic_ncols=True)


def frame_counter(bar: tqdm) -> Callable[[int, int | None], None]:
    """A ``progress(frames_done, frames_expected)`` callback for :func:`knee_cv.media.pose.track_video` that moves ``bar``.

    Safe to call from several threads. A count that falls back to 1 starts
    the bar over (the pose stage's second, two-person pass); any other count
    lower than the bar's is a late call from another thread and is ignored.
    """
    lock = threading.Lock()

    def update(done: int, expected: int | None) -> None:
        with lock:
            if done < bar.n:
                if done != 1:
                    return
                bar.reset(total=expected)
            elif expected is not None and bar.total != expected:
                bar.total = expected
            bar.update(done - bar.n)

    return update
