"""Channels for the public-list tests (R8): public fields, and secrets that must not leak.

Every channel `add_channel` stores carries distinctive non-public values (LEAKS): a login
reference, people's names and e-mail, purpose, plan, decision comment, file key, tenant id.
No public answer (page, JSON, CSV, export) may contain any of them. `seed` stores the three
active channels of ROWS (in registry order) and one that is not public (INACTIVE).
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.registry_page import registry_routes
from domain.lifecycle import ChannelStatus
from domain.policy import Policy, RegistryPolicy
from storage.channels import EditorStatus, nominate
from storage.models import ChannelRow
from storage.people import ensure_person
from tests.conftest import START
from tests.support.factories import TENANT_ID

ADMINISTRATION = "Skol- och fritidsförvaltningen"
LOGIN_REFERENCE = "Lösenordsvalvet post LÄCKA-4711"
REQUESTER_NAME = "Beställare Läckansson"
MANAGER_NAME = "Chef Hemligdal"
EDITOR_NAME = "Redaktör Smygström"
PURPOSE = "Syftet-som-inte-är-offentligt"
DECISION_COMMENT = "Beslutskommentar-som-inte-är-offentlig"
# Every value here belongs to a channel but not to the public list.
LEAKS = (
    LOGIN_REFERENCE,
    "LÄCKA-4711",
    REQUESTER_NAME,
    MANAGER_NAME,
    EDITOR_NAME,
    "lackansson@kanalkollen.example",
    "aad-hemlig-",
    PURPOSE,
    "Plan-mål-som-inte-är-offentligt",
    DECISION_COMMENT,
    "plans/hemlig-plan.docx",
    TENANT_ID,
)

_people = itertools.count(1)


async def _person(session: AsyncSession, name: str) -> int:
    number = next(_people)
    person = await ensure_person(
        session,
        TENANT_ID,
        f"aad-hemlig-{number:08d}",
        START,
        name=name,
        email="lackansson@kanalkollen.example",
    )
    return person.id


async def add_channel(
    sessions: async_sessionmaker[AsyncSession],
    name: str = "Ugglans fritidsgård",
    **overrides: Any,
) -> int:
    """Stores an active channel with public fields and secret non-public ones; returns its id."""
    async with sessions() as session, session.begin():
        requester = await _person(session, REQUESTER_NAME)
        manager = await _person(session, MANAGER_NAME)
        editor = await _person(session, EDITOR_NAME)
        values: dict[str, Any] = {
            "tenant_id": TENANT_ID,
            "status": ChannelStatus.ACTIVE.value,
            "version": 5,
            "platform": "instagram",
            "name": name,
            "unit": "Fritidsgården Ugglan",
            "purpose": PURPOSE,
            "plan": {"goals": "Plan-mål-som-inte-är-offentligt"},
            "login_reference": LOGIN_REFERENCE,
            "requester_person_id": requester,
            "manager_person_id": manager,
            "manager_source": "graph",
            "plan_file_key": "plans/hemlig-plan.docx",
            "plan_sha256": "ab" * 32,
            "submitted_at": START,
            "decided_at": START,
            "decided_by_person_id": manager,
            "decision_comment": DECISION_COMMENT,
            "manager_has_login_access": True,
            "address": "https://www.instagram.com/ugglan",
            "start_date": date(2026, 3, 2),
            "next_documentation_due": date(2026, 9, 2),
            "created_at": START,
            "updated_at": START,
        }
        values.update(overrides)
        channel = ChannelRow(**values)
        session.add(channel)
        await session.flush()
        for person in (requester, editor):
            await nominate(
                session,
                channel.id,
                person,
                by_person_id=requester,
                now=START,
                status=EditorStatus.ACCEPTED,
            )
        return channel.id


POLICY = Policy(
    registry=RegistryPolicy(mailbox="redaktionen@stad.example", administration=ADMINISTRATION)
)
HEADINGS = [
    ("Plattform", "col"),
    ("Kanalens namn", "col"),
    ("Adress", "col"),
    ("Verksamhet", "col"),
    ("Ansvarig förvaltning", "col"),
    ("Startdatum", "col"),
]
# (platform label, name, address, unit, administration, start date) in registry order.
ROWS = [
    (
        "Facebook",
        "Åby skolas föräldrasida",
        "https://www.facebook.com/abyskola",
        "Åby skola",
        ADMINISTRATION,
        "2025-08-18",
    ),
    (
        "Instagram",
        'Åby skola "Elevrådet"; idrott',
        "https://www.instagram.com/abyskola",
        "Åby skola",
        ADMINISTRATION,
        "2026-01-12",
    ),
    (
        "Instagram",
        "Ugglan",
        "https://www.instagram.com/ugglan",
        "Östra fritidsgården Ugglan",
        ADMINISTRATION,
        "2026-03-02",
    ),
]
INACTIVE = "Ännu inte godkänd kanal"


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Three active channels in two units and two platforms, and one that is not public."""
    await add_channel(
        sessions,
        "Ugglan",
        unit="Östra fritidsgården Ugglan",
        start_date=date(2026, 3, 2),
    )
    await add_channel(
        sessions,
        "Åby skolas föräldrasida",
        unit="Åby skola",
        platform="facebook",
        address="https://www.facebook.com/abyskola",
        start_date=date(2025, 8, 18),
    )
    await add_channel(
        sessions,
        'Åby skola "Elevrådet"; idrott',
        unit="Åby skola",
        address="https://www.instagram.com/abyskola",
        start_date=date(2026, 1, 12),
    )
    await add_channel(
        sessions, INACTIVE, unit="Hemliga enheten", platform="tiktok", status="pending_approval"
    )


def registry_app(sessions: async_sessionmaker[AsyncSession]) -> web.Application:
    """An app with only the registry routes; the factory is read per request, as in create_app."""
    app = web.Application()
    app.add_routes(registry_routes(lambda: sessions, POLICY))
    return app
