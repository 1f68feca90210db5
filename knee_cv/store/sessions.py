"""The clinician store: subjects, saved sessions, flagged reps and reviews.

Where the data live
-------------------
By default an SQLite file ``knee_cv.sqlite3`` in the user's data folder
(``platformdirs.user_data_path("knee_cv")``), created on first use. Set the
environment variable ``KNEE_CV_DB_URL`` (or pass ``db_url``) to any
SQLAlchemy URL, for example ``postgresql+psycopg://user:password@host/knee_cv``
for a clinic server (its driver comes with ``pip install knee-cv[postgres]``).
The store is tested on SQLite and PostgreSQL.

Opening a database runs the Alembic migrations in ``knee_cv/migrations`` up
to the newest revision, so a newer knee_cv upgrades an older file in place
and keeps its data.

SQLite files are opened in WAL mode with a 30 s busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``: two processes saving at once
both succeed, one after the other. ``secure_delete`` is on, so deleted rows
(key frames included) are overwritten in the file, not just unlinked. On
PostgreSQL deleted rows stay in the data files until ``VACUUM`` reuses the
space (see the README).

What is stored
--------------
Every save is one transaction: the subject (created on first use), the
session (summary, thresholds, recommendations, per-frame series), its reps,
their flags and the key-frame JPEGs, or nothing at all. The computed result
is never changed afterwards. Clinician reviews are appended (see
:func:`add_review`); the latest review of a flag is its current decision and
the older ones stay as its history.

Datetimes are timezone-aware and in UTC on the way out, whatever the
database or its server's time zone (:class:`knee_cv.store.tables.UtcDateTime`).
Two writers creating the same new subject at once both succeed (a savepoint
catches the losing insert), which matters on PostgreSQL, where writers do not
queue as they do on SQLite.

Values follow :mod:`knee_cv.core.result`: angles in degrees, FPPA positive =
valgus, pelvic drop positive = free-leg side lower; missing values are NaN in
Python and NULL / JSON ``null`` in the database.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
import typing
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime, timezone
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, make_url, select
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from knee_cv import __version__
from knee_cv.core.result import Analysis, Flag, Recommendation, Rep, Summary
from knee_cv.core.series import FrameSeries
from knee_cv.errors import StoreError
from knee_cv.store.tables import FlagRow, KeyFrameRow, RepRow, ReviewRow, SessionRow, SubjectRow

DB_URL_ENV = "KNEE_CV_DB_URL"
"""Environment variable holding the database URL (overrides the default file)."""

BUSY_TIMEOUT_S = 30.0
"""How long an SQLite writer waits for another one to finish, in seconds."""

DECISIONS = ("confirm", "dismiss")
"""The two decisions a clinician can record on a flag."""

SEXES = ("female", "male")
"""The values :func:`upsert_subject` accepts for ``sex``."""

PAINFUL_SIDES = ("left", "right", "both", "none")
"""The values :func:`upsert_subject` accepts for ``painful_side``."""

MAX_SUBJECT_CODE = 64
"""Longest subject code, in characters (the column is ``VARCHAR(64)``)."""

MAX_REVIEWER = 128
"""Longest reviewer name, in characters (the column is ``VARCHAR(128)``)."""

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x6B6E6565  # "knee": any fixed key shared by knee_cv processes


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class SubjectInfo:
    """A subject as listed on the review page.

    ``code`` is the pseudonymous id; ``sex`` and ``painful_side`` are None
    when unknown.
    """

    code: str
    sex: str | None
    painful_side: str | None
    notes: str
    created_at: datetime
    n_sessions: int


@dataclass(frozen=True)
class SessionInfo:
    """One saved session, without its reps.

    ``rating`` is the session's overall good / fair / poor (None when not
    rated); ``n_open_flags`` counts flags with no review yet.
    """

    id: int
    subject: str
    recorded_at: datetime
    source: str
    video_hash: str | None
    model: str
    app_version: str | None
    n_reps: int
    n_flags: int
    n_open_flags: int
    rating: str | None


@dataclass(frozen=True)
class ReviewInfo:
    """One clinician review of one flag (``decision`` is confirm or dismiss)."""

    id: int
    flag_id: int
    reviewer: str
    decision: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class FlagItem:
    """A computed flag with where it belongs and its reviews, oldest first.

    ``value`` and ``threshold`` are in ``unit`` (``"deg"`` or ``"ratio"``);
    ``decision`` is the latest review's decision, None while unreviewed.
    """

    flag_id: int
    session_id: int
    subject: str
    recorded_at: datetime
    rep_index: int
    leg: str
    criterion: str
    value: float
    threshold: float
    unit: str
    reason: str
    source: str
    reviews: tuple[ReviewInfo, ...]

    @property
    def decision(self) -> str | None:
        """The current decision (latest review), or None when unreviewed."""
        return self.reviews[-1].decision if self.reviews else None


@dataclass(frozen=True)
class HistoryRow:
    """One leg of one session, for the history chart and CSV.

    Means over the session's reliable reps of that stance leg (NaN when
    none): ``fppa_deg`` (positive = valgus), ``pelvic_drop_deg`` (positive
    = free-leg side lower), ``trunk_lean_deg``, ``knee_wobble`` (fraction of
    leg length) and ``depth`` (fraction of leg length).
    """

    subject: str
    session_id: int
    recorded_at: datetime
    leg: str
    n_reps: int
    n_reliable: int
    fppa_deg: float
    pelvic_drop_deg: float
    trunk_lean_deg: float
    knee_wobble: float
    depth: float
    rating: str | None


# --------------------------------------------------------------------------- engine


def default_db_url() -> str:
    """The database URL in use: ``$KNEE_CV_DB_URL``, else the user's SQLite file."""
    url = os.environ.get(DB_URL_ENV, "").strip()
    if url:
        return url
    folder = platformdirs.user_data_path("knee_cv", appauthor=False, ensure_exists=True)
    return f"sqlite:///{folder / 'knee_cv.sqlite3'}"


