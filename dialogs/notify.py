"""Cards and e-mails the flows queue in the outbox, in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import attachment
from cards.i18n import Texts
from dialogs.channel_views import person_name, when
from domain.outbox import OutboxKind
from domain.policy import RecordsPolicy
from storage.channels import card_copies
from storage.models import CardCopyRow, ChannelRow, PersonRow
from storage.outbox import enqueue, enqueue_once


def card_payload(
    content: dict[str, Any], *, track: tuple[str, int, str] | None = None
) -> dict[str, Any]:
    """An outbox payload carrying one card; `track` records where it lands for later updates."""
    payload: dict[str, Any] = {
        "activity": {"type": "message", "attachments": [attachment(content)]}
    }
    if track is not None:
        subject_type, subject_id, card = track
        payload["track"] = {"subject_type": subject_type, "subject_id": subject_id, "card": card}
    return payload


def texts_for(person: PersonRow) -> Texts:
    """The catalog in the language a person last wrote to the bot in (Swedish by default)."""
    return Texts.for_locale(person.locale)


async def queue_card(
    session: AsyncSession,
    person: PersonRow,
    content: dict[str, Any],
    now: datetime,
    *,
    track: tuple[str, int, str] | None = None,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Queues a card to a person's 1:1 chat; tells whether it was queued (dedupe)."""
    payload = card_payload(content, track=track)
    if dedupe_key is not None:
        return await enqueue_once(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload=payload,
            now=now,
            due_at=due_at,
            dedupe_key=dedupe_key,
            tenant_id=person.tenant_id,
            recipient_person_id=person.id,
        )
    enqueue(
        session,
        kind=OutboxKind.TEAMS_MESSAGE,
        payload=payload,
        now=now,
        due_at=due_at,
        tenant_id=person.tenant_id,
        recipient_person_id=person.id,
    )
    return True


def queue_text(session: AsyncSession, person: PersonRow, text: str, now: datetime) -> None:
    """Queues a short message to a person's 1:1 chat."""
    enqueue(
        session,
        kind=OutboxKind.TEAMS_MESSAGE,
        payload={"activity": {"type": "message", "text": text}},
        now=now,
        tenant_id=person.tenant_id,
        recipient_person_id=person.id,
    )


def queue_conversation_card(
    session: AsyncSession,
    conversation_id: str,
    tenant_id: str | None,
    content: dict[str, Any],
    now: datetime,
    *,
    track: tuple[str, int, str] | None = None,
) -> None:
    """Queues a card to a stored conversation (e.g. the communications team channel)."""
    enqueue(
        session,
        kind=OutboxKind.TEAMS_MESSAGE,
        payload=card_payload(content, track=track),
        now=now,
        tenant_id=tenant_id,
        conversation_id=conversation_id,
    )


def queue_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    dedupe_key: str | None = None,
    zip_attachment: tuple[str, str] | None = None,
    attachment: dict[str, Any] | None = None,
) -> None:
    """Queues an e-mail (sent by the configured mail transport); `zip_attachment` is a stored
    package's (file key, file name), `attachment` a records package (records_attachment)."""
    payload: dict[str, Any] = {"to": [to], "subject": subject, "body": body}
    if zip_attachment is not None:
        key, filename = zip_attachment
        attachment = {"key": key, "filename": filename, "content_type": "application/zip"}
    if attachment is not None:
        payload["attachments"] = [attachment]
    enqueue(
        session,
        kind=OutboxKind.EMAIL,
        now=now,
        recipient_address=to,
        payload=payload,
        dedupe_key=dedupe_key,
    )


CardForCopy = Callable[[CardCopyRow], Awaitable[dict[str, Any] | None]]


async def queue_updates(
    session: AsyncSession,
    subject_type: str,
    subject_id: int,
    build: CardForCopy,
    now: datetime,
    *,
    except_activity: str | None = None,
) -> int:
    """Queues an update of every posted copy of a subject's cards; returns how many."""
    count = 0
    for copy in await card_copies(session, subject_type, subject_id):
        if copy.activity_id == except_activity:
            continue
        content = await build(copy)
        if content is None:
            continue
        enqueue(
            session,
            kind=OutboxKind.TEAMS_UPDATE,
            now=now,
            conversation_id=copy.conversation_id,
            recipient_person_id=copy.person_id,
            payload={
                "activity_id": copy.activity_id,
                "activity": {"type": "message", "attachments": [attachment(content)]},
            },
        )
        count += 1
    return count


def queue_package_mail(
    session: AsyncSession,
    *,
    mailbox: str,
    texts_prefix: str,
    channel: ChannelRow,
    person: PersonRow,
    key: str,
    filename: str,
    now: datetime,
    sha256: str = "",
    records: RecordsPolicy | None = None,
) -> None:
    """R12, R13: a records package to the records officer's mailbox, in Swedish (nothing where
    the policy names no mailbox). `texts_prefix` picks the catalog's subject and body:
    "documentation" for a half-yearly round, "closing" for a closed channel, "capture" for the
    capture kept before a removal (R11).

    Issue 27: the package goes as one attachment up to `records.max_attachment_mb`; a larger
    one is mailed as a signed link valid `records.link_days`, with its SHA-256 and size. The
    sender decides when it sends (the link is made then and never stored)."""
    if not mailbox:
        return
    sv = Texts("sv")
    values = dict(
        name=channel.name,
        platform=sv(f"platform.{channel.platform}"),
        unit=channel.unit,
        who=person_name(sv, person),
        when=when(sv, now),
    )
    queue_email(
        session,
        to=mailbox,
        subject=sv(f"{texts_prefix}.mail_subject", **values),
        body=sv(f"{texts_prefix}.mail_body", **values),
        now=now,
        attachment=records_attachment(key, filename, sha256, records or RecordsPolicy()),
    )


def records_attachment(
    key: str, filename: str, sha256: str, records: RecordsPolicy
) -> dict[str, Any]:
    """A stored package as an outbox attachment, with what the sender needs to mail it as a
    link when it is larger than `records.max_attachment_mb` (issue 27)."""
    return {
        "key": key,
        "filename": filename,
        "content_type": "application/zip",
        "max_bytes": records.max_attachment_mb * 1024 * 1024,
        "link_days": records.link_days,
        "sha256": sha256,
    }
