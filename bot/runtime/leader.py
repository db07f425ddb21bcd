"""Which process runs the background jobs (the pollers): exactly one at a time.

On PostgreSQL, several processes of the bot may share the database. The poller is the one holding
a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its own, kept open for
nothing else. The others try again every ``database.poller_retry_seconds``; the holder checks its
connection as often. When the holder dies, PostgreSQL ends its session and frees the lock at once;
when it loses its connection, it stops polling as soon as it notices, and PostgreSQL's TCP
keepalives (asked for on that connection) end the session on the server's side within about 20 s.
Either way another process holds the lock within 30 s.

SQLite is for one process: ``single_process`` holds an exclusive lock on a file next to the
database for as long as the bot runs, and a second process on the same file refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import StartupError
from bot.storage.database import Connection, DatabaseError, DatabaseUrl

log = logging.getLogger(__name__)

POLLER_LOCK = 0x68616C6F626F74  # "halobot": the advisory lock's key, the same in every process
ANSWER_SECONDS = 2.0  # at least this long for the database to answer a try or a check
# The server ends the session of a client gone silent after 5 + 3 * 5 s.
KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}


@contextlib.contextmanager
def single_process(database_url: str) -> Iterator[None]:
    """For a SQLite file: an exclusive lock next to it while the block runs, or a ``StartupError``
    if another process holds it. Other databases need none."""
    url = DatabaseUrl.parse(database_url)
    if url.backend != "sqlite" or url.in_memory:
        yield
        return
    path = Path(f"{url.path}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StartupError(
                f"the SQLite database {url.path} is in use by another process of the bot; SQLite "
                "is for one process: stop the other one, or share a PostgreSQL database.url"
            ) from None
        yield


class Poller:
    """Whether this process is the poller, and since when; ``on_gain`` and ``on_loss`` are called as
    that changes. With SQLite, the only process is the poller from ``start()`` on."""

    def __init__(
        self,
        database_url: str,
        *,
        retry_seconds: float,
        on_gain: Callable[[], None],
        on_loss: Callable[[], None],
    ) -> None:
        self._url = DatabaseUrl.parse(database_url)
        self._retry = retry_seconds
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.since: datetime | None = None

    @property
    def is_poller(self) -> bool:
        return self.since is not None

    def start(self) -> None:
        if self._task is not None or self.is_poller:
            return
        if self._url.backend == "sqlite":
            self._gain()
        else:
            self._task = asyncio.create_task(self._keep(), name="poller lock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._close()

    async def _keep(self) -> None:
        from bot.storage import postgres  # PostgreSQL's driver: the lock is held on a connection of its own

        try:
            while True:
                try:
                    async with asyncio.timeout(max(self._retry, ANSWER_SECONDS)):
                        await (self._check() if self.is_poller else self._try(postgres.alone))
                except Exception as error:  # the database is out of reach: try again, never give up
                    await self._lost(error)
                await asyncio.sleep(self._retry)
        finally:
            await self._close()

    async def _try(self, alone: Callable[[DatabaseUrl, dict[str, str]], Awaitable[Connection]]) -> None:
        # Outside any pool: closing the connection ends the session, and with it the lock.
        connection = await alone(self._url, {"application_name": "halobot poller", **KEEPALIVES})
        try:
            held = await connection.fetchval("SELECT pg_try_advisory_lock(?)", POLLER_LOCK)
        except BaseException:
            with contextlib.suppress(Exception):
                await connection.close()
            raise
        if held:
            self._connection = connection
            self._gain()
        else:
            await connection.close()

    async def _check(self) -> None:
        assert self._connection is not None
        await self._connection.fetchval("SELECT 1")

    def _gain(self) -> None:
        self.since = datetime.now(UTC)
        log.info("This process is the poller now: it runs the background jobs")
        self._on_gain()

    async def _lost(self, error: BaseException) -> None:
        if self.is_poller:
            log.warning("Lost the poller lock (%r): the background jobs pause", error)
            self.since = None
            self._on_loss()
        else:
            log.warning("Could not try the poller lock: %r", error)
        await self._close()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(DatabaseError):
                await connection.close()  # no pool: the session, and the lock, end here
