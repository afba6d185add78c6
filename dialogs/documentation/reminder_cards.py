"""The documentation reminder card (R12): what an editor sees, and what a round updates."""

from __future__ import annotations

from datetime import date
from typing import Any

from cards.documentation import (
    DocumentationReminderView,
    documentation_reminder_card,
)
from cards.i18n import Texts
from dialogs.capture import CaptureFlow
from dialogs.channel_views import day
from dialogs.services import FlowServices
from domain.documentation import (
    days_overdue,
    today_in,
)
from storage.documentation import DueChannel
from storage.models import (
    ChannelRow,
)


class ReminderCards:
    """Builds the reminder card of a channel's documentation round."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services
        self._captures = CaptureFlow(services)

    def _view(
        self,
        channel: DueChannel | ChannelRow,
        due: date,
        texts: Texts,
        *,
        done: str | None = None,
        last: date | None = None,
    ) -> DocumentationReminderView:
        today = today_in(self._s.clock.now(), self._s.policy_for(channel).documentation)
        return DocumentationReminderView(
            channel_id=channel.id,
            due_iso=due.isoformat(),
            name=channel.name,
            platform=texts(f"platform.{channel.platform}"),
            due=day(texts, due),
            last_documented=day(texts, last) if last else None,
            overdue_days=days_overdue(due, today),
            done=done,
        )

    def reminder_card(self, channel: ChannelRow, texts: Texts) -> dict[str, Any]:
        """The card with *Dokumentera nu* for one channel (as the reminder shows it)."""
        assert channel.next_documentation_due is not None
        return documentation_reminder_card(
            self._view(channel, channel.next_documentation_due, texts), texts
        )
