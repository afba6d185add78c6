"""A fault-injecting loopback proxy in front of Azurite: the store answers 503, never answers,
drops the connection after some blocks of an upload, or is not there at all.

    async with BlobFaults(azurite.port) as faults:
        store = azure_store(faults.connection_string, container)
        faults.mode = "unavailable"     # every request: 503 Server Busy
        faults.mode = "reads_unavailable"  # downloads (GET, HEAD) only: 503
        faults.reads_under = "/packages/"    # ... and of these keys only
        faults.mode = "hang"            # no answer (the client's time-out fires)
        faults.cut_after_blocks = 1     # the second staged block drops the connection
        faults.commits_before_503 = 1   # one file is stored, every later upload gets 503
        await faults.down()             # connection refused; await faults.up() to return
"""

from __future__ import annotations

import asyncio
import io
from types import TracebackType
from typing import Literal

import aiohttp
from aiohttp import web

from tests.support.azurite import connection_string

Mode = Literal["pass", "unavailable", "reads_unavailable", "hang"]
_HOP_BY_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length"}
_BUSY = (
    '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>'
    "<Message>The server is busy (injected by the test).</Message></Error>"
)


class BlobFaults:
    """The proxy; `requests` counts what reached it, `forwarded` what went on to Azurite."""

    def __init__(self, azurite_port: int) -> None:
        self._target = f"http://127.0.0.1:{azurite_port}"
        self.mode: Mode = "pass"
        self.cut_after_blocks: int | None = None
        self.reads_under = ""
        self.commits_before_503: int | None = None
        self.requests = 0
        self.forwarded = 0
        self._blocks = 0
        self._commits = 0
        self._down = False
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def connection_string(self) -> str:
        """Azurite's account, reached through the proxy."""
        return connection_string("127.0.0.1", self.port)

    async def __aenter__(self) -> BlobFaults:
        self._http = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await self.up()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._released.set()
        assert self._runner is not None and self._http is not None
        await self._runner.cleanup()
        await self._http.close()

    async def down(self) -> None:
        """Stops listening: connections are refused, as when the store is not there, and the
        connections the client keeps open are dropped at their next request."""
        self._down = True
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def up(self) -> None:
        """Listens again (on the same port after `down`)."""
        assert self._runner is not None
        self._down = False
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    def heal(self) -> None:
        """Everything passes again."""
        self.mode = "pass"
        self.cut_after_blocks = None
        self.reads_under = ""
        self.commits_before_503 = None
        self._blocks = 0
        self._commits = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self._down:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)  # never sent: the connection is gone
        uploading = request.query.get("comp") in ("block", "blocklist")
        if uploading and self.commits_before_503 is not None:
            if self._commits >= self.commits_before_503:
                return _busy()
            self._commits += request.query.get("comp") == "blocklist"
        reading = request.method in ("GET", "HEAD") and "comp" not in request.query
        reading = reading and self.reads_under in request.path
        if self.mode == "unavailable" or (self.mode == "reads_unavailable" and reading):
            return _busy()
        if self.mode == "hang":
            await self._released.wait()
            return web.Response(status=503)
        if request.query.get("comp") == "block" and self.cut_after_blocks is not None:
            self._blocks += 1
            if self._blocks > self.cut_after_blocks:
                await request.content.read(1024)  # part of the block arrives, then nothing
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)  # never sent: the connection is gone
        return await self._forward(request)

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        self.forwarded += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        async with self._http.request(
            request.method,
            self._target + request.rel_url.raw_path_qs,
            headers=headers,
            data=io.BytesIO(body) if body else None,
            allow_redirects=False,
            skip_auto_headers={"Content-Type"},  # signed by the client: passed on as it is
        ) as answer:
            payload = await answer.read()
            out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            if request.method == "HEAD" and "Content-Length" in answer.headers:
                # A HEAD's length is the blob's size (its properties), not this empty body's.
                out["Content-Length"] = answer.headers["Content-Length"]
                return web.Response(status=answer.status, headers=out)
            return web.Response(status=answer.status, body=payload, headers=out)


def _busy() -> web.Response:
    return web.Response(
        status=503,
        text=_BUSY,
        content_type="application/xml",
        headers={"x-ms-error-code": "ServerBusy"},
    )
