"""Shared steps for stories about an ACTIVE channel: imported with two editors and a manager,
files sent in the chat, sweeps run as of a moment, and the outbox waited for."""

from __future__ import annotations

import asyncio
import struct
import zlib
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import SCHEDULER
from bot.cli.channel_import import import_channels
from bot.settings import Settings
from domain.channel_import import parse_channels
from domain.clock import FixedClock
from domain.dates import ORGANISATION_ZONE, add_months
from domain.policy import Policy
from storage.models import ChannelRow, OutboxRow
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.directory import SWEDISH_HEADER, StubDirectory
from tests.support.factories import TENANT_ID, TeamsUser, make_execute, make_message, make_user
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

START_DATE = date(2025, 9, 17)
DUE = add_months(START_DATE, 6)  # 2026-03-17, a Tuesday
RECORDS = "registrator@stad.example"
EDITOR_A, EDITOR_B = make_user(2), make_user(4)
OUTSIDER = make_user(5)


def png(width: int = 4) -> bytes:
    """A tiny valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(width))
    header = struct.pack(">IIBBBBB", width, width, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def at(day: date, hour: int = 10) -> datetime:
    """A moment in Stockholm office hours."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ORGANISATION_ZONE)


async def active_story(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Path,
    policy: Policy | None = None,
    **settings_overrides: object,
) -> Story:
    """An active Instagram channel "Ugglan" with editors A and B and the story's manager."""
    policy = policy or Policy()
    policy = (
        replace(policy, documentation=replace(policy.documentation, records_mailbox=RECORDS))
        if not policy.documentation.records_mailbox
        else policy
    )
    settings = Settings(
        mail_transport="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        mail_from="kanalkollen@stad.example",
        files_dir=tmp_path / "files",
        **settings_overrides,  # type: ignore[arg-type]
    )
    clock.set(at(DUE - timedelta(days=20)))
    story = Story(await start_bot(settings, policy=policy, schedule=False), emulator)
    manager = story.manager
    for user in (EDITOR_A, EDITOR_B, manager, OUTSIDER):
        user.add_to(emulator)
    text = (
        SWEDISH_HEADER + f"\nInstagram;Ugglan;https://www.instagram.com/ugglan;Ugglan;"
        f"{manager.email};{EDITOR_A.email}, {EDITOR_B.email};{START_DATE.isoformat()};\n"
    )
    rows, errors = parse_channels(text, today=clock.now().date())
    assert errors == []
    await import_channels(
        story.bot.sessions, policy, StubDirectory(), TENANT_ID, rows, clock.now(), dry_run=False
    )
    for user in (EDITOR_A, EDITOR_B, manager, OUTSIDER):  # they have talked to the bot once
        await story.say(user, "hej")
    story.emulator.reset()
    return story


async def channel_id(story: Story) -> int:
    """The id of the one channel."""
    async with story.bot.sessions() as session:
        return (await session.scalars(select(ChannelRow.id))).one()


async def execute(
    story: Story,
    user: TeamsUser,
    verb: str,
    data: dict[str, Any],
    reply_to_id: str | None = None,
    locale: str = "sv-SE",
) -> dict[str, Any]:
    """Clicks an Action.Execute; returns the invoke response body."""
    status, body = await story.bot.post(
        make_execute(
            verb,
            data,
            user=user,
            service_url=story.emulator.service_url,
            reply_to_id=reply_to_id,
            locale=locale,
        )
    )
    assert status == 200, body
    return body


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    """The card an invoke response shows (fails when it is a message)."""
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


async def send_file(
    story: Story, user: TeamsUser, files: FileServer, name: str, data: bytes, kind: str
) -> None:
    """The user sends one file in the chat (a Teams file.download.info attachment)."""
    url = files.serve(
        name, data, content_type=f"image/{kind}" if kind != "pdf" else "application/pdf"
    )
    message = make_message("", user=user, service_url=story.emulator.service_url)
    message["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": name,
            "content": {"downloadUrl": url, "uniqueId": name, "fileType": kind},
        }
    ]
    before = len(story.emulator.sent)
    await story.bot.post(message)
    await story.emulator.wait_for_count(before + 1)


async def settled(story: Story, moment: datetime) -> None:
    """Waits until no outbox row is due or being sent (the delivery loop runs by itself)."""
    for _ in range(250):
        await story.bot.deliver()
        async with story.bot.sessions() as session:
            busy = (
                await session.scalars(
                    select(OutboxRow.id)
                    .where(OutboxRow.status.in_(["pending", "sending"]))
                    .where(OutboxRow.due_at <= moment)
                )
            ).all()
        if not busy:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"outbox rows {busy} still due")


async def sweep(story: Story, clock: FixedClock, moment: datetime) -> dict[str, int]:
    """Runs the scheduler as of a moment and waits until what is due has been delivered."""
    clock.set(moment)
    queued = await story.bot.app[SCHEDULER].run_once()
    await settled(story, moment)
    return queued


def cards_to(story: Story, user: TeamsUser) -> list[tuple[str, dict[str, Any]]]:
    """(activity id, card) of every card sent to a user's chat, oldest first."""
    return [
        (r.result_id or "", (r.body or {})["attachments"][0]["content"])
        for r in story.emulator.sent
        if r.conversation_id == user.conversation_id and (r.body or {}).get("attachments")
    ]


NOT_ALLOWED = "Du får inte göra det här."


def refused(body: dict[str, Any]) -> bool:
    """Issue 23: the invoke was answered with the one refusal sentence, naming nothing."""
    return body.get("type") == "application/vnd.microsoft.activity.message" and (
        body.get("value") == NOT_ALLOWED
    )
