"""The capture helper: a child process that runs the browser for the bot, as another user.

`python -m bot.capture.helper` is started by `bot.capture.isolated.IsolatedCapturer` with the
minimal environment of `bot.capture.isolation`; it confines itself (bot.capture.confine: the
fetcher's thread keeps the network, the driver and Chromium get none; Playwright is bound where
the capture user can read it) and becomes the capture user. The Playwright driver and Chromium
it starts inherit all of it. It reads one JSON line of options, then one JSON line per capture
(`{"url", "now"}`), answered with a JSON line that describes the capture and gives the sizes of
the PNG, the PDF and the WARC, whose bytes follow it; or `{"probe": true}` (the start-up check),
answered with one JSON line `{"probe": {"ok": ...}}`. Nothing else is written to its standard
output; its log goes to standard error, which the bot's log shares.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from bot.capture import confine
from bot.capture.browser import BrowserCapturer, Capture
from bot.capture.fetch import FetcherThread
from bot.capture.isolation import drop_privileges
from domain.clock import FixedClock

log = logging.getLogger(__name__)


def encode_capture(capture: Capture, *, sandboxed: bool | None) -> bytes:
    """The answer to one capture: a JSON line, then the files' bytes."""
    head = {
        "url": capture.url,
        "final_url": capture.final_url,
        "captured_at": capture.captured_at.isoformat(),
        "http_status": capture.http_status,
        "failure": capture.failure,
        "seconds": capture.seconds,
        "resources": capture.resources,
        "sizes": [len(capture.png), len(capture.pdf), len(capture.warc)],
        "sandboxed": sandboxed,
    }
    return json.dumps(head).encode() + b"\n" + capture.png + capture.pdf + capture.warc


def decode_head(line: bytes) -> dict[str, Any]:
    """The JSON line of an answer; raises ValueError for anything else."""
    head = json.loads(line)
    if not isinstance(head, dict) or not isinstance(head.get("sizes"), list):
        raise ValueError("not an answer of the capture helper")
    return head


def capture_from(head: dict[str, Any], png: bytes, pdf: bytes, warc: bytes) -> Capture:
    """The capture an answer describes."""
    return Capture(
        url=str(head["url"]),
        final_url=str(head["final_url"]),
        captured_at=datetime.fromisoformat(head["captured_at"]),
        http_status=head["http_status"],
        failure=head["failure"],
        png=png,
        pdf=pdf,
        warc=warc,
        seconds=float(head["seconds"]),
        resources=int(head["resources"]),
    )


def _load_everything() -> None:
    """Imports what a capture will need while the interpreter can still read its library."""
    import concurrent.futures.thread  # noqa: F401  (asyncio.to_thread)
    import encodings.idna  # noqa: F401  (host names)
    import zlib  # noqa: F401

    import playwright.async_api  # noqa: F401
    import warcio.warcwriter  # noqa: F401

    import bot.capture.warc_writer  # noqa: F401


def _expose_playwright(profile: Path) -> None:
    """Binds the installed Playwright (with its driver) inside the profile folder, where the
    capture user can read it wherever the checkout is, and imports it from there."""
    spec = importlib.util.find_spec("playwright")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("playwright is not installed")
    library = profile / "lib"
    library.mkdir(mode=0o755, exist_ok=True)
    confine.bind_read_only(Path(spec.submodule_search_locations[0]), library / "playwright")
    sys.path.insert(0, str(library))


def prepare(options: dict[str, Any], fetcher: FetcherThread, profile: Path) -> None:
    """Confines the helper (bot.capture.confine), then becomes the capture user.

    The order matters: a user namespace needs one thread; the fetcher's thread starts before
    the main thread leaves the network, so that it alone keeps one.
    """
    other_user = options.get("uid") is not None
    if not other_user:
        confine.enter_own_user_namespace()
    fetcher.start()
    if other_user:
        _expose_playwright(profile)
    confine.leave_the_network()
    _load_everything()
    if other_user:
        drop_privileges(int(options["uid"]), int(options["gid"]))


async def probe(capturer: BrowserCapturer) -> dict[str, Any]:
    """The start-up check: the browser starts, and the helper's main thread has no network."""
    try:
        await capturer.launch()
    except Exception as error:
        why = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return {"ok": False, "step": "launch", "why": f"{type(error).__name__}: {why}"}
    if not confine.has_no_route():
        return {"ok": False, "step": "confine", "why": "the browser has a network route"}
    return {"ok": True, "sandboxed": capturer.sandboxed}


async def serve(inbox: BinaryIO, outbox: BinaryIO) -> None:
    """Confines itself, becomes the capture user, then answers captures until the bot closes
    standard input; what could not be prepared is told to every probe and capture."""
    options = json.loads(inbox.readline() or b"{}")
    fetcher = FetcherThread()
    broken: dict[str, Any] | None = None
    try:
        prepare(options, fetcher, Path.cwd())
    except Exception as error:
        step = "confine" if isinstance(error, confine.ConfinementError) else "import"
        broken = {"ok": False, "step": step, "why": f"{type(error).__name__}: {error}"}
        log.warning("cannot prepare the browser: %s", broken["why"])
    log.info("running as uid %d", os.geteuid())
    clock = FixedClock(datetime.fromisoformat(options["now"]))
    capturer = BrowserCapturer(
        Path(options["chromium"]),
        clock,
        timeout_seconds=float(options["timeout_seconds"]),
        max_bytes=int(options["max_bytes"]),
        allow_loopback_for_tests=bool(options["allow_loopback_for_tests"]),
        fetcher=fetcher,
    )
    try:
        while line := await asyncio.to_thread(inbox.readline):
            ask = json.loads(line)
            if ask.get("probe"):
                answer = broken or await probe(capturer)
                outbox.write(json.dumps({"probe": answer}).encode() + b"\n")
            else:
                clock.set(datetime.fromisoformat(ask["now"]))
                if broken is None:
                    capture = await capturer.capture(str(ask["url"]))
                else:
                    capture = Capture(ask["url"], ask["url"], clock.now(), None, "browser_failed")
                outbox.write(encode_capture(capture, sandboxed=capturer.sandboxed))
            outbox.flush()
    finally:
        await capturer.close()
        fetcher.stop()


def main() -> int:
    """Serves the bot on standard input and output (fd 1 is kept for the answers only)."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="capture helper: %(levelname)s %(message)s"
    )
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() or child can never corrupt the answers
    asyncio.run(serve(sys.stdin.buffer, outbox))
    return 0


if __name__ == "__main__":
    sys.exit(main())
