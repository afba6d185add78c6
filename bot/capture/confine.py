"""The browser's confinement: no network of its own, and Playwright where its user can read it.

Linux namespaces, entered by the capture helper before it becomes the capture user:

- **Network** (issue 24, point 8). The thread that starts the Playwright driver (and so the
  driver and Chromium) moves into a new network namespace, with nothing in it: no interface
  up, not even loopback. A page's WebSocket, WebRTC (STUN over UDP), a worker's fetch, a
  prefetch or a DNS lookup of the browser reach nothing. The only way out is the route
  handler's fetcher (bot.capture.fetch), which runs in a thread of the helper that stayed in
  the machine's network namespace (a namespace is per thread on Linux; a socket belongs to
  the namespace of the thread that made it), and which checks every address as it connects.
- **Mounts** (issue 25). The helper imports Python as root, but the driver (Node.js and its
  package) runs as the capture user, who may not be able to reach the checkout (a clone in a
  0700 folder, like a home folder). In a private mount namespace the installed `playwright`
  package is bound, read-only, inside the helper's own profile folder, which the capture user
  owns; the checkout's permissions are never loosened, and nothing is copied.

As root the namespaces come from CAP_SYS_ADMIN; an ordinary user first enters a user namespace
of its own (unprivileged user namespaces, which Chromium's sandbox needs anyway). Where neither
works, captures stay off (bot.capture.setup says why).
"""

from __future__ import annotations

import ctypes
import os
import socket
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

_libc = ctypes.CDLL(None, use_errno=True)


class ConfinementError(OSError):
    """A namespace could not be entered (no CAP_SYS_ADMIN, no user namespaces, seccomp)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise ConfinementError(error, f"{what}: {os.strerror(error)}")


def enter_own_user_namespace() -> None:
    """For a helper that is not root: a user namespace in which it may make the others.

    Must be called while the process has one thread. The user keeps its own ids inside.
    """
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def leave_the_network() -> None:
    """Moves the calling thread (and what it starts from now on) into an empty network
    namespace: no interface is up, so no packet can leave."""
    _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")


def bind_read_only(source: Path, target: Path) -> None:
    """Shows `source` at `target`, read-only, for the calling thread and what it starts.

    The thread gets a private mount namespace first, so nothing is seen outside it and the
    mount goes with the last process that uses it.
    """
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making / private")
    target.mkdir(mode=0o755, exist_ok=True)
    _check(
        _libc.mount(bytes(source), bytes(target), None, MS_BIND | MS_REC, None),
        f"binding {source}",
    )
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
    _check(_libc.mount(None, bytes(target), None, flags, None), f"read-only {target}")


def has_no_route() -> bool:
    """True when the calling thread can send to no address, not even loopback (the probe)."""
    for family, address in (
        (socket.AF_INET, ("127.0.0.1", 9)),
        (socket.AF_INET, ("192.0.2.1", 9)),
        (socket.AF_INET6, ("::1", 9)),
    ):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect(address)
        except OSError:
            continue
        return False
    return True
