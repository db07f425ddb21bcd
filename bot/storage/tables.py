"""The schema, as SQLAlchemy Core tables; migrations/ brings a database up to it."""

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text

metadata = MetaData()

# Small pieces of bot-wide state, such as the hash of the last command sync per scope.
bot_state = Table(
    "bot_state",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
