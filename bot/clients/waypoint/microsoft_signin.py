"""The Microsoft account behind Halo Waypoint, through MSAL: the device-code sign-in the operator
runs once (``python -m bot infinite-login``), and the silent refresh the bot runs from then on.

MSAL is synchronous: the bot calls ``access_token`` in a thread, one call at a time. MSAL uses its
own HTTP client (requests), so the standard CA-bundle environment variables apply. The token cache
is written to ``infinite.token_cache`` (mode 0600, atomically) after every change: refresh tokens
rotate, and an old one may no longer work. A cache file replaced while the bot runs (the operator
signed in again) is read again before the next refresh.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from bot.clients.waypoint.signin_errors import SignedOut, SignInUnreachable
from bot.config import InfiniteConfig

log = logging.getLogger(__name__)

SCOPES = ["Xboxlive.signin", "Xboxlive.offline_access"]
MICROSOFT_HOSTS = ("login.microsoftonline.com", "login.live.com", "login.microsoft.com")
REQUEST_SECONDS = 10
# Answers of the token endpoint that mean the sign-in is gone, not that the service is unwell.
SIGNED_OUT_ERRORS = ("invalid_grant", "interaction_required", "invalid_client", "unauthorized_client")
# What MSAL raises when the authority cannot be reached or answers something it cannot read.
UNREACHABLE = (requests.RequestException, ValueError, KeyError)


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
        self._path = config.token_cache
        self._cache = msal.SerializableTokenCache()
        self._app: msal.PublicClientApplication | None = None
        self._loaded: tuple[int, int] | None = None  # (mtime_ns, size) of the file as last read or written
        self._lock = threading.Lock()

    def access_token(self) -> str:
        """A Microsoft access token for Xbox Live, refreshed silently when needed (blocking)."""
        with self._lock:
            if not self._config.client_id:
                raise SignedOut("infinite.client_id is not set")
            self._load()
            app = self._application()
            try:
                accounts = app.get_accounts()
                if not accounts:
                    raise SignedOut(f"no Microsoft account is signed in at {self._path}")
                result = app.acquire_token_silent_with_error(SCOPES, account=accounts[0])
            except UNREACHABLE as error:
                raise SignInUnreachable(
                    f"cannot use {self._config.authority}: {type(error).__name__}"
                ) from None
            try:
                self._save()
            except OSError as failure:  # the tokens in memory still work; the next start needs them
                log.error("Cannot keep the Microsoft sign-in at %s: %s", self._path, failure.strerror)
            if result and "access_token" in result:
                token: str = result["access_token"]
                return token
            code = (result or {}).get("error")
            if result is None or code in SIGNED_OUT_ERRORS:
                why = code or "the refresh token is missing"
                raise SignedOut(f"the Microsoft sign-in has expired or was revoked ({why})")
            raise SignInUnreachable(f"{self._config.authority} answered {code}")

    def sign_in(self, show: Callable[[str], None]) -> str:
        """The device-code flow: ``show`` gets the instructions; blocks until the operator signed
        in. The account replaces any earlier one. Returns the account's name; raises ``SignedOut``
        saying why when it did not work."""
        with self._lock:
            if not self._config.client_id:
                raise SignedOut("set infinite.client_id (the Azure application's id) first")
            self._cache = msal.SerializableTokenCache()  # a fresh start: one account, the new one
            self._app = None
            app = self._application()
            try:
                flow = app.initiate_device_flow(scopes=SCOPES)
                if "user_code" not in flow:
                    raise SignedOut(f"the sign-in could not start: {_reason(flow)}")
                show(flow["message"])
                result = app.acquire_token_by_device_flow(flow)
            except UNREACHABLE as error:
                raise SignInUnreachable(
                    f"cannot use {self._config.authority}: {type(error).__name__}"
                ) from None
            if "access_token" not in result:
                raise SignedOut(f"the sign-in did not complete: {_reason(result)}")
            try:
                self._save()
            except OSError as error:
                raise SignedOut(f"cannot keep the sign-in at {self._path}: {error.strerror}") from None
            claims = result.get("id_token_claims") or {}
            return str(claims.get("preferred_username") or claims.get("name") or "the Microsoft account")

    def _load(self) -> None:
        """Reads the cache file if it is new or was replaced since it was last read or written."""
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            raise SignedOut(f"there is no sign-in at {self._path}") from None
        except OSError as error:
            raise SignedOut(f"cannot read {self._path}: {error.strerror}") from None
        if (stat.st_mtime_ns, stat.st_size) == self._loaded:
            return
        cache = msal.SerializableTokenCache()
        try:
            cache.deserialize(self._path.read_text(encoding="utf-8"))
        except OSError as error:
            raise SignedOut(f"cannot read {self._path}: {error.strerror}") from None
        except ValueError:
            raise SignedOut(f"{self._path} is not a token cache") from None
        self._cache, self._app, self._loaded = cache, None, (stat.st_mtime_ns, stat.st_size)

    def _application(self) -> msal.PublicClientApplication:
        if self._app is None:
            authority = self._config.authority
            microsoft = urlsplit(authority).hostname in MICROSOFT_HOSTS
            try:
                self._app = msal.PublicClientApplication(
                    self._config.client_id,
                    authority=authority,
                    token_cache=self._cache,
                    instance_discovery=None if microsoft else False,
                    timeout=REQUEST_SECONDS,
                )
            except UNREACHABLE as error:
                raise SignInUnreachable(f"cannot use the authority {authority}: {error}") from None
        return self._app

    def _save(self) -> None:
        if not self._cache.has_state_changed:
            return
        save_private(self._path, self._cache.serialize())
        self._cache.has_state_changed = False
        stat = self._path.stat()
        self._loaded = (stat.st_mtime_ns, stat.st_size)


def _reason(answer: dict[str, Any]) -> str:
    description = str(answer.get("error_description") or answer.get("error") or "no reason given")
    return description.splitlines()[0]
