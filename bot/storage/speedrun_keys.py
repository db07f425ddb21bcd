"""Members' speedrun.com API keys, for submitting runs in their name: sealed with Fernet at rest.

The secret comes from ``speedrun.key_secret``; when that is empty, a random one is created at
``speedrun.key_secret_file`` (mode 0600) the first time a key is sealed or opened. A key's
plaintext only ever lives in a ``SecretStr``; a key sealed under another secret cannot be opened,
and the member is asked to set it again.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.config import SpeedrunConfig
from bot.errors import KeyUnreadable
from bot.storage.database import Database, upsert

if TYPE_CHECKING:
    from bot.storage.key_seal import KeySeal


@dataclass(frozen=True, slots=True)
class LinkedKey:
    api_key: SecretStr
    speedrun_user_id: str
    speedrun_name: str


def _secret_file(path: Path) -> str:
    """The secret in ``path``, created (random, mode 0600) if there is none yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(32))
    return path.read_text(encoding="ascii").strip()


class SpeedrunKeys:
    def __init__(self, database: Database, config: SpeedrunConfig) -> None:
        self._database = database
        self._config = config

    @cached_property
    def _seal(self) -> KeySeal:
        from bot.storage import key_seal  # the one place cryptography is loaded: with the first key

        secret = self._config.key_secret.get_secret_value() or _secret_file(self._config.key_secret_file)
        return key_seal.KeySeal(secret)

    async def link(self, user_id: int, api_key: SecretStr, speedrun_user_id: str, speedrun_name: str) -> None:
        """Keeps the member's key (replacing an earlier one)."""
        values = {
            "sealed_key": self._seal.seal(api_key.get_secret_value()),
            "speedrun_user_id": speedrun_user_id,
            "speedrun_name": speedrun_name,
            "updated_at": datetime.now(UTC),
        }
        await upsert(self._database, "speedrun_keys", {"user_id": user_id, **values}, ["user_id"])

    async def of(self, user_id: int) -> LinkedKey | None:
        """The member's key, if linked; ``KeyUnreadable`` if it was sealed under another secret."""
        row = await self._database.fetchrow(
            "SELECT sealed_key, speedrun_user_id, speedrun_name FROM speedrun_keys WHERE user_id = ?", user_id
        )
        if row is None:
            return None
        plaintext = self._seal.open(row.sealed_key)
        if plaintext is None:
            raise KeyUnreadable()
        return LinkedKey(SecretStr(plaintext), row.speedrun_user_id, row.speedrun_name)

    async def forget(self, user_id: int) -> bool:
        """Forgets the member's key; ``False`` if there was none."""
        return bool(await self._database.execute("DELETE FROM speedrun_keys WHERE user_id = ?", user_id))
