"""/link: a member's Xbox gamertag, for /csr and /servicerecord without typing it.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gamertag_links",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("xuid", sa.String(32), nullable=False),
        sa.Column("gamertag", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gamertag_links")
