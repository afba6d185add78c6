"""R7 per organisation (issue 15): each organisation's communications conversation has its own
settings key; the key from before organisations is read for a single organisation only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.communications_setting import (
    COMMUNICATIONS_SETTING,
    communications_conversation,
    communications_setting,
)
from domain.organisations import Organisation, Organisations, single_organisation
from domain.policy import Policy
from storage.channels import set_setting
from tests.conftest import START


def _two() -> Organisations:
    def one(slug: str, tenant: str) -> Organisation:
        [only] = single_organisation(Policy(), tenant_ids=(tenant,), slug=slug)
        return only

    return Organisations(
        (
            one("stad", "7e57c0de-0000-4000-8000-00000000000a"),
            one("region", "7e57c0de-0000-4000-8000-00000000000b"),
        )
    )


async def test_r7_each_organisation_reads_its_own_key_and_the_old_key_only_when_alone(
    sessions: async_sessionmaker[AsyncSession],
):
    async with sessions.begin() as session:
        await set_setting(
            session, COMMUNICATIONS_SETTING, "19:gammal", by_person_id=None, now=START
        )
        await set_setting(
            session, communications_setting("stad"), "19:stad", by_person_id=None, now=START
        )
    async with sessions() as session:
        two = _two()
        assert await communications_conversation(session, two, "stad") == "19:stad"
        assert await communications_conversation(session, two, "region") is None
        alone = single_organisation(Policy())
        assert await communications_conversation(session, alone, "default") == "19:gammal"
        assert await communications_conversation(session, alone, "region") is None


def test_a_long_slug_gets_a_key_that_fits_and_differs():
    first, second = "a" * 62 + "b", "a" * 62 + "c"
    keys = {communications_setting(first), communications_setting(second)}
    assert len(keys) == 2 and all(len(k) <= 64 for k in keys)
