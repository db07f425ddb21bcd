"""Per-server settings of each feature, and the ledger of world records and their deliveries.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger, primary_key=True),
        sa.Column("feature", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.BigInteger, nullable=False),
        sa.Column("role_id", sa.BigInteger, nullable=True),
        sa.Column("filters", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wr_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(200), nullable=False, index=True),
        sa.Column("run", sa.Text, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wr_deliveries",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("wr_records.id"), primary_key=True),
        sa.Column("guild_id", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("wr_deliveries_pending", "wr_deliveries", ["status", "record_id"])


def downgrade() -> None:
    op.drop_index("wr_deliveries_pending", "wr_deliveries")
    op.drop_table("wr_deliveries")
    op.drop_table("wr_records")
    op.drop_table("guild_settings")
