"""Keeping MediaPipe's native logging off the terminal.

MediaPipe's C++ core (LiteRT, TFLite, absl) writes straight to file
descriptor 2, bypassing Python. Measured with mediapipe 1.2.3 on a
PoseLandmarker, the lines come at three moments and never per frame:

* creating a landmarker: about 23 lines for its two models ("Creating LiteRT
  environment", "XNNPACK CPU accelerator registered", 19 times "Sparsity
  tensors may not yet be fully supported", "Created TensorFlow Lite XNNPACK
  delegate");
* the first inference in the process: 2 absl lines ("Logging before
  InitGoogle()", ``W0000 ...`` about memory alignment), and the first frame
  in which the landmark model runs (often not the first frame: nobody in
  view yet) one more, ``W0000 ... landmark_projection_calculator``;
* closing it: 2 "DestroyAccelerator" lines.

``GLOG_minloglevel``, ``GLOG_stderrthreshold``, ``GOOGLE_STDERRTHRESHOLD``,
``TF_CPP_MIN_LOG_LEVEL`` and ``ABSL_MIN_LOG_LEVEL`` change none of them (the
library reads no flags from the environment), so :func:`native_logs_silenced`
points descriptor 2 at the null device for exactly those calls and puts it
back afterwards; :class:`Quieted` wraps a landmarker so that happens on its
creation, on its calls until one has found a pose, and on ``close``. Python
exceptions raised there surface after the descriptor is restored, so errors
still reach the user. While a window is open, anything else written to stderr
by any thread is lost too: with someone in view that is a fraction of a
second, at most a progress-bar refresh; a clip with nobody in it keeps the
windows open for its whole pose stage.

Set ``KNEE_CV_NATIVE_LOGS=1`` (``knee-cv --verbose`` does) to see the native
lines again.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: Environment variable that, set to "1", lets the native logs through.
SHOW_ENV = "KNEE_CV_NATIVE_LOGS"

_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None


def native_logs_shown() -> bool:
    """True when ``KNEE_CV_NATIVE_LOGS=1`` asks for MediaPipe's native logs."""
    return os.environ.get(SHOW_ENV) == "1"


@contextmanager
def native_logs_silenced() -> Iterator[None]:
    """Send file descriptor 2 to the null device inside the block.

    Nested and concurrent blocks (the pose stage runs landmarkers in several
    threads) share one redirection: the first to enter makes it, the last to
    leave restores the original descriptor. Does nothing when
    :func:`native_logs_shown` or when descriptor 2 cannot be duplicated.
    """
    global _depth, _saved_fd
    if native_logs_shown():
        yield
        return
    with _lock:
        if _depth == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError, AttributeError):  # no usable stderr: nothing to keep quiet
                saved = None
            if saved is not None:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 2)
                os.close(null)
            _saved_fd = saved
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved_fd is not None:
                os.dup2(_saved_fd, 2)
                os.close(_saved_fd)
                _saved_fd = None


class Quieted:
    """A native object whose calls run silenced until it has said all it says once.

    Parameters
    ----------
    native : object
        For example a MediaPipe ``PoseLandmarker`` (create it inside
        :func:`native_logs_silenced`). Attributes and methods pass through;
        it works as a context manager that closes it.
    warmed : callable, optional
        ``warmed(result) -> bool``: True once a method's result shows that the
        one-time log lines are behind it. Until then every call of that method
        is silenced; afterwards none is. Default: after the first call.
        ``close`` is always silenced.
    """

    def __init__(self, native: Any, warmed: Callable[[Any], bool] | None = None) -> None:
        self._native = native
        self._warmed = warmed or (lambda _result: True)
        self._warm: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._native, name)
        if not callable(attribute) or name in self._warm:
            return attribute

        def cold_call(*args: Any, **kwargs: Any) -> Any:
            with native_logs_silenced():
                result = attribute(*args, **kwargs)
            if self._warmed(result):
                self._warm.add(name)
            return result

        return cold_call

    def close(self) -> None:
        """Close the native object, silenced."""
        with native_logs_silenced():
            self._native.close()

    def __enter__(self) -> Quieted:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
