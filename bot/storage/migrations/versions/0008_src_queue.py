"""The speedrun.com queue: each posted submission awaiting verification, kept up to date.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "src_queue_posts",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("guild_id", sa.BigInteger, primary_key=True),
        sa.Column("game_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=False),
        sa.Column("shown", sa.Text, nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("src_queue_posts_game", "src_queue_posts", ["game_id"])


def downgrade() -> None:
    op.drop_index("src_queue_posts_game", "src_queue_posts")
    op.drop_table("src_queue_posts")
