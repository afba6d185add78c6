"""The capture browser has no network of its own (issue 24, point 8).

A page tries every way out that does not pass the route handler: a WebSocket, WebRTC (STUN
over UDP), a dedicated worker's fetch, and a prefetch (with a preconnect and a DNS prefetch),
all to 127.0.0.2, where a TCP and a UDP listener record whatever arrives. The fetcher refuses
127.0.0.2 even with the tests' loopback allowance, so anything the listeners see came from the
browser itself. The page holds its `load` event (an image the site answers only once the page
has reported) until every attempt has settled, so the capture ends after them; no sleep.

The same page in an unconfined Chromium reaches the listeners: the test can see a leak.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest_asyncio
from aiohttp import web

from bot.capture.fetch import THREAD_NAME
from bot.capture.isolated import IsolatedCapturer, descendants
from tests.support.capture_site import PIXEL

ELSEWHERE = "127.0.0.2"  # loopback, but not the test site's address: "another host"
SETTLED_WITHIN = 30  # seconds: a failure guard for the page's report, never waited out


@dataclass
class Listeners:
    """A TCP and a UDP listener on 127.0.0.2 that record what reaches them."""

    tcp_port: int = 0
    udp_port: int = 0
    connections: list[str] = field(default_factory=list)
    packets: list[bytes] = field(default_factory=list)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, seen: list[bytes]) -> None:
        self._seen = seen

    def datagram_received(self, data: bytes, addr: object) -> None:
        self._seen.append(data)


@pytest_asyncio.fixture(loop_scope="session")
async def listeners() -> AsyncIterator[Listeners]:
    found = Listeners()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        found.connections.append((await reader.read(200)).decode("latin-1").split("\r\n")[0])
        writer.close()

    server = await asyncio.start_server(accepted, ELSEWHERE, 0)
    found.tcp_port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Udp(found.packets), local_addr=(ELSEWHERE, 0)
    )
    found.udp_port = transport.get_extra_info("sockname")[1]
    yield found
    transport.close()
    server.close()
    await server.wait_closed()


def _page(out: Listeners) -> str:
    tcp = f"{ELSEWHERE}:{out.tcp_port}"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Ut</title>
<link rel="dns-prefetch" href="//{tcp}"><link rel="preconnect" href="http://{tcp}">
</head><body><p>Sida</p><img src="/gate" alt="">
<script>
const settled = [];
const ws = new Promise(done => {{
  try {{ const s = new WebSocket("ws://{tcp}/ws"); s.onerror = s.onclose = () => done("ws"); }}
  catch (e) {{ done("ws-throws"); }}
}});
const rtc = new Promise(done => {{
  if (!window.RTCPeerConnection) return done("rtc-absent");
  const pc = new RTCPeerConnection({{iceServers: [{{urls: "stun:{ELSEWHERE}:{out.udp_port}"}}]}});
  pc.createDataChannel("x");
  pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done("rtc");
  pc.createOffer().then(o => pc.setLocalDescription(o)).catch(() => done("rtc-fails"));
  setTimeout(() => done("rtc-bounded"), 2000);
}});
const worker = new Promise(done => {{
  const code = 'fetch("http://{tcp}/worker").then(() => postMessage("w"), () => postMessage("w"))';
  const w = new Worker(URL.createObjectURL(new Blob([code], {{type: "text/javascript"}})));
  w.onmessage = () => done("worker"); w.onerror = () => done("worker-error");
}});
const prefetch = new Promise(done => {{
  const l = document.createElement("link"); l.rel = "prefetch"; l.href = "http://{tcp}/prefetch";
  l.onload = l.onerror = () => done("prefetch"); document.head.appendChild(l);
  setTimeout(() => done("prefetch-bounded"), 2000);
}});
Promise.all([ws, rtc, worker, prefetch]).then(r => fetch("/report?" + r.join(",")));
</script></body></html>"""


@dataclass
class Site:
    url: str
    reported: asyncio.Event
    reports: list[str]


