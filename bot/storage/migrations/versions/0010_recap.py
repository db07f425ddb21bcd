"""The weekly recap: which week's recap each server had (posted, or nothing to post), and the
streams that went live, which the recap counts.

Revision ID: 0010
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "weekly_recaps",
        sa.Column("guild_id", sa.BigInteger, primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "stream_starts",
        sa.Column("stream_key", sa.String(200), primary_key=True),
        sa.Column("live_since", sa.DateTime(timezone=True), primary_key=True),
        sa.Index("stream_starts_live_since", "live_since"),
    )


def downgrade() -> None:
    op.drop_table("stream_starts")
    op.drop_table("weekly_recaps")
