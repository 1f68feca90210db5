"""Reading and writing pose tracks (:class:`knee_cv.core.track.PoseTrack`) as files.

knee_cv's own CSV format (``save_csv`` / ``load_csv``)
-----------------------------------------------------
A plain-text table, one row a video frame, readable by any spreadsheet::

    # knee_cv pose track
    # format: 1
    # width: 1080
    # height: 1920
    # fps: 30.0
    # model: "full sha256:ab12..."
    # source: "clip.mp4"
    # duration_s: 12.5
    # mirrored: false
    # turned_deg: 0
    frame,t,people,nose_x,nose_y,nose_visibility,nose_presence,nose_wx,nose_wy,nose_wz,...

* The header lines start with ``#`` and read ``# key: value``. ``format`` is
  the version of this layout (now 1); ``width`` and ``height`` are the size
  of the upright video frame in pixels; ``fps`` is the nominal frame rate;
  ``model`` and ``source`` are JSON strings (quoted, so any text survives);
  ``duration_s`` (optional, NaN when absent) is the video's length as its
  container states it. ``mirrored`` (``true``/``false``) and ``turned_deg``
  (0, 90, 180 or 270) say what was done to the frames before the pose model
  saw them (:class:`knee_cv.core.orientation.Orientation`: a selfie video
  flipped back, a sideways one turned upright); absent, as in files written
  before they existed, they read as nothing done.
* ``frame`` is the row number from 0, ``t`` the time of the frame in seconds
  from the start of the video, ``people`` how many people the model found.
* Then, for each of the 33 MediaPipe landmarks in MediaPipe order (names in
  :data:`knee_cv.core.landmarks.LANDMARK_NAMES`, the person's own left/right),
  seven columns: ``{name}_x``, ``{name}_y`` (image pixels, origin top-left,
  y down), ``{name}_visibility``, ``{name}_presence`` (scores in [0, 1]) and
  ``{name}_wx``, ``{name}_wy``, ``{name}_wz`` (MediaPipe world coordinates,
  metres, hip-centred).
* An empty cell is a missing value (NaN): a frame without a pose has empty
  landmark cells. Numbers are written with full precision, so saving and
  loading gives back exactly the same track.

Other formats
-------------
* ``.npz`` (``save_npz`` / ``load_npz``): NumPy archive of the same arrays,
  exact and compact.
* The ``t,mode,lm0_x,...,lm32_v`` CSV of the pose-detection1 project
  (``load_sharana_csv``): normalized coordinates, time in ms, no frame size.
* The ``.posetrack.json`` files of the swing-analyzer project
  (``load_posetrack_json``): pixel keypoints with a ``score``.

:func:`load_track` picks the reader from the file name and its first line.

Checks
------
A track file may come from anywhere, so every reader checks it before and
while reading: the file's size, the number of frames and the size each
``.npz`` array inflates to (:class:`TrackLimits`, checked before the part
they guard is read), the cells of every row, the arrays' shapes and types
(no pickled objects), and the frame times and frame size
(:meth:`knee_cv.core.track.PoseTrack.problem`). Whatever fails raises one
:class:`knee_cv.errors.TrackFormatError` that names the file and says what
to do.
"""

from __future__ import annotations

import itertools
import json
import lzma
import math
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from knee_cv.core.landmarks import LANDMARK_NAMES, NUM_LANDMARKS
from knee_cv.core.orientation import AS_FILMED, Orientation
from knee_cv.core.stats import frame_interval_s
from knee_cv.core.track import PoseTrack
from knee_cv.errors import TrackFormatError

#: File endings read as saved pose tracks rather than videos (see :func:`load_track`).
TRACK_SUFFIXES = (".csv", ".json", ".npz")
#: Version of the knee_cv CSV layout written by :func:`save_csv`.
CSV_FORMAT_VERSION = 1

_CSV_MAGIC = "# knee_cv pose track"
_FIELDS = ("x", "y", "visibility", "presence", "wx", "wy", "wz")
_SHARANA_HEADER = "t,mode,lm0_x"

#: Frame size assumed for pose-detection1 CSVs when none is given: 9:16 portrait.
DEFAULT_PORTRAIT_SIZE = (1080, 1920)

