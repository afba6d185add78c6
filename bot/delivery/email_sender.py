"""Delivers e-mail rows of the outbox through the configured mail transport."""

from __future__ import annotations

from typing import Any

from bot.delivery.proactive import DeliveryError
from bot.integrations.mail_message import MailAttachment, MailError, MailMessage, MailTransport
from domain.outbox import DeliveryFailure
from storage.files import FileStore
from storage.outbox import OutboxMessage


class EmailSender:
    """Sends one outbox e-mail; a permanent refusal is not retried."""

    def __init__(
        self, transport: MailTransport, sender: str, store: FileStore | None = None
    ) -> None:
        self._transport = transport
        self._sender = sender
        self._store = store

    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        """Sends the e-mail; raises DeliveryError classified for the retry decision."""
        payload = message.payload
        attachments = []
        for item in payload.get("attachments", []):
            if self._store is None:
                raise DeliveryError(DeliveryFailure(status=400, message="no file store"))
            data = await self._store.open(item["key"])
            attachments.append(MailAttachment(item["filename"], item["content_type"], data))
        mail = MailMessage(
            to=tuple(payload["to"]),
            subject=payload["subject"],
            body_text=payload["body"],
            sender=self._sender,
            attachments=tuple(attachments),
        )
        try:
            await self._transport.send(mail)
        except MailError as error:
            # 400 is "never retry" for the outbox rules; None is a transient failure.
            status = 400 if error.permanent else None
            if error.retry_after is not None:
                status = 429
            raise DeliveryError(
                DeliveryFailure(
                    status=status,
                    retry_after_seconds=error.retry_after,
                    message=f"mail: {error}",
                )
            ) from error
        return {"to": list(mail.to)}
