"""Whether this instance captures pages, and the capturer it uses (issue 16)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.capture.browser import find_chromium
from bot.capture.isolated import IsolatedCapturer
from bot.capture.isolation import CaptureUser, CaptureUserError, capture_user, protect
from bot.settings import Settings
from domain.clock import Clock

log = logging.getLogger(__name__)

ENV_FILE = Path(".env")
CHECKOUT = Path(__file__).resolve().parents[2]  # the folder the bot runs from


async def capturer_for(settings: Settings, clock: Clock) -> IsolatedCapturer | None:
    """The capturer, or None (said in the log) when this instance takes no captures.

    Captures are off with CHROMIUM_PATH=none, without a browser, when the capture user cannot
    be used, when the bot's own files cannot be closed to that user, and when the start-up
    check fails: the helper is started as the capture user, confines itself, imports what it
    needs and launches the browser once, before the log says that captures are on (issue 25).
    """
    if settings.capture_disabled:
        return _off("CHROMIUM_PATH=none")
    chromium = find_chromium(settings.chromium_path)
    if chromium is None:
        return _off(f"no browser at {settings.chromium_path or '/usr/bin/chromium'}")
    try:
        user = capture_user(settings.capture_user)
    except CaptureUserError as error:
        return _off(str(error))
    if not user.is_self:
        settings.files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        exposed = protect(bot_files(settings), user)
        if exposed:
            names = ", ".join(map(str, exposed))
            return _off(f"{user.name} could read {names}, which the bot does not own")
    capturer = IsolatedCapturer(
        chromium,
        clock,
        user,
        timeout_seconds=settings.capture_timeout_seconds,
        max_bytes=settings.capture_max_mb * 1024 * 1024,
        allow_loopback_for_tests=settings.capture_allow_loopback_for_tests,
    )
    answer = await capturer.check()
    if not answer.get("ok"):
        await capturer.close()
        return _off(why_not(answer, user, chromium))
    log.info(
        "captures of public pages are on: %s as %s%s",
        chromium,
        user.name,
        " (the bot's own user: set CAPTURE_USER and run as root to separate them)"
        if user.is_self
        else "",
    )
    return capturer


def why_not(answer: dict[str, Any], user: CaptureUser, chromium: Path) -> str:
    """One line: what the start-up check found, where, and what to do about it."""
    step, why = answer.get("step"), answer.get("why") or "no answer"
    if step == "confine":
        return (
            f"the browser cannot be given a network of its own ({why}): run the bot as root "
            "with CAP_SYS_ADMIN, or allow unprivileged user namespaces, or set CHROMIUM_PATH=none"
        )
    return (
        f"the capture helper, as {user.name}, could not start {chromium} from {CHECKOUT} "
        f"({why}): clone where others can read, or set CAPTURE_USER to a user who can read "
        "that folder"
    )


def bot_files(settings: Settings) -> list[Path]:
    """What the browser's user must not read: the files folder, the SQLite database, .env."""
    paths = [settings.files_dir, ENV_FILE]
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        paths.append(Path(url.database))
    return paths


def _off(why: str) -> IsolatedCapturer | None:
    """Says in the log why captures are off; always None."""
    log.info("captures of public pages are off (%s): editors send their own screenshots", why)
    return None
