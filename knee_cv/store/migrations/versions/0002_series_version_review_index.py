"""Keep per-frame series and the app version; index reviews by flag.

* ``sessions.series_npz``: the analysis' per-frame series (NumPy ``.npz``),
  so the review page can show the FPPA and pelvic-drop trace through a rep.
  Sessions saved before this revision have none (NULL).
* ``sessions.app_version``: the knee_cv version that computed the result
  (NULL for older sessions: unknown).
* ``ix_reviews_flag_id``: the review queue looks up reviews by flag; without
  the index that is a full scan of the reviews table per flag.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("series_npz", sa.LargeBinary))
        batch.add_column(sa.Column("app_version", sa.String(32)))
    op.create_index("ix_reviews_flag_id", "reviews", ["flag_id"])


def downgrade() -> None:
    op.drop_index("ix_reviews_flag_id", table_name="reviews")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("app_version")
        batch.drop_column("series_npz")
