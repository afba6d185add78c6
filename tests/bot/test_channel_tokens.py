"""Outside local mode only the Bot Connector's own tokens get in, and only for their serviceUrl.

The Bot Framework's OpenID configuration and key set are served on loopback
(`tests/support/bot_framework_keys.py`); tokens are signed with a key made for the test run.
Accepted tokens are shown with activities that need no reply (the bot would ask Entra for its
own token to answer, and no test touches the internet): a `typing` activity is acknowledged, a
message from a tenant nobody serves gets 403, which comes only after the token was accepted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.settings import Settings, SettingsError, settings_from
from tests.conftest import BotFactory, RunningBot
from tests.support.bot_framework_keys import BotFrameworkKeys, private_key
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user

APP_ID = "00000000-1111-4222-8333-444444444444"  # synthetic
HOME_TENANT = "7e57c0de-0000-4000-8000-000000000001"
OTHER_TENANT = "0e7e4000-0000-4000-8000-00000000bad0"
BOT_FRAMEWORK_TENANT = "d6d49420-f39b-4df7-a1dc-d59a935871db"


@pytest.fixture
async def keys() -> AsyncIterator[BotFrameworkKeys]:
    async with BotFrameworkKeys() as served:
        yield served


@pytest.fixture
async def bot(start_bot: BotFactory, keys: BotFrameworkKeys) -> RunningBot:
    user = make_user(1)
    return await start_bot(
        Settings(
            app_id=APP_ID,
            app_password="synthetic-test-value",
            app_tenant_id=HOME_TENANT,
            files_signing_key="k" * 32,
            allowed_tenants=frozenset({user.tenant_id}),
            bot_openid_metadata_url=keys.metadata_url,
        )
    )


def _typing(service_url: str) -> dict[str, Any]:
    activity = make_message("", user=make_user(1), service_url=service_url)
    activity["type"] = "typing"
    return activity


async def _post(bot: RunningBot, activity: dict[str, Any], token: str) -> int:
    status, _ = await bot.post(activity, headers={"Authorization": f"Bearer {token}"})
    return status


async def test_a_bot_connector_token_for_the_activitys_service_url_is_accepted(
    bot: RunningBot, keys: BotFrameworkKeys, emulator: ConnectorEmulator
) -> None:
    token = keys.channel_token(APP_ID, emulator.service_url)

    assert await _post(bot, _typing(emulator.service_url), token) == 200
    # A message from a tenant nobody serves: refused by the tenant check, after the token.
    stranger = make_message(
        "hjälp", user=make_user(2, tenant_id=OTHER_TENANT), service_url=emulator.service_url
    )
    assert await _post(bot, stranger, token) == 403
    assert emulator.requests == []
    assert keys.fetches == 1  # the key set is fetched once, then kept


@pytest.mark.parametrize(
    "issuer",
    [
        f"https://sts.windows.net/{OTHER_TENANT}/",
        f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0",
        f"https://sts.windows.net/{HOME_TENANT}/",
        f"https://sts.windows.net/{BOT_FRAMEWORK_TENANT}/",
        "https://api.botframework.com/",
        "https://api.botframework.us",
    ],
)
async def test_a_token_entra_or_anyone_else_issued_is_refused(
    bot: RunningBot, keys: BotFrameworkKeys, emulator: ConnectorEmulator, issuer: str
) -> None:
    # Signed with the very key the Bot Framework lists: only the issuer is wrong.
    token = keys.channel_token(
        APP_ID, emulator.service_url, iss=issuer, tid=OTHER_TENANT, appid=APP_ID
    )

    assert await _post(bot, _typing(emulator.service_url), token) == 401
    assert (
        await _post(
            bot, make_message("hjälp", user=make_user(1), service_url=emulator.service_url), token
        )
        == 401
    )
    assert emulator.requests == []


async def test_a_token_for_another_service_url_is_refused(
    bot: RunningBot, keys: BotFrameworkKeys, emulator: ConnectorEmulator
) -> None:
    # A real token for one conversation's service URL, replayed with a body that sends the
    # bot's replies (and its own token) elsewhere.
    token = keys.channel_token(APP_ID, "https://smba.trafficmanager.net/emea/")
    activity = make_message("hjälp", user=make_user(1), service_url=emulator.service_url)

    assert await _post(bot, activity, token) == 401
    assert await _post(bot, _typing(emulator.service_url), token) == 401
    assert emulator.requests == []


@pytest.mark.parametrize(
    "claims",
    [
        {"serviceurl": None},  # no serviceurl claim at all
        {"aud": "another-app-id"},
        {"exp": 1_000_000_000, "nbf": 999_000_000},  # expired long ago
        {"iss": None},
    ],
    ids=["no-serviceurl", "other-audience", "expired", "no-issuer"],
)
async def test_a_token_missing_a_required_claim_is_refused(
    bot: RunningBot, keys: BotFrameworkKeys, emulator: ConnectorEmulator, claims: dict[str, Any]
) -> None:
    token = keys.channel_token(APP_ID, emulator.service_url, **claims)

    assert await _post(bot, _typing(emulator.service_url), token) == 401


async def test_a_token_signed_by_a_key_the_bot_framework_does_not_list_is_refused(
    bot: RunningBot, keys: BotFrameworkKeys, emulator: ConnectorEmulator
) -> None:
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": 4_000_000_000}
    claims["serviceurl"] = emulator.service_url
    forged = keys.token(claims, key=private_key("attacker"))
    unknown_kid = keys.token(claims, key=private_key("attacker"), kid="attacker-key")

    assert await _post(bot, _typing(emulator.service_url), forged) == 401
    assert await _post(bot, _typing(emulator.service_url), unknown_kid) == 401


async def test_a_channel_the_key_does_not_endorse_is_refused(
    bot: RunningBot, keys: BotFrameworkKeys, emulator: ConnectorEmulator
) -> None:
    token = keys.channel_token(APP_ID, emulator.service_url)
    activity = _typing(emulator.service_url)
    activity["channelId"] = "webchat"

    assert await _post(bot, activity, token) == 401


def test_the_key_source_and_the_body_limit_are_settings() -> None:
    assert Settings().bot_openid_metadata_url == (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    settings = settings_from(
        {"BotOpenIdMetadata": "https://keys.example/openid", "BODY_READ_TIMEOUT_SECONDS": "2.5"}
    )
    assert settings.bot_openid_metadata_url == "https://keys.example/openid"
    assert settings.body_read_timeout_seconds == 2.5
    with pytest.raises(SettingsError, match="BODY_READ_TIMEOUT_SECONDS"):
        settings_from({"BODY_READ_TIMEOUT_SECONDS": "0"})