@pytest_asyncio.fixture(loop_scope="session")
async def leaky_site(listeners: Listeners) -> AsyncIterator[Site]:
    reported = asyncio.Event()
    reports: list[str] = []

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=_page(listeners), content_type="text/html")

    async def gate(_request: web.Request) -> web.Response:
        await asyncio.wait_for(reported.wait(), SETTLED_WITHIN)
        return web.Response(body=PIXEL, content_type="image/png")

    async def report(request: web.Request) -> web.Response:
        reports.append(request.query_string)
        reported.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/gate", gate)
    app.router.add_get("/report", report)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Site(f"http://127.0.0.1:{port}/", reported, reports)
    await runner.cleanup()


async def test_the_page_reaches_nothing_but_the_fetcher(
    capturer: IsolatedCapturer, leaky_site: Site, listeners: Listeners
):
    capture = await capturer.capture(leaky_site.url)
    assert capture.failure is None
    assert leaky_site.reported.is_set(), "the page never reported"
    assert listeners.connections == []  # no WebSocket, no worker fetch, no prefetch
    assert listeners.packets == []  # no STUN


async def test_an_unconfined_browser_does_reach_the_listeners(
    chromium: Path, leaky_site: Site, listeners: Listeners
):
    """The control: the same page in a plain Chromium, with a network, leaks."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium))
        try:
            page = await browser.new_page()
            await page.goto(leaky_site.url, wait_until="load", timeout=SETTLED_WITHIN * 1000)
        finally:
            await browser.close()
    assert any(line.startswith("GET /ws") for line in listeners.connections)
    assert any(line.startswith("GET /worker") for line in listeners.connections)
    assert listeners.packets, "no STUN packet reached the UDP listener"


def _net_namespace(pid: int, tid: int | None = None) -> str:
    task = f"/proc/{pid}/task/{tid}" if tid is not None else f"/proc/{pid}"
    return os.readlink(f"{task}/ns/net")


@dataclass
class Seen:
    """What /proc tells of the helper: its threads and the processes below it."""

    threads: dict[int, tuple[str, str, tuple[str, ...]]]  # tid: (name, netns, uids)
    below: list[tuple[bytes, str]]  # (program, netns)


def _seen(helper: int) -> Seen:
    threads = {}
    for tid in map(int, os.listdir(f"/proc/{helper}/task")):
        task = Path(f"/proc/{helper}/task/{tid}")
        status = (task / "status").read_text().splitlines()
        uids = tuple(next(x for x in status if x.startswith("Uid:")).split()[1:])
        threads[tid] = ((task / "comm").read_text().strip(), _net_namespace(helper, tid), uids)
    below = []
    for pid in descendants(helper):
        with contextlib.suppress(FileNotFoundError):  # a renderer that just ended
            program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            below.append((program, _net_namespace(pid)))
    return Seen(threads, below)


async def test_only_the_fetchers_thread_shares_the_machines_network(
    capturer: IsolatedCapturer, leaky_site: Site
):
    """Seen from /proc: the helper's fetcher thread is in our network namespace; its main
    thread, the driver and Chromium are in another one; every thread is the capture user's."""
    assert (await capturer.capture(leaky_site.url)).failure is None
    assert capturer.pid is not None
    ours = _net_namespace(os.getpid())
    seen = _seen(capturer.pid)
    # The fetcher's thread and the threads it started (its DNS lookups) carry its name.
    fetchers = {n for name, n, _ in seen.threads.values() if name == THREAD_NAME}
    others = {n for name, n, _ in seen.threads.values() if name != THREAD_NAME}
    confined = seen.threads[capturer.pid][1]
    assert fetchers == {ours}
    assert others == {confined} and confined != ours
    # The driver is in the helper's; Chromium's sandboxed children may have their own.
    assert {n for program, n in seen.below if program.endswith(b"/node")} == {confined}
    assert {n for program, n in seen.below if b"chromium" in program} >= {confined}
    assert ours not in {namespace for _, namespace in seen.below}
    # Real, effective, saved and filesystem ids: the fetcher thread is not root either.
    assert {uids for _, _, uids in seen.threads.values()} == {(str(capturer.user.uid),) * 4}