#: Longest line of a CSV track, in characters: a knee_cv row is at most 6 KB (234 numbers of
#: up to 24 characters), so a longer line is no track's, and reading it whole would cost memory.
_MAX_LINE_CHARS = 65_536
#: Most ``# key: value`` lines in a knee_cv CSV header (it writes 8).
_MAX_HEADER_LINES = 64
#: The arrays of a knee_cv ``.npz`` that have a row per frame, with their shape after the frame axis.
_NPZ_FRAME_ARRAYS = {
    "t": (),
    "xy": (NUM_LANDMARKS, 2),
    "visibility": (NUM_LANDMARKS,),
    "presence": (NUM_LANDMARKS,),
    "world": (NUM_LANDMARKS, 3),
    "people": (),
}
#: Its single numbers and texts (``duration_s`` is absent from files older than it).
_NPZ_NUMBERS = ("width", "height", "fps")
_NPZ_TEXTS = ("model", "source")
#: What the zip and decompression modules raise for a damaged ``.npz`` archive or member.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, RuntimeError, ValueError)

#: Index of each landmark name in the arrays (swing-analyzer names its keypoints).
_LANDMARK_INDEX = {name: i for i, name in enumerate(LANDMARK_NAMES)}

_REMAKE = "Export the track again, or make one from the video with knee-cv pose VIDEO -o track.csv."


@dataclass(frozen=True)
class TrackLimits:
    """Limits a track file must meet; each is checked before the part of the file it guards is read.

    Attributes
    ----------
    max_rows : int
        Most frames (default 72 000): 10 minutes, the longest video knee_cv
        accepts (``VideoLimits.max_duration_s``), at 120 frames per second (a
        phone's slow-motion clip with every frame inferred, ``--max-rate 0``).
        The arrays of that many frames take 133 MB.
    max_csv_bytes : int
        Largest CSV file, in bytes (default 400 MB): ``max_rows`` rows of
        knee_cv's CSV at 5.5 KB a row (a real one has 4.5 KB: 234 numbers at
        full precision). Rows are converted as they are read, so memory stays
        near the size of the arrays, not of the text.
    max_npz_bytes : int
        Largest ``.npz`` archive, in bytes (default 150 MB): ``max_rows``
        frames take 134 MB uncompressed (``np.savez``).
    max_json_bytes : int
        Largest JSON file, in bytes (default 100 MB): swing-analyzer writes
        4.1 KB a frame, 74 MB for 10 minutes at its 30 frames per second, and
        JSON is read whole into Python objects of about four times the file's
        size.
    """

    max_rows: int = 72_000
    max_csv_bytes: int = 400_000_000
    max_npz_bytes: int = 150_000_000
    max_json_bytes: int = 100_000_000

    @property
    def max_npz_member_bytes(self) -> int:
        """Most bytes one ``.npz`` array may inflate to: ``world`` of ``max_rows`` frames, float64, with room for its header."""
        return self.max_rows * NUM_LANDMARKS * 3 * 8 + _MAX_LINE_CHARS


def csv_columns() -> list[str]:
    """Column names of knee_cv's CSV format, in order.

    Returns
    -------
    list of str
        ``frame``, ``t``, ``people`` then seven columns per landmark.
    """
    return ["frame", "t", "people"] + [f"{n}_{f}" for n in LANDMARK_NAMES for f in _FIELDS]


def _per_landmark_table(track: PoseTrack) -> np.ndarray:
    """The landmark fields as a (T, 33 * 7) float array in column order."""
    stacked = np.concatenate([track.xy, track.visibility[..., None], track.presence[..., None], track.world], axis=2)
    return stacked.reshape(len(track), NUM_LANDMARKS * len(_FIELDS))


def _cell(value: float) -> str:
    """A float as the shortest text that reads back exactly; '' for NaN."""
    return "" if value != value else repr(float(value))


