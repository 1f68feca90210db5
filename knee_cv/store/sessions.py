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
their flags, the key-frame JPEGs and, when the user agreed, a short clip of
each rep (:mod:`knee_cv.store.evidence`), or nothing at all. A save happens once:
saving the same video (or live recording) with the same settings to the same
subject again returns the first session (:func:`save_key`), whether the
second save comes from a resumed batch, a double click or another process.
The computed result is never changed afterwards. Clinician reviews are
appended (see :func:`add_review`); the latest review of a flag is its current
decision and the older ones stay as its history. So are clinicians'
measurements of reps (:mod:`knee_cv.store.measurements`), which the history
reports in place of the automatic values. Deleting a session or a
subject is recorded in an audit log (:func:`list_deletions`): who, when, which.

Subject codes are checked where they come in (:mod:`knee_cv.store.text`):
no invisible, control or direction-changing characters, so two codes that
look alike are the same code.

Errors
------
Every failure a person can meet (a read-only or full disk, a file that is
not a knee_cv database or was written by a newer knee_cv, a lost server, an
unknown id) is a :class:`~knee_cv.errors.StoreError` whose message says what
to do; the database is left as it was (each call is one transaction).

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

import getpass
import hashlib
import io
import json
import os
import sqlite3
import time
import types
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, func, make_url, select
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from knee_cv import __version__
from knee_cv.core.assessment import rerate
from knee_cv.core.context import SessionContext
from knee_cv.core.evidence import RepClip
from knee_cv.core.labels import CriterionName
from knee_cv.core.rerated import rerated_reps
from knee_cv.core.result import Analysis, Flag, Recommendation, Rep, Summary
from knee_cv.core.series import FrameSeries
from knee_cv.core.shown import Measured, measured_note
from knee_cv.core.shown import rating as shown_rating
from knee_cv.core.thresholds import SEXES, saved_thresholds
from knee_cv.errors import StoreError
from knee_cv.store import evidence, text
from knee_cv.store.tables import (
    DeletionRow,
    FlagRow,
    KeyFrameRow,
    RepRow,
    ReviewRow,
    SessionRow,
    SubjectRow,
    UtcDateTime,
)

DB_URL_ENV = "KNEE_CV_DB_URL"
"""Environment variable holding the database URL (overrides the default file)."""

BUSY_TIMEOUT_S = 30.0
"""How long an SQLite writer waits for another one to finish, in seconds."""


class Decision(str, Enum):
    """The two decisions a clinician can record on a flag (a ``str`` enum: stored as its text)."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"

    def __str__(self) -> str:
        return self.value


DECISIONS = tuple(decision.value for decision in Decision)
"""The decisions' text, as stored."""

PAINFUL_SIDES = ("left", "right", "both", "none")
"""The values :func:`upsert_subject` accepts for ``painful_side``."""

MAX_SUBJECT_CODE = text.MAX_SUBJECT_CODE
"""Longest subject code, in characters (the column is ``VARCHAR(64)``)."""

MAX_REVIEWER = text.MAX_NAME
"""Longest reviewer name, in characters (the column is ``VARCHAR(128)``)."""

MAX_ID = 2**63 - 1
"""Largest row id any supported database stores (a signed 64-bit integer)."""

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
class PatientInfo:
    """A subject as the patient list shows it: code, sessions, the latest one's date, flags not reviewed yet.

    ``last_session`` is the latest ``recorded_at`` (UTC; None for a subject
    without sessions).
    """

    code: str
    n_sessions: int
    last_session: datetime | None
    n_open_flags: int


@dataclass(frozen=True)
class SessionInfo:
    """One saved session, without its reps.

    ``rating`` is the session's overall good / fair / poor (None when not
    rated), decided again from the clinicians' measurements in force;
    ``n_open_flags`` counts flags with no review yet; ``saved_by`` is
    who saved it (None for sessions saved before that was recorded); ``context``
    is what the person gave with the clip (sex, painful side, date filmed,
    selfie camera), empty for sessions saved before it was kept.
    """

    id: int
    subject: str
    recorded_at: datetime
    source: str
    video_hash: str | None
    model: str
    app_version: str | None
    saved_by: str | None
    n_reps: int
    n_flags: int
    n_open_flags: int
    rating: str | None
    context: SessionContext = SessionContext()