def make_engine(db_url: str) -> Engine:
    """Create an engine for ``db_url`` without migrating it.

    SQLite connections get WAL journaling, a busy timeout of
    :data:`BUSY_TIMEOUT_S`, foreign keys, secure delete, and ``BEGIN
    IMMEDIATE`` transactions (so concurrent writers queue instead of
    failing). Use :func:`open_engine` for a ready-to-use database.
    """
    if db_url.startswith("sqlite"):
        engine = create_engine(db_url, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(db_url, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """Set WAL journaling, waiting out another process doing the same.

    Switching a new database file into WAL needs an exclusive lock, and SQLite
    answers "database is locked" at once there instead of calling the busy
    handler (seen with two processes opening one new file), so retry until
    :data:`BUSY_TIMEOUT_S`.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to an Alembic revision.

    Runs in one transaction holding a lock (SQLite: the write lock of
    ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory lock), so
    two processes opening a new database at once do not both create the
    tables.
    """
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@lru_cache(maxsize=8)
def _open(db_url: str) -> tuple[Engine, sessionmaker[Session]]:
    try:
        shown = make_url(db_url).render_as_string(hide_password=True)
        engine = make_engine(db_url)
    except ImportError as error:
        raise StoreError(
            f"The database URL {shown} needs the Python driver {error.name!r}, which is not installed. For "
            "PostgreSQL install knee-cv[postgres] (psycopg) and write postgresql+psycopg://USER:PASSWORD@HOST/DBNAME."
        ) from error
    except ArgumentError as error:
        raise StoreError(f"{DB_URL_ENV} (or db_url) is not a usable database URL: {error}") from error
    try:
        migrate(engine)
    except OperationalError as error:
        engine.dispose()
        raise StoreError(
            f"Could not open the database {shown}: {str(error.orig).strip()}. Check {DB_URL_ENV} "
            "(host, port, user, password, database name) and that the database server is running."
        ) from error
    return engine, sessionmaker(engine, expire_on_commit=False)


def open_engine(db_url: str | None = None) -> Engine:
    """The engine of ``db_url`` (default :func:`default_db_url`), migrated to the newest schema.

    Engines are cached per URL within a process.

    Raises
    ------
    StoreError
        The URL is malformed, its driver is not installed, or the database
        cannot be reached or logged in to (the message never shows the
        password).
    """
    return _open(db_url or default_db_url())[0]


def _session(db_url: str | None) -> Session:
    return _open(db_url or default_db_url())[1]()


# --------------------------------------------------------------------------- conversions


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=False)


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _rebuild(tp: Any, value: Any) -> Any:
    """Turn plain JSON values back into the typed values of a result dataclass.

    ``None`` in a float field becomes NaN; nested dataclasses, lists and
    tuples are rebuilt; keys the dataclass does not know are ignored.
    """
    if is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: _rebuild(hints[f.name], value[f.name]) for f in fields(tp) if f.name in value})
    if tp is float:
        return float("nan") if value is None else float(value)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    origin = typing.get_origin(tp)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_rebuild(item, v) for v in value]
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value)
        return tuple(_rebuild(a, v) for a, v in zip(args, value))
    return value


