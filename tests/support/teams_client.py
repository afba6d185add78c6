"""Posts activities to a bot's /api/messages the way the Teams channel does."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

import aiohttp

MESSAGES_PATH = "/api/messages"


class TeamsClient:
    """A minimal Teams-channel stand-in that POSTs activities (or raw bytes) to a bot."""

    def __init__(
        self,
        bot_url: str,
        session: aiohttp.ClientSession | None = None,
        auth_header: str | None = None,
    ) -> None:
        """Target `bot_url` (a base URL or the full /api/messages URL)."""
        base = bot_url.rstrip("/")
        self.url = base if base.endswith(MESSAGES_PATH) else base + MESSAGES_PATH
        self.auth_header = auth_header
        self._session = session
        self._owns_session = session is None

    def _client(self) -> aiohttp.ClientSession:
        """Return the HTTP session, creating an owned one on first use."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def post(
        self,
        activity: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """POST an activity (or `raw` bytes) and return (status, JSON body, text or None)."""
        data = raw if raw is not None else json.dumps(activity).encode("utf-8")
        request_headers = {"Content-Type": content_type}
        if self.auth_header is not None:
            request_headers["Authorization"] = self.auth_header
        request_headers.update(headers or {})
        async with self._client().post(self.url, data=data, headers=request_headers) as response:
            body = await response.read()
            return response.status, _decode(body)

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> TeamsClient:
        """Use the client in an `async with` block."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close an owned session at the end of an `async with` block."""
        await self.close()


def _decode(body: bytes) -> Any:
    """Return a response body as parsed JSON, else text, else None when empty."""
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
