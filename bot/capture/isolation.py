"""Who the browser runs as, what it may read, and the little environment it gets.

A captured page is hostile input, so everything that touches it (the capture helper process,
the Playwright driver and Chromium) runs as another, unprivileged OS user: `CAPTURE_USER`, by
default `nobody` when the bot runs as root. That user gets a private profile directory, an
environment of PATH, HOME, LANG and TMPDIR only (no setting, no secret), and none of the bot's
own files: the files folder, the SQLite database and `.env` are made readable by their owner
only before the first capture, and captures stay off where that cannot be done.

Running as another user needs root (or CAP_SETUID); a bot that runs as an ordinary user runs
the browser as itself, with Chromium's own sandbox on (it works for unprivileged users).
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_ROOT_USER = "nobody"
PATH = "/usr/bin:/bin"
LANG = "C.UTF-8"


class CaptureUserError(ValueError):
    """The configured capture user does not exist or cannot be switched to."""


@dataclass(frozen=True)
class CaptureUser:
    """The OS user the capture processes run as."""

    name: str
    uid: int
    gid: int

    @property
    def is_self(self) -> bool:
        """True when it is the bot's own user (no switch)."""
        return self.uid == os.geteuid()

    @property
    def groups(self) -> frozenset[int]:
        """The user's primary group only: the helper starts with no supplementary groups."""
        return frozenset({self.gid})


def capture_user(configured: str) -> CaptureUser:
    """The user to run the browser as: CAPTURE_USER, else `nobody` as root, else ourselves."""
    name = configured or (DEFAULT_ROOT_USER if os.geteuid() == 0 else "")
    try:
        entry = pwd.getpwnam(name) if name else pwd.getpwuid(os.geteuid())
    except KeyError:
        raise CaptureUserError(f"CAPTURE_USER {name!r} is not a user on this machine") from None
    user = CaptureUser(entry.pw_name, entry.pw_uid, entry.pw_gid)
    if not user.is_self and os.geteuid() != 0:
        raise CaptureUserError(
            f"the bot runs as {pwd.getpwuid(os.geteuid()).pw_name}, not root, so it cannot "
            f"start the browser as {user.name}"
        )
    if user.uid == 0:
        raise CaptureUserError("CAPTURE_USER must not be root: the browser runs unprivileged")
    return user


def may_read(path: Path, user: CaptureUser) -> bool:
    """Tells whether the user could read the file (or list the folder), from the mode bits.

    Every folder above it must let the user through (x); the path itself must be readable.
    ACLs are not looked at: Debian does not set them on a fresh folder.
    """
    path = path.absolute()
    try:
        for folder in reversed(path.parents):
            if not _allows(folder.stat(), user, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
                return False
        return _allows(path.stat(), user, stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)
    except FileNotFoundError:
        return False


def _allows(info: os.stat_result, user: CaptureUser, owner: int, group: int, other: int) -> bool:
    if info.st_uid == user.uid:
        return bool(info.st_mode & owner)
    if info.st_gid in user.groups:
        return bool(info.st_mode & group)
    return bool(info.st_mode & other)


def protect(paths: list[Path], user: CaptureUser) -> list[Path]:
    """Makes the bot's own files unreadable to the capture user; returns those still readable.

    A path the bot owns is narrowed to its owner (0700 for a folder, 0600 for a file); a path
    owned by someone else is left as it is and reported.
    """
    exposed = []
    for path in paths:
        if not path.exists() or not may_read(path, user):
            continue
        info = path.stat()
        if info.st_uid == os.geteuid():
            path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
            log.info("capture: %s is now readable by its owner only", path)
        if may_read(path, user):
            exposed.append(path)
    return exposed


def private_profile(user: CaptureUser) -> Path:
    """A fresh folder owned by the capture user, closed to everyone else (HOME and TMPDIR)."""
    folder = Path(tempfile.mkdtemp(prefix="kanalkollen-capture-"))
    if not user.is_self:
        os.chown(folder, user.uid, user.gid)
    folder.chmod(0o700)
    return folder


def remove_profile(folder: Path) -> bool:
    """Deletes a profile folder and all the browser left in it; False when something was still
    writing into it (the caller stops it and tries again)."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def minimal_environment(profile: Path) -> dict[str, str]:
    """The whole environment of the helper, the driver and the browser: no setting, no secret.

    TMPDIR keeps Playwright's own temporary profile inside the private folder, so that it goes
    with the folder even when the helper is killed.
    """
    return {"PATH": PATH, "HOME": str(profile), "LANG": LANG, "TMPDIR": str(profile)}


def drop_privileges(uid: int, gid: int) -> None:
    """Becomes the capture user for good: no supplementary groups, real, effective and saved.

    Called by the helper before it reads anything a page sent; the interpreter may live where
    only root can read (a pyenv under /root), so the helper starts as root and drops at once.
    """
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
        raise PermissionError("the capture helper could not become the capture user")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise PermissionError("the capture helper could become root again")