def _series_to_npz(series: dict[str, np.ndarray]) -> bytes:
    arrays = {}
    for name, values in series.items():
        array = np.asarray(values)
        arrays[name] = array.astype(str) if array.dtype == object else array
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _series_from_npz(blob: bytes | None) -> FrameSeries | None:
    if not blob:
        return None
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return FrameSeries.from_dict({name: data[name] for name in data.files})


def _check_code(subject_id: str) -> str:
    code = str(subject_id).strip()
    if not code or len(code) > MAX_SUBJECT_CODE:
        raise StoreError(
            f"Subject id {subject_id!r} is not usable: give a pseudonymous code of 1 to "
            f"{MAX_SUBJECT_CODE} characters (for example P001), not a name."
        )
    return code


def _subject_row(db: Session, subject_id: str) -> SubjectRow:
    code = _check_code(subject_id)
    row = db.scalar(select(SubjectRow).where(SubjectRow.code == code))
    if row is None:
        raise StoreError(f"No subject {code!r} in the database. Check the id, or save a session for it first.")
    return row


def _session_row(db: Session, session_id: int) -> SessionRow:
    row = db.get(SessionRow, int(session_id))
    if row is None:
        raise StoreError(f"No saved session with id {session_id}. List the sessions of a subject to find its ids.")
    return row


# --------------------------------------------------------------------------- writing


def upsert_subject(
    subject_id: str,
    *,
    sex: str | None = None,
    painful_side: str | None = None,
    notes: str | None = None,
    db_url: str | None = None,
) -> SubjectInfo:
    """Create a subject, or update the details given (None leaves a detail as it is).

    Parameters
    ----------
    subject_id : str
        Pseudonymous code (1 to 64 characters), never a name.
    sex : {"female", "male"}, optional
        Used to pick sex-specific reference values.
    painful_side : {"left", "right", "both", "none"}, optional
        The side the person reports pain on.
    notes : str, optional
        Free text for the clinician.
    """
    if sex is not None and sex not in SEXES:
        raise StoreError(f"Sex must be one of {SEXES} (or left unknown), not {sex!r}.")
    if painful_side is not None and painful_side not in PAINFUL_SIDES:
        raise StoreError(f"Painful side must be one of {PAINFUL_SIDES} (or left unknown), not {painful_side!r}.")
    with _session(db_url) as db, db.begin():
        row = _get_or_create_subject(db, subject_id)
        if sex is not None:
            row.sex = sex
        if painful_side is not None:
            row.painful_side = painful_side
        if notes is not None:
            row.notes = notes
    return get_subject(subject_id, db_url=db_url)


def _get_or_create_subject(db: Session, subject_id: str) -> SubjectRow:
    code = _check_code(subject_id)
    query = select(SubjectRow).where(SubjectRow.code == code)
    row = db.scalar(query)
    if row is None:
        row = SubjectRow(code=code, notes="", created_at=_now())
        try:
            with db.begin_nested():  # a savepoint: on a clash only this insert is undone
                db.add(row)
        except IntegrityError:
            # Another writer created the subject since the select (PostgreSQL's READ COMMITTED lets
            # both see it missing; the unique code makes the second insert wait, then fail).
            row = db.scalar(query)
    return row


