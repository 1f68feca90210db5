"""SQLAlchemy ORM tables of the clinician store (see :mod:`knee_cv.store.sessions`).

The schema itself is created and changed only by the Alembic migrations in
``knee_cv/migrations``; these classes mirror the newest revision.

Tables
------
subjects
    One person, under a pseudonymous code chosen by the clinic (no names).
sessions
    One analysed video of a subject: when, which video (SHA-256), which pose
    model, the thresholds used and the computed summary, all as written by
    the analysis (never changed afterwards).
reps
    One repetition of a session; the full :class:`knee_cv.core.result.Rep` lives
    in ``data`` (JSON), with a few metrics copied to columns for queries.
flags
    One computed finding on one rep (:class:`knee_cv.core.result.Flag`).
reviews
    A clinician's decision on one flag, ``confirm`` or ``dismiss``, with a
    note. Append-only: a newer review supersedes an older one for display,
    both are kept, and the computed flag is never changed.
key_frames
    A small JPEG of the deepest frame of a rep.
rep_clips
    A short H.264 clip of one rep with the landmarks measured on each of its
    frames (:class:`knee_cv.core.evidence.RepClip`), kept only when the user
    agreed when saving.
measurements
    A clinician's measurement of one rep on one frame (the points they
    placed, the FPPA and pelvic drop from them, the automatic values), or the
    undoing of one. Append-only, like reviews: the latest measurement not
    undone is the rep's reported value; the computed result is never changed.
prescriptions
    A clinician's home exercise plan for a patient, made on one session: the
    exercises in order with their days a week, doses and notes (JSON, as
    :func:`knee_cv.core.plan.plan_items` gives them), who and when.
    Append-only: the newest is the plan in force.
deletions
    Who deleted which session or subject, and when (an audit log that keeps
    the pseudonymous code and the session id, none of the data).

Deleting a subject deletes its sessions, reps, flags, reviews, key frames,
clips, measurements and prescriptions (ORM cascades plus ``ON DELETE CASCADE`` foreign keys).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC and always read back in UTC.

    The column is ``DateTime(timezone=True)`` (``timestamptz`` on
    PostgreSQL), but the backends differ: SQLite keeps no zone and stores the
    wall-clock time it is given, PostgreSQL returns the instant in the
    session's ``timezone``. This type converts to UTC on the way in and
    returns ``tzinfo=UTC`` on the way out on both. Naive datetimes are
    refused (their zone is unknown).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """A datetime as stored: UTC; a naive one is refused (its zone would be a guess)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """A stored datetime read back as aware UTC (SQLite returns it naive)."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of the knee_cv store."""


class SubjectRow(Base):
    """A person, known only by a pseudonymous code."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    sex: Mapped[str | None] = mapped_column(String(16))
    painful_side: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    sessions: Mapped[list[SessionRow]] = relationship(
        back_populates="subject",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SessionRow.recorded_at",
    )


class SessionRow(Base):
    """One analysed video of one subject; ``save_key`` makes a repeated save find it (unique per subject)."""

    __tablename__ = "sessions"
    __table_args__ = (Index("uq_sessions_subject_save_key", "subject_id", "save_key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")
    video_hash: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(Text, nullable=False, default="")
    app_version: Mapped[str | None] = mapped_column(String(32))
    thresholds_json: Mapped[str] = mapped_column(Text, nullable=False)
    summary_json: Mapped[str] = mapped_column(Text, nullable=False)
    recommendations_json: Mapped[str] = mapped_column(Text, nullable=False)
    shallow_dips_json: Mapped[str] = mapped_column(Text, nullable=False)
    safety_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    series_npz: Mapped[bytes | None] = mapped_column(LargeBinary)
    save_key: Mapped[str | None] = mapped_column(String(64))
    saved_by: Mapped[str | None] = mapped_column(String(128))
    # what the person gave with the clip (0006): NULL where not given or saved before
    sex: Mapped[str | None] = mapped_column(String(16))
    painful_side: Mapped[str | None] = mapped_column(String(16))
    filmed_on: Mapped[date | None] = mapped_column(Date)
    mirrored: Mapped[bool | None] = mapped_column(Boolean)

    subject: Mapped[SubjectRow] = relationship(back_populates="sessions")
    reps: Mapped[list[RepRow]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RepRow.rep_index",
    )
    key_frames: Mapped[list[KeyFrameRow]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="KeyFrameRow.rep_index",
    )
    rep_clips: Mapped[list[RepClipRow]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RepClipRow.rep_index",
    )
    measurements: Mapped[list[MeasurementRow]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MeasurementRow.id",
    )
    prescriptions: Mapped[list[PrescriptionRow]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PrescriptionRow.id",
    )


class RepRow(Base):
    """One repetition; ``data`` is the full Rep as JSON (flags excepted)."""

    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("session_id", "rep_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    rep_index: Mapped[int] = mapped_column(Integer, nullable=False)
    leg: Mapped[str] = mapped_column(String(16), nullable=False)
    reliable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    fppa_bottom_deg: Mapped[float | None] = mapped_column(Float)
    pelvic_drop_bottom_deg: Mapped[float | None] = mapped_column(Float)
    data: Mapped[str] = mapped_column(Text, nullable=False)

    session: Mapped[SessionRow] = relationship(back_populates="reps")
    flags: Mapped[list[FlagRow]] = relationship(
        back_populates="rep",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="FlagRow.position",
    )


class FlagRow(Base):
    """One computed finding on one rep."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    criterion: Mapped[str] = mapped_column(String(32), nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)

    rep: Mapped[RepRow] = relationship(back_populates="flags")
    reviews: Mapped[list[ReviewRow]] = relationship(
        back_populates="flag",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ReviewRow.id",
    )


