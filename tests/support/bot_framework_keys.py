"""A loopback stand-in for the Bot Framework's token keys: OpenID configuration, key set, tokens.

Serves `/v1/.well-known/openidconfiguration` (whose `jwks_uri` points at `/v1/.well-known/keys`)
on 127.0.0.1, with one RSA key generated for the test run, endorsed for `msteams` as the Bot
Framework's keys are. `channel_token()` signs a token as the Bot Connector would; `token()`
signs any claims, with this key or another one.
"""

from __future__ import annotations

import functools
import time
from types import TracebackType
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KEY_ID = "synthetic-channel-key"


@functools.cache
def private_key(name: str = "bot-framework") -> rsa.RSAPrivateKey:
    """An RSA key made for this test run (one per name)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class BotFrameworkKeys:
    """Serves the OpenID configuration and key set on loopback; signs tokens with its key."""

    def __init__(self, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.endorsements = endorsements
        self.fetches = 0  # requests for the key set
        self._runner: web.AppRunner | None = None
        self._base = ""

    @property
    def metadata_url(self) -> str:
        """The URL of the OpenID configuration (Settings.bot_openid_metadata_url)."""
        return f"{self._base}/v1/.well-known/openidconfiguration"

    async def start(self) -> BotFrameworkKeys:
        """Starts serving on an ephemeral loopback port."""
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        """Stops serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotFrameworkKeys:
        return await self.start()

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _metadata(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": BOT_FRAMEWORK_ISSUER,
                "jwks_uri": f"{self._base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, _request: web.Request) -> web.Response:
        self.fetches += 1
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private_key().public_key(), as_dict=True)
        jwk.update(kid=KEY_ID, use="sig", endorsements=list(self.endorsements))
        return web.json_response({"keys": [jwk]})

    def token(
        self,
        claims: dict[str, Any],
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KEY_ID,
    ) -> str:
        """Signs `claims` (RS256) with this key, or with `key`, under key id `kid`."""
        return jwt.encode(claims, key or private_key(), algorithm="RS256", headers={"kid": kid})

    def channel_token(self, app_id: str, service_url: str, **claims: Any) -> str:
        """A token as the Bot Connector sends it to `app_id` for an activity at `service_url`;
        `claims` replace or add claims (None removes one)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + 3600,
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": app_id,
        }
        payload.update(claims)
        return self.token({k: v for k, v in payload.items() if v is not None})
