"""One page captured in headless Chromium (Playwright): a full-page PNG, a PDF and a WARC.

The browser is the machine's own Chromium (`CHROMIUM_PATH`), never a downloaded one, and runs
as a separate process with a fresh profile, an environment without the bot's settings and
secrets, no downloads and no service workers. Every request it makes goes through `_route`:
the address rules of `bot.capture.safety` hold for the page, each redirect and each
sub-resource, and the main frame never navigates off the channel's own host. No credentials
are sent, and a page that turns out to be a login wall, a cookie wall or a bot check is not
captured: the editor is asked for their own screenshots instead.

Playwright is imported here only, when the first capture starts the browser. In the bot this
class runs inside the capture helper (bot/capture/helper.py), as the capture user; the bot's
own process talks to it through bot.capture.isolated.IsolatedCapturer. There the browser has no
network (bot.capture.confine): the address checks and the fetches run in the `FetcherThread`,
the only part with a network, and a page's WebSocket is routed to nowhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urljoin

import aiohttp

from bot.capture.chromium import (
    BROWSER_ARGS,
    DEFAULT_CHROMIUM,
    find_chromium,
    open_session,
    refuse_web_socket,
)
from bot.capture.fetch import FetcherThread, RefusedAddress, fetch_once
from bot.capture.safety import host_of, loggable, refusal, same_site
from bot.capture.walls import (
    BLOCKING_STATUSES,
    CONSENT_HOST,
    CONSENT_PATH,
    LOGIN_HOST,
    LOGIN_PATH,
    WALL_SCRIPT,
)
from bot.capture.warc import Exchange
from domain.clock import Clock

log = logging.getLogger(__name__)

_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}

Failure = Literal[
    "refused_address",
    "left_site",
    "login_wall",
    "cookie_wall",
    "blocked",
    "timed_out",
    "http_error",
    "too_large",
    "unreachable",
    "browser_failed",
]

SOFTWARE = "Kanalkollen capture (Playwright, Chromium)"

VIEWPORT = {"width": 1280, "height": 900}

MAX_SCREENSHOT_HEIGHT = 16000  # px: a page longer than this is captured to this height

MAX_REDIRECTS = 5

T = TypeVar("T")

SETTLE_MS = 1500  # after "load", a moment for late images (not waited for beyond this)


@dataclass(frozen=True)
class Capture:
    """What one capture got: the files, or the reason it could not be done."""

    url: str
    final_url: str
    captured_at: datetime
    http_status: int | None
    failure: Failure | None = None
    png: bytes = b""
    pdf: bytes = b""
    warc: bytes = b""
    seconds: float = 0.0
    resources: int = 0


@dataclass
class _Visit:
    """What the route handler and the response listener saw during one capture."""

    host: str
    refused_navigation: str | None = None
    left_site: bool = False
    left_to: str = ""
    bytes_seen: int = 0
    too_large: bool = False
    unreachable: bool = False
    final_url: str = ""
    status: int | None = None
    challenge: bool = False  # the answer said it is a bot check (Cloudflare's cf-mitigated)
    exchanges: list[Exchange] = field(default_factory=list)


class BrowserCapturer:
    """Captures pages one at a time in one Chromium process, restarted when it crashes."""

    def __init__(
        self,
        executable: Path,
        clock: Clock,
        *,
        timeout_seconds: float = 30.0,
        max_bytes: int = 25 * 1024 * 1024,
        allow_loopback_for_tests: bool = False,
        fetcher: FetcherThread | None = None,
    ) -> None:
        self._executable = executable
        self._fetcher = fetcher
        self._clock = clock
        self._timeout = timeout_seconds
        self._max_bytes = max_bytes
        self._allow_loopback = allow_loopback_for_tests
        self._playwright: Any = None
        self._browser: Any = None
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._lock = asyncio.Lock()
        self.launches = 0
        self.sandboxed: bool | None = None  # known once the browser has started

    async def capture(self, url: str) -> Capture:
        """Captures one page within the time limit; never raises for the page's faults."""
        async with self._lock:  # one capture at a time per instance
            started = time.monotonic()
            now = self._clock.now()
            if await self._net(refusal(url, allow_loopback=self._allow_loopback)):
                return Capture(url, url, now, None, "refused_address")
            result = await self._attempt(url, now, started)
            log.info(
                "capture of %s: %s in %.1f s",
                loggable(url),
                result.failure or "captured",
                time.monotonic() - started,
            )
            return _with_seconds(result, time.monotonic() - started)

    async def _attempt(self, url: str, now: datetime, started: float) -> Capture:
        """Visits the page; a browser that died since the last capture is replaced once."""
        while True:
            was_running = self._browser is not None
            try:
                browser = await self._ensure_browser()
                left = self._timeout - (time.monotonic() - started)
                return await asyncio.wait_for(self._visit(browser, url, now), max(left, 0.1))
            except TimeoutError:
                return Capture(url, url, now, None, "timed_out")
            except Exception as error:  # the browser crashed or could not start
                log.warning("capture: browser failed (%s); it is restarted", type(error).__name__)
                await self._discard_browser()
                if not was_running:
                    return Capture(url, url, now, None, "browser_failed")

    async def _net(self, work: Coroutine[Any, Any, T]) -> T:
        """Runs network work in the fetcher's thread, which alone has a network."""
        return await (self._fetcher.run(work) if self._fetcher is not None else work)

    async def launch(self) -> None:
        """Starts the browser now (the start-up check); raises when it cannot start."""
        async with self._lock:
            await self._ensure_browser()

    async def close(self) -> None:
        """Stops the browser and the Playwright driver."""
        await self._discard_browser()
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
            self._playwright = None

    # --- the browser -------------------------------------------------------------------------

    async def _ensure_browser(self) -> Any:
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        await self._discard_browser()
        if self._playwright is None:
            from playwright.async_api import async_playwright  # lazily: only the worker

            self._playwright = await async_playwright().start()
        self._profile = tempfile.TemporaryDirectory(prefix="kanalkollen-browser-")
        # The browser gets none of the bot's environment (no settings, no secrets).
        env = {"PATH": "/usr/bin:/bin", "HOME": self._profile.name, "LANG": "C.UTF-8"}
        # Chromium's own sandbox needs an unprivileged user (the capture helper runs as one)
        # and user namespaces; where the machine has none it runs without, as that user.
        wanted = os.geteuid() != 0 and self.sandboxed is not False
        try:
            self._browser = await self._launch(env, sandbox=wanted)
            self.sandboxed = wanted
        except Exception:
            if not wanted:
                raise
            log.warning(
                "capture: Chromium's sandbox cannot start here (no user namespaces?); "
                "the browser runs without it, as uid %d",
                os.geteuid(),
            )
            self._browser = await self._launch(env, sandbox=False)
            self.sandboxed = False
        self.launches += 1
        return self._browser

    async def _launch(self, env: dict[str, str], *, sandbox: bool) -> Any:
        assert self._profile is not None
        return await self._playwright.chromium.launch(
            executable_path=str(self._executable),
            env=env,
            chromium_sandbox=sandbox,
            args=[*BROWSER_ARGS],
            handle_sigint=False,
            handle_sigterm=False,
            handle_sighup=False,
            downloads_path=self._profile.name,
        )

    async def _discard_browser(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), 10)
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    # --- one page ----------------------------------------------------------------------------

    async def _visit(self, browser: Any, url: str, now: datetime) -> Capture:
        context = await browser.new_context(
            viewport=VIEWPORT,
            locale="sv-SE",
            accept_downloads=False,
            service_workers="block",
            java_script_enabled=True,
        )
        try:
            # A WebSocket is never connected: the page talks to nobody but the route.
            await context.route_web_socket("**/*", refuse_web_socket)
            page = await context.new_page()
            visit = _Visit(host=host_of(url))
            http = await self._net(open_session(self._allow_loopback, self._timeout))
            try:

                async def route(route: Any, request: Any) -> None:
                    await self._route(visit, http, page, route, request)

                await context.route("**/*", route)
                return await self._load(page, visit, url, now)
            finally:
                await self._net(http.close())
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(context.close(), 10)

    async def _route(
        self, visit: _Visit, http: aiohttp.ClientSession, page: Any, route: Any, request: Any
    ) -> None:
        """Fetches a request itself, hop by hop, so the rules hold for every redirect too.

        Chromium does not hand a redirected request back to the route handler, so a redirect
        is never left to the browser: each hop is checked, fetched without following (by
        bot.capture.fetch, whose resolver refuses private addresses as it connects), and only
        the last answer is given to the page.
        """
        main = request.is_navigation_request() and request.frame == page.main_frame
        url = request.url
        method = request.method
        headers = await request.all_headers()
        data = request.post_data_buffer
        for _hop in range(MAX_REDIRECTS + 1):
            why = await self._net(refusal(url, allow_loopback=self._allow_loopback))
            if main and not same_site(url, visit.host) and why in (None, "unresolvable"):
                # Never fetched: where it leads only says what wall it is.
                visit.left_site, visit.left_to = True, url
                await route.abort("blockedbyclient")
                return
            if why is not None:
                if main:
                    visit.refused_navigation = why
                await route.abort("blockedbyclient")
                return
            if visit.bytes_seen > self._max_bytes:
                visit.too_large = True
                await route.abort("blockedbyclient")
                return
            try:
                response = await self._net(
                    fetch_once(
                        http, method, url, headers, data, self._max_bytes - visit.bytes_seen
                    )
                )
            except RefusedAddress:
                if main:
                    visit.refused_navigation = "private_address"
                await route.abort("blockedbyclient")
                return
            except Exception:
                if main:
                    visit.unreachable = True
                with contextlib.suppress(Exception):
                    await route.abort("failed")
                return
            if response.too_large:
                visit.too_large = True
                await route.abort("blockedbyclient")
                return
            body = response.body
            visit.bytes_seen += len(body)
            visit.exchanges.append(
                Exchange(
                    url=url,
                    method=method,
                    request_headers=list(headers.items()),
                    status=response.status,
                    status_text=response.reason,
                    response_headers=response.headers,
                    body=body,
                )
            )
            location = next((v for k, v in response.headers if k.lower() == "location"), None)
            if 300 <= response.status < 400 and location:
                url = urljoin(url, location)
                method, data = "GET", None
                continue
            if main:
                visit.final_url = url
                visit.status = response.status
                visit.challenge = any(
                    k.lower() == "cf-mitigated" and v.lower() == "challenge"
                    for k, v in response.headers
                )
            await route.fulfill(
                status=response.status, headers=_for_browser(response.headers), body=body
            )
            return
        await route.abort("failed")  # too many redirects

    async def _load(self, page: Any, visit: _Visit, url: str, now: datetime) -> Capture:
        from playwright.async_api import Error as PlaywrightError

        timeout_ms = self._timeout * 1000
        try:
            response = await page.goto(url, wait_until="load", timeout=timeout_ms)
        except PlaywrightError as error:
            if "Timeout" in type(error).__name__ or "Timeout" in str(error)[:80]:
                return Capture(url, url, now, None, "timed_out")
            if visit.left_site:
                return Capture(url, visit.left_to, now, None, _left_for(visit.left_to))
            if visit.refused_navigation:
                return Capture(url, page.url, now, None, "refused_address")
            if visit.unreachable:
                return Capture(url, page.url, now, None, "unreachable")
            raise
        final_url = visit.final_url or page.url
        status = visit.status if visit.status is not None else getattr(response, "status", None)
        if visit.left_site:
            return Capture(url, visit.left_to, now, status, _left_for(visit.left_to))
        if status is not None and status >= 400:
            code: Failure = "http_error"
            if status in (401, 407):
                code = "login_wall"
            elif status in BLOCKING_STATUSES or visit.challenge:
                code = "blocked"
            return Capture(url, final_url, now, status, code)
        with contextlib.suppress(PlaywrightError):
            await page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
        wall = await page.evaluate(WALL_SCRIPT)
        path = final_url.split("?", 1)[0]
        if wall["password"] or LOGIN_PATH.search(path):
            return Capture(url, final_url, now, status, "login_wall")
        if wall["cookieWall"] or CONSENT_PATH.search(path):
            return Capture(url, final_url, now, status, "cookie_wall")
        if wall["challenge"]:
            return Capture(url, final_url, now, status, "blocked")
        exchanges = list(visit.exchanges)
        if visit.too_large or visit.bytes_seen > self._max_bytes:
            return Capture(url, final_url, now, status, "too_large")
        height = await page.evaluate("() => document.documentElement.scrollHeight")
        clip = None
        if int(height or 0) > MAX_SCREENSHOT_HEIGHT:
            clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": MAX_SCREENSHOT_HEIGHT}
        png = await page.screenshot(full_page=True, clip=clip, type="png")
        await page.emulate_media(media="screen")
        pdf = await page.pdf(print_background=True, format="A4")
        from bot.capture.warc_writer import build_warc  # warcio only where a capture runs

        warc = await asyncio.to_thread(build_warc, exchanges, captured_at=now, software=SOFTWARE)
        return Capture(
            url, final_url, now, status, png=png, pdf=pdf, warc=warc, resources=len(exchanges)
        )


def _left_for(address: str) -> Failure:
    """Why a page that sent the browser off the channel's host is not captured."""
    host, path = host_of(address), address.split("?", 1)[0]
    if LOGIN_HOST.search(host) or LOGIN_PATH.search(path.split(host, 1)[-1]):
        return "login_wall"
    if CONSENT_HOST.search(host) or CONSENT_PATH.search(path.split(host, 1)[-1]):
        return "cookie_wall"
    return "left_site"


def _for_browser(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The answer's headers as the page gets them (the body is decoded already)."""
    kept: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in _WIRE_HEADERS:
            continue
        joiner = "\n" if key == "set-cookie" else ", "
        kept[key] = f"{kept[key]}{joiner}{value}" if key in kept else value
    return kept


def _with_seconds(capture: Capture, seconds: float) -> Capture:
    return replace(capture, seconds=round(seconds, 3))


__all__ = ["DEFAULT_CHROMIUM", "BrowserCapturer", "Capture", "find_chromium"]
