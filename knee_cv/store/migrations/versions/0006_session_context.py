"""What the person gave with her clip, kept with its session.

* ``sessions.sex``: female or male as given at upload (NULL: not given; the
  thresholds kept with the session say which cut-off was used).
* ``sessions.painful_side``: left, right, both or none (NULL: not given).
* ``sessions.filmed_on``: the day the clip was filmed (NULL: not given, or
  saved before this revision).
* ``sessions.mirrored``: filmed with the selfie camera (NULL: saved before
  this revision).

Columns added with ``op.add_column`` only: no table is rebuilt. On SQLite a
rebuild (``batch_alter_table``) drops the old table, and with foreign keys
on, that ``DROP TABLE`` deletes the rows of every table that refers to it with
``ON DELETE CASCADE`` (rebuilding ``sessions`` would empty ``reps``; see 0004).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("sex", sa.String(16), nullable=True))
    op.add_column("sessions", sa.Column("painful_side", sa.String(16), nullable=True))
    op.add_column("sessions", sa.Column("filmed_on", sa.Date, nullable=True))
    op.add_column("sessions", sa.Column("mirrored", sa.Boolean, nullable=True))


def downgrade() -> None:
    # Downgrading is for a fresh database in development; on SQLite drop_column needs SQLite 3.35.
    for column in ("mirrored", "filmed_on", "painful_side", "sex"):
        op.drop_column("sessions", column)
