"""Copies of a name outside the rows that belong to the person (issue 24).

A consent subject's and guardian's names are typed once, into the consent check's form, and
travel from there: the check's stored answers and what it found missing, the cards queued to
the editors (removal tasks, replies Teams refused during the turn and that were queued), the
dialog state of a check still waiting for its signed forms, the file names of the forms and
captures, the register's CSV. A person's name and e-mail likewise sit in cards sent to others.
Export and erasure use this module to find every such copy, by the names themselves: a copy
carries no id to follow.

A name matches as a whole word, whatever its case ("Alva Åström" matches "alva åström:" but
not "Alva Åströmsson"); JSON is searched value by value, so escaped non-ASCII is found too.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.outbox import OutboxKind, OutboxStatus
from storage.files import is_valid_key
from storage.models import (
    AuditEventRow,
    BotStateRow,
    ConsentCheckRow,
    OutboxRow,
    RemovalTaskRow,
)

ERASED = "[raderad]"
# The consent register's CSV files that versions before issue 24 stored on every `samtycken`
# (an hour's link each, never deleted): copies of the whole register, not records.
REGISTER_EXPORT_KIND = "consent-register"
TEAMS_KINDS = (OutboxKind.TEAMS_MESSAGE.value, OutboxKind.TEAMS_UPDATE.value)
_SCAN_BATCH = 500
_MIN_NAME = 2  # a one-letter "name" would match everywhere


def name_pattern(names: Iterable[str | None]) -> re.Pattern[str] | None:
    """A pattern matching any of the names as whole words, case-insensitively; None if none."""
    words = sorted(
        {
            n.strip()
            for n in names
            if n is not None and len(n.strip()) >= _MIN_NAME and n.strip() != ERASED
        },
        key=len,
        reverse=True,
    )
    if not words:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words), re.IGNORECASE)


def mentions(value: Any, pattern: re.Pattern[str]) -> bool:
    """Tells whether a string, or any string in a JSON-like value, holds one of the names."""
    if isinstance(value, str):
        if pattern.search(value):
            return True
        decoded = _json(value)
        return decoded is not None and mentions(decoded, pattern)
    if isinstance(value, dict):
        return any(mentions(v, pattern) for v in value.values())
    if isinstance(value, list | tuple):
        return any(mentions(item, pattern) for item in value)
    return False


def scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """The value with every occurrence of the names replaced by "[raderad]" (in the values of
    a JSON-like value: its keys are the program's, never a name)."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {k: scrub(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item, pattern) for item in value]
    return value


def _json(text: str) -> Any:
    if text[:1] not in ("{", "["):
        return None
    with contextlib.suppress(ValueError, RecursionError):
        return json.loads(text)
    return None


@dataclass
class Copies:
    """The rows that hold one of the names outside the person's or subject's own rows."""

    checks: list[ConsentCheckRow] = field(default_factory=list)
    removal_tasks: list[RemovalTaskRow] = field(default_factory=list)
    messages: list[OutboxRow] = field(default_factory=list)
    states: list[BotStateRow] = field(default_factory=list)
    audit: list[AuditEventRow] = field(default_factory=list)


async def find_copies(
    session: AsyncSession,
    pattern: re.Pattern[str],
    *,
    channel_ids: Collection[int] | None = None,
    skip_states: Collection[str] = (),
) -> Copies:
    """Every copy of the names: consent checks and removal tasks (of `channel_ids` when given),
    outbox messages in any state (queued, sent, dead), dialog states and audit details."""
    copies = Copies()
    checks = select(ConsentCheckRow).order_by(ConsentCheckRow.id)
    tasks = select(RemovalTaskRow).order_by(RemovalTaskRow.id)
    if channel_ids is not None:
        checks = checks.where(ConsentCheckRow.channel_id.in_(list(channel_ids)))
        tasks = tasks.where(RemovalTaskRow.channel_id.in_(list(channel_ids)))
    async for check in await session.stream_scalars(
        checks.execution_options(yield_per=_SCAN_BATCH)
    ):
        if mentions([check.answers, check.missing, check.details], pattern):
            copies.checks.append(check)
    async for task in await session.stream_scalars(tasks.execution_options(yield_per=_SCAN_BATCH)):
        if mentions([task.details, task.post_address], pattern):
            copies.removal_tasks.append(task)
    messages = select(OutboxRow).order_by(OutboxRow.id).execution_options(yield_per=_SCAN_BATCH)
    async for message in await session.stream_scalars(messages):
        if mentions([message.payload, message.result, message.last_error], pattern):
            copies.messages.append(message)
    states = select(BotStateRow).order_by(BotStateRow.key).execution_options(yield_per=_SCAN_BATCH)
    async for state in await session.stream_scalars(states):
        if state.key not in skip_states and mentions(state.data, pattern):
            copies.states.append(state)
    events = select(AuditEventRow).order_by(AuditEventRow.id)
    async for event in await session.stream_scalars(
        events.execution_options(yield_per=_SCAN_BATCH)
    ):
        if mentions(event.details, pattern):
            copies.audit.append(event)
    return copies


def shown_in_chats(messages: Iterable[OutboxRow]) -> dict[tuple[str, str], OutboxRow]:
    """The Teams messages already shown in a chat, by (conversation, activity): the last row
    sent for each (the message itself, or its latest update)."""
    shown: dict[tuple[str, str], OutboxRow] = {}
    for row in sorted(messages, key=lambda m: m.id):
        result = row.result or {}
        conversation, activity = result.get("conversation_id"), result.get("activity_id")
        if (
            row.kind in TEAMS_KINDS
            and row.status == OutboxStatus.SENT.value
            and isinstance(conversation, str)
            and isinstance(activity, str)
            and isinstance((row.payload or {}).get("activity"), dict)
        ):
            shown[(conversation, activity)] = row
    return shown


def message_copy(row: OutboxRow) -> dict[str, Any]:
    """An outbox message as the export shows it: what it is, where it stands, what it says."""
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "content": row.payload,
    }


def register_exports(files_dir: Path) -> list[str]:
    """The keys of the register CSVs stored by versions before issue 24, in a local store."""
    folder = files_dir / REGISTER_EXPORT_KIND
    if not folder.is_dir():
        return []
    keys = []
    for token in sorted(folder.iterdir()):
        if not token.is_dir():
            continue
        for file in sorted(token.iterdir()):
            key = f"{REGISTER_EXPORT_KIND}/{token.name}/{file.name}"
            if is_valid_key(key):
                keys.append(key)
    return keys