@dataclass(frozen=True)
class ReviewInfo:
    """One clinician review of one flag (``decision`` is confirm or dismiss)."""

    id: int
    flag_id: int
    reviewer: str
    decision: Decision
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
    def decision(self) -> Decision | None:
        """The current decision (latest review), or None when unreviewed."""
        return self.reviews[-1].decision if self.reviews else None


@dataclass(frozen=True)
class SavedSession:
    """What :func:`save_analysis` did: the session's id, and whether this call created it.

    ``created`` is False when the same save had been made before; ``id`` is
    then the earlier session's, and ``context`` what was kept with it (the
    context given the first time; compare with
    :meth:`~knee_cv.core.context.SessionContext.differences`).
    """

    id: int
    created: bool
    context: SessionContext | None = None


@dataclass(frozen=True)
class DeletionInfo:
    """One entry of the deletion audit log: ``what`` ("session" or "subject") was deleted by whom, when.

    ``session_id`` is None for a whole subject; ``n_sessions`` counts the
    sessions that went with it.
    """

    id: int
    what: str
    subject_code: str
    session_id: int | None
    n_sessions: int
    deleted_by: str
    deleted_at: datetime


@dataclass(frozen=True)
class HistoryRow:
    """One leg of one session, for the history chart and CSV.

    Means over the session's reliable reps of that stance leg (NaN when
    none): ``fppa_deg`` (positive = valgus), ``pelvic_drop_deg`` (positive
    = free-leg side lower), ``trunk_lean_deg``, ``knee_wobble`` (fraction of
    leg length) and ``depth`` (fraction of leg length), and the leg's
    ``rating``. A rep a clinician measured counts with the measured FPPA and
    pelvic drop, and the rating follows them (:mod:`knee_cv.core.rerated`);
    ``measured`` names it and its source ("rep 2: measured by NAME on frame
    N (T s)"; "" when none). ``automatic_fppa_deg`` and ``automatic_rating``
    are the leg's mean FPPA and rating as the analysis gave them, before any
    measurement (the same as ``fppa_deg`` and ``rating`` when none).
    ``rating_shown`` is the rating with the range the video allows
    (:func:`knee_cv.core.shown.rating`, "fair (could be good to poor)").
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
    measured: str = ""
    automatic_fppa_deg: float = float("nan")
    automatic_rating: str | None = None
    rating_shown: str = ""


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
    except CommandError as error:
        engine.dispose()
        raise StoreError(
            f"The database {shown} was written by a newer version of knee_cv ({error}). Update knee_cv "
            f"(pip install --upgrade knee-cv) to open it, or point {DB_URL_ENV} at another database."
        ) from error
    except (SQLAlchemyError, sqlite3.Error) as error:
        engine.dispose()
        raise _store_error(error, shown, opening=True) from error
    return engine, sessionmaker(engine, expire_on_commit=False)


def _reason(error: BaseException) -> str:
    """The database's own words for ``error``, on one line."""
    orig = getattr(error, "orig", None) or error
    return " ".join(str(orig).split()) or type(orig).__name__


