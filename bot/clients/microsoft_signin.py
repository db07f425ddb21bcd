"""The Microsoft account behind Halo Waypoint, through MSAL: the device-code sign-in the operator
runs once (``python -m bot infinite-login``), and the silent refresh the bot runs from then on.

MSAL is synchronous: the bot calls ``access_token`` in a thread, one call at a time. MSAL uses its
own HTTP client (requests), so the standard CA-bundle environment variables apply. The token cache
is written to ``infinite.token_cache`` (mode 0600, atomically) after every change: refresh tokens
rotate, and an old one may no longer work.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import msal
import requests

from bot.config import InfiniteConfig

log = logging.getLogger(__name__)

SCOPES = ["Xboxlive.signin", "Xboxlive.offline_access"]
MICROSOFT_HOSTS = ("login.microsoftonline.com", "login.live.com", "login.microsoft.com")
SIGN_IN_AGAIN = "run `python -m bot infinite-login` on the bot's machine"


class SignedOut(Exception):
    """There is no usable Microsoft sign-in; the message says why, for the operator."""


class SignInUnreachable(Exception):
    """The Microsoft sign-in service could not be reached or answered nonsense."""


def save_private(path: Path, text: str) -> None:
    """Writes ``text`` to ``path`` readable by its owner only, replacing it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class MicrosoftSignIn:
    def __init__(self, config: InfiniteConfig) -> None:
        self._config = config
        self._cache = msal.SerializableTokenCache()
        self._app: msal.PublicClientApplication | None = None
        self._lock = threading.Lock()

    def access_token(self) -> str:
        """A Microsoft access token for Xbox Live, refreshed silently when needed (blocking)."""
        with self._lock:
            if not self._config.client_id:
                raise SignedOut("infinite.client_id is not set")
            if not self._config.token_cache.exists():
                raise SignedOut(f"there is no sign-in at {self._config.token_cache}")
            app = self._application()
            accounts = app.get_accounts()
            if not accounts:
                raise SignedOut(f"no Microsoft account is signed in at {self._config.token_cache}")
            try:
                result = app.acquire_token_silent_with_error(SCOPES, account=accounts[0])
            except requests.RequestException as error:
                raise SignInUnreachable(
                    f"cannot reach {self._config.authority}: {type(error).__name__}"
                ) from None
            finally:
                self._save()
            if not result or "access_token" not in result:
                why = (result or {}).get("error", "the refresh token is missing")
                raise SignedOut(f"the Microsoft sign-in has expired or was revoked ({why})")
            token: str = result["access_token"]
            return token

    def sign_in(self, show: Callable[[str], None]) -> str:
        """The device-code flow: ``show`` gets the instructions; blocks until the operator signed
        in. Returns the account's name; raises ``SignedOut`` saying why when it did not work."""
        with self._lock:
            if not self._config.client_id:
                raise SignedOut("set infinite.client_id (the Azure application's id) first")
            app = self._application()
            try:
                flow = app.initiate_device_flow(scopes=SCOPES)
                if "user_code" not in flow:
                    raise SignedOut(f"the sign-in could not start: {_reason(flow)}")
                show(flow["message"])
                result = app.acquire_token_by_device_flow(flow)
            except requests.RequestException as error:
                raise SignInUnreachable(
                    f"cannot reach {self._config.authority}: {type(error).__name__}"
                ) from None
            if "access_token" not in result:
                raise SignedOut(f"the sign-in did not complete: {_reason(result)}")
            self._save()
            claims = result.get("id_token_claims") or {}
            return str(claims.get("preferred_username") or claims.get("name") or "the Microsoft account")

    def _application(self) -> msal.PublicClientApplication:
        if self._app is None:
            path = self._config.token_cache
            if path.exists():
                self._cache.deserialize(path.read_text(encoding="utf-8"))
            authority = self._config.authority
            microsoft = urlsplit(authority).hostname in MICROSOFT_HOSTS
            try:
                self._app = msal.PublicClientApplication(
                    self._config.client_id,
                    authority=authority,
                    token_cache=self._cache,
                    instance_discovery=None if microsoft else False,
                )
            except (requests.RequestException, ValueError) as error:
                raise SignInUnreachable(f"cannot use the authority {authority}: {error}") from None
        return self._app

    def _save(self) -> None:
        if self._cache.has_state_changed:
            save_private(self._config.token_cache, self._cache.serialize())
            self._cache.has_state_changed = False


def _reason(answer: dict[str, object]) -> str:
    description = str(answer.get("error_description") or answer.get("error") or "no reason given")
    return description.splitlines()[0]
