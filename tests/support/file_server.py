"""A loopback file server for download tests: files, Bearer tokens, errors, slow answers.

Each path is registered with `serve()`, which returns its URL. A path can require a Bearer token
(401 without it, as the Bot Connector's attachment views do), answer with an error status, wait
before answering, or stream its body in chunks without a Content-Length, repeated many times, so
a test can see how much the client read before it hung up (`sent()`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlencode

from aiohttp import hdrs, web


@dataclass(frozen=True)
class Served:
    """How one path answers."""

    body: bytes
    content_type: str = "application/octet-stream"
    token: str | None = None  # the Bearer token the request must carry
    status: int = 200
    delay: float = 0.0  # seconds before the answer starts
    chunked: bool = False  # stream without a Content-Length
    repeat: int = 1  # the body is sent this many times, one chunk each


@dataclass(frozen=True)
class ServedRequest:
    """A request the server received."""

    path: str
    query: dict[str, str]
    authorization: str | None


class FileServer:
    """Serves registered files on 127.0.0.1 and records every request."""

    def __init__(self) -> None:
        """Configure the server; call start() or use `async with` to serve."""
        self.requests: list[ServedRequest] = []
        self._files: dict[str, Served] = {}
        self._sent: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = asyncio.Event()

    async def start(self) -> FileServer:
        """Start serving on an ephemeral loopback port."""
        if self._runner is not None:
            return self
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Wake the slow answers, stop serving and release the port."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FileServer:
        """Start the server for an `async with` block."""
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the server at the end of an `async with` block."""
        await self.close()

    @property
    def base_url(self) -> str:
        """Return http://127.0.0.1:<port>."""
        if self._port is None:
            raise RuntimeError("FileServer is not started")
        return f"http://127.0.0.1:{self._port}"

    def url(self, path: str, **query: str) -> str:
        """Return the URL of a path, with an optional query (e.g. a SAS-like token)."""
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.base_url}/{path.lstrip('/')}{suffix}"

    def serve(
        self,
        path: str,
        body: bytes = b"",
        *,
        content_type: str = "application/octet-stream",
        token: str | None = None,
        status: int = 200,
        delay: float = 0.0,
        chunked: bool = False,
        repeat: int = 1,
    ) -> str:
        """Register what a path answers (see `Served`); return its URL without a query."""
        served = Served(body, content_type, token, status, delay, chunked, repeat)
        self._files["/" + path.lstrip("/")] = served
        return self.url(path)

    def sent(self, path: str) -> int:
        """Return how many body bytes the last answer on a path wrote before it ended."""
        return self._sent.get("/" + path.lstrip("/"), 0)

    def requests_to(self, path: str) -> list[ServedRequest]:
        """Return the requests received on a path."""
        return [request for request in self.requests if request.path == "/" + path.lstrip("/")]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get(hdrs.AUTHORIZATION)
        self.requests.append(ServedRequest(request.path, dict(request.query), authorization))
        served = self._files.get(request.path)
        if served is None:
            return web.Response(status=404, text="no such file")
        if served.token is not None and authorization != f"Bearer {served.token}":
            return web.Response(status=401, headers={hdrs.WWW_AUTHENTICATE: "Bearer"})
        if served.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), served.delay)
        if served.status != 200:
            return web.Response(status=served.status, text="failed")
        if not served.chunked:
            body = served.body * served.repeat
            self._sent[request.path] = len(body)
            return web.Response(body=body, content_type=served.content_type)
        return await self._stream(request, served)

    async def _stream(self, request: web.Request, served: Served) -> web.StreamResponse:
        response = web.StreamResponse(headers={hdrs.CONTENT_TYPE: served.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        self._sent[request.path] = 0
        try:
            for _ in range(served.repeat):
                await response.write(served.body)
                self._sent[request.path] += len(served.body)
            await response.write_eof()
        except ConnectionError:  # the client hung up: what it took is in sent()
            pass
        return response
