"""A local Microsoft identity platform for MSAL: OpenID discovery, the device-code flow and the token
endpoint (device code and refresh token grants), over https with a certificate the tests make.

MSAL insists on https: ``certificate_authority`` makes a CA and a certificate for 127.0.0.1 signed
by it, and the tests trust that CA through ``REQUESTS_CA_BUNDLE``, as an operator would trust a
corporate proxy. The server runs in a thread of its own, since MSAL blocks while it waits.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import itertools
import json
import ssl
import threading
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.local_http import LocalHttp

TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"  # the consumers tenant
USER_CODE = "HALO-CODE"
# A day, so that one sign-in serves a whole test session without a refresh (refresh tokens rotate).
ACCESS_SECONDS = 86400


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def certificate_authority(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """Writes ``ca.pem`` to ``folder``; returns it and a server context for 127.0.0.1 signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "halobot test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = folder / "server.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)
    return ca_file, context


class MicrosoftAuthority:
    def __init__(self, context: ssl.SSLContext, client_id: str) -> None:
        self._context = context
        self.client_id = client_id
        self._numbers = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="microsoft-authority", daemon=True
        )
        self._http = LocalHttp()
        self._device_polls: dict[str, int] = {}
        self.refresh_tokens: set[str] = set()  # valid ones; a refresh token is used once (rotation)
        self.access_tokens: list[str] = []
        self.grants: list[str] = []

    def start(self) -> None:
        self._thread.start()
        app = web.Application()
        app.router.add_get("/consumers/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/consumers/oauth2/v2.0/devicecode", self._device_code)
        app.router.add_post("/consumers/oauth2/v2.0/token", self._token)
        asyncio.run_coroutine_threadsafe(
            self._http.serve(app, ssl_context=self._context), self._loop
        ).result()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._http.close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    @property
    def authority(self) -> str:
        return self._http.url("/consumers", scheme="https")

    def revoke_refresh_tokens(self) -> None:
        self.refresh_tokens.clear()

    async def _discovery(self, request: web.Request) -> web.Response:
        base = self.authority
        return web.json_response(
            {
                "issuer": self._http.url(f"/{TENANT}/v2.0", scheme="https"),
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            }
        )

    async def _device_code(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.client_id:
            return self._error("unauthorized_client")
        device_code = f"device-{next(self._numbers)}"
        self._device_polls[device_code] = 0
        verification = self._http.url("/link", scheme="https")
        return web.json_response(
            {
                "device_code": device_code,
                "user_code": USER_CODE,
                "verification_uri": verification,
                "expires_in": 900,
                "interval": 1,
                "message": f"To sign in, use a web browser to open the page {verification} and enter the "
                f"code {USER_CODE} to authenticate.",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = str(form.get("grant_type"))
        self.grants.append(grant)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            code = str(form.get("device_code"))
            if code not in self._device_polls:
                return self._error("expired_token")
            self._device_polls[code] += 1
            if self._device_polls[code] == 1:  # the operator has not typed the code in yet
                return self._error("authorization_pending")
            del self._device_polls[code]
            return self._tokens()
        if grant == "refresh_token":
            token = str(form.get("refresh_token"))
            if token not in self.refresh_tokens:
                return self._error("invalid_grant")
            self.refresh_tokens.discard(token)
            return self._tokens()
        return self._error("unsupported_grant_type")

    def _tokens(self) -> web.Response:
        number = next(self._numbers)
        access, refresh = f"ms-access-{number}", f"ms-refresh-{number}"
        self.access_tokens.append(access)
        self.refresh_tokens.add(refresh)
        now = int(dt.datetime.now(dt.UTC).timestamp())
        claims = {
            "iss": self._http.url(f"/{TENANT}/v2.0", scheme="https"),
            "sub": "operator",
            "aud": self.client_id,
            "exp": now + ACCESS_SECONDS,
            "iat": now,
            "oid": "00000000-0000-0000-0001-000000000001",
            "tid": TENANT,
            "preferred_username": "operator@example.com",
        }
        return web.json_response(
            {
                "token_type": "Bearer",
                "scope": "Xboxlive.signin Xboxlive.offline_access",
                "expires_in": ACCESS_SECONDS,
                "ext_expires_in": ACCESS_SECONDS,
                "access_token": access,
                "refresh_token": refresh,
                "id_token": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
                "client_info": _b64({"uid": "00000000-0000-0000-0001-000000000001", "utid": TENANT}),
            }
        )

    @staticmethod
    def _error(code: str) -> web.Response:
        return web.json_response({"error": code, "error_description": f"{code}: test authority"}, status=400)