def save_csv(track: PoseTrack, path: str | Path) -> None:
    """Write a track in knee_cv's CSV format (see the module docstring).

    Parameters
    ----------
    track : PoseTrack
        The track to write.
    path : str or Path
        Destination file; overwritten if it exists.
    """
    header = [
        _CSV_MAGIC,
        f"# format: {CSV_FORMAT_VERSION}",
        f"# width: {track.width}",
        f"# height: {track.height}",
        f"# fps: {track.fps!r}",
        f"# model: {json.dumps(track.model)}",
        f"# source: {json.dumps(track.source)}",
        f"# duration_s: {track.duration_s!r}",
        f"# mirrored: {json.dumps(track.orientation.mirrored)}",
        f"# turned_deg: {track.orientation.turned_deg}",
        ",".join(csv_columns()),
    ]
    table = _per_landmark_table(track)
    lines = [
        ",".join([str(i), _cell(track.t[i]), str(int(track.people[i]))] + [_cell(v) for v in row])
        for i, row in enumerate(table.tolist())
    ]
    Path(path).write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def _check_size(path: Path, max_bytes: int) -> None:
    """Refuse ``path`` when it is larger than ``max_bytes`` bytes (it is not read)."""
    with _reading(path):
        size = path.stat().st_size
    if size > max_bytes:
        raise TrackFormatError(
            f"{path.name} is too large for a pose track ({size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB). "
            "Trim the video to the squats and make its track with knee-cv pose VIDEO -o track.csv."
        )


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn the operating system's and the text decoder's refusals while reading ``path`` into a TrackFormatError."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise TrackFormatError(f"{path.name} is not UTF-8 text, so it is damaged or not a pose track. {_REMAKE}") from exc
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise TrackFormatError(
            f"{path.name} cannot be read ({reason}). Check that the file is there and that you may read it."
        ) from exc


def _checked(track: PoseTrack, path: Path) -> PoseTrack:
    """``track``, read from ``path``, after checking that the analysis can use it (see ``PoseTrack.problem``)."""
    problem = track.problem()
    if problem:
        raise TrackFormatError(f"{path.name} cannot be analysed: {problem}. {_REMAKE}")
    return track


def _line(handle: IO[str], path: Path) -> str:
    """The next line of ``handle`` ('' at the end), refused when longer than ``_MAX_LINE_CHARS``."""
    line = handle.readline(_MAX_LINE_CHARS)
    if len(line) == _MAX_LINE_CHARS and not line.endswith("\n"):
        raise TrackFormatError(
            f"{path.name} has a line longer than {_MAX_LINE_CHARS} characters, so it is not a pose track. {_REMAKE}"
        )
    return line


def _filled(line: str) -> str:
    """``line`` without its line end and with every empty cell written ``nan`` (NumPy's loadtxt reads no empty cell)."""
    row = line.rstrip("\r\n").replace(",,", ",nan,").replace(",,", ",nan,")
    if row.startswith(","):
        row = "nan" + row
    return row + "nan" if row.endswith(",") else row


def _rows(handle: IO[str], path: Path, n_cells: int) -> Iterator[str]:
    """The remaining lines of ``handle``, blank ones skipped, each checked to have ``n_cells`` cells, filled."""
    for number, line in enumerate(iter(lambda: _line(handle, path), ""), start=1):
        if not line.strip():
            continue
        if line.count(",") != n_cells - 1:
            raise TrackFormatError(
                f"Row {number} of the table in {path.name} has {line.count(',') + 1} cells instead of {n_cells}, "
                f"so the file is damaged. {_REMAKE}"
            )
        yield _filled(line)


def _read_table(
    handle: IO[str],
    path: Path,
    n_cells: int,
    max_rows: int,
    usecols: list[int] | None = None,
) -> np.ndarray:
    """The rest of ``handle`` as a float table of ``n_cells`` columns (or ``usecols``), empty cells NaN.

    Converted while it is read (NumPy's loadtxt on the checked lines), so
    memory stays near the table's own size, and reading stops after
    ``max_rows`` + 1 rows.

    Returns
    -------
    ndarray, shape (rows, columns)
    """
    rows = _rows(handle, path, n_cells)
    first = next(rows, None)
    if first is None:
        return np.empty((0, n_cells if usecols is None else len(usecols)))
    try:
        data = np.loadtxt(
            itertools.chain([first], rows),
            delimiter=",",
            comments=None,
            dtype=float,
            ndmin=2,
            usecols=usecols,
            max_rows=max_rows + 1,
        )
    except UnicodeDecodeError:  # a ValueError too, but the file is not text at all: _reading says so
        raise
    except ValueError as exc:
        raise TrackFormatError(f"{path.name} has a cell that is not a number ({exc}). {_REMAKE}") from exc
    _check_rows(len(data), max_rows, path)
    return data


