"""OpenSim's text files: the landmarks as a TRC marker file, the angle series as a MOT motion file.

Both are the layouts OpenSim reads (``TRCFileAdapter``, ``STOFileAdapter``)
and Sports2D and Pose2Sim write: cells separated by tabs (shown
here as spaces).

TRC (marker trajectories)::

    PathFileType  4  (X/Y/Z)  clip.trc
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  OrigNumFrames
    30.000  30.000  201  33  m  30.000  1  201
    Frame#  Time  nose      left_eye_inner      ...
        X1  Y1  Z1  X2  Y2  Z2  ...
    1  0.000  0.5123  1.6021  0.0000  ...

One row a frame of the track (``Frame#`` from 1, ``Time`` its real time in
seconds), three columns a landmark (:func:`knee_cv.report.markers.marker_positions`:
X right, Y up, Z = 0; metres when the person's height is given, else
``px`` in ``Units``). ``DataRate`` is 1 / the median step between frames. A
missing landmark is ``NaN`` in its three cells (OpenSim reads NaN; it drops a
row's trailing empty cells and then refuses the row).

MOT (motion)::

    clip
    version=1
    nRows=201
    nColumns=7
    inDegrees=yes
    endheader
    time  fppa_left  fppa_right  knee_flexion_left  knee_flexion_right  pelvic_drop  trunk_lean

The angle series of the analysis (:class:`knee_cv.core.series.FrameSeries`),
degrees, with knee_cv's signs (FPPA positive = valgus, pelvic drop positive =
free-leg side lower, trunk lean positive = toward the stance leg, knee
flexion 0 = straight); ``NaN`` where an angle was not measured. These are
not the coordinates of an OpenSim model: they are for plotting and
comparing in OpenSim's tools.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knee_cv.core.labels import SIDES
from knee_cv.core.result import Analysis
from knee_cv.core.shown import number
from knee_cv.core.track import PoseTrack
from knee_cv.errors import KneeCvError
from knee_cv.fileio import write_atomically
from knee_cv.report.markers import data_rate_hz, marker_names, marker_positions
from knee_cv.report.tables import DIGITS

#: Decimal places of TRC positions: 0.1 mm, or 0.1 px (a pixel is 1-3 mm of a person filmed whole).
POSITION_DIGITS = {"m": 4, "px": 1}


def trc_text(track: PoseTrack, name: str, height_m: float | None = None) -> str:
    r"""The TRC file of ``track``'s landmarks (see the module notes); ``name`` goes in its first line.

    Parameters
    ----------
    track : PoseTrack
    name : str
        The file's name, as TRC files state it.
    height_m : float, optional
        The person's height in metres, to write metres; None writes pixels.

    Raises
    ------
    KneeCvError
        For an empty track, or a height that is not one (:func:`knee_cv.report.markers.check_height`).

    Examples
    --------
    >>> from knee_cv.media.trackio import load_track
    >>> lines = trc_text(load_track("samples/squat_side_01.csv"), "squat.trc", height_m=1.75).splitlines()
    >>> lines[2].split("\t")
    ['30.000', '30.000', '187', '33', 'm', '30.000', '1', '187']
    >>> lines[3].split("\t")[:5], lines[5].split("\t")[:5]
    (['Frame#', 'Time', 'nose', '', ''], ['1', '0.000', '0.9583', '1.5185', '0.0000'])
    """
    if not len(track):
        raise KneeCvError("The track has no frames, so there is nothing to write as TRC.")
    positions, units = marker_positions(track, height_m)
    rate = f"{data_rate_hz(track):.3f}"
    names = marker_names()
    frames = len(track)
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{frames}\t{len(names)}\t{units}\t{rate}\t1\t{frames}",
        "\t".join(["Frame#", "Time", *(f"{marker}\t\t" for marker in names)]).rstrip("\t"),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(names) + 1)),
    ]
    digits = POSITION_DIGITS[units]
    for row, (t, frame) in enumerate(zip(track.t, positions.reshape(frames, -1)), start=1):
        cells = (number(value, digits, missing="NaN") for value in frame)
        lines.append("\t".join([str(row), f"{t:.{DIGITS['_s']}f}", *cells]))
    return "\n".join(lines) + "\n"


#: The angle series a MOT file holds, in order: (column, flat series name of :meth:`FrameSeries.to_dict`).
MOT_COLUMNS = (
    *((f"fppa_{side}", f"fppa_{side}") for side in SIDES),
    *((f"knee_flexion_{side}", f"knee_flexion_{side}") for side in SIDES),
    ("pelvic_drop", "pelvic_drop"),
    ("trunk_lean", "trunk_lean"),
)


def mot_text(analysis: Analysis, name: str) -> str:
    r"""The MOT file of ``analysis``'s angle series (see the module notes); ``name`` is its first line.

    Raises
    ------
    KneeCvError
        For a result without per-frame series.

    Examples
    --------
    >>> import knee_cv
    >>> lines = mot_text(knee_cv.analyze("samples/squat_side_01.csv"), "squat").splitlines()
    >>> lines[:6]
    ['squat', 'version=1', 'nRows=187', 'nColumns=7', 'inDegrees=yes', 'endheader']
    >>> lines[6].split("\t")
    ['time', 'fppa_left', 'fppa_right', 'knee_flexion_left', 'knee_flexion_right', 'pelvic_drop', 'trunk_lean']
    >>> lines[60].split("\t")
    ['1.767', 'NaN', 'NaN', 'NaN', '33.7', 'NaN', 'NaN']

    From the side FPPA, pelvic drop and trunk lean are not measured; knee flexion is.
    """
    if not len(analysis.series):
        raise KneeCvError("This result has no per-frame series, so there is nothing to write as MOT.")
    flat = analysis.series.to_dict()
    columns = [np.asarray(flat[series], dtype=float) for _, series in MOT_COLUMNS]
    lines = [
        name,
        "version=1",
        f"nRows={len(analysis.series)}",
        f"nColumns={len(MOT_COLUMNS) + 1}",
        "inDegrees=yes",
        "endheader",
        "\t".join(["time", *(column for column, _ in MOT_COLUMNS)]),
    ]
    for i, t in enumerate(analysis.series.t):
        cells = (number(values[i], DIGITS["_deg"], missing="NaN") for values in columns)
        lines.append("\t".join([f"{t:.{DIGITS['_s']}f}", *cells]))
    return "\n".join(lines) + "\n"


def write_trc(track: PoseTrack, path: str | Path, height_m: float | None = None) -> Path:
    """Write :func:`trc_text` to ``path``, whole or not at all (:func:`knee_cv.fileio.write_atomically`)."""
    text = trc_text(track, Path(path).name, height_m)
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def write_mot(analysis: Analysis, path: str | Path) -> Path:
    """Write :func:`mot_text` to ``path`` (its first line the file's stem), whole or not at all."""
    text = mot_text(analysis, Path(path).stem)
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