def _store_error(error: BaseException, shown: str, *, opening: bool = False) -> StoreError:
    """One sentence for a database failure, by what the database said (``shown``: the URL without password)."""
    reason = _reason(error)
    lowered = reason.lower()
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return StoreError(
            f"The database {shown} is read-only ({reason}), so nothing was saved or changed. Give "
            f"knee_cv write access to the file and its folder, or point {DB_URL_ENV} at a writable database."
        )
    if "disk is full" in lowered or "no space" in lowered or "disk full" in lowered:
        return StoreError(
            f"The disk holding the database {shown} is full, so nothing was saved or changed. Free some space and try again."
        )
    if "not a database" in lowered or "malformed" in lowered:
        return StoreError(
            f"{shown} is not a knee_cv database or is damaged ({reason}). Point {DB_URL_ENV} at the "
            "right file, or restore it from a backup; knee_cv did not change it."
        )
    if "nul" in lowered and ("0x00" in lowered or "character" in lowered):
        return StoreError(
            "A text holds a NUL character, which the database cannot store; remove it (it often "
            "comes with text pasted from another program) and try again."
        )
    if opening:
        return StoreError(
            f"Could not open the database {shown}: {reason}. Check {DB_URL_ENV} (host, port, user, "
            "password, database name) and that the database server is running."
        )
    return StoreError(
        f"The database {shown} could not carry out the request ({reason}); nothing was changed. "
        "Try again, and check that the database server is running and has space."
    )


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


