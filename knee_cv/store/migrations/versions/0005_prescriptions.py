"""Clinicians' prescriptions: a patient's home exercise plan as the clinician set it.

* ``prescriptions``: the plan's exercises in order (JSON: each one's key,
  days a week, dose per block and note), who prescribed it and when, kept
  with a session. Append-only: a newer prescription supersedes an older one,
  both are kept.

A new table (``op.create_table``): no existing table is rebuilt, which on
SQLite would empty the tables that cascade from it (see 0004).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("prescribed_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items_json", sa.Text, nullable=False),
    )
    op.create_index("ix_prescriptions_session_id", "prescriptions", ["session_id"])


def downgrade() -> None:
    op.drop_table("prescriptions")