def _check_rows(n: int, max_rows: int, path: Path) -> None:
    """Refuse a track of more than ``max_rows`` frames (``n`` frames, or at least that many)."""
    if n > max_rows:
        raise TrackFormatError(
            f"{path.name} holds more than {max_rows} frames, the most a track may have. "
            "Trim the video to the squats and make its track with knee-cv pose VIDEO -o track.csv."
        )


def _read_header(handle: IO[str], path: Path) -> tuple[dict[str, str], str]:
    """The ``# key: value`` lines of a knee_cv CSV and the line after them (the column names)."""
    if _line(handle, path).rstrip("\r\n") != _CSV_MAGIC:
        raise TrackFormatError(
            f"{path.name} is not a knee_cv pose-track CSV: its first line should be "
            f"'{_CSV_MAGIC}'. Export the track again with knee_cv."
        )
    meta: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        line = _line(handle, path)
        if not line.startswith("#"):
            return meta, line
        key, _, value = line[1:].partition(":")
        meta[key.strip()] = value.strip()
    raise TrackFormatError(f"The header of {path.name} has more than {_MAX_HEADER_LINES} lines. {_REMAKE}")


def _json_text(text: str) -> str:
    """The JSON string ``text`` (quoted) as text; ValueError if it is not one."""
    value = json.loads(text)
    if not isinstance(value, str):
        raise ValueError(f"{text[:40]} is not a quoted text")
    return value


def _csv_metadata(meta: dict[str, str], path: Path) -> dict[str, Any]:
    """PoseTrack's keyword arguments from a knee_cv CSV header (``width``, ``height``, ``fps``, ...)."""
    try:
        version = int(meta["format"])
        fields = dict(
            width=int(meta["width"]),
            height=int(meta["height"]),
            fps=float(meta["fps"]),
            model=_json_text(meta.get("model", '"unknown"')),
            source=_json_text(meta.get("source", '""')),
            duration_s=float(meta.get("duration_s", "nan")),
            orientation=_orientation(meta.get("mirrored", "false"), meta.get("turned_deg", "0")),
        )
    except (KeyError, ValueError, RecursionError) as exc:
        raise TrackFormatError(
            f"The header of {path.name} is damaged ({exc}); it needs format, width, height and "
            "fps lines. Export the track again with knee_cv."
        ) from exc
    if version > CSV_FORMAT_VERSION:
        raise TrackFormatError(
            f"{path.name} uses knee_cv CSV format {version}, newer than this version reads "
            f"({CSV_FORMAT_VERSION}). Update knee_cv."
        )
    return fields


def _orientation(mirrored: str, turned_deg: str) -> Orientation:
    """The orientation a track file's header states (``ValueError`` for anything else)."""
    flags = {"true": True, "false": False}
    if mirrored.strip() not in flags:
        raise ValueError(f"mirrored must be true or false, not {mirrored!r}")
    return Orientation(mirrored=flags[mirrored.strip()], turned_deg=int(turned_deg))


def load_csv(path: str | Path, limits: TrackLimits = TrackLimits()) -> PoseTrack:
    """Read a track written by :func:`save_csv`.

    Parameters
    ----------
    path : str or Path
        A knee_cv pose-track CSV.
    limits : TrackLimits, optional
        File size and frame count limits.

    Returns
    -------
    PoseTrack
        The track, exactly as it was saved (empty cells become NaN).

    Raises
    ------
    TrackFormatError
        If the file cannot be read, is not a knee_cv CSV, is of a newer
        format version, breaks a limit, its columns or any row's cells do not
        match the format, or its frame times or size are unusable.
    """
    path = Path(path)
    _check_size(path, limits.max_csv_bytes)
    with _reading(path), open(path, encoding="utf-8") as handle:
        meta, columns = _read_header(handle, path)
        fields = _csv_metadata(meta, path)
        if columns.rstrip("\r\n").split(",") != csv_columns():
            raise TrackFormatError(
                f"The columns of {path.name} do not match knee_cv's CSV format "
                f"(expected {len(csv_columns())} columns starting frame,t,people,nose_x). "
                "Export the track again with knee_cv."
            )
        data = _read_table(handle, path, len(csv_columns()), limits.max_rows)
    landmarks = data[:, 3:].reshape(len(data), NUM_LANDMARKS, len(_FIELDS))
    return _checked(
        PoseTrack(
            t=data[:, 1],
            xy=landmarks[..., 0:2],
            visibility=landmarks[..., 2],
            presence=landmarks[..., 3],
            world=landmarks[..., 4:7],
            people=np.nan_to_num(data[:, 2]).astype(int),
            **fields,
        ),
        path,
    )


