"""A session is saved once; who saved it; an audit log of deletions.

* ``sessions.save_key``: SHA-256 of what makes two saves the same (the video's
  content or the live recording's id, the model, the thresholds and the other
  settings; see :func:`knee_cv.store.sessions.save_key`), unique per subject, so
  a repeated save (a resumed batch, a double click) finds the first session
  instead of making a second. NULL for sessions saved before this revision
  (NULLs never clash).
* ``sessions.saved_by``: the logged-in clinician (or the CLI's user) who
  saved the session; NULL for older sessions (unknown).
* ``deletions``: who deleted which session or subject, and when. It keeps the
  subject's pseudonymous code and the session id, nothing of the data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("save_key", sa.String(64)))
    op.add_column("sessions", sa.Column("saved_by", sa.String(128)))
    op.create_index("uq_sessions_subject_save_key", "sessions", ["subject_id", "save_key"], unique=True)
    op.create_table(
        "deletions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("subject_code", sa.String(64), nullable=False),
        sa.Column("session_id", sa.Integer),
        sa.Column("n_sessions", sa.Integer, nullable=False),
        sa.Column("deleted_by", sa.String(128), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("what IN ('session', 'subject')", name="ck_deletions_what"),
    )


def downgrade() -> None:
    op.drop_table("deletions")
    op.drop_index("uq_sessions_subject_save_key", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("saved_by")
        batch.drop_column("save_key")