@contextmanager
def _session(db_url: str | None) -> Iterator[Session]:
    """A database session; any database failure inside the block comes out as a :class:`StoreError`.

    Use as ``with _session(url) as db, db.begin():`` for one transaction.
    """
    url = db_url or default_db_url()
    maker = _open(url)[1]
    try:
        with maker() as db:
            yield db
    except (SQLAlchemyError, sqlite3.Error) as error:
        raise _store_error(error, make_url(url).render_as_string(hide_password=True)) from error


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
        assert isinstance(tp, type), "result dataclasses are rebuilt from their classes"
        return tp(**{f.name: _rebuild(hints[f.name], value[f.name]) for f in fields(tp) if f.name in value})
    if tp is float:
        return float("nan") if value is None else float(value)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):  # an optional field: None, or the value of its type
        (kind,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return None if value is None else _rebuild(kind, value)
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
    arrays: dict[str, Any] = {}
    for name, values in series.items():
        array = np.asarray(values)
        arrays[name] = array.astype(str) if array.dtype == object else array
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _series_from_npz(blob: bytes | None) -> FrameSeries:
    if not blob:
        return FrameSeries.from_dict({})
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return FrameSeries.from_dict({name: data[name] for name in data.files})


def _subject_row(db: Session, subject_id: str) -> SubjectRow:
    code = text.lookup_code(subject_id)
    row = db.scalar(select(SubjectRow).where(SubjectRow.code == code))
    if row is None:
        raise StoreError(f"No subject {code!r} in the database. Check the id, or save a session for it first.")
    return row


def _session_row(db: Session, session_id: int) -> SessionRow:
    row = db.get(SessionRow, int(session_id)) if 1 <= int(session_id) <= MAX_ID else None
    if row is None:
        raise StoreError(f"No saved session with id {session_id}. List the sessions of a subject to find its ids.")
    return row


# --------------------------------------------------------------------------- writing


def command_line_user() -> str:
    """Who saves from the command line or a batch: the operating-system account, so marked."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "unknown user (command line)"


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
    if notes is not None:
        notes = text.free_text(notes, "in the notes")
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
    """The subject of this code, created when new; the code must pass :func:`text.subject_code` either way."""
    code = text.subject_code(subject_id)
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
            assert row is not None, "the clashing insert was another writer's, now committed"
    return row


def save_key(content_id: str | None, analysis: Analysis, settings: Mapping[str, Any] | None = None) -> str:
    """What makes two saves of a subject the same save, as a SHA-256 (hex).

    Parameters
    ----------
    content_id : str or None
        The video file's SHA-256, a track file's SHA-256, or a live
        recording's id. None (a result from elsewhere) falls back to the
        result itself: the same result is the same save.
    analysis : Analysis
        Its model and thresholds (sex-specific values included) are part of
        the key.
    settings : mapping, optional
        Anything else that changed the result, as JSON-able values (for
        example ``{"max_rate_hz": 15.0, "mirrored": True}``). Values that are
        None or False (the defaults) are left out, so every front end makes
        the same key for the same choice.
    """
    content = content_id or "result:" + hashlib.sha256(analysis.to_json().encode()).hexdigest()
    chosen = {name: value for name, value in (settings or {}).items() if value is not None and value is not False}
    identity = {"content": content, "model": analysis.model, "thresholds": analysis.thresholds.as_dict(), "settings": chosen}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def save_analysis(
    analysis: Analysis,
    subject_id: str,
    *,
    saved_by: str,
    key_frames: dict[int, bytes] | None = None,
    rep_clips: Mapping[int, RepClip] | None = None,
    video_hash: str | None = None,
    content_id: str | None = None,
    settings: Mapping[str, Any] | None = None,
    recorded_at: datetime | None = None,
    context: SessionContext | None = None,
    db_url: str | None = None,
) -> SavedSession:
    """Save an analysis as a new session of a subject, in one transaction, once.

    A second save with the same :func:`save_key` for the same subject (a
    resumed batch, a double click, two processes at once) creates nothing and
    returns the first session with ``created=False``.

    Parameters
    ----------
    analysis : Analysis
        The computed result; stored as it is (per-frame series included).
    subject_id : str
        Pseudonymous code; the subject is created if it is new. Checked by
        :func:`knee_cv.store.text.subject_code`.
    saved_by : str
        Who saves: the logged-in clinician, or the command line's user.
    key_frames : dict of int to bytes, optional
        JPEG of each rep's deepest frame, keyed by ``Rep.index``.
    rep_clips : mapping of int to RepClip, optional
        A short clip of each rep with its landmarks, keyed by ``Rep.index``;
        only with the user's consent. Checked against the limits of
        :mod:`knee_cv.store.evidence`.
    video_hash : str, optional
        SHA-256 (hex) of the source video file (stored, and the default
        ``content_id``).
    content_id : str, optional
        What was analysed, for :func:`save_key`: a live recording's id or a
        track file's SHA-256 (default ``video_hash``).
    settings : mapping, optional
        Settings that changed the result, for :func:`save_key`.
    recorded_at : datetime, optional
        When the video was recorded, timezone-aware (default: now); stored
        and read back in UTC.
    context : SessionContext, optional
        What the person gave with the clip (sex, painful side, date filmed,
        selfie camera), kept with the session.
    db_url : str, optional
        Database URL (default :func:`default_db_url`).

    Returns
    -------
    SavedSession
        The session's id, and whether this call created it.

    Raises
    ------
    StoreError
        The subject code or the name is unusable, ``recorded_at`` has no time
        zone, a key frame or clip names a rep that does not exist, the clips
        pass their size limits, or the database refuses (nothing is saved then).
    """
    if recorded_at is not None and recorded_at.tzinfo is None:
        raise StoreError(f"recorded_at {recorded_at} has no time zone: give an aware datetime, for example in UTC.")
    saved_by = text.person_name(saved_by, "The name of who saves")
    key_frames = key_frames or {}
    rep_indices = {rep.index for rep in analysis.reps}
    unknown = sorted(set(key_frames) - rep_indices)
    if unknown:
        raise StoreError(f"Key frames were given for reps {unknown} that the analysis does not have.")
    clip_rows = evidence.clip_rows(rep_clips or {}, rep_indices)
    key = save_key(content_id or video_hash, analysis, settings)
    plain = analysis.to_dict(include_series=False)
    now = _now()
    with _session(db_url) as db, db.begin():
        subject = _get_or_create_subject(db, subject_id)
        earlier = _saved_before(db, subject, key)
        if earlier is not None:
            return _already_saved(db, earlier)
        session = SessionRow(
            recorded_at=recorded_at or now,
            created_at=now,
            source=analysis.source.replace("\x00", ""),
            video_hash=video_hash,
            model=analysis.model,
            app_version=__version__,
            thresholds_json=_dumps(plain["thresholds"]),
            summary_json=_dumps(plain["summary"]),
            recommendations_json=_dumps(plain["recommendations"]),
            shallow_dips_json=_dumps(plain["shallow_dips"]),
            safety_note=analysis.safety_note,
            series_npz=_series_to_npz(analysis.series.to_dict()) if len(analysis.series) else None,
            save_key=key,
            saved_by=saved_by,
            sex=context.sex if context else None,
            painful_side=context.painful_side if context else None,
            filmed_on=context.filmed_on if context else None,
            mirrored=context.mirrored if context else None,
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
        session.rep_clips.extend(clip_rows)
        try:
            with db.begin_nested():  # a savepoint: on a clash only this insert is undone
                session.subject = subject
                db.add(session)
        except IntegrityError:
            # Another writer saved the same session since the select (the unique save key made this insert fail).
            earlier = _saved_before(db, subject, key)
            if earlier is None:
                raise
            return _already_saved(db, earlier)
        return SavedSession(session.id, created=True)


def _context_of(row: SessionRow) -> SessionContext:
    """What the person gave with a saved session's clip."""
    return SessionContext(row.sex, row.painful_side, row.filmed_on, bool(row.mirrored))


def _already_saved(db: Session, session_id: int) -> SavedSession:
    """The answer to a save made before: the earlier session's id and the context kept with it."""
    row = db.get(SessionRow, session_id)
    assert row is not None, "found by its save key in this transaction"
    return SavedSession(session_id, created=False, context=_context_of(row))


def _saved_before(db: Session, subject: SubjectRow, key: str) -> int | None:
    """The id of the subject's session saved with ``key``, or None."""
    if subject.id is None:
        return None
    return db.scalar(select(SessionRow.id).where(SessionRow.subject_id == subject.id, SessionRow.save_key == key))


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
    decision = Decision(decision).value  # the plain text, for the database driver
    reviewer = text.person_name(reviewer, "The reviewer name")
    note = text.free_text(note)
    with _session(db_url) as db, db.begin():
        if not 1 <= int(flag_id) <= MAX_ID or db.get(FlagRow, int(flag_id)) is None:
            raise StoreError(f"No flag with id {flag_id}; it may belong to a subject that was deleted.")
        row = ReviewRow(flag_id=int(flag_id), reviewer=reviewer, decision=decision, note=note, created_at=_now())
        db.add(row)
        db.flush()
        return _review_info(row)


def delete_subject(subject_id: str, *, deleted_by: str, db_url: str | None = None) -> int:
    """Delete a subject and all of its data: sessions, reps, flags, reviews, key frames, clips, measurements, prescriptions.

    The deletion is recorded in the audit log (:func:`list_deletions`).

    Returns
    -------
    int
        How many sessions were deleted with it.
    """
    deleted_by = text.person_name(deleted_by, "The name of who deletes")
    with _session(db_url) as db, db.begin():
        row = _subject_row(db, subject_id)
        n_sessions = len(row.sessions)
        db.add(
            DeletionRow(
                what="subject",
                subject_code=row.code,
                session_id=None,
                n_sessions=n_sessions,
                deleted_by=deleted_by,
                deleted_at=_now(),
            )
        )
        db.delete(row)
    return n_sessions


def delete_session(session_id: int, *, deleted_by: str, db_url: str | None = None) -> None:
    """Delete one session with its reps, flags, reviews, key frames, clips, measurements and prescriptions.

    The subject and its other sessions stay. The deletion is recorded in the audit log (:func:`list_deletions`).
    """
    deleted_by = text.person_name(deleted_by, "The name of who deletes")
    with _session(db_url) as db, db.begin():
        row = _session_row(db, session_id)
        db.add(
            DeletionRow(
                what="session",
                subject_code=row.subject.code,
                session_id=row.id,
                n_sessions=1,
                deleted_by=deleted_by,
                deleted_at=_now(),
            )
        )
        db.delete(row)


def list_deletions(*, db_url: str | None = None) -> list[DeletionInfo]:
    """The deletion audit log, oldest first."""
    with _session(db_url) as db:
        return [
            DeletionInfo(
                id=row.id,
                what=row.what,
                subject_code=row.subject_code,
                session_id=row.session_id,
                n_sessions=row.n_sessions,
                deleted_by=row.deleted_by,
                deleted_at=row.deleted_at,
            )
            for row in db.scalars(select(DeletionRow).order_by(DeletionRow.id))
        ]


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
                    criterion=CriterionName(f.criterion),
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
            thresholds=saved_thresholds(json.loads(row.thresholds_json)),
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


def patient_list(*, db_url: str | None = None) -> list[PatientInfo]:
    """Every subject with its number of sessions, the latest session's date and its open flags, by code.

    Counted in the database (no session's data is loaded), so it stays quick for a clinic's whole list.
    """
    sessions = select(
        SessionRow.subject_id, func.count(SessionRow.id), func.max(SessionRow.recorded_at, type_=UtcDateTime)
    ).group_by(SessionRow.subject_id)
    open_flags = (
        select(SessionRow.subject_id, func.count(FlagRow.id))
        .join(RepRow, RepRow.session_id == SessionRow.id)
        .join(FlagRow, FlagRow.rep_id == RepRow.id)
        .where(~FlagRow.reviews.any())
        .group_by(SessionRow.subject_id)
    )
    with _session(db_url) as db:
        counted = {subject: (n, last) for subject, n, last in db.execute(sessions)}
        waiting = {subject: n for subject, n in db.execute(open_flags)}
        return [
            PatientInfo(
                code=code,
                n_sessions=counted.get(sid, (0, None))[0],
                last_session=counted.get(sid, (0, None))[1],
                n_open_flags=waiting.get(sid, 0),
            )
            for sid, code in db.execute(select(SubjectRow.id, SubjectRow.code).order_by(SubjectRow.code))
        ]


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
        saved_by=row.saved_by,
        n_reps=len(row.reps),
        n_flags=len(flags),
        n_open_flags=sum(1 for flag in flags if not flag.reviews),
        rating=_rated(row)[1].rating,
        context=_context_of(row),
    )


