"""The browser runs as another user, with its sandbox, a minimal environment, and none of the
bot's files (issue 16): checked on the running processes, in /proc."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.capture import setup
from bot.capture.isolated import IsolatedCapturer, descendants
from bot.capture.isolation import (
    CaptureUser,
    CaptureUserError,
    capture_user,
    may_read,
    protect,
)
from bot.settings import Settings
from domain.clock import FixedClock
from storage.files import LocalFileStore
from tests.support.capture_site import CaptureSite

SECRETS = {
    "MicrosoftAppPassword": "app-password-3f9c1e",
    "SMTP_PASSWORD": "smtp-password-77aa02",
    "FILES_SIGNING_KEY": "signing-key-0123456789abcdef0123456789abcdef",
    "GRAPH_CLIENT_SECRET": "graph-secret-5d5d5d",
}


def _processes(root: int) -> list[tuple[int, int, bytes, bytes]]:
    """(pid, uid, cmdline, environ) of `root` and every process below it."""
    found = []
    for pid in [root, *descendants(root)]:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            uid = int(next(x for x in status.splitlines() if x.startswith("Uid:")).split()[1])
            found.append(
                (
                    pid,
                    uid,
                    Path(f"/proc/{pid}/cmdline").read_bytes(),
                    Path(f"/proc/{pid}/environ").read_bytes(),
                )
            )
        except (OSError, StopIteration):
            continue  # a renderer that just ended
    return found


def _reads_as(uid: int, gid: int, path: Path) -> bool:
    """Tells whether a process of that user can read the file (or list the folder)."""
    command = ["ls", str(path)] if path.is_dir() else ["cat", str(path)]
    done = subprocess.run(
        command, user=uid, group=gid, extra_groups=[], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A bot folder as a checkout leaves it: world-readable folders, database and .env."""
    root = Path(tempfile.mkdtemp(prefix="kanalkollen-deploy-"))
    root.chmod(0o755)
    (root / "var").mkdir(mode=0o755)
    (root / "var" / "kanalkollen.db").write_bytes(b"SQLite format 3\x00")
    (root / ".env").write_text("MicrosoftAppPassword=app-password-3f9c1e\n")
    for path in (root / "var" / "kanalkollen.db", root / ".env"):
        path.chmod(0o644)
    monkeypatch.setattr(setup, "ENV_FILE", root / ".env")
    yield root
    shutil.rmtree(root)


async def test_the_browser_runs_as_the_capture_user_with_its_sandbox(
    capturer: IsolatedCapturer, site: CaptureSite, other_user: CaptureUser
):
    assert (await capturer.capture(site.url("/"))).failure is None
    assert capturer.pid is not None
    processes = _processes(capturer.pid)
    browsers = [p for p in processes if b"chromium" in p[2].split(b"\0")[0]]
    assert browsers, "no Chromium process below the helper"
    assert {uid for _, uid, _, _ in processes} == {other_user.uid}  # helper, driver, browser
    if capturer.sandboxed is False:
        pytest.skip("this machine has no user namespaces: Chromium runs without its sandbox")
    assert capturer.sandboxed is True
    assert not any(b"--no-sandbox" in cmdline for _, _, cmdline, _ in processes)


async def test_the_helper_driver_and_browser_hold_none_of_the_bots_secrets(
    chromium: Path, clock: FixedClock, site: CaptureSite, monkeypatch: pytest.MonkeyPatch
):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)  # as in production, where they come from the environment
    capturer = IsolatedCapturer(
        chromium, clock, capture_user(""), timeout_seconds=8, allow_loopback_for_tests=True
    )
    try:
        assert (await capturer.capture(site.url("/"))).failure is None
        assert capturer.pid is not None
        processes = _processes(capturer.pid)
        assert len(processes) >= 3  # the helper, the driver, the browser (and its children)
        driver = next(p for p in processes if p[2].split(b"\0")[0].endswith(b"/node"))
        names = {entry.split(b"=", 1)[0] for entry in driver[3].split(b"\0") if entry}
        assert {b"PATH", b"HOME", b"LANG"} <= names
        assert names <= {b"PATH", b"HOME", b"LANG", b"TMPDIR"} | {
            n for n in names if n.startswith(b"PW_")
        }
        for _, _, _, environ in processes:
            for name, value in SECRETS.items():
                assert name.encode() not in environ and value.encode() not in environ
    finally:
        await capturer.close()


