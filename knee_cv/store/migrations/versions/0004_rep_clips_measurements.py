"""Rep clips kept with a session, and clinicians' measurements of reps.

* ``rep_clips``: a short H.264 clip of each rep with the landmarks measured
  on its frames, kept when the user agreed when saving. Sessions saved
  before this revision have none.
* ``measurements``: a clinician's measurement of a rep on one frame (points,
  FPPA and pelvic drop from them, the automatic values), or the undoing of
  one; append-only.

Both are new tables (``op.create_table``): no existing table is rebuilt. On
SQLite a rebuild (``batch_alter_table``) drops the old table, and with foreign
keys on, that ``DROP TABLE`` deletes the rows of every table that refers to
it with ``ON DELETE CASCADE`` (rebuilding ``sessions`` would empty ``reps``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rep_clips",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rep_index", sa.Integer, nullable=False),
        sa.Column("mp4", sa.LargeBinary, nullable=False),
        sa.Column("landmarks_npz", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("session_id", "rep_index"),
    )
    op.create_index("ix_rep_clips_session_id", "rep_clips", ["session_id"])
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rep_index", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("undoes_id", sa.Integer, sa.ForeignKey("measurements.id", ondelete="CASCADE")),
        sa.Column("measured_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frame", sa.Integer),
        sa.Column("t_s", sa.Float),
        sa.Column("points_json", sa.Text),
        sa.Column("fppa_deg", sa.Float),
        sa.Column("pelvic_drop_deg", sa.Float),
        sa.Column("auto_fppa_deg", sa.Float),
        sa.Column("auto_pelvic_drop_deg", sa.Float),
        sa.CheckConstraint("action IN ('measure', 'undo')", name="ck_measurements_action"),
    )
    op.create_index("ix_measurements_session_id", "measurements", ["session_id"])


def downgrade() -> None:
    op.drop_table("measurements")
    op.drop_table("rep_clips")
