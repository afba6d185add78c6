"""Delivering a records package (issue 27): one attachment up to records.max_attachment_mb,
a larger one as a signed link (valid records.link_days) with its SHA-256 and size; a failed
mail is a transient failure that the outbox retries."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot.delivery.email_sender import EmailSender
from bot.delivery.proactive import DeliveryError
from bot.integrations.mail import SmtpTransport
from bot.web.file_links import FileLinkSigner
from dialogs.notify import records_attachment
from domain.clock import FixedClock
from domain.outbox import OutboxKind
from domain.policy import RecordsPolicy
from storage.files import LocalFileStore
from storage.outbox import OutboxMessage
from tests.support.smtp_sink import SmtpSink

BASE_URL = "https://kanalkollen.skola.example"
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
RECORDS = "registrator@skola.example"


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as sink:
        yield sink


def sender(sink: SmtpSink, store: LocalFileStore, signer: FileLinkSigner) -> EmailSender:
    transport = SmtpTransport(sink.host, sink.port, starttls=False, timeout=2)
    return EmailSender(
        transport,
        "Kanalkollen <kanalkollen@skola.example>",
        store,
        link=lambda key, ttl: signer.url_for(BASE_URL, key, ttl),
    )


async def package_mail(store: LocalFileStore, size: int, records: RecordsPolicy) -> OutboxMessage:
    data = os.urandom(size)
    stored = await store.put(
        data, kind="packages", filename="Dokumentation Ugglan.zip", content_type="application/zip"
    )
    item = records_attachment(stored.key, "Dokumentation Ugglan.zip", stored.sha256, records)
    return OutboxMessage(
        id=1,
        kind=OutboxKind.EMAIL,
        tenant_id=None,
        recipient_person_id=None,
        conversation_id=None,
        recipient_address=RECORDS,
        payload={
            "to": [RECORDS],
            "subject": "Dokumentation av Ugglan",
            "body": "Hej!",
            "attachments": [item],
        },
        attempts=0,
        claimed_by="test",
    )


async def test_a_package_up_to_the_limit_is_attached(sink: SmtpSink, tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    signer = FileLinkSigner(b"s" * 32, FixedClock(NOW))
    message = await package_mail(store, 1024 * 1024, RecordsPolicy(max_attachment_mb=1))

    await sender(sink, store, signer).deliver(message)

    [mail] = sink.received
    assert list(mail.attachments) == ["Dokumentation Ugglan.zip"]
    assert "/files/" not in mail.body_text


async def test_a_larger_package_is_kept_and_mailed_as_a_signed_link(
    sink: SmtpSink, tmp_path: Path
) -> None:
    store = LocalFileStore(tmp_path)
    clock = FixedClock(NOW)
    signer = FileLinkSigner(b"s" * 32, clock)
    message = await package_mail(
        store, 1024 * 1024 + 1, RecordsPolicy(max_attachment_mb=1, link_days=7)
    )
    key = message.payload["attachments"][0]["key"]

    await sender(sink, store, signer).deliver(message)

    [mail] = sink.received
    assert mail.attachments == {}
    body = mail.body_text
    data = await store.open(key)  # kept in the store
    assert f"SHA-256: {hashlib.sha256(data).hexdigest()}" in body
    assert f"Storlek: {1024 * 1024 + 1} byte" in body
    assert "gäller i 7 dagar" in body
    [url] = [line for line in body.splitlines() if line.startswith(BASE_URL)]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert unquote(parts.path).removeprefix("/files/") == key
    assert signer.verify(key, query["exp"][0], query["sig"][0])
    clock.set(NOW + timedelta(days=7, seconds=1))
    assert not signer.verify(key, query["exp"][0], query["sig"][0])  # valid link_days only
    # The outbox keeps the key, never the link.
    assert "sig=" not in str(message.payload)


async def test_a_failed_mail_is_transient_so_the_outbox_retries(
    sink: SmtpSink, tmp_path: Path
) -> None:
    store = LocalFileStore(tmp_path)
    signer = FileLinkSigner(b"s" * 32, FixedClock(NOW))
    message = await package_mail(store, 2 * 1024 * 1024, RecordsPolicy(max_attachment_mb=1))
    sink.refuse_next(451)

    with pytest.raises(DeliveryError) as failure:
        await sender(sink, store, signer).deliver(message)
    assert failure.value.failure.status is None  # transient: retried with backoff

    await sender(sink, store, signer).deliver(message)  # the retry
    [mail] = sink.received
    assert "SHA-256" in mail.body_text
