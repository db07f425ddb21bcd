"""Announcements that follow the record, to a channel per game: each delivery is to one channel of a
server (filled in from the server's setting for deliveries made before), a run keeps the board it
is the world record of, and a posted record keeps the post it links back to, which later record
superseded it and whether its post was edited to say so.

Revision ID: 0009
Revises: 0007
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CHUNK = 500  # rows named in one statement
COLUMNS = ["record_id", "guild_id", "status", "message_id", "attempts", "last_error", "updated_at"]
FOLLOW: list[sa.Column[Any]] = [
    sa.Column("followed_by", sa.Integer, nullable=True),
    sa.Column("followed_in", sa.BigInteger, nullable=True),
    sa.Column("follow", sa.String(16), nullable=True),
    sa.Column("previous_channel", sa.BigInteger, nullable=True),
    sa.Column("previous_message", sa.BigInteger, nullable=True),
]


def upgrade() -> None:
    op.add_column("feed_runs", sa.Column("board", sa.String(200), nullable=True))  # null: not worked out yet
    _rebuild_deliveries(
        [sa.Column("channel_id", sa.BigInteger, nullable=False, server_default="0"), *FOLLOW],
        ["record_id", "guild_id", "channel_id"],
        COLUMNS,
    )
    op.create_index("feed_runs_board", "feed_runs", ["feed", "board"])
    _fill_channels()


def _rebuild_deliveries(columns: list[sa.Column[Any]], key: list[str], kept: list[str]) -> None:
    """feed_deliveries with these columns besides the ones it always had, and this primary key."""
    op.create_table(
        "feed_deliveries_new",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("feed_runs.id"), nullable=False),
        sa.Column("guild_id", sa.BigInteger, nullable=False),
        *columns,
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=f"feed_deliveries_key_{len(key)}"),
    )
    old = sa.table("feed_deliveries", *(sa.column(name) for name in kept))
    new = sa.table("feed_deliveries_new", *(sa.column(name) for name in kept))
    op.execute(new.insert().from_select(kept, sa.select(*old.c)))
    op.drop_index("feed_deliveries_pending", "feed_deliveries")
    op.drop_table("feed_deliveries")
    op.rename_table("feed_deliveries_new", "feed_deliveries")
    op.create_index("feed_deliveries_pending", "feed_deliveries", ["status", "record_id"])


def _fill_channels() -> None:
    """Each delivery made before is to the channel of the setting it was (or is to be) posted by:
    ``announcements`` for HaloRuns records, ``src:<game id>`` for speedrun.com runs."""
    bind = op.get_bind()
    runs: dict[str, list[int]] = {"announcements": []}
    for row in bind.execute(sa.text("SELECT id, feed, run FROM feed_runs WHERE feed IN ('haloruns', 'src')")):
        feature = "announcements"
        if row.feed == "src":
            game = json.loads(row.run).get("run", {}).get("game")
            feature = f"src:{game if isinstance(game, str) else (game or {}).get('id')}"
        runs.setdefault(feature, []).append(row.id)
    channel = (
        "SELECT s.channel_id FROM guild_settings s"
        " WHERE s.guild_id = feed_deliveries.guild_id AND s.feature = :feature"
    )
    for feature, ids in runs.items():
        for start in range(0, len(ids), CHUNK):
            bind.execute(
                sa.text(
                    f"UPDATE feed_deliveries SET channel_id = ({channel})"
                    f" WHERE record_id IN :ids AND EXISTS ({channel})"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"feature": feature, "ids": ids[start : start + CHUNK]},
            )


def downgrade() -> None:
    op.execute(  # a record's deliveries to other channels than one of its server are forgotten
        "DELETE FROM feed_deliveries WHERE EXISTS (SELECT 1 FROM feed_deliveries e"
        " WHERE e.record_id = feed_deliveries.record_id AND e.guild_id = feed_deliveries.guild_id"
        " AND e.channel_id < feed_deliveries.channel_id)"
    )
    _rebuild_deliveries([], ["record_id", "guild_id"], COLUMNS)
    op.drop_index("feed_runs_board", "feed_runs")
    op.drop_column("feed_runs", "board")
