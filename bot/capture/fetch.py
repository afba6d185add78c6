"""The capture's own HTTP client: every request the browser makes is fetched here.

The connector's resolver refuses a host name that resolves to anything but public addresses,
at the moment of connecting, with the very addresses it connects to: a name cannot pass the
check with one answer and be connected with another (DNS rebinding). IP literals never reach a
resolver, so `bot.capture.safety.refusal` checks them (and the scheme) before. No redirect is
followed here, no credentials are sent, no proxy from the environment is used, and a body stops
being read once it passes the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.capture.safety import public_ip

CHUNK_BYTES = 64 * 1024
T = TypeVar("T")
# Headers the browser would send that are the connection's business, or credentials.
_DROPPED_REQUEST_HEADERS = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "authorization",
    "proxy-authorization",
}


class RefusedAddress(OSError):
    """A host name resolved to an address a capture may not connect to."""


class PublicOnlyResolver(AbstractResolver):
    """Resolves like the system, and refuses names with any non-public address."""

    def __init__(self, *, allow_loopback: bool = False) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The host's addresses, only if every one of them is public."""
        answers = await self._inner.resolve(host, port, family)
        if not answers or not all(
            public_ip(str(a["host"]), allow_loopback=self._allow_loopback) for a in answers
        ):
            raise RefusedAddress(f"{host} resolves to an address that is not public")
        return answers

    async def close(self) -> None:
        """Closes the system resolver."""
        await self._inner.close()


def capture_session(*, allow_loopback: bool, timeout_seconds: float) -> aiohttp.ClientSession:
    """A client for one capture: public addresses only, no cookies of its own, no proxy."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            resolver=PublicOnlyResolver(allow_loopback=allow_loopback), limit=6
        ),
        cookie_jar=aiohttp.DummyCookieJar(),  # the browser's own cookies come in its headers
        timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        trust_env=False,
        auto_decompress=True,
    )


@dataclass(frozen=True)
class Fetched:
    """One answer, read up to the cap."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    too_large: bool


async def fetch_once(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: dict[str, str],
    data: bytes | None,
    max_bytes: int,
) -> Fetched:
    """Fetches one URL without following a redirect; stops reading past `max_bytes`."""
    sent: dict[str, Any] = {
        k: v for k, v in headers.items() if k.lower() not in _DROPPED_REQUEST_HEADERS
    }
    sent["Accept-Encoding"] = "gzip, deflate"
    try:
        return await _fetch(http, method, url, sent, data, max_bytes)
    except aiohttp.ClientConnectorError as error:
        # aiohttp wraps what the resolver raised; the refusal is what counts.
        if isinstance(getattr(error, "os_error", None), RefusedAddress) or isinstance(
            error.__cause__, RefusedAddress
        ):
            raise RefusedAddress(str(error)) from error
        raise


async def _fetch(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    sent: dict[str, Any],
    data: bytes | None,
    max_bytes: int,
) -> Fetched:
    async with http.request(
        method, url, headers=sent, data=data, allow_redirects=False
    ) as response:
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                return Fetched(response.status, response.reason or "", [], b"", True)
            chunks.append(chunk)
        return Fetched(
            response.status,
            response.reason or "",
            list(response.headers.items()),
            b"".join(chunks),
            False,
        )


THREAD_NAME = "kk-fetcher"
PR_SET_NAME = 15


class FetcherThread:
    """The fetcher's own thread and event loop (bot.capture.confine).

    Started before the helper's main thread leaves the network: everything that touches the
    network (the address checks' DNS lookups, the connections) runs here, in the machine's
    network namespace, while the driver and the browser, started by the main thread, have none.
    Without a thread (`None` in BrowserCapturer) the same code runs in the caller's loop.
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # named for ps -L and the tests
            ctypes.CDLL(None).prctl(PR_SET_NAME, THREAD_NAME.encode(), 0, 0, 0)
        self._loop.run_forever()

    def start(self) -> None:
        """Starts the thread (in the network namespace of the caller)."""
        self._thread.start()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Runs a coroutine in the fetcher's loop; cancelling the caller cancels it."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    def stop(self) -> None:
        """Stops the loop and waits for the thread."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()
