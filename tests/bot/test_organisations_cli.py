"""`kanalkollen organisations check | move` (issue 15), in a real process, on SQLite and
PostgreSQL: a single-policy deployment's channels move into the organisation file that now
describes them, never into an organisation of another tenant, and start-up accepts the result.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.communications_setting import COMMUNICATIONS_SETTING, communications_setting
from storage.channels import get_setting, set_setting
from storage.models import AuditEventRow, ChannelRow
from storage.people import ensure_person
from tests.bot.test_organisations_story import CITY, REGION, organisation_folder
from tests.conftest import START
from tests.support.cli import run_kanalkollen
from tests.support.factories import TENANT_ID


async def _default_channels(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    """Two of the city's channels as migration 0008 left them: organisation "default"."""
    ids = []
    async with sessions.begin() as session:
        person = await ensure_person(
            session, TENANT_ID, "a0a0a0a0-0000-4000-8000-000000000001", START
        )
        for number in (1, 2):
            channel = ChannelRow(
                tenant_id=TENANT_ID,
                status="active",
                platform="instagram",
                name=f"Kanal {number}",
                unit="Åby skola",
                purpose="Visa verksamheten",
                plan={},
                login_reference="Valvet",
                requester_person_id=person.id,
                manager_person_id=person.id,
                manager_source="graph",
                address=f"https://www.instagram.com/kanal{number}",
                start_date=date(2026, 1, 5),
                next_documentation_due=date(2026, 7, 5),
                created_at=START,
                updated_at=START,
            )
            session.add(channel)
            await session.flush()
            ids.append(channel.id)
    return ids


async def _places(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(ChannelRow.organisation, ChannelRow.administration).order_by(ChannelRow.id)
        )
        return [(o, a) for o, a in rows]


async def test_a_single_policy_deployments_channels_move_into_their_organisation(
    sessions: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
):
    first, second = await _default_channels(sessions)
    async with sessions.begin() as session:  # R7, picked before organisations existed
        await set_setting(
            session, COMMUNICATIONS_SETTING, "19:komm@thread.skype", by_person_id=None, now=START
        )
    folder = organisation_folder(tmp_path, stad=CITY, region=REGION)
    env = {"DATABASE_URL": database_url, "KANALKOLLEN_ORGANISATIONS": str(folder)}

    async def kanalkollen(*args: str) -> tuple[int, str, str]:
        return await run_kanalkollen("organisations", *args, env=env, cwd=tmp_path)

    code, out, err = await kanalkollen("check")
    assert code == 1
    assert "stad: Teststaden" in out and "default" in err  # start-up would refuse 'default'

    # Refused: an administration the city does not have, another tenant's organisation, and
    # a target no file names.
    code, _, err = await kanalkollen("move", "default", "stad")
    assert code == 2 and "no administration 'default'" in err and "stad/<administration>" in err
    code, _, err = await kanalkollen("move", "default", "region/default")
    assert code == 2 and f"tenant {TENANT_ID}" in err and "does not serve" in err
    code, _, err = await kanalkollen("move", "default", "nowhere/sof")
    assert code == 2 and "no organisation file names 'nowhere'" in err
    code, _, err = await kanalkollen("move", "default/a/b", "stad/sof")
    assert code == 2 and "slug/administration" in err
    code, _, err = await kanalkollen("move", "default", "stad/sof", "--channel", "99999")
    assert code == 2 and "no channels of default to move" in err
    code, out, _ = await kanalkollen("move", "default", "stad/sof", "--dry-run")
    assert code == 0 and "would move 2 channel(s)" in out
    assert await _places(sessions) == [("default", "default")] * 2

    code, out, err = await kanalkollen("move", "default", "stad/sof")
    assert code == 0 and "moved 2 channel(s)" in out, err
    async with sessions() as session:  # the city's communications conversation came along
        assert await get_setting(session, communications_setting("stad")) == (
            "19:komm@thread.skype"
        )
    code, _, _ = await kanalkollen("move", "stad/sof", "stad/kultur", "--channel", str(second))
    assert code == 0
    assert await _places(sessions) == [("stad", "sof"), ("stad", "kultur")]

    code, out, err = await kanalkollen("check")
    assert code == 0 and "start-up accepts" in out, err
    assert "sof: Skol- och fritidsförvaltningen: 1 active" in out
    assert "kultur: Kulturförvaltningen: 1 active" in out
    async with sessions() as session:
        moves = (
            await session.scalars(
                select(AuditEventRow).where(AuditEventRow.action == "channels.moved")
            )
        ).all()
    assert [e.details["channels"] for e in moves] == [2, 1]
    assert first != second
