"""The kanalkollen command, run as operators and cron run it: a real process."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.settings import Settings
from domain.outbox import OutboxKind, OutboxStatus
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import OutboxRow, PersonRow
from storage.outbox import enqueue
from tests.conftest import START, BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user
from tests.support.registry_data import (
    add_channel,
    seed_organisations,
    write_organisations,
)


async def test_migrate_creates_the_database(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'k.db'}"

    code, _, err = await run_kanalkollen("migrate", env={"DATABASE_URL": url}, cwd=tmp_path)

    assert code == 0, err
    assert (tmp_path / "db" / "k.db").exists()
    assert "database at revision" in err


async def test_a_wrong_setting_stops_with_one_sentence(tmp_path: Path):
    code, _, err = await run_kanalkollen(
        "serve",
        env={
            "MicrosoftAppId": "00000000-1111-4222-8333-444444444444",
            "MicrosoftAppPassword": "synthetic",
        },
        cwd=tmp_path,
    )

    assert code == 2
    assert err.strip() == (
        "kanalkollen: MicrosoftAppTenantId is required when MicrosoftAppType is SingleTenant."
    )


async def test_a_wrong_policy_stops_start_up_with_the_key(tmp_path: Path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[delivery]\nmax_attempts = 'many'\n", encoding="utf-8")

    code, _, err = await run_kanalkollen(
        "serve", env={"KANALKOLLEN_POLICY": str(policy)}, cwd=tmp_path
    )

    assert code == 2
    assert "delivery.max_attempts" in err


DEPLOYED = {
    "MicrosoftAppId": "00000000-1111-4222-8333-444444444444",
    "MicrosoftAppPassword": "synthetic",
    "MicrosoftAppType": "MultiTenant",
    "FILES_SIGNING_KEY": "k" * 48,
}


async def test_a_deployed_bot_refuses_the_example_registry_mailbox(tmp_path: Path):
    """Outside local mode the shipped example mailbox (R8) stops serve and remind, by key."""
    for command in (["serve"], ["remind", "--dry-run"]):
        code, _, err = await run_kanalkollen(*command, env=DEPLOYED, cwd=tmp_path)

        assert code == 2, (command, err)
        assert "registry.mailbox" in err
        assert "registret@example.org" in err


async def test_a_deployed_bot_with_its_own_mailbox_gets_past_the_check(tmp_path: Path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[registry]\nmailbox = "redaktionen@kommun.se"\n', encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"

    code, _, err = await run_kanalkollen(
        "remind",
        "--dry-run",
        env={**DEPLOYED, "KANALKOLLEN_POLICY": str(policy), "DATABASE_URL": url},
        cwd=tmp_path,
    )

    assert code == 0, err
    assert "registry.mailbox" not in err


async def test_local_mode_runs_on_the_example_mailbox(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"

    code, _, err = await run_kanalkollen(
        "remind", "--dry-run", env={"DATABASE_URL": url}, cwd=tmp_path
    )

    assert code == 0, err


async def test_remind_at_delivers_what_is_due_then_and_dry_run_sends_nothing(
    start_bot: BotFactory, emulator: ConnectorEmulator, sqlite_database_url: str, tmp_path: Path
):
    # A user has talked to the bot, so their chat is known; then the server stops.
    bot = await start_bot()
    user = make_user(1)
    await bot.post(make_message("hej", user=user, service_url=emulator.service_url))
    await bot.stop()
    emulator.reset()
    engine = create_engine(sqlite_database_url)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        person_id = await session.scalar(select(PersonRow.id))
        row = enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            now=START,
            due_at=START + timedelta(days=1),
            recipient_person_id=person_id,
            payload={"activity": {"type": "message", "text": "Dags att dokumentera"}},
        )
        await session.flush()
        row_id = row.id
    env = {"DATABASE_URL": sqlite_database_url}

    early = (START + timedelta(hours=23)).isoformat()
    code, out, err = await run_kanalkollen("remind", "--at", early, env=env, cwd=tmp_path)
    assert code == 0, err
    assert emulator.sent == []

    due = (START + timedelta(days=1, minutes=1)).isoformat()
    code, out, err = await run_kanalkollen(
        "remind", "--at", due, "--dry-run", env=env, cwd=tmp_path
    )
    assert code == 0, err
    assert f"would send outbox {row_id}" in out
    assert emulator.sent == []

    code, out, err = await run_kanalkollen("remind", "--at", due, env=env, cwd=tmp_path)
    assert code == 0, err
    assert emulator.texts(user.conversation_id) == ["Dags att dokumentera"]
    async with sessions() as session:
        stored = await session.get(OutboxRow, row_id)
        assert stored is not None and stored.status == OutboxStatus.SENT.value
    await engine.dispose()


async def test_remind_at_needs_a_time_zone(tmp_path: Path):
    code, _, err = await run_kanalkollen(
        "remind", "--at", "2026-05-01T08:00", env={}, cwd=tmp_path
    )

    assert code == 2
    assert "time zone" in err


async def test_manifest_build_writes_the_app_package(tmp_path: Path):
    out = tmp_path / "app.zip"

    code, printed, err = await run_kanalkollen(
        "manifest",
        "build",
        "--out",
        str(out),
        env={
            "MicrosoftAppId": "00000000-1111-4222-8333-444444444444",
            "MicrosoftAppPassword": "synthetic",
            "MicrosoftAppTenantId": "7e57c0de-0000-4000-8000-000000000001",
            "FILES_SIGNING_KEY": "k" * 32,
        },
        cwd=tmp_path,
    )

    assert code == 0, err
    assert printed.strip() == str(out)
    with zipfile.ZipFile(out) as package:
        assert set(package.namelist()) >= {"manifest.json", "color.png", "outline.png"}


async def test_manifest_build_without_an_app_id_says_so(tmp_path: Path):
    code, _, err = await run_kanalkollen("manifest", "build", env={}, cwd=tmp_path)

    assert code == 2
    assert "MicrosoftAppId" in err


# --- registry export per organisation (issue 15) ------------------------------------------


async def _seeded_database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    engine = create_engine(url)
    await upgrade_head(engine)
    await add_channel(session_factory(engine), "Ugglan", unit="Östra fritidsgården")
    await engine.dispose()
    return url


async def test_registry_export_names_the_single_policys_organisation(tmp_path: Path):
    env = {"DATABASE_URL": await _seeded_database(tmp_path)}

    code, out, err = await run_kanalkollen(
        "registry",
        "export",
        "--format",
        "json",
        "--organisation",
        "default",
        "--administration",
        "default",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0, err
    assert [c["name"] for c in json.loads(out)["channels"]] == ["Ugglan"]

    code, out, err = await run_kanalkollen(
        "registry", "export", "--organisation", "nowhere", env=env, cwd=tmp_path
    )
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "kanalkollen: no organisation has the slug 'nowhere'; known: default"
    )

    code, _, err = await run_kanalkollen(
        "registry", "export", "--administration", "sof", env=env, cwd=tmp_path
    )
    assert code == 2
    assert "has no administration 'sof'; known: default" in err


def _main(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> int:
    """Runs `kanalkollen ARGS` in this process with settings that name an organisations folder."""
    monkeypatch.setattr(cli_main, "load_settings", lambda _environ=None: settings)
    return cli_main.main(list(args))


def test_registry_export_per_organisation_of_the_organisations_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"

    async def prepare() -> None:
        engine = create_engine(url)
        await upgrade_head(engine)
        await seed_organisations(session_factory(engine))
        await engine.dispose()

    asyncio.run(prepare())
    settings = Settings(
        database_url=url, organisations_path=write_organisations(tmp_path / "organisations")
    )

    def export(*args: str) -> tuple[int, str, str]:
        code = _main(monkeypatch, settings, "registry", "export", *args)
        captured = capsysbinary.readouterr()
        return code, captured.out.decode("utf-8"), captured.err.decode("utf-8")

    code, out, err = export("--format", "json", "--organisation", "molndal")
    assert code == 0, err
    assert [c["name"] for c in json.loads(out)["channels"]] == ["Mölndals stadsmuseum"]

    code, out, _ = export(
        "--format", "csv", "--organisation", "goteborg", "--administration", "sof"
    )
    rows = list(csv.reader(io.StringIO(out[1:], newline=""), delimiter=";"))
    assert [row[1] for row in rows[1:]] == ["Ugglan"]

    code, out, _ = export("--format", "csv")
    rows = list(csv.reader(io.StringIO(out[1:], newline=""), delimiter=";"))
    assert rows[0][0] == "Organisation"
    assert [(row[0], row[2]) for row in rows[1:]] == [
        ("Göteborgs Stad", "Stadsbiblioteket"),
        ("Göteborgs Stad", "Ugglan"),
        ("Mölndals stad", "Mölndals stadsmuseum"),
    ]

    code, out, err = export("--administration", "sof")
    assert (code, out) == (2, "")
    assert "several organisations" in err
    code, _, err = export("--organisation", "goteborg", "--administration", "default")
    assert code == 2
    assert "organisation 'goteborg' has no administration 'default'; known: sof, kultur" in err
