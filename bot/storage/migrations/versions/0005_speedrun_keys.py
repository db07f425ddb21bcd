"""Members' linked speedrun.com API keys, encrypted (Fernet), with the speedrun.com user they name.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speedrun_keys",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("sealed_key", sa.Text, nullable=False),
        sa.Column("speedrun_user_id", sa.String(32), nullable=False),
        sa.Column("speedrun_name", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("speedrun_keys")
