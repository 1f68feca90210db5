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
    frame,t,people,nose_x,nose_y,nose_visibility,nose_presence,nose_wx,nose_wy,nose_wz,...

* The header lines start with ``#`` and read ``# key: value``. ``format`` is
  the version of this layout (now 1); ``width`` and ``height`` are the size
  of the upright video frame in pixels; ``fps`` is the nominal frame rate;
  ``model`` and ``source`` are JSON strings (quoted, so any text survives);
  ``duration_s`` (optional, NaN when absent) is the video's length as its
  container states it.
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
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np

from knee_cv.core.landmarks import LANDMARK_NAMES, NUM_LANDMARKS
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
    stacked = np.concatenate(
        [track.xy, track.visibility[..., None], track.presence[..., None], track.world], axis=2
    )
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
        ",".join(csv_columns()),
    ]
    table = _per_landmark_table(track)
    lines = [
        ",".join([str(i), _cell(track.t[i]), str(int(track.people[i]))] + [_cell(v) for v in row])
        for i, row in enumerate(table.tolist())
    ]
    Path(path).write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def _read_header(path: Path) -> tuple[dict[str, str], int]:
    """The ``# key: value`` lines of a knee_cv CSV and the number of comment lines."""
    meta: dict[str, str] = {}
    n_comments = 0
    with open(path, encoding="utf-8") as handle:
        first = handle.readline().rstrip("\n")
        if first != _CSV_MAGIC:
            raise TrackFormatError(
                f"{path.name} is not a knee_cv pose-track CSV: its first line should be "
                f"'{_CSV_MAGIC}'. Export the track again with knee_cv."
            )
        n_comments = 1
        for line in handle:
            if not line.startswith("#"):
                break
            n_comments += 1
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
    return meta, n_comments


def load_csv(path: str | Path) -> PoseTrack:
    """Read a track written by :func:`save_csv`.

    Parameters
    ----------
    path : str or Path
        A knee_cv pose-track CSV.

    Returns
    -------
    PoseTrack
        The track, exactly as it was saved (empty cells become NaN).

    Raises
    ------
    TrackFormatError
        If the file is not a knee_cv CSV, is of a newer format version, or
        its columns do not match the format.
    """
    path = Path(path)
    meta, n_comments = _read_header(path)
    try:
        version = int(meta["format"])
        width, height, fps = int(meta["width"]), int(meta["height"]), float(meta["fps"])
        model, source = json.loads(meta.get("model", '"unknown"')), json.loads(meta.get("source", '""'))
        duration_s = float(meta.get("duration_s", "nan"))
    except (KeyError, ValueError) as exc:
        raise TrackFormatError(
            f"The header of {path.name} is damaged ({exc}); it needs format, width, height and "
            "fps lines. Export the track again with knee_cv."
        ) from exc
    if version > CSV_FORMAT_VERSION:
        raise TrackFormatError(
            f"{path.name} uses knee_cv CSV format {version}, newer than this version reads "
            f"({CSV_FORMAT_VERSION}). Update knee_cv."
        )
    with open(path, encoding="utf-8") as handle:
        for _ in range(n_comments):
            handle.readline()
        columns = handle.readline().strip().split(",")
        if columns != csv_columns():
            raise TrackFormatError(
                f"The columns of {path.name} do not match knee_cv's CSV format "
                f"(expected {len(csv_columns())} columns starting frame,t,people,nose_x). "
                "Export the track again with knee_cv."
            )
        rows = handle.read()
    data = (
        np.genfromtxt(io.StringIO(rows), delimiter=",", dtype=float, ndmin=2)
        if rows.strip() else np.empty((0, len(columns)))
    )
    if data.shape[1] != len(columns):
        raise TrackFormatError(f"Some rows of {path.name} have the wrong number of cells.")
    fields = data[:, 3:].reshape(len(data), NUM_LANDMARKS, len(_FIELDS))
    return PoseTrack(
        t=data[:, 1], xy=fields[..., 0:2], visibility=fields[..., 2], presence=fields[..., 3],
        world=fields[..., 4:7], width=width, height=height, fps=fps, model=model,
        people=np.nan_to_num(data[:, 2]).astype(int), source=source, duration_s=duration_s,
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
        path, t=track.t, xy=track.xy, visibility=track.visibility, presence=track.presence,
        world=track.world, people=track.people, width=track.width, height=track.height,
        fps=track.fps, model=np.str_(track.model), source=np.str_(track.source),
        duration_s=track.duration_s, format=CSV_FORMAT_VERSION,
    )


def load_npz(path: str | Path) -> PoseTrack:
    """Read a track written by :func:`save_npz`.

    Raises
    ------
    TrackFormatError
        If the archive lacks one of the track's arrays.
    """
    path = Path(path)
    with np.load(path, allow_pickle=False) as data:
        try:
            return PoseTrack(
                t=data["t"], xy=data["xy"], visibility=data["visibility"],
                presence=data["presence"], world=data["world"], people=data["people"],
                width=int(data["width"]), height=int(data["height"]), fps=float(data["fps"]),
                model=str(data["model"]), source=str(data["source"]),
                duration_s=float(data["duration_s"]) if "duration_s" in data else math.nan,
            )
        except KeyError as exc:
            raise TrackFormatError(
                f"{path.name} is a NumPy archive but not a knee_cv pose track (missing {exc})."
            ) from exc