async def test_the_browsers_user_cannot_read_the_bots_files(
    deployment: Path, clock: FixedClock, site: CaptureSite, other_user: CaptureUser, chromium
):
    files_dir = deployment / "var" / "files"
    stored = await LocalFileStore(files_dir).put(
        b"a screenshot", kind="documentation", filename="startsida.png", content_type="image/png"
    )
    database = deployment / "var" / "kanalkollen.db"
    secrets = [files_dir, database, deployment / ".env"]
    # As a checkout leaves them, the capture user could read them.
    assert all(_reads_as(other_user.uid, other_user.gid, p) for p in secrets)

    settings = Settings(
        capture_disabled=False,
        files_dir=files_dir,
        database_url=f"sqlite+aiosqlite:///{database}",
        capture_allow_loopback_for_tests=True,
        capture_timeout_seconds=8,
    )
    capturer = await setup.capturer_for(settings, clock)
    assert capturer is not None
    try:
        assert (await capturer.capture(site.url("/"))).failure is None
        assert capturer.pid is not None
        [browser] = [p for p in _processes(capturer.pid) if p[2].startswith(b"/usr/lib/chromium")][
            :1
        ]
        uid = browser[1]
        assert uid == other_user.uid
        stored_file = files_dir.joinpath(*stored.key.split("/"))
        for path in [*secrets, stored_file, Path(f"/proc/{os.getpid()}/environ")]:
            assert not _reads_as(uid, other_user.gid, path), path
        assert _reads_as(0, 0, stored_file)  # the bot still reads its own files
    finally:
        await capturer.close()


async def test_the_profile_folder_goes_with_the_helper(
    capturer: IsolatedCapturer, site: CaptureSite, other_user: CaptureUser
):
    assert (await capturer.capture(site.url("/"))).failure is None
    profile = capturer._profile
    assert profile is not None and profile.stat().st_uid == other_user.uid
    assert oct(profile.stat().st_mode & 0o777) == "0o700"
    await capturer.close()
    assert not profile.exists()


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder everyone may enter (pytest's own tmp_path sits in a folder closed to others)."""
    root = Path(tempfile.mkdtemp(prefix="kanalkollen-open-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root)


def test_protect_narrows_what_the_bot_owns_to_its_owner(open_dir: Path):
    folder = open_dir / "open"
    folder.mkdir(mode=0o755)
    secret = folder / "kanalkollen.db"
    secret.write_bytes(b"x")
    secret.chmod(0o644)
    stranger = CaptureUser("stranger", os.geteuid() + 4242, os.getegid() + 4242)
    assert may_read(secret, stranger) and may_read(folder, stranger)
    assert protect([secret, folder, open_dir / "absent"], stranger) == []
    assert not may_read(secret, stranger) and not may_read(folder, stranger)
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_a_file_readable_through_the_group_is_seen(open_dir: Path):
    shared = open_dir / "shared"
    shared.write_bytes(b"x")
    shared.chmod(0o640)
    member = CaptureUser("member", os.geteuid() + 4242, shared.stat().st_gid)
    assert may_read(shared, member)
    outsider = CaptureUser("outsider", os.geteuid() + 4242, shared.stat().st_gid + 4242)
    assert not may_read(shared, outsider)


def test_the_capture_user_is_nobody_as_root_and_never_root():
    if os.geteuid() == 0:
        assert capture_user("").name == "nobody"
        with pytest.raises(CaptureUserError, match="not be root"):
            capture_user("root")
    else:
        assert capture_user("").is_self
    with pytest.raises(CaptureUserError, match="not a user"):
        capture_user("no-such-user-kanalkollen")


async def test_an_unknown_capture_user_turns_captures_off(caplog, clock: FixedClock, chromium):
    settings = Settings(capture_disabled=False, capture_user="no-such-user-kanalkollen")
    with caplog.at_level("INFO", logger="bot.capture.setup"):
        assert await setup.capturer_for(settings, clock) is None
    assert "captures of public pages are off" in caplog.text and "not a user" in caplog.text
