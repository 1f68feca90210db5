"""The landmarks as a C3D file, the binary motion-capture format, through the ``c3d`` package.

One C3D point a landmark (MediaPipe's names, in their order), one frame a
frame of the track, at the track's median rate
(:func:`knee_cv.report.markers.data_rate_hz`: C3D has no frame times of its
own). Positions are those of :func:`knee_cv.report.markers.marker_positions`
(X right, Y up, Z = 0), in millimetres (``POINT:UNITS`` ``mm``, the unit
motion-capture software expects) when the person's height is given,
otherwise in pixels (``POINT:UNITS`` ``px``). A missing landmark has residual
-1, C3D's mark of an invalid point. Stored as 32-bit floats.

Needs the optional ``c3d`` package (``pip install 'knee-cv[formats]'``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from knee_cv.core.track import PoseTrack
from knee_cv.errors import KneeCvError
from knee_cv.fileio import write_atomically
from knee_cv.report.markers import data_rate_hz, marker_names, marker_positions

#: C3D's POINT:UNITS for each unit of :func:`marker_positions`, and the factor to it.
UNITS = {"m": ("mm", 1000.0), "px": ("px", 1.0)}


def write_c3d(track: PoseTrack, path: str | Path, height_m: float | None = None) -> Path:
    """Write ``track``'s landmarks as a C3D file (see the module notes), whole or not at all.

    Parameters
    ----------
    track : PoseTrack
    path : str or Path
    height_m : float, optional
        The person's height in metres, to write millimetres; None writes pixels.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    KneeCvError
        Without the ``c3d`` package, for an empty track, or for a height that is not one.

    Examples
    --------
    >>> import c3d, tempfile, pathlib
    >>> from knee_cv.media.trackio import load_track
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "squat.c3d"
    >>> with write_c3d(load_track("samples/squat_side_01.csv"), path, height_m=1.75).open("rb") as handle:
    ...     reader = c3d.Reader(handle)
    ...     float(reader.point_rate), reader.frame_count, [label.strip() for label in reader.point_labels[:2]]
    (30.0, 187, ['nose', 'left_eye_inner'])
    """
    try:
        import c3d
    except ImportError:
        raise KneeCvError("Writing C3D needs the c3d package: pip install 'knee-cv[formats]'.") from None
    if not len(track):
        raise KneeCvError("The track has no frames, so there is nothing to write as C3D.")
    positions, units = marker_positions(track, height_m)
    unit, factor = UNITS[units]
    valid = np.isfinite(positions).all(axis=2)
    points = np.zeros(positions.shape[:2] + (5,), dtype=np.float32)  # x, y, z, residual, camera mask
    points[..., :3] = np.where(valid[..., None], positions * factor, 0.0)
    points[..., 3] = np.where(valid, 0.0, -1.0)
    writer = c3d.Writer(point_rate=data_rate_hz(track), analog_rate=0.0, point_units=unit.ljust(4))
    writer.set_point_labels(marker_names())
    no_analog = np.zeros((0, 0), dtype=np.float32)
    writer.add_frames([(frame, no_analog) for frame in points])

    def write(temporary: Path) -> None:
        with temporary.open("wb") as handle, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No analog data", UserWarning)  # there is none, on purpose
            writer.write(handle)

    return write_atomically(path, write)