def save_npz(track: PoseTrack, path: str | Path) -> None:
    """Write a track as a compressed NumPy archive (exact round trip).

    Parameters
    ----------
    track : PoseTrack
    path : str or Path
        Destination; NumPy appends ``.npz`` if the name lacks it.
    """
    np.savez_compressed(
        path,
        t=track.t,
        xy=track.xy,
        visibility=track.visibility,
        presence=track.presence,
        world=track.world,
        people=track.people,
        width=track.width,
        height=track.height,
        fps=track.fps,
        model=np.str_(track.model),
        source=np.str_(track.source),
        duration_s=track.duration_s,
        mirrored=track.orientation.mirrored,
        turned_deg=track.orientation.turned_deg,
        format=CSV_FORMAT_VERSION,
    )


def _npy_shape_problem(name: str, shape: tuple[int, ...], max_rows: int) -> str | None:
    """What is wrong with the shape an ``.npz`` array's header states, or None (read before its data)."""
    if name not in _NPZ_FRAME_ARRAYS:
        return None if shape == () else f"has shape {shape}; it should be a single value"
    tail = _NPZ_FRAME_ARRAYS[name]
    if len(shape) != 1 + len(tail) or shape[1:] != tail:
        return f"has shape {shape}; a track's is (frames{''.join(f', {d}' for d in tail)})"
    if shape[0] > max_rows:
        return f"holds {shape[0]} frames, more than {max_rows}, the most a track may have"
    return None


def _npy_type_problem(name: str, dtype: np.dtype) -> str | None:
    """What is wrong with the type of an ``.npz`` array, or None."""
    if dtype.hasobject:
        return "holds Python objects (pickled data), which knee_cv never loads from a file"
    if name in _NPZ_TEXTS:
        return (
            None
            if dtype.kind == "U" and dtype.itemsize <= 4 * _MAX_LINE_CHARS
            else (f"should hold a text of at most {_MAX_LINE_CHARS} characters")
        )
    return None if dtype.kind in "biuf" else f"should hold numbers, not {dtype}"


def _read_npy(member: IO[bytes], name: str, path: Path, max_rows: int) -> np.ndarray:
    """Array ``name`` from its ``.npy`` member, its header checked before its data is read."""
    version = np.lib.format.read_magic(member)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"NumPy file format {version} is not one knee_cv writes")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(member)
    problem = _npy_type_problem(name, dtype) or _npy_shape_problem(name, shape, max_rows)
    if problem:
        raise TrackFormatError(f"The '{name}' array in {path.name} {problem}. {_REMAKE}")
    size = math.prod(shape) * dtype.itemsize
    data = member.read(size)
    if len(data) != size:
        raise EOFError(f"it ends after {len(data)} of its {size} bytes")
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran_order else "C")


def _npz_array(archive: zipfile.ZipFile, name: str, path: Path, limits: TrackLimits) -> np.ndarray:
    """Array ``name`` of a knee_cv ``.npz``, its type and shape checked before it is read."""
    try:
        info = archive.getinfo(f"{name}.npy")
    except KeyError:
        raise TrackFormatError(
            f"{path.name} is a NumPy archive but not a knee_cv pose track (it has no '{name}' array). {_REMAKE}"
        ) from None
    try:
        with archive.open(info) as member:
            return _read_npy(member, name, path, limits.max_rows)
    except (*_ZIP_ERRORS, OSError) as exc:  # the file itself opened, so an OSError here is the archive's damage
        raise TrackFormatError(f"The '{name}' array in {path.name} is damaged ({exc}). {_REMAKE}") from exc


