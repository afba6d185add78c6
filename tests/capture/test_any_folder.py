"""Captures work from a checkout in a 0700 folder, as `mktemp -d` or a home folder makes it
(issue 25): the bot runs as root, the browser as `nobody`, who cannot enter that folder.

The checkout (with its .venv) is shown inside a fresh 0700 folder by a bind mount in a private
mount namespace of the test's child process (`unshare --mount`), and that copy's interpreter
runs the production start-up check and a capture. The capture user cannot read the driver
there, so it works only because the helper binds Playwright into its own profile folder
(bot.capture.confine). `.ci/run` runs this test (as root).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.capture.check import start_up_reason

CHECKOUT = Path(__file__).resolve().parents[2]


def test_captures_work_from_a_checkout_in_a_0700_folder(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("the 0700 case needs root: the browser runs as another user only then")
    why = start_up_reason()
    if why is not None:
        pytest.skip(f"captures are off here: {why}")
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("util-linux's unshare is missing: it shows the checkout in a 0700 folder")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    clone = home / "kanalkollen"
    clone.mkdir()
    python = clone / Path(sys.executable).relative_to(CHECKOUT)
    script = 'mount --bind "$1" "$2" && cd "$2" && exec "$3" -m tests.capture.from_folder'
    arguments = [str(CHECKOUT), str(clone), str(python)]
    done = subprocess.run(
        [unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["python"].startswith(str(home))  # the checkout in the 0700 folder
    assert seen["driver"].startswith(str(home))
    assert seen["user_reads_driver"] is False  # nobody cannot enter that folder
    assert seen["check"]["ok"] is True, seen["check"]
    assert seen["failure"] is None and seen["png"] == "89504e470d0a1a0a"
    assert "/" in seen["served"]
    assert oct(home.stat().st_mode & 0o777) == "0o700"  # nothing was loosened
