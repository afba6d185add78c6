"""Capturing pages of a local site in the machine's Chromium: what is kept, what is refused."""

from __future__ import annotations

import gzip
import io
import os
import signal
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from bot.capture.browser import BrowserCapturer
from bot.capture.isolated import IsolatedCapturer, descendants
from bot.capture.isolation import capture_user
from domain.clock import FixedClock
from tests.support.capture_site import PIXEL, CaptureSite


async def test_a_normal_page_gives_png_pdf_and_a_replayable_warc(
    capturer: IsolatedCapturer, site: CaptureSite
):
    capture = await capturer.capture(site.url("/"))
    assert capture.failure is None
    assert capture.http_status == 200
    assert capture.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert capture.pdf.startswith(b"%PDF-")
    gzip.decompress(capture.warc)  # a gzipped WARC
    records = {}
    for record in ArchiveIterator(io.BytesIO(capture.warc)):
        if record.rec_type == "response":
            uri = record.rec_headers.get_header("WARC-Target-URI")
            records[uri] = record.content_stream().read()
    assert "Förskolan Ugglan" in records[site.url("/")].decode()
    assert records[site.url("/pixel.png")] == PIXEL
    assert site.url("/style.css") in records


async def test_a_cookie_wall_is_not_captured(capturer: IsolatedCapturer, site: CaptureSite):
    capture = await capturer.capture(site.url("/cookie"))
    assert capture.failure == "cookie_wall" and capture.png == b""


async def test_a_login_form_is_not_captured(capturer: IsolatedCapturer, site: CaptureSite):
    capture = await capturer.capture(site.url("/login"))
    assert capture.failure == "login_wall" and capture.png == b""


async def test_a_page_that_never_finishes_times_out(chromium: Path, clock: FixedClock, site):
    capturer = IsolatedCapturer(
        chromium, clock, capture_user(""), timeout_seconds=2, allow_loopback_for_tests=True
    )
    try:
        capture = await capturer.capture(site.url("/hang"))
        assert capture.failure == "timed_out"
        assert capture.seconds < 5
        # The browser is still usable for the next capture.
        assert (await capturer.capture(site.url("/"))).failure is None
    finally:
        await capturer.close()


async def test_a_redirect_to_a_private_address_is_refused(
    capturer: IsolatedCapturer, site: CaptureSite
):
    for path in ("/to-private", "/to-metadata"):
        capture = await capturer.capture(site.url(path))
        assert capture.failure == "refused_address", path
        assert capture.png == b""


async def test_a_redirect_off_the_channels_host_is_not_followed(
    capturer: IsolatedCapturer, site: CaptureSite
):
    capture = await capturer.capture(site.url("/to-other-host"))
    assert capture.failure == "left_site"
    assert site.paths.count("/") == 0  # the other host was never asked


async def test_a_sub_resource_on_a_private_address_is_blocked(
    capturer: IsolatedCapturer, site: CaptureSite
):
    capture = await capturer.capture(site.url("/private-image"))
    assert capture.failure is None
    uris = [
        r.rec_headers.get_header("WARC-Target-URI")
        for r in ArchiveIterator(io.BytesIO(capture.warc))
        if r.rec_type == "response"
    ]
    assert not any("10.20.30.40" in uri for uri in uris)


async def test_a_sub_resource_redirected_to_a_private_address_is_blocked(
    capturer: IsolatedCapturer, site: CaptureSite
):
    capture = await capturer.capture(site.url("/redirected-image"))
    assert capture.failure is None
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r.http_headers.get_statuscode()
        for r in ArchiveIterator(io.BytesIO(capture.warc))
        if r.rec_type == "response"
    }
    assert responses[site.url("/image-to-private")] == "302"  # the hop is kept, not followed
    assert not any("10.20.30.40" in uri for uri in responses)


async def test_a_404_is_reported_with_its_status(capturer: IsolatedCapturer, site: CaptureSite):
    capture = await capturer.capture(site.url("/finns-inte"))
    assert capture.failure == "http_error" and capture.http_status == 404


async def test_without_the_test_allowance_loopback_is_refused(
    chromium: Path, clock: FixedClock, site: CaptureSite
):
    capturer = IsolatedCapturer(chromium, clock, capture_user(""), timeout_seconds=8)
    try:
        capture = await capturer.capture(site.url("/"))
        assert capture.failure == "refused_address"
        assert site.paths == []  # nothing reached the server
    finally:
        await capturer.close()


def _browsers_below(root: int) -> list[int]:
    """The main Chromium process below the helper (its children rewrite their command line)."""
    found = []
    for pid in descendants(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # a renderer that just ended
        if command.startswith(b"/usr/lib/chromium/chromium\0"):
            found.append(pid)
    return found


async def test_a_crashed_browser_is_started_again(capturer: IsolatedCapturer, site: CaptureSite):
    assert (await capturer.capture(site.url("/"))).failure is None
    assert capturer.pid is not None
    helpers = capturer.launches
    for pid in _browsers_below(capturer.pid):  # as if the browser process had died
        os.kill(pid, signal.SIGKILL)
    assert (await capturer.capture(site.url("/"))).failure is None
    assert capturer.launches == helpers  # the helper restarted its browser


async def test_a_dead_helper_is_started_again(capturer: IsolatedCapturer, site: CaptureSite):
    assert (await capturer.capture(site.url("/"))).failure is None
    assert capturer.pid is not None
    helpers = capturer.launches
    os.kill(capturer.pid, signal.SIGKILL)
    assert (await capturer.capture(site.url("/"))).failure is None
    assert capturer.launches == helpers + 1


async def test_a_name_that_passed_the_check_is_still_refused_when_connecting(
    chromium: Path, clock: FixedClock, site: CaptureSite, monkeypatch
):
    """DNS rebinding: the connection itself refuses a name that now resolves to loopback.

    In this process (the helper's code, without the helper), so that the check can be replaced.
    """
    import bot.capture.browser as browser

    async def passes(url: str, *, allow_loopback: bool = False) -> None:
        return None  # as if the name had answered with a public address a moment ago

    monkeypatch.setattr(browser, "refusal", passes)
    capturer = BrowserCapturer(chromium, clock, timeout_seconds=8)
    try:
        capture = await capturer.capture(site.url("/", host="localhost"))
        assert capture.failure == "refused_address"
        assert site.paths == []
    finally:
        await capturer.close()


async def test_the_resolver_refuses_names_of_private_addresses():
    import pytest

    from bot.capture.fetch import PublicOnlyResolver, RefusedAddress

    resolver = PublicOnlyResolver()
    try:
        with pytest.raises(RefusedAddress):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


async def test_the_browser_opens_no_connection_of_its_own(
    capturer: IsolatedCapturer, site: CaptureSite
):
    """A WebSocket is not a request the route handler sees: the browser has no network."""
    capture = await capturer.capture(site.url("/websocket"))
    assert capture.failure is None
    assert "/ws" not in site.paths