@contextmanager
def _zip_archive(path: Path, max_member_bytes: int) -> Iterator[zipfile.ZipFile]:
    """``path`` opened as a zip archive, refused when it is not one or a member inflates to over ``max_member_bytes``."""
    with _reading(path), open(path, "rb") as handle:
        try:
            archive = zipfile.ZipFile(handle)
        except (*_ZIP_ERRORS, OSError) as exc:  # a damaged directory can make zipfile seek before the start
            raise TrackFormatError(
                f"{path.name} is not a knee_cv track archive (.npz): it is damaged or another kind of file. {_REMAKE}"
            ) from exc
        with archive:
            for info in archive.infolist():
                if info.file_size > max_member_bytes:
                    raise TrackFormatError(
                        f"{info.filename} in {path.name} would inflate to {info.file_size / 1e6:.0f} MB, more than a "
                        f"track's largest array ({max_member_bytes / 1e6:.0f} MB). {_REMAKE}"
                    )
            yield archive


def _whole(value: np.ndarray, name: str, path: Path) -> int:
    """The single number ``value`` (array ``name``) as an int, refused unless it is a whole number."""
    number = float(value[()])
    if not number.is_integer():
        raise TrackFormatError(f"The '{name}' value in {path.name} is {number}, not a whole number. {_REMAKE}")
    return int(value[()])


def load_npz(path: str | Path, limits: TrackLimits = TrackLimits()) -> PoseTrack:
    """Read a track written by :func:`save_npz`.

    Only the track's arrays are read, each after its inflated size, type
    and shape are checked; nothing pickled is loaded.

    Parameters
    ----------
    path : str or Path
    limits : TrackLimits, optional
        Archive size, inflated array size and frame count limits.

    Raises
    ------
    TrackFormatError
        If the file cannot be read, is not a zip archive, lacks one of the
        track's arrays, holds one of the wrong type or shape or too large,
        or its frame times or size are unusable.
    """
    path = Path(path)
    _check_size(path, limits.max_npz_bytes)
    names = [*_NPZ_FRAME_ARRAYS, *_NPZ_NUMBERS, *_NPZ_TEXTS]
    with _zip_archive(path, limits.max_npz_member_bytes) as archive:
        arrays = {name: _npz_array(archive, name, path, limits) for name in names}
        has_duration = "duration_s.npy" in archive.namelist()
        duration_s = float(_npz_array(archive, "duration_s", path, limits)[()]) if has_duration else math.nan
        orientation = AS_FILMED  # files written before orientation was kept: nothing done
        if "mirrored.npy" in archive.namelist():
            mirrored = _npz_array(archive, "mirrored", path, limits)[()]
            turned = _whole(_npz_array(archive, "turned_deg", path, limits), "turned_deg", path)
            try:
                orientation = Orientation(mirrored=bool(mirrored), turned_deg=turned)
            except ValueError as exc:
                raise TrackFormatError(f"The orientation in {path.name} is damaged ({exc}). {_REMAKE}") from exc
    n = len(arrays["t"])
    for name in _NPZ_FRAME_ARRAYS:
        if len(arrays[name]) != n:
            raise TrackFormatError(f"The '{name}' array in {path.name} has {len(arrays[name])} frames, 't' has {n}. {_REMAKE}")
    return _checked(
        PoseTrack(
            t=arrays["t"],
            xy=arrays["xy"],
            visibility=arrays["visibility"],
            presence=arrays["presence"],
            world=arrays["world"],
            people=arrays["people"],
            width=_whole(arrays["width"], "width", path),
            height=_whole(arrays["height"], "height", path),
            fps=float(arrays["fps"][()]),
            model=str(arrays["model"][()]),
            source=str(arrays["source"][()]),
            duration_s=duration_s,
            orientation=orientation,
        ),
        path,
    )


def _nominal_fps(t: np.ndarray) -> float:
    """1 / the median time step of ``t`` (s), in frames per second; 30 where that is not a positive number."""
    step = frame_interval_s(t)
    return 1.0 / step if step > 0 else 30.0


