"""Sealing members' speedrun.com API keys at rest with Fernet (from cryptography).

``bot.storage.speedrun_keys`` imports this module with the first key it seals or opens: the idle
bot does not load cryptography (6 MiB).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class KeySeal:
    def __init__(self, secret: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The plaintext; ``None`` when it was sealed under another secret."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None