def save_analysis(
    analysis: Analysis,
    subject_id: str,
    *,
    key_frames: dict[int, bytes] | None = None,
    video_hash: str | None = None,
    recorded_at: datetime | None = None,
    db_url: str | None = None,
) -> int:
    """Save an analysis as a new session of a subject, in one transaction.

    Parameters
    ----------
    analysis : Analysis
        The computed result; stored as it is (per-frame series included).
    subject_id : str
        Pseudonymous code; the subject is created if it is new.
    key_frames : dict of int to bytes, optional
        JPEG of the deepest frame of each rep, keyed by ``Rep.index``.
    video_hash : str, optional
        SHA-256 (hex) of the source video file.
    recorded_at : datetime, optional
        When the video was recorded, timezone-aware (default: now); stored
        and read back in UTC.
    db_url : str, optional
        Database URL (default :func:`default_db_url`).

    Returns
    -------
    int
        The new session's id.

    Raises
    ------
    StoreError
        The subject id is unusable, ``recorded_at`` has no time zone, or a key
        frame names a rep that does not exist.
    """
    if recorded_at is not None and recorded_at.tzinfo is None:
        raise StoreError(f"recorded_at {recorded_at} has no time zone: give an aware datetime, for example in UTC.")
    key_frames = key_frames or {}
    rep_indices = {rep.index for rep in analysis.reps}
    unknown = sorted(set(key_frames) - rep_indices)
    if unknown:
        raise StoreError(f"Key frames were given for reps {unknown} that the analysis does not have.")
    plain = analysis.to_dict(include_series=False)
    now = _now()
    with _session(db_url) as db, db.begin():
        subject = _get_or_create_subject(db, subject_id)
        session = SessionRow(
            subject=subject,
            recorded_at=recorded_at or now,
            created_at=now,
            source=analysis.source,
            video_hash=video_hash,
            model=analysis.model,
            app_version=__version__,
            thresholds_json=_dumps(plain["thresholds"]),
            summary_json=_dumps(plain["summary"]),
            recommendations_json=_dumps(plain["recommendations"]),
            shallow_dips_json=_dumps(plain["shallow_dips"]),
            safety_note=analysis.safety_note,
            series_npz=_series_to_npz(analysis.series.to_dict()) if analysis.series is not None else None,
        )
        for rep, rep_plain in zip(analysis.reps, plain["reps"]):
            rep_plain = {k: v for k, v in rep_plain.items() if k != "flags"}
            session.reps.append(
                RepRow(
                    rep_index=rep.index,
                    leg=rep.leg,
                    reliable=bool(rep.reliable),
                    fppa_bottom_deg=_finite_or_none(rep.fppa_bottom_deg),
                    pelvic_drop_bottom_deg=_finite_or_none(rep.pelvic_drop_bottom_deg),
                    data=_dumps(rep_plain),
                    flags=[
                        FlagRow(
                            position=position,
                            criterion=flag.criterion,
                            value=_finite_or_none(flag.value),
                            threshold=_finite_or_none(flag.threshold),
                            unit=flag.unit,
                            reason=flag.reason,
                            source=flag.source,
                        )
                        for position, flag in enumerate(rep.flags)
                    ],
                )
            )
        for rep_index, jpeg in sorted(key_frames.items()):
            session.key_frames.append(KeyFrameRow(rep_index=int(rep_index), jpeg=bytes(jpeg)))
        db.add(session)
        db.flush()
        return session.id


def add_review(
    flag_id: int,
    decision: str,
    *,
    reviewer: str,
    note: str = "",
    db_url: str | None = None,
) -> ReviewInfo:
    """Record a clinician's decision on a flag (appended; nothing is overwritten).

    Parameters
    ----------
    flag_id : int
        :attr:`FlagItem.flag_id` of the flag.
    decision : {"confirm", "dismiss"}
        Confirm: the clinician agrees with the finding. Dismiss: they do not
        (for example a tracking error); say why in ``note``.
    reviewer : str
        Who decided (login name or e-mail).
    note : str
        Free text.
    """
    if decision not in DECISIONS:
        raise StoreError(f"A review decision must be one of {DECISIONS}, not {decision!r}.")
    reviewer = reviewer.strip()
    if not reviewer:
        raise StoreError("Say who is reviewing: enter your name or log in before confirming or dismissing a flag.")
    if len(reviewer) > MAX_REVIEWER:
        raise StoreError(f"The reviewer name is {len(reviewer)} characters long; use at most {MAX_REVIEWER}.")
    with _session(db_url) as db, db.begin():
        if db.get(FlagRow, int(flag_id)) is None:
            raise StoreError(f"No flag with id {flag_id}; it may belong to a subject that was deleted.")
        row = ReviewRow(flag_id=int(flag_id), reviewer=reviewer, decision=decision, note=note, created_at=_now())
        db.add(row)
        db.flush()
        return _review_info(row)