def load_sharana_csv(
    path: str | Path, width: int, height: int, fps: float | None = None
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

    Returns
    -------
    PoseTrack
        ``t`` in seconds from the first row (Unix-time files are shifted to
        start at 0), ``xy`` in pixels, ``visibility`` from ``v``. ``presence``
        and ``world`` are NaN: the file's ``z`` is a relative depth, not metres.
        Rows with empty landmark cells become frames without a pose.
    """
    path = Path(path)
    n_cols = 2 + 4 * NUM_LANDMARKS
    data = np.genfromtxt(
        path, delimiter=",", skip_header=1, dtype=float, ndmin=2,
        usecols=[0] + list(range(2, n_cols)),
    )
    if data.size == 0:
        data = np.empty((0, n_cols - 1))
    t_ms = data[:, 0]
    t = (t_ms - t_ms[0]) / 1000.0 if len(t_ms) else t_ms
    lm = data[:, 1:].reshape(len(data), NUM_LANDMARKS, 4)
    xy = lm[..., 0:2] * np.array([width, height], dtype=float)
    if fps is None:
        steps = np.diff(t)
        fps = 1.0 / float(np.median(steps)) if len(steps) else 30.0
    n = len(data)
    return PoseTrack(
        t=t, xy=xy, visibility=lm[..., 3], presence=np.full((n, NUM_LANDMARKS), np.nan),
        world=np.full((n, NUM_LANDMARKS, 3), np.nan), width=width, height=height, fps=fps,
        model="mediapipe (pose-detection1 export)", source=path.name,
    )


def load_posetrack_json(path: str | Path) -> PoseTrack:
    """Read a swing-analyzer ``.posetrack.json`` file.

    Parameters
    ----------
    path : str or Path

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
        If the JSON lacks ``metadata`` or ``frames``, or a keypoint name is unknown.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta, frames = doc["metadata"], doc["frames"]
        width, height = int(meta["videoWidth"]), int(meta["videoHeight"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TrackFormatError(
            f"{path.name} is not a swing-analyzer pose track: it needs 'metadata' with "
            f"videoWidth/videoHeight and 'frames' ({exc})."
        ) from exc
    n = len(frames)
    xy = np.full((n, NUM_LANDMARKS, 2), np.nan)
    score = np.full((n, NUM_LANDMARKS), np.nan)
    t = np.empty(n)
    index = {name: i for i, name in enumerate(LANDMARK_NAMES)}
    for row, frame in enumerate(frames):
        t[row] = frame["videoTime"] if "videoTime" in frame else frame["timestamp"] / 1000.0
        for order, point in enumerate(frame["keypoints"]):
            name = point.get("name", LANDMARK_NAMES[order])
            if name not in index:
                raise TrackFormatError(f"{path.name}: unknown keypoint name {name!r} in frame {row}.")
            xy[row, index[name]] = point["x"], point["y"]
            score[row, index[name]] = point.get("score", np.nan)
    model = f"{meta.get('model', 'unknown')} {meta.get('modelVersion', '')}".strip()
    return PoseTrack(
        t=t, xy=xy, visibility=score, presence=np.full((n, NUM_LANDMARKS), np.nan),
        world=np.full((n, NUM_LANDMARKS, 3), np.nan), width=width, height=height,
        fps=float(meta.get("fps", 30.0)), model=model,
        source=str(meta.get("sourceVideoName", path.name)),
    )


def load_track(path: str | Path, **kw) -> PoseTrack:
    """Read a pose track in any format knee_cv knows, chosen by name and content.

    Parameters
    ----------
    path : str or Path
        ``.npz`` (knee_cv archive), ``.json`` (swing-analyzer posetrack) or
        ``.csv`` (knee_cv CSV, recognised by its first line, or pose-detection1
        CSV, recognised by its ``t,mode,lm0_x`` header).
    **kw
        For pose-detection1 CSVs: ``width``, ``height`` (pixels) and ``fps``.
        Without them the frame is assumed to be 1080 x 1920 portrait
        (:data:`DEFAULT_PORTRAIT_SIZE`), the usual phone video; give the real
        size when known, since angles depend on the aspect ratio.

    Returns
    -------
    PoseTrack

    Raises
    ------
    TrackFormatError
        If the file does not exist or its format is not recognised.
    """
    path = Path(path)
    if not path.is_file():
        raise TrackFormatError(f"No pose-track file at {path}. Check the path.")
    name = path.name.lower()
    if name.endswith(".npz"):
        return load_npz(path)
    if name.endswith(".json"):
        return load_posetrack_json(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline().strip()
    if first == _CSV_MAGIC:
        return load_csv(path)
    if first.startswith(_SHARANA_HEADER):
        width, height = DEFAULT_PORTRAIT_SIZE
        return load_sharana_csv(
            path, width=kw.get("width", width), height=kw.get("height", height), fps=kw.get("fps")
        )
    raise TrackFormatError(
        f"{path.name} is not a pose-track format knee_cv reads. Use a knee_cv CSV or .npz "
        "(made by knee_cv), a pose-detection1 CSV (header t,mode,lm0_x,...) or a "
        "swing-analyzer .posetrack.json."
    )
