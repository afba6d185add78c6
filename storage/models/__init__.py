"""SQLAlchemy 2.0 models: the database is the source of truth for people, state and work.

One module per concern; importing this package declares every table on `Base.metadata` (Alembic
and the migrations' tests rely on it), and every model is importable from here as before.
"""

from __future__ import annotations

from storage.models.base import SLUG_LENGTH, Base, UtcDateTime
from storage.models.channels import CardCopyRow, ChannelClosingRow, ChannelEditorRow, ChannelRow
from storage.models.consents import (
    POST_PENDING,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    RemovalTaskRow,
)
from storage.models.people import ConversationReferenceRow, PersonRow
from storage.models.records import (
    DeletionDecisionRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    EvidenceFileRow,
)
from storage.models.work import AppSettingRow, AuditEventRow, BotStateRow, CaptureRow, OutboxRow

__all__ = [
    "POST_PENDING",
    "SLUG_LENGTH",
    "AppSettingRow",
    "AuditEventRow",
    "Base",
    "BotStateRow",
    "CaptureRow",
    "CardCopyRow",
    "ChannelClosingRow",
    "ChannelEditorRow",
    "ChannelRow",
    "ConsentCheckConsentRow",
    "ConsentCheckRow",
    "ConsentRow",
    "ConversationReferenceRow",
    "DeletionDecisionRow",
    "DocumentationFileRow",
    "DocumentationRoundRow",
    "EvidenceFileRow",
    "OutboxRow",
    "PersonRow",
    "RemovalTaskRow",
    "UtcDateTime",
]
