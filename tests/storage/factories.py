"""Storage test factories with synthetic ids and names: defaults plus `**overrides`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.outbox import OutboxKind
from storage.people import SeenConversation, SeenPerson
from tests.conftest import START
from tests.support.factories import TENANT_ID

SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def make_outbox_row(**overrides: Any) -> dict[str, Any]:
    """Returns the keyword arguments of one `enqueue` call: a Teams message due at START."""
    row: dict[str, Any] = {
        "kind": OutboxKind.TEAMS_MESSAGE,
        "payload": {"text": "Påminnelse: dokumentera kanalen"},
        "now": START,
        "tenant_id": TENANT_ID,
        "conversation_id": "a:1testpersonettpersonalchat",
    }
    row.update(overrides)
    return row


def make_seen_person(index: int = 1, **overrides: Any) -> SeenPerson:
    """Returns what Teams tells about synthetic user number `index`."""
    person = SeenPerson(
        tenant_id=TENANT_ID,
        aad_object_id=f"a0a0a0a0-0000-4000-8000-{index:012d}",
        teams_user_id=f"29:1testperson{index}",
        name=f"Testperson {index}",
        locale="sv-SE",
    )
    return replace(person, **overrides)


def make_seen_conversation(
    conversation_id: str = "a:1testperson1personalchat", **overrides: Any
) -> SeenConversation:
    """Returns what an activity tells about its conversation: a personal chat by default."""
    conversation = SeenConversation(
        conversation_id=conversation_id,
        conversation_type="personal",
        tenant_id=TENANT_ID,
        service_url=SERVICE_URL,
        channel_id="msteams",
        reference={"conversation": {"id": conversation_id}, "serviceUrl": SERVICE_URL},
    )
    return replace(conversation, **overrides)
