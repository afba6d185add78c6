"""Sweeps by each administration's policy and each organisation's clock (issue 15).

One deployment, two organisations: the city has two administrations, one of which reminds a
month ahead, waits longer before reminding a manager of an undecided request and has its own
registrar; the region lives an hour east of Stockholm. The real app runs the scheduler; each
channel is reminded by its own administration's days and its organisation's office hours, and
its records go to its own administration's mailbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.cli.channel_import import import_channels
from cards.common import attachment
from domain.channel_import import parse_channels
from domain.clock import FixedClock
from domain.lifecycle import ChannelStatus
from domain.organisation_file import load_organisations
from domain.outbox import OutboxKind
from storage.models import (
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    OutboxRow,
    PersonRow,
)
from storage.outbox import enqueue
from tests.bot.active_story import at, png, send_file, settled, sweep
from tests.bot.channel_story import Story
from tests.bot.ugglan_story import DUE, START_DATE, mail_settings
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.directory import SWEDISH_HEADER, StubDirectory
from tests.support.factories import TENANT_ID, TeamsUser, make_execute, make_user
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

REGION_TENANT = "7e57c0de-0000-4000-8000-00000000000b"
SOF_ADMIN, KULTUR_ADMIN = make_user(8), make_user(9)
CITY_RECORDS = "registrator@stad.example"
KULTUR_RECORDS = "registrator.kultur@stad.example"

CITY = f"""
slug = "stad"
name = "Teststaden"
tenant_ids = ["{TENANT_ID}"]

[registry]
mailbox = "sociala.medier@stad.example"

[documentation]
records_mailbox = "{CITY_RECORDS}"

[[administrations]]
slug = "sof"
name = "Skol- och fritidsförvaltningen"
admins = ["{SOF_ADMIN.aad_object_id}"]

[[administrations]]
slug = "kultur"
name = "Kulturförvaltningen"
admins = ["{KULTUR_ADMIN.aad_object_id}"]
[administrations.documentation]
reminder_days_before = 30
records_mailbox = "{KULTUR_RECORDS}"
[administrations.channels]
approval_reminder_days = 5
[administrations.consent]
post_address_reminder_days = 5
"""

REGION = f"""
slug = "region"
name = "Testregionen"
tenant_ids = ["{REGION_TENANT}"]

[registry]
mailbox = "sociala.medier@region.example"

