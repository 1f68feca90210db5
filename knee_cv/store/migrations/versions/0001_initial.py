"""Initial schema: subjects, sessions, reps, flags, reviews, key frames.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("sex", sa.String(16)),
        sa.Column("painful_side", sa.String(16)),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject_id", sa.Integer, sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("video_hash", sa.String(64)),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("thresholds_json", sa.Text, nullable=False),
        sa.Column("summary_json", sa.Text, nullable=False),
        sa.Column("recommendations_json", sa.Text, nullable=False),
        sa.Column("shallow_dips_json", sa.Text, nullable=False),
        sa.Column("safety_note", sa.Text, nullable=False),
    )
    op.create_index("ix_sessions_subject_id", "sessions", ["subject_id"])
    op.create_table(
        "reps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rep_index", sa.Integer, nullable=False),
        sa.Column("leg", sa.String(16), nullable=False),
        sa.Column("reliable", sa.Boolean, nullable=False),
        sa.Column("fppa_bottom_deg", sa.Float),
        sa.Column("pelvic_drop_bottom_deg", sa.Float),
        sa.Column("data", sa.Text, nullable=False),
        sa.UniqueConstraint("session_id", "rep_index"),
    )
    op.create_index("ix_reps_session_id", "reps", ["session_id"])
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("criterion", sa.String(32), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("threshold", sa.Float),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
    )
    op.create_index("ix_flags_rep_id", "flags", ["rep_id"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("flag_id", sa.Integer, sa.ForeignKey("flags.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('confirm', 'dismiss')", name="ck_reviews_decision"),
    )
    op.create_table(
        "key_frames",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rep_index", sa.Integer, nullable=False),
        sa.Column("jpeg", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("session_id", "rep_index"),
    )
    op.create_index("ix_key_frames_session_id", "key_frames", ["session_id"])


def downgrade() -> None:
    for table in ("key_frames", "reviews", "flags", "reps", "sessions", "subjects"):
        op.drop_table(table)
