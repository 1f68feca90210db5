"""Where results came from: knee_cv's version, the pose model, the settings, the thresholds and the machine.

:func:`manifest` is what ``knee-cv batch`` writes as ``manifest.json`` beside
its tables, so that a table read years later still says how it was made.
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from knee_cv import __version__
from knee_cv.core.result import Analysis
from knee_cv.core.threshold_tables import Thresholds
from knee_cv.media.models import ModelInfo

#: Packages whose versions can change a number (pose model runtime, decoding, the maths, the tables).
PACKAGES = ("mediapipe", "numpy", "scipy", "av", "opencv-contrib-python", "pandas")


def now() -> str:
    """The time now in UTC, ISO 8601 to the second (``2026-01-02T03:04:05+00:00``)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def environment() -> dict[str, Any]:
    """knee_cv's version, Python's, the platform and the versions of :data:`PACKAGES` (None where missing).

    Examples
    --------
    >>> import knee_cv
    >>> env = environment()
    >>> env["knee_cv"] == knee_cv.__version__, sorted(env["packages"])[:2]
    (True, ['av', 'mediapipe'])
    """

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "knee_cv": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": {name: version(name) for name in PACKAGES},
    }


def manifest(
    *,
    model: ModelInfo,
    settings: dict[str, Any],
    thresholds: Thresholds,
    started: str,
    ended: str | None,
    counts: dict[str, int],
) -> dict[str, Any]:
    """The provenance of a batch as a JSON-ready dict.

    Parameters
    ----------
    model : ModelInfo
        The pose model every video went through.
    settings : dict
        Every option the batch ran with (rate cap, sex, mirrored, exports, ...).
    thresholds : Thresholds
        The thresholds every analysis used, each with its unit and source
        (:func:`knee_cv.core.thresholds.load_thresholds`).
    started, ended : str
        ISO 8601 times (:func:`now`); ``ended`` is None while the batch runs.
    counts : dict
        Videos found, analysed now, kept from an earlier batch, failed.

    Returns
    -------
    dict
        ``knee_cv`` (version), ``model`` (id, variant, full SHA-256, file
        name), ``settings``, ``thresholds``, ``environment``
        (:func:`environment`), ``started``, ``ended``, ``videos`` (the counts),
        ``conventions`` (units and signs) and ``accuracy`` (what the angles'
        error is known to be).
    """
    return {
        "knee_cv": __version__,
        "model": {"id": model.model_id, "variant": model.variant, "sha256": model.sha256, "file": model.path.name},
        "settings": settings,
        "thresholds": thresholds.as_dict(),
        "environment": environment(),
        "started": started,
        "ended": ended,
        "videos": counts,
        "conventions": Analysis.CONVENTIONS,
        "accuracy": Analysis.ACCURACY,
    }