def delete_subject(subject_id: str, *, db_url: str | None = None) -> int:
    """Delete a subject and all of its data: sessions, reps, flags, reviews, key frames.

    Returns
    -------
    int
        How many sessions were deleted with it.
    """
    with _session(db_url) as db, db.begin():
        row = _subject_row(db, subject_id)
        n_sessions = len(row.sessions)
        db.delete(row)
    return n_sessions


# --------------------------------------------------------------------------- reading


def load_analysis(session_id: int, *, db_url: str | None = None) -> Analysis:
    """Rebuild the saved :class:`Analysis` of a session, exactly as it was saved.

    Sessions saved before per-frame series were stored have no
    ``series`` (None).
    """
    with _session(db_url) as db:
        row = _session_row(db, session_id)
        reps = []
        for rep_row in row.reps:
            rep = _rebuild(Rep, json.loads(rep_row.data))
            rep.flags = [
                Flag(
                    criterion=f.criterion,
                    value=float("nan") if f.value is None else f.value,
                    threshold=float("nan") if f.threshold is None else f.threshold,
                    unit=f.unit,
                    reason=f.reason,
                    source=f.source,
                )
                for f in rep_row.flags
            ]
            reps.append(rep)
        return Analysis(
            series=_series_from_npz(row.series_npz),
            reps=reps,
            shallow_dips=_rebuild(list[tuple[float, float, float]], json.loads(row.shallow_dips_json)),
            summary=_rebuild(Summary, json.loads(row.summary_json)),
            recommendations=_rebuild(list[Recommendation], json.loads(row.recommendations_json)),
            safety_note=row.safety_note,
            thresholds=json.loads(row.thresholds_json),
            model=row.model,
            source=row.source,
        )


def load_key_frames(session_id: int, *, db_url: str | None = None) -> dict[int, bytes]:
    """The key-frame JPEGs of a session, keyed by rep index."""
    with _session(db_url) as db:
        row = _session_row(db, session_id)
        return {kf.rep_index: kf.jpeg for kf in row.key_frames}


def get_subject(subject_id: str, *, db_url: str | None = None) -> SubjectInfo:
    """One subject by its code (raises :class:`StoreError` when unknown)."""
    with _session(db_url) as db:
        return _subject_info(_subject_row(db, subject_id))


def list_subjects(*, db_url: str | None = None) -> list[SubjectInfo]:
    """All subjects, by code."""
    with _session(db_url) as db:
        rows = db.scalars(select(SubjectRow).options(selectinload(SubjectRow.sessions)).order_by(SubjectRow.code))
        return [_subject_info(row) for row in rows]


def _subject_info(row: SubjectRow) -> SubjectInfo:
    return SubjectInfo(
        code=row.code,
        sex=row.sex,
        painful_side=row.painful_side,
        notes=row.notes,
        created_at=row.created_at,
        n_sessions=len(row.sessions),
    )


def get_session(session_id: int, *, db_url: str | None = None) -> SessionInfo:
    """One session's details (raises :class:`StoreError` when unknown)."""
    with _session(db_url) as db:
        return _session_info(_session_row(db, session_id))


def list_sessions(subject_id: str, *, db_url: str | None = None) -> list[SessionInfo]:
    """The sessions of a subject, oldest first."""
    with _session(db_url) as db:
        return [_session_info(row) for row in _subject_row(db, subject_id).sessions]


