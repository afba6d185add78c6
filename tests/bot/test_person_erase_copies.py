"""Issue 24, point 11: `kanalkollen person erase consent:N` removes every copy of the child's and
the guardian's names, and `person export` shows every copy first (R10, R11; GDPR art. 15, 17).

The names travel from the consent check's form into the check's answers and findings, the
removal-task cards queued, sent and dead-lettered in the outbox, the dialog state of a check
still waiting for its signed form, the form's file name, and the register's CSV (stored on
every `samtycken` before: now made when its link is opened). Afterwards no text column of any
table and no file in the store holds a name; the report says what was kept and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import JSON, String, Text, select, update

from domain.clock import FixedClock
from domain.outbox import OutboxKind, OutboxStatus
from storage.files import LocalFileStore
from storage.models import Base, ConsentRow, OutboxRow
from storage.outbox import enqueue
from tests.bot.active_story import (
    EDITOR_A,
    EDITOR_B,
    active_story,
    card_of,
    channel_id,
    execute,
    send_file,
)
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

CHILD, GUARDIAN = "Alva Åström 7B", "Bo Åström"
NAMES = ("Alva Åström", "Bo Åström", "Åström")


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    return await active_story(start_bot, emulator, clock, smtp, tmp_path)


def _form(channel: int, **rows: str) -> dict[str, Any]:
    return {
        "rows": 1,
        "channel_id": str(channel),
        "identifiable": "yes",
        "use": "several_contexts",
        "people": "1",
        "p0_name": CHILD,
        "p0_minor": "true",
        **rows,
    }


def _found(value: Any, names: tuple[str, ...]) -> list[str]:
    """The names a stored value holds, JSON decoded (escaped non-ASCII too), case-insensitive."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = value
        text = value + "\n" + json.dumps(decoded, ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return [name for name in names if name.casefold() in text.casefold()]


async def _names_in_database(story: Story, names: tuple[str, ...] = NAMES) -> list[str]:
    """Every text and JSON column of every table, scanned for the names."""
    hits = []
    async with story.bot.sessions() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in (await session.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is not None and (found := _found(value, names)):
                        hits.append(f"{table.name}.{column.name}: {found}")
    return hits


def _names_in_files(root: Path) -> list[str]:
    """Every stored file's path and content, scanned for the names."""
    hits = []
    for path in root.rglob("*"):
        text = str(path.relative_to(root))
        if path.is_file():
            text += "\n" + path.read_bytes().decode("utf-8", "ignore")
        hits += [f"{path}: {name}" for name in NAMES if name.casefold() in text.casefold()]
    return hits


async def _register_csv(story: Story, link: str) -> tuple[int, str]:
    parts = urlsplit(link)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{story.bot.url}{parts.path}?{parts.query}") as response,
    ):
        return response.status, (await response.read()).decode("utf-8-sig")


async def _cli(story: Story, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {
        "DATABASE_URL": story.bot.settings.database_url,
        "FILES_DIR": str(story.bot.settings.files_dir),
    }
    return await run_kanalkollen("person", *args, env=env, cwd=tmp_path)


async def _seed(story: Story, files: FileServer, clock: FixedClock) -> tuple[int, str]:
    """Every place the names reach; returns the consent's id and the register CSV's link."""
    channel = await channel_id(story)
    # A check that stopped (the child's name in what was missing), then the written consent.
    stopped = card_of(
        await execute(story, EDITOR_A, "consent.check", _form(channel, p0_form="none"))
    )
    assert "Stopp" in str(stopped)
    await execute(
        story,
        EDITOR_A,
        "consent.check",
        _form(channel, p0_guardian=GUARDIAN, p0_form="written"),
    )
    await send_file(story, EDITOR_A, files, f"{CHILD} samtycke.pdf", b"%PDF-1.4\n%t\n", "pdf")
    async with story.bot.sessions() as session:
        consent_id = (await session.scalars(select(ConsentRow.id))).one()
    # Editor B starts another check for the child and leaves it waiting for the signed form.
    await execute(
        story, EDITOR_B, "consent.check", _form(channel, p0_guardian=GUARDIAN, p0_form="written")
    )
    # The register's CSV, and two CSVs that older versions stored on every `samtycken`.
    await story.say(EDITOR_A, "samtycken")
    _, register = story.last_card_to(EDITOR_A.conversation_id)
    link = next(a["url"] for a in register["actions"] if a["type"] == "Action.OpenUrl")
    status, csv = await _register_csv(story, link)
    assert status == 200 and CHILD in csv and GUARDIAN in csv
    store = LocalFileStore(story.bot.settings.files_dir)
    for _ in range(2):
        await store.put(
            f"\ufeffNummer;Person;Vårdnadshavare\r\n{consent_id};{CHILD};{GUARDIAN}\r\n".encode(),
            kind="consent-register",
            filename="Samtyckesregister.csv",
            content_type="text/csv",
        )
    # The withdrawal sends removal-task cards naming the child (sent); one more waits in the
    # outbox, and one that Teams never took is dead-lettered.
    await execute(story, EDITOR_A, "consent.withdraw", {"consent_id": str(consent_id)})
    await story.bot.deliver()
    async with story.bot.sessions.begin() as session:
        first = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).first()
        assert first is not None and CHILD in json.dumps(first.payload, ensure_ascii=False)
        now = clock.now()
        to = {"tenant_id": first.tenant_id, "recipient_person_id": first.recipient_person_id}
        enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload=first.payload,
            now=now,
            due_at=now + timedelta(days=1),
            **to,
        )
        dead = enqueue(
            session, kind=OutboxKind.TEAMS_MESSAGE, payload=first.payload, now=now, **to
        )
        await session.flush()
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == dead.id)
            .values(status=OutboxStatus.DEAD.value, last_error=f"403 for {CHILD}")
        )
    return consent_id, link


