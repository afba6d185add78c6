"""The helper's answer to the start-up check when it cannot confine itself, and the one line
the log gives for it (issue 25). In this process, with the namespace calls replaced."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.capture import confine, helper
from bot.capture.isolation import CaptureUser
from bot.capture.setup import CHECKOUT, why_not


async def test_a_helper_that_cannot_leave_the_network_says_so_and_captures_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    def refused() -> None:
        raise confine.ConfinementError(1, "unshare(CLONE_NEWNET): Operation not permitted")

    monkeypatch.setattr(confine, "enter_own_user_namespace", lambda: None)
    monkeypatch.setattr(confine, "leave_the_network", refused)
    monkeypatch.chdir(tmp_path)
    options = {
        "chromium": "/usr/bin/chromium",
        "timeout_seconds": 5,
        "max_bytes": 1000,
        "allow_loopback_for_tests": False,
        "now": "2026-03-02T08:00:00+00:00",
        "uid": None,
        "gid": None,
    }
    asks = [options, {"probe": True}, {"url": "https://example.org/", "now": options["now"]}]
    inbox = io.BytesIO(b"".join(json.dumps(a).encode() + b"\n" for a in asks))
    outbox = io.BytesIO()

    await helper.serve(inbox, outbox)

    probe_line, capture_line, *_ = outbox.getvalue().split(b"\n")
    answer = json.loads(probe_line)["probe"]
    assert answer["ok"] is False and answer["step"] == "confine"
    assert "Operation not permitted" in answer["why"]
    assert json.loads(capture_line)["failure"] == "browser_failed"  # never an open browser


def test_the_log_line_names_the_folder_and_what_to_do():
    user = CaptureUser("nobody", 65534, 65534)
    launch = why_not({"ok": False, "step": "launch", "why": "Error: x"}, user, Path("/c"))
    assert str(CHECKOUT) in launch and "/c" in launch and "nobody" in launch
    assert "clone where others can read" in launch and "CAPTURE_USER" in launch
    confined = why_not({"ok": False, "step": "confine", "why": "EPERM"}, user, Path("/c"))
    assert "network of its own" in confined and "CAP_SYS_ADMIN" in confined
    assert "CHROMIUM_PATH=none" in confined
    assert "\n" not in launch + confined
