"""Delivers e-mail rows of the outbox through the configured mail transport."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.delivery.proactive import DeliveryError
from bot.integrations.mail_message import MailAttachment, MailError, MailMessage, MailTransport
from cards.i18n import Texts
from domain.outbox import DeliveryFailure
from storage.files import FileStore
from storage.outbox import OutboxMessage

# Makes a signed, expiring link to a stored file (bot/web/file_links.py).
LinkMaker = Callable[[str, timedelta], str]


class EmailSender:
    """Sends one outbox e-mail; a permanent refusal is not retried."""

    def __init__(
        self,
        transport: MailTransport,
        sender: str,
        store: FileStore | None = None,
        link: LinkMaker | None = None,
    ) -> None:
        self._transport = transport
        self._sender = sender
        self._store = store
        self._link = link

    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        """Sends the e-mail; raises DeliveryError classified for the retry decision."""
        payload = message.payload
        attachments = []
        body = payload["body"]
        for item in payload.get("attachments", []):
            if self._store is None:
                raise DeliveryError(DeliveryFailure(status=400, message="no file store"))
            linked = await self._as_link(item)
            if linked is not None:
                body += "\n\n" + linked
                continue
            data = await self._store.open(item["key"])
            attachments.append(MailAttachment(item["filename"], item["content_type"], data))
        mail = MailMessage(
            to=tuple(payload["to"]),
            subject=payload["subject"],
            body_text=body,
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

    async def _as_link(self, item: dict[str, Any]) -> str | None:
        """Issue 27: the text with a signed link for a package larger than the mailbox takes
        (`max_bytes`), or None to attach it. The link is made now, valid `link_days`, and is
        never stored (the outbox keeps the key only)."""
        limit = item.get("max_bytes")
        if limit is None or self._link is None or self._store is None:
            return None
        stored = await self._store.stat(item["key"])
        if stored is None or stored.size <= limit:
            return None
        days = int(item.get("link_days", 30))
        return Texts("sv")(
            "records_package.link",
            url=self._link(item["key"], timedelta(days=days)),
            days=days,
            size=stored.size,
            size_mb=f"{stored.size / (1024 * 1024):.1f}",
            max_mb=limit // (1024 * 1024),
            sha256=item.get("sha256") or stored.sha256,
            filename=item["filename"],
        )
