"""The Bot Connector's token on a request to /api/messages, checked as Microsoft documents it.

"Authenticate requests from the Bot Connector service to your bot" (Authentication with the Bot
Connector API, https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
the token is a Bearer JWT whose issuer is `https://api.botframework.com`, whose audience is the
bot's app id, that has not expired (5 minutes of clock skew), that is signed (RS256) with a key
listed at the `jwks_uri` of the Bot Framework's OpenID configuration
(https://login.botframework.com/v1/.well-known/openidconfiguration), and whose `serviceurl`
claim equals the activity's `serviceUrl`. A key that carries `endorsements` must endorse the
activity's `channelId`.

Only that issuer is accepted. The Agents SDK's `JwtTokenValidator` also accepts Entra tokens of
the bot's tenant and of Microsoft's first-party tenants (its issuer check is off by default, so
any tenant's Entra token for the bot's app id passes it); those are for agent-to-agent calls,
Copilot Studio and the Emulator, not for the Teams channel, and they carry no `serviceurl`,
which every token here must. So a token that Entra signed for any tenant is refused.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt

log = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
CLOCK_SKEW_SECONDS = 300
# The key set is stable (the Bot Framework SDK keeps it 5 days); a key id not yet seen is looked
# up again, at most once every few minutes so that forged key ids cannot make us hammer it.
KEYS_MAX_AGE_SECONDS = 24 * 3600
UNKNOWN_KEY_REFETCH_SECONDS = 300
_FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)


class ChannelTokenError(Exception):
    """The token is not one the Bot Connector sent for this bot (answered with 401)."""


class ChannelKeysUnavailable(Exception):
    """The Bot Framework's key set could not be fetched (answered with 503: try again)."""


def same_service_url(claimed: object, service_url: str) -> bool:
    """Tells whether the token's `serviceurl` claim names the activity's `serviceUrl`.

    Scheme and host are compared without case, the path without its trailing slash."""
    if not isinstance(claimed, str) or not claimed:
        return False
    try:
        left, right = urlsplit(claimed.strip()), urlsplit(service_url.strip())
        return (
            left.scheme.lower() == right.scheme.lower()
            and (left.hostname or "") == (right.hostname or "")
            and left.port == right.port
            and left.path.rstrip("/") == right.path.rstrip("/")
            and left.query == right.query
        )
    except ValueError:
        return False


class ChannelTokens:
    """Verifies Bot Connector tokens against the Bot Framework's published keys."""

    def __init__(self, app_id: str, metadata_url: str) -> None:
        self._app_id = app_id
        self._metadata_url = metadata_url
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    async def verify(self, token: str) -> tuple[dict[str, Any], list[str] | None]:
        """The token's claims and its key's endorsements (None: the key names none).

        Raises ChannelTokenError when the token is not valid, ChannelKeysUnavailable when the
        keys could not be fetched."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise ChannelTokenError("not a JWT") from None
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str) or not kid:
            raise ChannelTokenError("not an RS256 token with a key id")
        jwk = await self._key(kid)
        try:
            key = jwt.PyJWK(jwk, algorithm="RS256")
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self._app_id,
                issuer=BOT_FRAMEWORK_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise ChannelTokenError(type(error).__name__) from None
        endorsements = jwk.get("endorsements")
        if endorsements is not None and not (
            isinstance(endorsements, list) and all(isinstance(e, str) for e in endorsements)
        ):
            raise ChannelTokenError("malformed endorsements")
        return claims, endorsements

    async def _key(self, kid: str) -> dict[str, Any]:
        async with self._lock:
            now = asyncio.get_running_loop().time()
            stale = self._fetched_at is None or now - self._fetched_at > KEYS_MAX_AGE_SECONDS
            may_look_again = (
                self._fetched_at is None or now - self._fetched_at > UNKNOWN_KEY_REFETCH_SECONDS
            )
            if stale or (kid not in self._keys and may_look_again):
                self._keys = await self._fetch_keys()
                self._fetched_at = now
        jwk = self._keys.get(kid)
        if jwk is None:
            raise ChannelTokenError("signed with a key the Bot Framework does not list")
        return jwk

    async def _fetch_keys(self) -> dict[str, dict[str, Any]]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=_FETCH_TIMEOUT)
        try:
            async with self._session.get(self._metadata_url) as response:
                response.raise_for_status()
                metadata = await response.json(content_type=None)
            jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise ValueError("the OpenID configuration names no jwks_uri")
            async with self._session.get(jwks_uri) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
            keys = document.get("keys") if isinstance(document, dict) else None
            if not isinstance(keys, list):
                raise ValueError("the key set has no keys")
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.error("could not fetch the Bot Framework's signing keys: %s", type(error).__name__)
            raise ChannelKeysUnavailable() from None
        return {
            key["kid"]: key
            for key in keys
            if isinstance(key, dict) and isinstance(key.get("kid"), str)
        }

    async def close(self) -> None:
        """Closes the HTTP session used to fetch the keys."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