def load_sharana_csv(
    path: str | Path,
    width: int,
    height: int,
    fps: float | None = None,
    limits: TrackLimits = TrackLimits(),
) -> PoseTrack:
    """Read the ``t,mode,lm0_x,lm0_y,lm0_z,lm0_v,...,lm32_v`` CSV of pose-detection1.

    Parameters
    ----------
    path : str or Path
    width, height : int
        Size of the video frame in pixels. The file does not store it, and
        the normalized x and y are scaled by it separately, so angles are
        only true with the right aspect ratio.
    fps : float, optional
        Nominal frame rate; by default 1 / the median time step.
    limits : TrackLimits, optional
        File size and frame count limits.

    Returns
    -------
    PoseTrack
        ``t`` in seconds from the first row (Unix-time files are shifted to
        start at 0), ``xy`` in pixels, ``visibility`` from ``v``. ``presence``
        and ``world`` are NaN: the file's ``z`` is a relative depth, not metres.
        Rows with empty landmark cells become frames without a pose.

    Raises
    ------
    TrackFormatError
        If the file cannot be read, breaks a limit, has too few columns, a
        row of the wrong number of cells or a cell that is not a number, or
        its times are unusable.
    """
    path = Path(path)
    _check_size(path, limits.max_csv_bytes)
    n_cols = 2 + 4 * NUM_LANDMARKS
    with _reading(path), open(path, encoding="utf-8") as handle:
        n_header = len(_line(handle, path).split(","))
        if n_header < n_cols:
            raise TrackFormatError(
                f"{path.name} has {n_header} columns, fewer than the {n_cols} of a pose-detection1 CSV "
                f"(t,mode,lm0_x,...,lm32_v). {_REMAKE}"
            )
        data = _read_table(handle, path, n_header, limits.max_rows, usecols=[0, *range(2, n_cols)])
    t_ms = data[:, 0]
    t = (t_ms - t_ms[0]) / 1000.0 if len(t_ms) else t_ms
    lm = data[:, 1:].reshape(len(data), NUM_LANDMARKS, 4)
    with np.errstate(invalid="ignore", over="ignore"):  # an absurd frame size is refused just below (_checked)
        xy = lm[..., 0:2] * np.array([width, height], dtype=float)
    n = len(data)
    return _checked(
        PoseTrack(
            t=t,
            xy=xy,
            visibility=lm[..., 3],
            presence=np.full((n, NUM_LANDMARKS), np.nan),
            world=np.full((n, NUM_LANDMARKS, 3), np.nan),
            width=width,
            height=height,
            fps=_nominal_fps(t) if fps is None else fps,
            model="mediapipe (pose-detection1 export)",
            source=path.name,
        ),
        path,
    )


