"""CHROMIUM_PATH and the capture limits (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.capture.browser import find_chromium
from bot.settings import Settings, SettingsError, settings_from


def test_captures_are_on_by_default_and_auto_finds_the_browser():
    settings = settings_from({})
    assert settings.capture_disabled is False
    assert settings.chromium_path is None
    assert settings.capture_timeout_seconds == 30 and settings.capture_max_mb == 25
    # Never from the environment: only tests may let a capture visit loopback.
    assert (
        settings_from(
            {"CAPTURE_ALLOW_LOOPBACK_FOR_TESTS": "true"}
        ).capture_allow_loopback_for_tests
        is False
    )


def test_chromium_path_is_configurable_and_none_turns_captures_off():
    chosen = settings_from({"CHROMIUM_PATH": "/opt/chromium/chrome"})
    assert chosen.chromium_path == Path("/opt/chromium/chrome") and not chosen.capture_disabled
    auto = settings_from({"CHROMIUM_PATH": "auto"})
    assert auto.chromium_path is None and not auto.capture_disabled  # finds /usr/bin/chromium
    assert settings_from({"CHROMIUM_PATH": "none"}).capture_disabled is True
    # On by default: used where a browser is found, else said in the log (bot.capture.setup).
    assert settings_from({}).capture_disabled is False
    assert settings_from({"CHROMIUM_PATH": ""}).capture_disabled is False


def test_the_capture_user_is_configurable():
    assert settings_from({}).capture_user == ""  # nobody as root, else the bot's own user
    assert settings_from({"CAPTURE_USER": "kanalkollen-browser"}).capture_user == (
        "kanalkollen-browser"
    )


def test_settings_built_in_code_have_captures_off():
    assert Settings().capture_disabled is True


@pytest.mark.parametrize(
    ("key", "value"), [("CAPTURE_TIMEOUT_SECONDS", "0"), ("CAPTURE_MAX_MB", "lots")]
)
def test_wrong_capture_limits_stop_start_up(key: str, value: str):
    with pytest.raises(SettingsError, match=key):
        settings_from({key: value})


def test_a_browser_that_is_not_there_is_not_found(tmp_path: Path):
    assert find_chromium(tmp_path / "chromium") is None


def test_the_bot_does_not_import_the_browser_library():
    """`make run` needs no browser, and the bot's memory does not grow by Playwright."""
    import subprocess
    import sys

    code = (
        "import sys, bot.app, bot.assembly, bot.capture.worker, dialogs.capture; "
        "print('playwright' in sys.modules, 'warcio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