def _rated(row: SessionRow) -> tuple[Summary, Summary, list[Rep], dict[int, Measured]]:
    """A session's summary as saved and decided again with the clinicians' measurements in force.

    Returns the summary as saved, the one decided again (:mod:`knee_cv.core.rerated`), the reps
    decided again, and those measurements by ``Rep.index``; reps are read only when measured.
    """
    summary = _rebuild(Summary, json.loads(row.summary_json))
    measured = {i: info.measured() for i, info in evidence.standing(evidence.measurement_infos(row.measurements)).items()}
    if not measured:
        return summary, summary, [], measured
    thresholds = saved_thresholds(json.loads(row.thresholds_json))
    reps = rerated_reps([_rebuild(Rep, json.loads(rep.data)) for rep in row.reps], measured, thresholds)
    return summary, rerate(summary, reps, thresholds), reps, measured


def _review_info(row: ReviewRow) -> ReviewInfo:
    return ReviewInfo(
        id=row.id,
        flag_id=row.flag_id,
        reviewer=row.reviewer,
        decision=Decision(row.decision),
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
        query = query.where(SubjectRow.code == text.lookup_code(subject_id))
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
    """Per session and stance leg, the summary means of a subject, oldest first (clinicians' measurements counted)."""
    rows = []
    with _session(db_url) as db:
        subject = _subject_row(db, subject_id)
        for session in subject.sessions:
            saved, summary, reps, measured = _rated(session)
            for leg, automatic in zip(summary.legs, saved.legs):
                mine = [rep for rep in reps if rep.leg == leg.leg]
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
                        measured=measured_note(mine, measured),
                        automatic_fppa_deg=automatic.fppa_deg,
                        automatic_rating=automatic.rating,
                        rating_shown=shown_rating(leg.rating, leg.rating_best, leg.rating_worst),
                    )
                )
    return rows


def history_rows(subject_id: str, *, db_url: str | None = None) -> list[dict[str, Any]]:
    """:func:`history` as flat dicts (for tables and CSV), dates as ISO 8601 UTC."""
    return [asdict(row) | {"recorded_at": row.recorded_at.isoformat()} for row in history(subject_id, db_url=db_url)]
