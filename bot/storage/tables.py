"""The schema, as SQLAlchemy Core tables: what the migrations (migrations/) bring a database up to,
and what Alembic compares them with (the bot's own statements are plain SQL, bot.storage.database)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Small pieces of bot-wide state, such as the hash of the last command sync per scope.
bot_state = Table(
    "bot_state",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per server and feature ("announcements", "streams"): where to post and what.
guild_settings = Table(
    "guild_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True),
    Column("feature", String(32), primary_key=True),
    Column("channel_id", BigInteger, nullable=False),
    Column("role_id", BigInteger, nullable=True),
    Column("filters", Text, nullable=False),  # JSON
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("failures", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every run an announcement feed has seen (HaloRuns world records, speedrun.com verified runs), in
# the order the bot saw them (id), with the run as JSON.
feed_runs = Table(
    "feed_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed", String(32), nullable=False),
    Column("key", String(200), nullable=False, unique=True),
    Column("fingerprint", String(200), nullable=False),  # a run seen under another key
    Column("run", Text, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    # The board the run is the world record of ("" if none; null until worked out, in older rows).
    Column("board", String(200), nullable=True),
    Index("feed_runs_fingerprint", "feed", "fingerprint"),
    Index("feed_runs_board", "feed", "board"),
)

# Per run and channel of a server: pending until Discord accepted the post (posted), or dropped. A
# posted record's post links back to the post of the record it superseded (previous_*), and is
# followed by the later record that superseded it (its run, and the channel of its post): edited to
# say so ("pending" until done), or found "gone".
feed_deliveries = Table(
    "feed_deliveries",
    metadata,
    Column("record_id", Integer, ForeignKey("feed_runs.id"), primary_key=True),
    Column("guild_id", BigInteger, primary_key=True),
    Column("channel_id", BigInteger, primary_key=True, server_default="0"),
    Column("status", String(16), nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("followed_by", Integer, nullable=True),
    Column("followed_in", BigInteger, nullable=True),
    Column("follow", String(16), nullable=True),
    Column("previous_channel", BigInteger, nullable=True),  # the post this one links back to
    Column("previous_message", BigInteger, nullable=True),
    # The process making the post (host:pid), and until when: another takes it over after that.
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Index("feed_deliveries_pending", "status", "record_id"),
)

# One row per stream and server while its alert is open: live, or ended less than the rejoin time ago.
stream_alerts = Table(
    "stream_alerts",
    metadata,
    Column("stream_key", String(200), primary_key=True),
    Column("guild_id", BigInteger, primary_key=True),
    Column("channel_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("stream", Text, nullable=False),  # the stream as last seen, JSON
    Column("live_since", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),  # null while live
    Column("edited_at", DateTime(timezone=True), nullable=False),
)

# A member's speedrun.com API key for /src submit, sealed with Fernet: never stored in plaintext.
speedrun_keys = Table(
    "speedrun_keys",
    metadata,
    Column("user_id", BigInteger, primary_key=True),  # the Discord user
    Column("sealed_key", Text, nullable=False),
    Column("speedrun_user_id", String(32), nullable=False),
    Column("speedrun_name", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A /src submit form: the draft run (JSON), open → sending (claimed) → submitted, or cancelled.
submission_forms = Table(
    "submission_forms",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", BigInteger, nullable=False),  # the Discord user who opened it
    Column("state", String(16), nullable=False),
    Column("draft", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=True),  # when a click took it for sending
    Column("claimed_by", String(32), nullable=True),  # that click's token
    Column("sent_at", DateTime(timezone=True), nullable=True),  # a POST may have reached speedrun.com
    Column("submitted", Text, nullable=True),  # what speedrun.com made of it, JSON
    Index("submission_forms_expires", "expires_at"),
)

# A member's Xbox account, linked with /link: Halo Infinite commands use it when no gamertag is given.
gamertag_links = Table(
    "gamertag_links",
    metadata,
    Column("user_id", BigInteger, primary_key=True),  # the Discord user
    Column("xuid", String(32), nullable=False),
    Column("gamertag", String(32), nullable=False),  # as Xbox spells it, when linked
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A posted speedrun.com submission awaiting verification, per server, while its post is kept up to
# date: what the post shows (JSON). The row goes once the post shows the run's end, or is gone.
src_queue_posts = Table(
    "src_queue_posts",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("guild_id", BigInteger, primary_key=True),
    Column("game_id", String(32), nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("shown", Text, nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True), nullable=False),
    Index("src_queue_posts_game", "game_id"),
)

# Per server and week (the moment its recap was due): posted (with its message), empty (nothing
# happened that week, so nothing was posted) or dropped (Discord rejected the post). A week with a
# row is never recapped again.
weekly_recaps = Table(
    "weekly_recaps",
    metadata,
    Column("guild_id", BigInteger, primary_key=True),
    Column("due_at", DateTime(timezone=True), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every stream the bot saw go live on HaloRuns (once per stream and start), for the weekly recap.
stream_starts = Table(
    "stream_starts",
    metadata,
    Column("stream_key", String(200), primary_key=True),
    Column("live_since", DateTime(timezone=True), primary_key=True),
    Index("stream_starts_live_since", "live_since"),
)