async def test_erase_removes_every_copy_of_the_names_and_says_what_it_kept(
    story: Story,
    files: FileServer,
    clock: FixedClock,
    tmp_path: Path,
    emulator: ConnectorEmulator,
):
    consent_id, link = await _seed(story, files, clock)
    assert await _names_in_database(story)  # the scan finds what is there
    assert _names_in_files(story.bot.settings.files_dir)

    # The export shows every copy before anything is erased.
    code, out, err = await _cli(story, tmp_path, "export", f"consent:{consent_id}")
    assert code == 0, err
    exported = json.loads(out)
    copies = exported["copies"]
    assert len(copies["consent_checks"]) == 2  # the one that stopped and the one that published
    assert CHILD in json.dumps(copies["consent_checks"], ensure_ascii=False)
    statuses = {m["status"] for m in copies["messages"]}
    assert {"sent", "pending", "dead"} <= statuses
    assert len(copies["dialog_states"]) == 1 and copies["stored_register_exports"] == 2

    async with story.bot.sessions() as session:
        sent = (await session.scalars(select(OutboxRow).where(OutboxRow.status == "sent"))).all()
    shown = [
        (m.result["conversation_id"], m.result["activity_id"])
        for m in sent
        if m.result and _found(m.payload, NAMES)
    ]
    assert shown and all(_found(emulator.current(*s), NAMES) for s in shown)

    code, out, err = await _cli(story, tmp_path, "erase", f"consent:{consent_id}")

    assert code == 0, err
    assert await _names_in_database(story) == []
    assert _names_in_files(story.bot.settings.files_dir) == []
    removed, kept = out.split("kept as public records:")
    assert "2 consent check(s)" in removed and "1 dialog state(s)" in removed
    assert "2 stored copies of the consent register's CSV" in removed
    assert "queued and" in removed and "sent or undeliverable message(s)" in removed
    assert "signed consent forms" in kept and "R10" in kept and "audit log" in kept
    assert "a consent existed" in kept
    assert f"{len(shown)} card(s) and text(s) already shown in Teams chats" in removed
    # The link still works: the CSV is made now, from the register as it is now.
    status, csv = await _register_csv(story, link)
    assert status == 200 and "[raderad]" in csv and "Åström" not in csv
    async with story.bot.sessions() as session:
        consent = await session.get(ConsentRow, consent_id)
    assert consent is not None and consent.status == "withdrawn"  # the record stays
    code, out, err = await _cli(story, tmp_path, "export", f"consent:{consent_id}")
    assert code == 0 and "Åström" not in out
    # The cards already shown in the editors' chats are updated there: no name left either.
    clock.set(datetime.now(UTC))  # the command ran at the real time
    await story.bot.deliver()
    for conversation, activity in shown:
        current = emulator.current(conversation, activity)
        assert current is not None and not _found(current, NAMES)
        assert "[raderad]" in json.dumps(current, ensure_ascii=False)


async def test_erasing_an_editor_leaves_their_name_and_address_nowhere(
    story: Story, files: FileServer, clock: FixedClock, tmp_path: Path
):
    """Cards and texts to others that name the editor lose the name too; records keep ids."""
    await _seed(story, files, clock)
    async with story.bot.sessions.begin() as session:
        # A card to editor B naming editor A (as "Dokumenterad av …" does), and an e-mail to A.
        now = clock.now()
        enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload={"activity": {"type": "message", "text": f"Dokumenterad av {EDITOR_A.name}"}},
            now=now,
        )
        enqueue(
            session,
            kind=OutboxKind.EMAIL,
            payload={"subject": "Påminnelse", "body": "Hej"},
            now=now,
            due_at=now + timedelta(days=1),
            recipient_address=EDITOR_A.email,
        )
    wanted = (EDITOR_A.name, str(EDITOR_A.email))
    assert await _names_in_database(story, wanted)

    code, out, err = await _cli(story, tmp_path, "erase", str(EDITOR_A.email))

    assert code == 0, err
    assert "sent or undeliverable message(s)" in out
    assert await _names_in_database(story, wanted) == []