class ReviewRow(Base):
    """A clinician's decision on a flag (append-only)."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("decision IN ('confirm', 'dismiss')", name="ck_reviews_decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), nullable=False, index=True)
    reviewer: Mapped[str] = mapped_column(String(128), nullable=False)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    flag: Mapped[FlagRow] = relationship(back_populates="reviews")


class KeyFrameRow(Base):
    """A small JPEG of the deepest frame of one rep."""

    __tablename__ = "key_frames"
    __table_args__ = (UniqueConstraint("session_id", "rep_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    rep_index: Mapped[int] = mapped_column(Integer, nullable=False)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    session: Mapped[SessionRow] = relationship(back_populates="key_frames")


class RepClipRow(Base):
    """A short H.264 clip of one rep and the landmarks measured on its frames (NumPy ``.npz``)."""

    __tablename__ = "rep_clips"
    __table_args__ = (UniqueConstraint("session_id", "rep_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    rep_index: Mapped[int] = mapped_column(Integer, nullable=False)
    mp4: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    landmarks_npz: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    session: Mapped[SessionRow] = relationship(back_populates="rep_clips")


class MeasurementRow(Base):
    """A clinician's measurement of one rep (``action`` "measure") or the undoing of one ("undo"); append-only.

    Points are pixels of the upright frame (JSON ``{"RIGHT_KNEE": [x, y], ...}``),
    angles degrees (FPPA positive = valgus, pelvic drop positive = free-leg
    side lower); ``frame`` is the analysed track's row, ``t_s`` its time.
    An undo row names the measurement it undoes in ``undoes_id`` and
    carries nothing else.
    """

    __tablename__ = "measurements"
    __table_args__ = (CheckConstraint("action IN ('measure', 'undo')", name="ck_measurements_action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    rep_index: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("measurements.id", ondelete="CASCADE"))
    measured_by: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    frame: Mapped[int | None] = mapped_column(Integer)
    t_s: Mapped[float | None] = mapped_column(Float)
    points_json: Mapped[str | None] = mapped_column(Text)
    fppa_deg: Mapped[float | None] = mapped_column(Float)
    pelvic_drop_deg: Mapped[float | None] = mapped_column(Float)
    auto_fppa_deg: Mapped[float | None] = mapped_column(Float)
    auto_pelvic_drop_deg: Mapped[float | None] = mapped_column(Float)

    session: Mapped[SessionRow] = relationship(back_populates="measurements")


class PrescriptionRow(Base):
    """A clinician's home exercise plan made on one session (append-only); ``items_json`` the exercises in order."""

    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    prescribed_by: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    items_json: Mapped[str] = mapped_column(Text, nullable=False)

    session: Mapped[SessionRow] = relationship(back_populates="prescriptions")


class DeletionRow(Base):
    """One deletion of a session or a whole subject: who, when, which (append-only)."""

    __tablename__ = "deletions"
    __table_args__ = (CheckConstraint("what IN ('session', 'subject')", name="ck_deletions_what"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    what: Mapped[str] = mapped_column(String(16), nullable=False)
    subject_code: Mapped[str] = mapped_column(String(64), nullable=False)
    session_id: Mapped[int | None] = mapped_column(Integer)
    n_sessions: Mapped[int] = mapped_column(Integer, nullable=False)
    deleted_by: Mapped[str] = mapped_column(String(128), nullable=False)
    deleted_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