[documentation]
time_zone = "Europe/Helsinki"
"""

# (organisation, administration, tenant, channel name, manager, editor)
SOF = ("stad", "sof", TENANT_ID, "Ugglan", make_user(3), make_user(2))
KULTUR = ("stad", "kultur", TENANT_ID, "Konsthallen", make_user(5), make_user(4))
REGION_CHANNEL = (
    "region",
    "default",
    REGION_TENANT,
    "Regionbussen",
    make_user(7, tenant_id=REGION_TENANT),
    make_user(6, tenant_id=REGION_TENANT),
)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "organisations"
    folder.mkdir()
    (folder / "stad.toml").write_text(CITY, encoding="utf-8")
    (folder / "region.toml").write_text(REGION, encoding="utf-8")
    return folder


async def _story(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Path,
    folder: Path,
    channels: tuple[tuple[str, str, str, str, TeamsUser, TeamsUser], ...],
) -> Story:
    """The channels imported into their administrations 20 days before they are due."""
    clock.set(at(DUE - timedelta(days=20)))
    settings = mail_settings(smtp, tmp_path, organisations_path=folder)
    bot = await start_bot(settings, schedule=False)
    story = Story(bot, emulator)
    organisations = load_organisations(folder)
    for organisation, administration, tenant, name, manager, editor in channels:
        manager.add_to(emulator)
        editor.add_to(emulator)
        text = (
            SWEDISH_HEADER + f"\nInstagram;{name};https://www.instagram.com/{name.lower()};"
            f"{name};{manager.email};{editor.email};{START_DATE.isoformat()};\n"
        )
        rows, errors = parse_channels(text, today=clock.now().date())
        assert errors == []
        found = organisations.by_slug(organisation)
        assert found is not None
        unit = found.administration(administration)
        assert unit is not None
        report = await import_channels(
            bot.sessions,
            unit.policy,
            StubDirectory(),
            tenant,
            rows,
            clock.now(),
            dry_run=False,
            organisation=organisation,
            administration=administration,
        )
        assert report.imported, report
        for user in (manager, editor):
            await story.say(user, "hej")
    emulator.reset()
    return story


Place = tuple[str, str, str, str, TeamsUser, TeamsUser]
Stories = Callable[[tuple[Place, ...]], Awaitable[Story]]


@pytest.fixture
def stories(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Path,
    folder: Path,
) -> Stories:
    """Starts the deployment with these channels imported (see _story)."""

    async def start(channels: tuple[Place, ...]) -> Story:
        return await _story(start_bot, emulator, clock, smtp, tmp_path, folder, channels)

    return start


def _cards_in(story: Story, user: TeamsUser) -> list[tuple[str, dict]]:
    return [
        (r.result_id or "", (r.body or {})["attachments"][0]["content"])
        for r in story.emulator.sent
        if r.conversation_id == user.conversation_id and (r.body or {}).get("attachments")
    ]


async def test_r12_each_administration_reminds_by_its_own_days_before(
    stories: Stories, clock: FixedClock
):
    story = await stories((SOF, KULTUR))
    sof_editor, kultur_editor = SOF[5], KULTUR[5]

    # 20 days before: inside Kulturförvaltningen's 30 days, outside the city's 14.
    queued = await sweep(story, clock, at(DUE - timedelta(days=20)))
    assert queued["documentation_reminders"] == 1
    assert len(_cards_in(story, kultur_editor)) == 1
    assert _cards_in(story, sof_editor) == []

    # 14 days before: the city's own step for Ugglan; Konsthallen already had its one.
    queued = await sweep(story, clock, at(DUE - timedelta(days=14)))
    assert queued["documentation_reminders"] == 1
    assert len(_cards_in(story, sof_editor)) == 1
    assert len(_cards_in(story, kultur_editor)) == 1


async def test_r2_each_administration_waits_its_own_days_before_reminding_the_manager(
    stories: Stories, clock: FixedClock
):
    story = await stories((SOF, KULTUR))
    submitted = clock.now()
    async with story.bot.sessions.begin() as session:
        await session.execute(
            update(ChannelRow).values(
                status=ChannelStatus.PENDING_APPROVAL.value, submitted_at=submitted
            )
        )

    def reminded() -> set[str]:
        return {
            name
            for _id, card in (*_cards_in(story, SOF[4]), *_cards_in(story, KULTUR[4]))
            for name in ("Ugglan", "Konsthallen")
            if name in str(card)
        }

    # Three days on: past the city's default days, not Kulturförvaltningen's five.
    queued = await sweep(story, clock, submitted + timedelta(days=3))
    assert queued["approval_reminders"] == 1
    assert reminded() == {"Ugglan"}
    queued = await sweep(story, clock, submitted + timedelta(days=5, hours=1))
    assert queued["approval_reminders"] == 1
    assert reminded() == {"Ugglan", "Konsthallen"}


async def test_a_reminder_waits_for_the_morning_of_its_own_organisation(
    stories: Stories, clock: FixedClock
):
    story = await stories((SOF, REGION_CHANNEL))
    # 07:30 in Stockholm is 08:30 in Helsinki: the region's office is open, the city's not.
    moment = at(DUE - timedelta(days=14), 7) + timedelta(minutes=30)
    await sweep(story, clock, moment)
    async with story.bot.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxRow).where(OutboxRow.dedupe_key.like("doc-reminder:%"))
            )
        ).all()
    due = {row.recipient_person_id: row.due_at for row in rows}
    assert len(due) == 2
    region_editor = await _person_id(story, REGION_CHANNEL[5])
    city_editor = await _person_id(story, SOF[5])
    assert due[region_editor] <= moment
    assert due[city_editor] == at(DUE - timedelta(days=14), 8).astimezone(UTC)
    assert len(_cards_in(story, REGION_CHANNEL[5])) == 1
    assert _cards_in(story, SOF[5]) == []


async def test_r12_the_package_goes_to_the_channels_own_administrations_registrar(
    stories: Stories, clock: FixedClock, files: FileServer, smtp: SmtpSink
):
    story = await stories((KULTUR,))
    editor = KULTUR[5]
    await sweep(story, clock, at(DUE - timedelta(days=14)))
    [(reminder, card)] = _cards_in(story, editor)
    status, body = await story.bot.post(
        make_execute(
            "documentation.start",
            card["actions"][0]["data"],
            user=editor,
            service_url=story.emulator.service_url,
            reply_to_id=reminder,
        )
    )
    assert status == 200, body
    await send_file(story, editor, files, "startsida.png", png(), "png")
    await story.say(editor, "klar")  # one file: it is the start page, nothing to ask
    await story.say(editor, "Inget att anmärka.")
    assert "Konsthallen är dokumenterad" in story.emulator.texts(editor.conversation_id)[-1]

    await settled(story, clock.now())
    [mail] = smtp.received
    assert mail.rcpt_tos == (KULTUR_RECORDS,)


async def _person_id(story: Story, user: TeamsUser) -> int:
    async with story.bot.sessions() as session:
        found = await session.scalar(
            select(PersonRow.id).where(PersonRow.aad_object_id == user.aad_object_id)
        )
    assert found is not None
    return found


async def test_an_unreachable_manager_is_told_to_their_own_administrations_admins(
    stories: Stories, clock: FixedClock, emulator: ConnectorEmulator
):
    """Issue 15: the administrators who hear that a decision waits are the channel's
    administration's, never another administration's."""
    story = await stories((KULTUR,))
    for admin in (SOF_ADMIN, KULTUR_ADMIN):
        admin.add_to(emulator)
        await story.say(admin, "hej")
    manager = KULTUR[4]
    emulator.block_conversation(manager.conversation_id)
    now = clock.now()
    async with story.bot.sessions.begin() as session:
        channel = (await session.scalars(select(ChannelRow))).one()
        card = {
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": [{"type": "TextBlock", "text": "Godkänn en ny kanal: Konsthallen"}],
            "actions": [{"type": "Action.Execute", "title": "Godkänn", "verb": "channel.approve"}],
        }
        enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload={
                "activity": {"type": "message", "attachments": [attachment(card)]},
                "track": {"subject_type": "channel", "subject_id": channel.id, "card": "approval"},
            },
            now=now,
            tenant_id=TENANT_ID,
            recipient_person_id=channel.manager_person_id,
        )
    await settled(story, now)

    def told(user: TeamsUser) -> list[str]:
        return [t for t in emulator.texts(user.conversation_id) if "når inte" in t]

    assert len(told(KULTUR_ADMIN)) == 1
    assert told(SOF_ADMIN) == []


async def test_r10_each_administration_asks_for_a_posts_address_after_its_own_days(
    stories: Stories, clock: FixedClock
):
    """R10/R11: the editor is asked for a published post's address after their
    administration's days (the city's 2, Kulturförvaltningen's 5)."""
    story = await stories((SOF, KULTUR))
    checked = clock.now()
    checks: dict[str, int] = {}
    async with story.bot.sessions.begin() as session:
        for channel in await session.scalars(select(ChannelRow)):
            consent = ConsentRow(
                channel_id=channel.id,
                subject="Elev A",
                scope="one_post",
                form="oral",
                recorded_by_person_id=channel.manager_person_id,
                recorded_at=checked,
            )
            check = ConsentCheckRow(
                channel_id=channel.id,
                person_id=channel.manager_person_id,
                answers={},
                outcome="publish",
                checked_at=checked,
            )
            session.add_all([consent, check])
            await session.flush()
            session.add(ConsentCheckConsentRow(check_id=check.id, consent_id=consent.id))
            checks[channel.name] = check.id

    async def asked() -> set[str]:
        async with story.bot.sessions() as session:
            keys = set(
                await session.scalars(
                    select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.like("consent-post:%"))
                )
            )
        return {name for name, check in checks.items() if f"consent-post:{check}" in keys}

    await sweep(story, clock, checked + timedelta(days=3))
    assert await asked() == {"Ugglan"}
    await sweep(story, clock, checked + timedelta(days=5, hours=1))
    assert await asked() == {"Ugglan", "Konsthallen"}