def _posetrack_header(doc: object, path: Path) -> tuple[list[Any], dict[str, Any]]:
    """The frames of a swing-analyzer document and PoseTrack's keyword arguments from its metadata."""
    try:
        meta, frames = doc["metadata"], doc["frames"]  # type: ignore[index]
        if not isinstance(frames, list):
            raise TypeError("'frames' is not a list")
        fields = dict(
            width=int(meta["videoWidth"]),
            height=int(meta["videoHeight"]),
            fps=float(meta.get("fps", 30.0)),
            model=f"{meta.get('model', 'unknown')} {meta.get('modelVersion', '')}".strip(),
            source=str(meta.get("sourceVideoName", path.name)),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise TrackFormatError(
            f"{path.name} is not a swing-analyzer pose track: it needs 'metadata' with "
            f"videoWidth/videoHeight and 'frames' ({exc})."
        ) from exc
    return frames, fields


def _read_posetrack_frame(frame: dict[str, Any], row: int, t: np.ndarray, xy: np.ndarray, score: np.ndarray, path: Path) -> None:
    """Fill row ``row`` of ``t`` (s), ``xy`` (pixels) and ``score`` from one swing-analyzer frame."""
    t[row] = frame["videoTime"] if "videoTime" in frame else frame["timestamp"] / 1000.0
    for order, point in enumerate(frame["keypoints"]):
        name = point.get("name", LANDMARK_NAMES[order])
        if name not in _LANDMARK_INDEX:
            raise TrackFormatError(f"{path.name}: unknown keypoint name {name!r} in frame {row}.")
        xy[row, _LANDMARK_INDEX[name]] = point["x"], point["y"]
        score[row, _LANDMARK_INDEX[name]] = point.get("score", np.nan)


def load_posetrack_json(path: str | Path, limits: TrackLimits = TrackLimits()) -> PoseTrack:
    """Read a swing-analyzer ``.posetrack.json`` file.

    Parameters
    ----------
    path : str or Path
    limits : TrackLimits, optional
        File size and frame count limits.

    Returns
    -------
    PoseTrack
        ``t`` from each frame's ``videoTime`` (s), ``xy`` from the pixel
        keypoints, ``visibility`` from ``score``; frames with no keypoints are
        NaN. Frame size from ``metadata.videoWidth`` / ``videoHeight``.
        ``presence`` and ``world`` are NaN (the file's z has no known unit).

    Raises
    ------
    TrackFormatError
        If the file cannot be read or breaks a limit, the JSON lacks
        ``metadata`` or ``frames``, a frame lacks its time or a keypoint its
        numbers, a keypoint name is unknown, or the times are unusable.
    """
    path = Path(path)
    _check_size(path, limits.max_json_bytes)
    with _reading(path):
        text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise TrackFormatError(f"{path.name} is not a swing-analyzer pose track: it is not valid JSON ({exc}).") from exc
    frames, fields = _posetrack_header(doc, path)
    _check_rows(len(frames), limits.max_rows, path)
    n = len(frames)
    xy = np.full((n, NUM_LANDMARKS, 2), np.nan)
    score = np.full((n, NUM_LANDMARKS), np.nan)
    t = np.empty(n)
    for row, frame in enumerate(frames):
        try:
            _read_posetrack_frame(frame, row, t, xy, score, path)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
            raise TrackFormatError(
                f"The time or a keypoint of frame {row} in {path.name} is missing or not a number ({exc!r}). {_REMAKE}"
            ) from exc
    return _checked(
        PoseTrack(
            t=t,
            xy=xy,
            visibility=score,
            presence=np.full((n, NUM_LANDMARKS), np.nan),
            world=np.full((n, NUM_LANDMARKS, 3), np.nan),
            **fields,
        ),
        path,
    )


def load_track(path: str | Path, *, limits: TrackLimits = TrackLimits(), **kw: Any) -> PoseTrack:
    """Read a pose track in any format knee_cv knows, chosen by name and content.

    Parameters
    ----------
    path : str or Path
        ``.npz`` (knee_cv archive), ``.json`` (swing-analyzer posetrack) or
        ``.csv`` (knee_cv CSV, recognised by its first line, or pose-detection1
        CSV, recognised by its ``t,mode,lm0_x`` header).
    limits : TrackLimits, optional
        File size, frame count and inflated size limits.
    **kw
        For pose-detection1 CSVs: ``width``, ``height`` (pixels) and ``fps``.
        Without them the frame is assumed to be 1080 x 1920 portrait
        (:data:`DEFAULT_PORTRAIT_SIZE`), the usual phone video; give the real
        size when known, since angles depend on the aspect ratio.

    Returns
    -------
    PoseTrack
        A track the analysis can use (see ``PoseTrack.problem``).

    Raises
    ------
    TrackFormatError
        If the file does not exist or cannot be read, its format is not
        recognised, or its content is damaged or unusable (see the readers).
    """
    path = Path(path)
    with _reading(path):
        is_file = path.is_file()
    if not is_file:
        raise TrackFormatError(f"No pose-track file at {path}. Check the path.")
    name = path.name.lower()
    _check_size(
        path, {".npz": limits.max_npz_bytes, ".json": limits.max_json_bytes}.get(path.suffix.lower(), limits.max_csv_bytes)
    )
    if name.endswith(".npz"):
        return load_npz(path, limits)
    if name.endswith(".json"):
        return load_posetrack_json(path, limits)
    with _reading(path), open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline(_MAX_LINE_CHARS).strip()
    if first == _CSV_MAGIC:
        return load_csv(path, limits)
    if first.startswith(_SHARANA_HEADER):
        width, height = DEFAULT_PORTRAIT_SIZE
        return load_sharana_csv(
            path, width=kw.get("width", width), height=kw.get("height", height), fps=kw.get("fps"), limits=limits
        )
    raise TrackFormatError(
        f"{path.name} is not a pose-track format knee_cv reads. Use a knee_cv CSV or .npz "
        "(made by knee_cv), a pose-detection1 CSV (header t,mode,lm0_x,...) or a "
        "swing-analyzer .posetrack.json."
    )
