"""What the store keeps to check a rep: its clip (with limits), and clinicians' measurements as records.

No database access here (see :mod:`knee_cv.store.measurements` for that):
the size limits and checks of rep clips, their packing into table rows, and
the records of measurements read from rows.

Limits
------
A clip is at most :data:`MAX_CLIP_BYTES`, a session's clips together at most
:data:`MAX_SESSION_CLIP_BYTES`; :func:`knee_cv.media.rep_clips.rep_clips`
makes clips within them (a typical rep of 2-3 s at 720p is 100-200 kB).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from knee_cv.core.evidence import RepClip
from knee_cv.core.shown import Measured
from knee_cv.errors import StoreError
from knee_cv.store.tables import MeasurementRow, RepClipRow

#: Largest clip of one rep, bytes.
MAX_CLIP_BYTES = 3_000_000
#: Largest sum of a session's clips, bytes.
MAX_SESSION_CLIP_BYTES = 30_000_000


def clip_rows(clips: Mapping[int, RepClip], rep_indices: Iterable[int]) -> list[RepClipRow]:
    """Table rows of a session's rep clips, checked (by ``Rep.index``, in rep order).

    Raises
    ------
    StoreError
        A clip names a rep the analysis does not have, its frames and
        landmarks disagree, or a clip or all of them together pass the limits.
    """
    unknown = sorted(set(clips) - set(rep_indices))
    if unknown:
        raise StoreError(f"Rep clips were given for reps {unknown} that the analysis does not have.")
    total = sum(len(clip.mp4) for clip in clips.values())
    if total > MAX_SESSION_CLIP_BYTES:
        raise StoreError(
            f"The rep clips come to {total / 1e6:.1f} MB, over the {MAX_SESSION_CLIP_BYTES / 1e6:.0f} MB "
            "a session may keep; save without clips, or film fewer reps in one video."
        )
    rows = []
    for rep_index, clip in sorted(clips.items()):
        n = len(clip.frames)
        if not n or clip.t.shape != (n,) or clip.xy.shape != (n, 33, 2) or clip.scale.shape != (2,):
            raise StoreError(f"The clip of rep {rep_index + 1} does not match its landmarks; nothing was saved.")
        if len(clip.mp4) > MAX_CLIP_BYTES:
            raise StoreError(
                f"The clip of rep {rep_index + 1} is {len(clip.mp4) / 1e6:.1f} MB, over the "
                f"{MAX_CLIP_BYTES / 1e6:.0f} MB a rep's clip may be; save without clips."
            )
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            frames=np.asarray(clip.frames, dtype=np.int64),
            t=np.asarray(clip.t, dtype=float),
            xy=np.asarray(clip.xy, dtype=float),
            scale=np.asarray(clip.scale, dtype=float),
        )
        rows.append(RepClipRow(rep_index=int(rep_index), mp4=bytes(clip.mp4), landmarks_npz=buffer.getvalue()))
    return rows


def clip_of(row: RepClipRow) -> RepClip:
    """The :class:`RepClip` a row holds."""
    with np.load(io.BytesIO(row.landmarks_npz), allow_pickle=False) as data:
        return RepClip(mp4=row.mp4, frames=data["frames"], t=data["t"], xy=data["xy"], scale=data["scale"])


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


@dataclass(frozen=True)
class MeasurementInfo:
    """A clinician's measurement of one rep, as stored.

    Attributes
    ----------
    id, session_id, rep_index : int
    measured_by : str
        Who placed the points (the logged-in clinician).
    created_at : datetime
        When, UTC.
    frame : int
        The analysed track's row (0-based); ``t_s`` its time in the video, seconds.
    points : dict of str to (float, float)
        The points placed, by landmark name (``"RIGHT_KNEE"``), pixels of the upright frame.
    fppa_deg, pelvic_drop_deg : float
        From the points: FPPA positive = valgus, pelvic drop positive = the
        free leg's side lower (NaN where not measurable).
    auto_fppa_deg, auto_pelvic_drop_deg : float
        The rep's automatic values, kept.
    undone_by : str or None
        Who undid it (None while it stands); ``undone_at`` when.
    """

    id: int
    session_id: int
    rep_index: int
    measured_by: str
    created_at: datetime
    frame: int
    t_s: float
    points: dict[str, tuple[float, float]]
    fppa_deg: float
    pelvic_drop_deg: float
    auto_fppa_deg: float
    auto_pelvic_drop_deg: float
    undone_by: str | None = None
    undone_at: datetime | None = None

    def measured(self) -> Measured:
        """What the display rule (:func:`knee_cv.core.shown.shown`) needs of it."""
        return Measured(
            fppa_deg=self.fppa_deg, pelvic_drop_deg=self.pelvic_drop_deg, by=self.measured_by, frame=self.frame, t_s=self.t_s
        )


def measurement_infos(rows: Iterable[MeasurementRow]) -> list[MeasurementInfo]:
    """The measurements among a session's rows, oldest first, each with its undoing when there is one."""
    rows = list(rows)
    undos = {row.undoes_id: row for row in rows if row.action == "undo"}
    infos = []
    for row in rows:
        if row.action != "measure":
            continue
        undo = undos.get(row.id)
        assert row.frame is not None and row.points_json is not None, "a measurement is saved with its frame and points"
        infos.append(
            MeasurementInfo(
                id=row.id,
                session_id=row.session_id,
                rep_index=row.rep_index,
                measured_by=row.measured_by,
                created_at=row.created_at,
                frame=int(row.frame),
                t_s=_nan(row.t_s),
                points={name: (float(x), float(y)) for name, (x, y) in json.loads(row.points_json).items()},
                fppa_deg=_nan(row.fppa_deg),
                pelvic_drop_deg=_nan(row.pelvic_drop_deg),
                auto_fppa_deg=_nan(row.auto_fppa_deg),
                auto_pelvic_drop_deg=_nan(row.auto_pelvic_drop_deg),
                undone_by=undo.measured_by if undo else None,
                undone_at=undo.created_at if undo else None,
            )
        )
    return infos


def standing(infos: Iterable[MeasurementInfo]) -> dict[int, MeasurementInfo]:
    """Each rep's reported measurement (its latest one not undone), by ``Rep.index``."""
    current: dict[int, MeasurementInfo] = {}
    for info in infos:
        if info.undone_by is None:
            current[info.rep_index] = info
    return current
