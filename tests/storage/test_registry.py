"""The public list's query (R8): active channels only, public fields only, filters, choices."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.lifecycle import ChannelStatus
from domain.registry import PublicChannel, RegistryFilter
from storage.registry import public_channels, registry_choices
from tests.support.registry_data import ADMINISTRATION, add_channel


async def _listed(
    sessions: async_sessionmaker[AsyncSession], wanted: RegistryFilter | None = None
) -> list[PublicChannel]:
    async with sessions() as session:
        return await public_channels(session, ADMINISTRATION, wanted)


async def test_only_active_channels_are_public(sessions: async_sessionmaker[AsyncSession]):
    for status in ChannelStatus:
        await add_channel(sessions, f"Kanal {status.value}", status=status.value)

    listed = await _listed(sessions)

    assert [c.name for c in listed] == ["Kanal active"]


async def test_a_channel_gives_exactly_its_public_fields(
    sessions: async_sessionmaker[AsyncSession],
):
    await add_channel(sessions, "Åby skolas Instagram", unit="Åby skola")

    assert await _listed(sessions) == [
        PublicChannel(
            platform="instagram",
            name="Åby skolas Instagram",
            address="https://www.instagram.com/ugglan",
            unit="Åby skola",
            administration=ADMINISTRATION,
            start_date=date(2026, 3, 2),
        )
    ]


async def test_missing_address_and_start_date_are_empty_not_an_error(
    sessions: async_sessionmaker[AsyncSession],
):
    await add_channel(sessions, address=None, start_date=None)

    (channel,) = await _listed(sessions)

    assert (channel.address, channel.start_date) == ("", None)


async def test_channels_come_in_swedish_order_of_unit_platform_and_name(
    sessions: async_sessionmaker[AsyncSession],
):
    for unit, platform, name in [
        ("Östra skolan", "facebook", "Östra"),
        ("Ängens förskola", "instagram", "Ängen"),
        ("Åby skola", "youtube", "Åby film"),
        ("Åby skola", "facebook", "Åby b"),
        ("Åby skola", "facebook", "Åby a"),
        ("Zetas fritids", "tiktok", "Zeta"),
    ]:
        await add_channel(sessions, name, unit=unit, platform=platform)

    listed = await _listed(sessions)

    assert [c.name for c in listed] == ["Zeta", "Åby a", "Åby b", "Åby film", "Ängen", "Östra"]


async def test_filters_by_unit_and_platform(sessions: async_sessionmaker[AsyncSession]):
    await add_channel(sessions, "A", unit="Åby skola", platform="instagram")
    await add_channel(sessions, "B", unit="Åby skola", platform="facebook")
    await add_channel(sessions, "C", unit="Östra skolan", platform="instagram")
    await add_channel(sessions, "D", unit="Östra skolan", platform="instagram", status="closed")

    by_unit = await _listed(sessions, RegistryFilter(unit="Åby skola"))
    by_platform = await _listed(sessions, RegistryFilter(platform="instagram"))
    both = await _listed(sessions, RegistryFilter(unit="Östra skolan", platform="instagram"))

    assert [c.name for c in by_unit] == ["B", "A"]  # facebook before instagram
    assert [c.name for c in by_platform] == ["A", "C"]
    assert [c.name for c in both] == ["C"]


async def test_unknown_filter_values_match_nothing(sessions: async_sessionmaker[AsyncSession]):
    await add_channel(sessions)

    assert await _listed(sessions, RegistryFilter(unit="Finns inte")) == []
    assert await _listed(sessions, RegistryFilter(platform="myspace")) == []
    # The filter matches the stored unit exactly; another spelling is another unit.
    assert await _listed(sessions, RegistryFilter(unit="fritidsgården ugglan")) == []


async def test_choices_are_the_units_and_platforms_of_active_channels(
    sessions: async_sessionmaker[AsyncSession],
):
    await add_channel(sessions, "A", unit="Östra skolan", platform="youtube")
    await add_channel(sessions, "B", unit="Åby skola", platform="instagram")
    await add_channel(sessions, "C", unit="Åby skola", platform="instagram")
    await add_channel(sessions, "D", unit="Bäcken", platform="facebook")
    await add_channel(sessions, "E", unit="Stängda enheten", platform="x", status="closed")

    async with sessions() as session:
        choices = await registry_choices(session)

    assert choices.units == ("Bäcken", "Åby skola", "Östra skolan")
    assert choices.platforms == ("facebook", "instagram", "youtube")


async def test_an_empty_database_gives_an_empty_list(sessions: async_sessionmaker[AsyncSession]):
    async with sessions() as session:
        choices = await registry_choices(session)

    assert await _listed(sessions) == []
    assert (choices.units, choices.platforms) == ((), ())
