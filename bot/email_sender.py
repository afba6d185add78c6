"""Delivers e-mail rows of the outbox through the configured mail transport."""

from __future__ import annotations

from typing import Any

from bot.mail import MailError, MailMessage, MailTransport
from bot.proactive import DeliveryError
from domain.outbox import DeliveryFailure
from storage.outbox import OutboxMessage


class EmailSender:
    """Sends one outbox e-mail; a permanent refusal is not retried."""

    def __init__(self, transport: MailTransport, sender: str) -> None:
        self._transport = transport
        self._sender = sender

    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        """Sends the e-mail; raises DeliveryError classified for the retry decision."""
        payload = message.payload
        mail = MailMessage(
            to=tuple(payload["to"]),
            subject=payload["subject"],
            body_text=payload["body"],
            sender=self._sender,
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
