"""Channels for the public-list tests (R8): public fields, and secrets that must not leak.

Every channel `add_channel` stores carries distinctive non-public values (LEAKS): a login
reference, people's names and e-mail, purpose, plan, decision comment, file key, tenant id.
No public answer (page, JSON, CSV, export) may contain any of them. `seed` stores the three
active channels of ROWS (in registry order) and one that is not public (INACTIVE).
`seed_organisations` stores the channels of two organisations (ORGANISATION_ROWS).
"""

from __future__ import annotations

import itertools
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.registry_page import registry_routes
from domain.lifecycle import ChannelStatus
from domain.organisation_file import organisation_from_table
from domain.organisations import Organisations
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


# --- two organisations (issue 15): each with its own public list under /registry/{slug} --------

GOTEBORG_TENANT = TENANT_ID
MOLNDAL_TENANT = "7e57c0de-0000-4000-8000-000000000002"
# One organisation file each, as KANALKOLLEN_ORGANISATIONS holds them (file-name order).
ORGANISATION_FILES = {
    "goteborg.toml": f"""
slug = "goteborg"
name = "Göteborgs Stad"
tenant_ids = ["{GOTEBORG_TENANT}"]

[registry]
mailbox = "sociala.medier@goteborg.example"

[[administrations]]
slug = "sof"
name = "Skol- och fritidsförvaltningen"

[administrations.registry]
mailbox = "sof.kanaler@goteborg.example"

[[administrations]]
slug = "kultur"
name = "Kulturförvaltningen"
""",
    "molndal.toml": f"""
slug = "molndal"
name = "Mölndals stad"
tenant_ids = ["{MOLNDAL_TENANT}"]

[registry]
mailbox = "kommunikation@molndal.example"
administration = "Kommunstyrelseförvaltningen"
""",
}


def write_organisations(folder: Path) -> Path:
    """Writes the organisation files into a folder (created) and returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ORGANISATION_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def two_organisations() -> Organisations:
    """Göteborgs Stad (administrations sof and kultur) and Mölndals stad (one, "default")."""
    return Organisations(
        tuple(
            organisation_from_table(tomllib.loads(text), where=name)
            for name, text in ORGANISATION_FILES.items()
        )
    )


# Per organisation slug: (platform label, name, address, unit, administration, start date)
# in registry order.
ORGANISATION_ROWS = {
    "goteborg": [
        (
            "Facebook",
            "Stadsbiblioteket",
            "https://www.facebook.com/stadsbiblioteket",
            "Stadsbiblioteket",
            "Kulturförvaltningen",
            "2025-05-05",
        ),
        (
            "Instagram",
            "Ugglan",
            "https://www.instagram.com/ugglan",
            "Östra fritidsgården Ugglan",
            ADMINISTRATION,
            "2026-03-02",
        ),
    ],
    "molndal": [
        (
            "Instagram",
            "Mölndals stadsmuseum",
            "https://www.instagram.com/molndalsmuseum",
            "Stadsmuseet",
            "Kommunstyrelseförvaltningen",
            "2024-11-01",
        ),
    ],
}


async def seed_organisations(sessions: async_sessionmaker[AsyncSession]) -> None:
    """ORGANISATION_ROWS' channels, and one channel of each organisation that is not public."""
    await add_channel(
        sessions,
        "Ugglan",
        organisation="goteborg",
        administration="sof",
        unit="Östra fritidsgården Ugglan",
    )
    await add_channel(
        sessions,
        "Stadsbiblioteket",
        organisation="goteborg",
        administration="kultur",
        platform="facebook",
        unit="Stadsbiblioteket",
        address="https://www.facebook.com/stadsbiblioteket",
        start_date=date(2025, 5, 5),
    )
    await add_channel(
        sessions,
        "Mölndals stadsmuseum",
        organisation="molndal",
        administration="default",
        tenant_id=MOLNDAL_TENANT,
        unit="Stadsmuseet",
        address="https://www.instagram.com/molndalsmuseum",
        start_date=date(2024, 11, 1),
    )
    for organisation, administration in (("goteborg", "sof"), ("molndal", "default")):
        await add_channel(
            sessions,
            INACTIVE,
            organisation=organisation,
            administration=administration,
            unit="Hemliga enheten",
            platform="tiktok",
            address=f"https://www.tiktok.com/@{organisation}",
            status="pending_approval",
        )


def organisations_app(
    sessions: async_sessionmaker[AsyncSession], organisations: Organisations
) -> web.Application:
    """An app with only the registry routes of these organisations."""
    app = web.Application()
    app.add_routes(registry_routes(lambda: sessions, POLICY, organisations=organisations))
    return app
