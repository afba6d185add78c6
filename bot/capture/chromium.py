"""The machine's Chromium, and how it is started: no network of its own, no WebSocket."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import aiohttp

from bot.capture.fetch import capture_session

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")

# The browser has no network of its own (bot.capture.confine); these say so to Chromium too,
# so that it does not try: WebRTC only through a proxy (there is none), no prefetching, no
# background requests (issue 24, point 8).
BROWSER_ARGS = (
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--dns-prefetch-disable",
    "--no-pings",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-features=NetworkPrediction,Prerender2,SpeculationRulesPrefetchProxy",
)


def find_chromium(configured: Path | None) -> Path | None:
    """The browser to drive: the configured path, else /usr/bin/chromium; None when absent."""
    for candidate in (configured,) if configured else (DEFAULT_CHROMIUM, Path("chromium")):
        found = shutil.which(str(candidate))
        if found:
            return Path(found)
    return None


async def open_session(allow_loopback: bool, seconds: float) -> aiohttp.ClientSession:
    """The visit's HTTP client, made in the loop that will use it (the fetcher's)."""
    return capture_session(allow_loopback=allow_loopback, timeout_seconds=seconds)


async def refuse_web_socket(socket: Any) -> None:
    """Closes a page's WebSocket without connecting it to any server."""
    with contextlib.suppress(Exception):
        await socket.close(code=1008, reason="")
