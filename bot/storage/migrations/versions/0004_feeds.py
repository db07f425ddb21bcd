"""The world-record ledger becomes the ledger of every announcement feed: the HaloRuns records and
speedrun.com's verified runs, told apart by a ``feed`` column.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("wr_deliveries_pending", "wr_deliveries")
    op.drop_index("ix_wr_records_fingerprint", "wr_records")
    op.rename_table("wr_records", "feed_runs")
    op.rename_table("wr_deliveries", "feed_deliveries")
    op.add_column("feed_runs", sa.Column("feed", sa.String(32), nullable=False, server_default="haloruns"))
    op.create_index("feed_runs_fingerprint", "feed_runs", ["feed", "fingerprint"])
    op.create_index("feed_deliveries_pending", "feed_deliveries", ["status", "record_id"])


def downgrade() -> None:
    op.drop_index("feed_deliveries_pending", "feed_deliveries")
    op.drop_index("feed_runs_fingerprint", "feed_runs")
    op.execute(
        "DELETE FROM feed_deliveries WHERE record_id IN (SELECT id FROM feed_runs WHERE feed != 'haloruns')"
    )
    op.execute("DELETE FROM feed_runs WHERE feed != 'haloruns'")
    op.drop_column("feed_runs", "feed")
    op.rename_table("feed_deliveries", "wr_deliveries")
    op.rename_table("feed_runs", "wr_records")
    op.create_index("ix_wr_records_fingerprint", "wr_records", ["fingerprint"])
    op.create_index("wr_deliveries_pending", "wr_deliveries", ["status", "record_id"])