def _session_info(row: SessionRow) -> SessionInfo:
    flags = [flag for rep in row.reps for flag in rep.flags]
    return SessionInfo(
        id=row.id,
        subject=row.subject.code,
        recorded_at=row.recorded_at,
        source=row.source,
        video_hash=row.video_hash,
        model=row.model,
        app_version=row.app_version,
        n_reps=len(row.reps),
        n_flags=len(flags),
        n_open_flags=sum(1 for flag in flags if not flag.reviews),
        rating=json.loads(row.summary_json).get("rating"),
    )


def _review_info(row: ReviewRow) -> ReviewInfo:
    return ReviewInfo(
        id=row.id,
        flag_id=row.flag_id,
        reviewer=row.reviewer,
        decision=row.decision,
        note=row.note,
        created_at=row.created_at,
    )


def list_flags(
    *,
    subject_id: str | None = None,
    session_id: int | None = None,
    open_only: bool = False,
    db_url: str | None = None,
) -> list[FlagItem]:
    """Computed flags with their reviews, by session date, rep and position.

    Parameters
    ----------
    subject_id, session_id : optional
        Restrict to one subject or one session.
    open_only : bool
        Only flags nobody has reviewed yet (the review queue).
    """
    query = (
        select(FlagRow)
        .join(FlagRow.rep)
        .join(RepRow.session)
        .join(SessionRow.subject)
        .options(selectinload(FlagRow.reviews))
        .order_by(SessionRow.recorded_at, SessionRow.id, RepRow.rep_index, FlagRow.position)
    )
    if subject_id is not None:
        query = query.where(SubjectRow.code == _check_code(subject_id))
    if session_id is not None:
        query = query.where(SessionRow.id == int(session_id))
    if open_only:
        query = query.where(~FlagRow.reviews.any())
    with _session(db_url) as db:
        return [
            FlagItem(
                flag_id=flag.id,
                session_id=flag.rep.session.id,
                subject=flag.rep.session.subject.code,
                recorded_at=flag.rep.session.recorded_at,
                rep_index=flag.rep.rep_index,
                leg=flag.rep.leg,
                criterion=flag.criterion,
                value=float("nan") if flag.value is None else flag.value,
                threshold=float("nan") if flag.threshold is None else flag.threshold,
                unit=flag.unit,
                reason=flag.reason,
                source=flag.source,
                reviews=tuple(_review_info(r) for r in flag.reviews),
            )
            for flag in db.scalars(query)
        ]


def review_queue(*, subject_id: str | None = None, db_url: str | None = None) -> list[FlagItem]:
    """Flags not reviewed yet, oldest session first (see :func:`list_flags`)."""
    return list_flags(subject_id=subject_id, open_only=True, db_url=db_url)


def count_open_flags(*, db_url: str | None = None) -> int:
    """How many flags in the whole database have no review yet."""
    with _session(db_url) as db:
        return db.scalar(select(func.count(FlagRow.id)).where(~FlagRow.reviews.any())) or 0


def history(subject_id: str, *, db_url: str | None = None) -> list[HistoryRow]:
    """Per session and stance leg, the summary means of a subject, oldest first."""
    rows = []
    with _session(db_url) as db:
        subject = _subject_row(db, subject_id)
        for session in subject.sessions:
            summary = _rebuild(Summary, json.loads(session.summary_json))
            for leg in summary.legs:
                rows.append(
                    HistoryRow(
                        subject=subject.code,
                        session_id=session.id,
                        recorded_at=session.recorded_at,
                        leg=leg.leg,
                        n_reps=leg.n_reps,
                        n_reliable=leg.n_reliable,
                        fppa_deg=leg.fppa_deg,
                        pelvic_drop_deg=leg.pelvic_drop_deg,
                        trunk_lean_deg=leg.trunk_lean_deg,
                        knee_wobble=leg.knee_wobble,
                        depth=leg.depth,
                        rating=leg.rating,
                    )
                )
    return rows


def history_rows(subject_id: str, *, db_url: str | None = None) -> list[dict[str, Any]]:
    """:func:`history` as flat dicts (for tables and CSV), dates as ISO 8601 UTC."""
    return [asdict(row) | {"recorded_at": row.recorded_at.isoformat()} for row in history(subject_id, db_url=db_url)]
