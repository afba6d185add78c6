"""A loopback web site for capture tests: a normal page, walls, a hang, redirects and a 404."""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiohttp import web

from tests.support.capture_walls import wall

# A 1x1 PNG, so the page has a sub-resource.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201e2b13a3c0000000049454e44ae426082"
)
NORMAL = """<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Ugglan</title>
<link rel="stylesheet" href="/style.css"></head><body><h1>Förskolan Ugglan</h1>
<p>Välkommen till vår sida.</p><img src="/pixel.png" alt=""></body></html>"""
COOKIE_WALL = """<!doctype html><html><body><main>Innehåll</main>
<div id="cookie-consent" style="position:fixed;inset:0;background:#fff">
<p>Godkänn cookies för att fortsätta till sidan.</p><button>Godkänn</button></div></body></html>"""
LOGIN = """<!doctype html><html><body><form><input name="user">
<input type="password" name="password"></form></body></html>"""


class CaptureSite:
    """Serves the test pages on 127.0.0.1; `url(path)` gives their addresses."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._closing = asyncio.Event()

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        """The address of a page on this site (another host name gives another site)."""
        return f"http://{host}:{self.port}{path}"

    async def __aenter__(self) -> CaptureSite:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._runner is not None
        self._closing.set()
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        self.paths.append(path)
        html = "text/html; charset=utf-8"
        if path == "/":
            return web.Response(text=NORMAL, content_type="text/html", charset="utf-8")
        if path == "/style.css":
            return web.Response(text="h1 { color: #036; }", content_type="text/css")
        if path == "/pixel.png":
            return web.Response(body=PIXEL, content_type="image/png")
        if path == "/cookie":
            return web.Response(text=COOKIE_WALL, headers={"Content-Type": html})
        if path == "/login":
            return web.Response(text=LOGIN, headers={"Content-Type": html})
        if path == "/ws":
            socket = web.WebSocketResponse()
            await socket.prepare(request)
            await socket.close()
            return socket
        if path == "/websocket":
            body = (
                "<html><body><p>Sida</p><script>"
                f"new WebSocket('ws://127.0.0.1:{self.port}/ws');"
                f"new WebSocket('ws://localhost:{self.port}/ws');"
                "</script></body></html>"
            )
            return web.Response(text=body, headers={"Content-Type": html})
        answer = wall(path, self.url)
        if answer is not None:
            return answer
        if path == "/hang":
            await self._closing.wait()  # never finishes while the site runs
        if path == "/to-private":
            raise web.HTTPFound("http://10.20.30.40/admin")
        if path == "/to-metadata":
            raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")
        if path == "/to-other-host":
            raise web.HTTPFound(self.url("/", host="localhost"))
        if path == "/image-to-private":
            raise web.HTTPFound("http://10.20.30.40/x.png")
        if path == "/redirected-image":
            body = '<html><body><img src="/image-to-private"><p>Sida</p></body></html>'
            return web.Response(text=body, headers={"Content-Type": html})
        if path == "/private-image":
            body = '<html><body><img src="http://10.20.30.40/x.png"><p>Sida</p></body></html>'
            return web.Response(text=body, headers={"Content-Type": html})
        return web.Response(status=404, text="Finns inte", content_type="text/plain")
