"""Ugglan, an imported Instagram channel with a manager and two editors, due for its half-yearly
documentation (R12): the start of the documentation, capture and unreachable-people stories."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.cli.channel_import import import_channels
from bot.settings import Settings
from domain.channel_import import parse_channels
from domain.clock import FixedClock
from domain.dates import add_months
from domain.policy import DocumentationPolicy, Policy
from storage.models import ChannelRow
from tests.bot.active_story import at
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.directory import SWEDISH_HEADER, StubDirectory
from tests.support.factories import TENANT_ID, TeamsUser, make_user
from tests.support.smtp_sink import SmtpSink

START_DATE = date(2025, 9, 17)
DUE = add_months(START_DATE, 6)  # 2026-03-17, a Tuesday
RECORDS = "registrator@stad.example"
EDITOR_A, EDITOR_B, MANAGER = make_user(2), make_user(4), make_user(3)
EVERYONE = (EDITOR_A, EDITOR_B, MANAGER)


def mail_settings(smtp: SmtpSink, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings that send e-mail to the test's SMTP server and keep files in tmp_path."""
    settings = Settings(
        mail_transport="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        mail_from="kanalkollen@stad.example",
        files_dir=tmp_path / "files",
    )
    return replace(settings, **overrides)


async def ugglan_story(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Path,
    *,
    policy: Policy | None = None,
    wrote: tuple[TeamsUser, ...] = EVERYONE,
    also: tuple[TeamsUser, ...] = (),
    address: str | None = None,
    **settings: Any,
) -> Story:
    """Ugglan imported 20 days before its round is due; `wrote` have talked to the bot once.

    The tests run the sweeps themselves (and travel in time): no background sweeps."""
    policy = policy or Policy(documentation=DocumentationPolicy(records_mailbox=RECORDS))
    clock.set(at(DUE - timedelta(days=20)))
    bot = await start_bot(mail_settings(smtp, tmp_path, **settings), policy=policy, schedule=False)
    story = Story(bot, emulator)
    for user in (*EVERYONE, *also):
        user.add_to(emulator)
    text = (
        SWEDISH_HEADER + f"\nInstagram;Ugglan;https://www.instagram.com/ugglan;Ugglan;"
        f"{MANAGER.email};{EDITOR_A.email}, {EDITOR_B.email};{START_DATE.isoformat()};\n"
    )
    rows, errors = parse_channels(text, today=clock.now().date())
    assert errors == []
    await import_channels(
        story.bot.sessions, policy, StubDirectory(), TENANT_ID, rows, clock.now(), dry_run=False
    )
    if address is not None:
        async with story.bot.sessions.begin() as session:
            await session.execute(update(ChannelRow).values(address=address))
    for user in wrote:
        await story.say(user, "hej")
    story.emulator.reset()
    return story
