"""`kanalkollen channels import`: the city's existing channels in, all rows or none (R8, R12)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main as cli_main
from bot.cli.channel_import import import_channels
from bot.settings import Settings
from dialogs.services import DirectoryPerson
from domain.channel_import import parse_channels
from domain.dates import ORGANISATION_ZONE, add_months
from domain.policy import Policy
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import AuditEventRow, ChannelEditorRow, ChannelRow, PersonRow
from tests.bot.channel_story import Story
from tests.conftest import START, BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.directory import SWEDISH_HEADER, StubDirectory
from tests.support.factories import TENANT_ID, make_user
from tests.support.registry_data import MOLNDAL_TENANT, write_organisations

HEADER = SWEDISH_HEADER
TODAY = datetime.now(ORGANISATION_ZONE).date()  # the CLI imports as of the real today


def swedish_excel_csv(rows: int) -> bytes:
    """A `;`-separated file in Windows-1252, as Swedish Excel saves "CSV (semikolonavgränsad)"."""
    lines = [HEADER]
    for i in range(rows):
        start = TODAY - timedelta(days=30 + i)
        documented = "" if i % 3 else (start + timedelta(days=20)).isoformat()
        lines.append(
            ";".join(
                [
                    "Instagram" if i % 2 else "Facebook",
                    f"Fritidsgården Åsen {i}",
                    f"https://www.{'instagram' if i % 2 else 'facebook'}.com/asen{i}",
                    f"Fritidsgården Åsen {i % 7}",
                    f"chef{i % 7}@stad.example",
                    f"redaktor{i}@stad.example, redaktor{i + 1}@stad.example",
                    start.isoformat(),
                    documented,
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


async def _counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            channels = await session.scalar(select(func.count()).select_from(ChannelRow))
            editors = await session.scalar(select(func.count()).select_from(ChannelEditorRow))
            events = await session.scalar(select(func.count()).select_from(AuditEventRow))
        return int(channels or 0), int(editors or 0), int(events or 0)
    finally:
        await engine.dispose()


async def test_500_rows_from_swedish_excel_become_active_channels_once(
    tmp_path: Path, sqlite_database_url: str
):
    csv_file = tmp_path / "kanaler.csv"
    csv_file.write_bytes(swedish_excel_csv(500))

    code, out, err = await run_kanalkollen(
        "channels",
        "import",
        str(csv_file),
        "--tenant",
        TENANT_ID,
        env={"DATABASE_URL": sqlite_database_url},
        cwd=tmp_path,
    )
    assert code == 0, err
    assert "imported 500 channel(s); 0 already there" in out
    assert await _counts(sqlite_database_url) == (500, 1000, 500)

    engine = create_engine(sqlite_database_url)
    async with session_factory(engine)() as session:
        first = (
            await session.scalars(
                select(ChannelRow).where(ChannelRow.name == "Fritidsgården Åsen 0")
            )
        ).one()
        second = (
            await session.scalars(
                select(ChannelRow).where(ChannelRow.name == "Fritidsgården Åsen 1")
            )
        ).one()
        manager = await session.get(PersonRow, first.manager_person_id)
    await engine.dispose()
    start0 = TODAY - timedelta(days=30)
    assert first.status == "active" and first.source == "import"
    # R12: last documentation + 6 months, or the start + 6 months when never documented.
    assert first.next_documentation_due == add_months(start0 + timedelta(days=20), 6)
    assert second.next_documentation_due == add_months(TODAY - timedelta(days=31), 6)
    assert manager is not None and manager.email == "chef0@stad.example"
    assert manager.aad_object_id is None  # kept by e-mail until they talk to the bot

    code, out, err = await run_kanalkollen(
        "channels",
        "import",
        str(csv_file),
        "--tenant",
        TENANT_ID,
        env={"DATABASE_URL": sqlite_database_url},
        cwd=tmp_path,
    )
    assert code == 0, err
    assert "imported 0 channel(s); 500 already there" in out
    assert await _counts(sqlite_database_url) == (500, 1000, 500)


async def test_a_file_with_three_bad_rows_imports_nothing_and_names_the_lines(
    tmp_path: Path, sqlite_database_url: str
):
    lines = swedish_excel_csv(20).decode("cp1252").splitlines()
    lines[4] = lines[4].replace("https://", "http://")  # line 5
    lines[9] = "Myspace;" + lines[9].split(";", 1)[1]  # line 10
    parts = lines[15].split(";")
    parts[6] = "förra året"  # line 16
    lines[15] = ";".join(parts)
    csv_file = tmp_path / "kanaler.csv"
    csv_file.write_bytes("\r\n".join(lines).encode("cp1252"))

    code, _, err = await run_kanalkollen(
        "channels",
        "import",
        str(csv_file),
        "--tenant",
        TENANT_ID,
        env={"DATABASE_URL": sqlite_database_url},
        cwd=tmp_path,
    )

    assert code == 1
    named = sorted(
        {int(line.split("line ")[1].split(":")[0]) for line in err.splitlines() if "line " in line}
    )
    assert named == [5, 10, 16]
    assert "nothing was imported" in err
    engine = create_engine(sqlite_database_url)
    await upgrade_head(engine)
    await engine.dispose()
    assert await _counts(sqlite_database_url) == (0, 0, 0)


async def test_utf8_with_commas_and_english_headers_also_works(
    tmp_path: Path, sqlite_database_url: str
):
    text = (
        "platform,name,address,unit,manager,editors,start date\n"
        "YouTube,Kulturskolan Väster,https://www.youtube.com/@kulturskolan,Kulturskolan,"
        'rektor@stad.example,"a@stad.example, b@stad.example",2025-01-15\n'
    )
    csv_file = tmp_path / "channels.csv"
    csv_file.write_text(text, encoding="utf-8")

    code, out, err = await run_kanalkollen(
        "channels",
        "import",
        str(csv_file),
        "--dry-run",
        "--tenant",
        TENANT_ID,
        env={"DATABASE_URL": sqlite_database_url},
        cwd=tmp_path,
    )

    assert code == 0, err
    assert "would import 1 channel(s)" in out
    assert (await _counts(sqlite_database_url))[0] == 0


async def test_people_are_matched_through_the_directory_when_it_knows_them(sessions):  # type: ignore[no-untyped-def]
    editor = make_user(2)
    text = (
        HEADER + "\nTikTok;Ugglan;https://www.tiktok.com/@ugglan;Ugglan;chef@stad.example;"
        f"{editor.email};2025-01-15;\n"
    )
    rows, errors = parse_channels(text, today=TODAY)
    assert errors == []

    known = DirectoryPerson(editor.aad_object_id, editor.name, editor.email)
    await import_channels(
        sessions, Policy(), StubDirectory(known), TENANT_ID, rows, START, dry_run=False
    )

    async with sessions() as session:
        person = (
            await session.scalars(select(PersonRow).where(PersonRow.email == editor.email))
        ).one()
    assert person.aad_object_id == editor.aad_object_id


async def test_an_imported_editor_is_linked_when_they_first_talk_to_the_bot(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    editor = make_user(2)
    editor.add_to(emulator)  # Teams knows their e-mail
    text = (
        HEADER + "\nInstagram;Ugglan;https://www.instagram.com/ugglan;Ugglan;"
        f"chef@stad.example;{editor.email}, annan@stad.example;2025-01-15;\n"
    )
    rows, _ = parse_channels(text, today=TODAY)
    await import_channels(
        bot.sessions, Policy(), StubDirectory(), TENANT_ID, rows, START, dry_run=False
    )

    story = Story(bot, emulator, editor=editor)
    await story.say(editor, "mina kanaler")

    _, card = story.last_card_to(editor.conversation_id)
    assert "Ugglan" in str(card)
    assert "Redaktör" in str(card)
    async with bot.sessions() as session:
        people = (
            await session.scalars(select(PersonRow).where(PersonRow.email == editor.email))
        ).all()
    assert [p.aad_object_id for p in people] == [editor.aad_object_id]


# --- --organisation and --administration (issue 15) ---------------------------------------


async def _stamps(url: str) -> list[tuple[str, str, str, str]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(
                    ChannelRow.name,
                    ChannelRow.tenant_id,
                    ChannelRow.organisation,
                    ChannelRow.administration,
                ).order_by(ChannelRow.name)
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def test_import_stamps_the_organisation_it_is_given(
    tmp_path: Path, sqlite_database_url: str
):
    csv_file = tmp_path / "kanaler.csv"
    csv_file.write_bytes(swedish_excel_csv(2))
    env = {"DATABASE_URL": sqlite_database_url}

    code, out, err = await run_kanalkollen(
        "channels", "import", str(csv_file), "--organisation", "nowhere", env=env, cwd=tmp_path
    )
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "kanalkollen: no organisation has the slug 'nowhere'; known: default"
    )
    code, _, err = await run_kanalkollen(
        "channels", "import", str(csv_file), "--administration", "sof", env=env, cwd=tmp_path
    )
    assert code == 2
    assert "organisation 'default' has no administration 'sof'" in err

    code, out, err = await run_kanalkollen(
        "channels",
        "import",
        str(csv_file),
        "--tenant",
        TENANT_ID,
        "--organisation",
        "default",
        "--administration",
        "default",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0, err
    assert "imported 2 channel(s)" in out
    assert await _stamps(sqlite_database_url) == [
        ("Fritidsgården Åsen 0", TENANT_ID, "default", "default"),
        ("Fritidsgården Åsen 1", TENANT_ID, "default", "default"),
    ]


def test_import_into_an_organisation_of_the_organisations_folder(
    tmp_path: Path,
    sqlite_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    csv_file = tmp_path / "kanaler.csv"
    csv_file.write_bytes(swedish_excel_csv(1))
    settings = Settings(
        database_url=sqlite_database_url,
        organisations_path=write_organisations(tmp_path / "organisations"),
    )
    monkeypatch.setattr(cli_main, "load_settings", lambda _environ=None: settings)

    def run(*args: str) -> tuple[int, str]:
        code = cli_main.main(["channels", "import", str(csv_file), *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, said = run()
    assert code == 2
    assert "several organisations; give --organisation (goteborg, molndal)" in said
    code, said = run("--organisation", "goteborg")
    assert code == 2
    assert "'goteborg' has several administrations; give --administration (sof, kultur)" in said
    code, said = run(
        "--organisation", "goteborg", "--administration", "sof", "--tenant", MOLNDAL_TENANT
    )
    assert code == 2
    assert f"tenant {MOLNDAL_TENANT} does not belong to organisation 'goteborg'" in said

    # The organisation's only tenant is the default tenant.
    code, said = run("--organisation", "goteborg", "--administration", "kultur")
    assert code == 0, said
    code, said = run("--organisation", "molndal")
    assert code == 0, said
    assert "imported 0 channel(s); 1 already there" in said  # a channel is its address
    assert asyncio.run(_stamps(sqlite_database_url)) == [
        ("Fritidsgården Åsen 0", TENANT_ID, "goteborg", "kultur")
    ]
