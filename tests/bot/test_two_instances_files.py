"""Two instances behind a load balancer, one PostgreSQL database and one Azure Blob container
(Azurite): a file stored by one instance is served by the other, and a documentation round
(R12) begun on one instance with uploads is finished on the other, its package built from the
files both received. Neither instance keeps a file on its own disk."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import POLICY
from bot.documents.eark.sip import DATA_FOLDER
from bot.settings import Settings
from domain.clock import FixedClock
from storage.models import DocumentationFileRow, DocumentationRoundRow
from tests.bot.active_story import png
from tests.bot.channel_story import Story
from tests.bot.test_file_store_faults_story import documenting, upload
from tests.bot.ugglan_story import ugglan_story
from tests.conftest import BotFactory, RunningBot
from tests.support.azurite import Azurite
from tests.support.azurite_fixtures import azure_store, new_container
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.database import POSTGRES_SKIP_REASON, fresh_postgres, postgres_admin_url
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

SIGNING_KEY = "one signing key for every instance, 32+ characters"


@pytest.fixture
async def bot_database_url() -> AsyncIterator[str]:
    """Several instances share one PostgreSQL database: these tests need it."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    async with fresh_postgres(admin) as url:
        yield url


@pytest.fixture
def shared(azurite: Azurite) -> dict[str, Any]:
    """The settings every instance has: one container, one link signing key."""
    return {
        "file_store": "azure-blob",
        "azure_storage_connection_string": azurite.connection_string,
        "azure_storage_container": new_container(),
        "files_signing_key": SIGNING_KEY,
    }


def through(bot: RunningBot, url: str) -> str:
    """The same link, sent to another instance (as a load balancer may)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=urlsplit(bot.url).netloc))


def nothing_on_disk(*folders: Path) -> bool:
    return not any(folder.exists() and any(folder.rglob("*")) for folder in folders)


async def test_a_plan_made_on_one_instance_is_downloaded_through_the_other(
    start_bot: BotFactory, emulator: ConnectorEmulator, shared: dict[str, Any], tmp_path: Path
) -> None:
    a = await start_bot(Settings(files_dir=tmp_path / "a", **shared))
    b = await start_bot(Settings(files_dir=tmp_path / "b", **shared))
    story = Story(a, emulator)
    await story.request()  # the plan is rendered and stored by instance A
    channel = await story.channel()
    _, approval = story.last_card_to(story.conversation_of(story.manager))
    [plan_url] = [
        action["url"]
        for action in _actions(approval)
        if action.get("type") == "Action.OpenUrl" and "/files/" in action["url"]
    ]
    assert plan_url.startswith(a.url)

    async with aiohttp.ClientSession() as http, http.get(through(b, plan_url)) as response:
        assert response.status == 200
        data = await response.read()
    assert hashlib.sha256(data).hexdigest() == channel.plan_sha256
    assert "blob.core" not in plan_url and "sig=" in plan_url  # our link, never a storage URL
    assert nothing_on_disk(tmp_path / "a", tmp_path / "b")


async def test_a_round_begun_on_one_instance_is_finished_on_the_other(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Path,
    files: FileServer,
    shared: dict[str, Any],
    azurite: Azurite,
) -> None:
    on_a = await ugglan_story(
        start_bot, emulator, clock, smtp, tmp_path, files_dir=tmp_path / "a", **shared
    )
    b = await start_bot(
        replace(on_a.bot.settings, files_dir=tmp_path / "b"),
        policy=on_a.bot.app[POLICY],
        schedule=False,
    )
    on_b = Story(b, emulator)
    editor = await documenting(on_a, clock)  # begun on A ...
    first, second = png(4), png(9)
    await on_a.bot.post(
        upload(on_a, editor, files.serve("startsida.png", first, content_type="image/png"))
    )
    message = upload(on_b, editor, files.serve("sida.png", second, content_type="image/png"))
    message["attachments"][0]["name"] = "sida.png"
    await on_b.bot.post(message)  # ... a screenshot received by B ...
    assert "tagit emot 2 fil" in emulator.texts(editor.conversation_id)[-1]
    await on_b.say(editor, "klar")  # ... and finished on B
    await on_b.say(editor, "1")
    await on_b.say(editor, "Inga kommentarer den här perioden.")
    assert "Ugglan är dokumenterad" in emulator.texts(editor.conversation_id)[-1]

    async with b.sessions() as session:
        round_ = (await session.scalars(select(DocumentationRoundRow))).one()
        kept = (await session.scalars(select(DocumentationFileRow))).all()
    assert sorted(f.filename for f in kept) == ["sida.png", "startsida.png"]
    store = azure_store(azurite.connection_string, shared["azure_storage_container"])
    try:
        package = await store.open(round_.package_file_key)
    finally:
        await store.close()
    assert hashlib.sha256(package).hexdigest() == round_.package_sha256
    archive = zipfile.ZipFile(io.BytesIO(package))
    # The default package is an E-ARK SIP (issue 27): the files are in its representation.
    inside = {
        name.rsplit("/", 1)[1]: archive.read(name)
        for name in archive.namelist()
        if f"/{DATA_FOLDER}" in name
    }
    assert inside["startsida.png"] == first and inside["sida.png"] == second
    assert nothing_on_disk(tmp_path / "a", tmp_path / "b")


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("actions"), list):
                found.extend(node["actions"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found
