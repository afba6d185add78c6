"""Things that must happen once only, across turns and instances (e.g. the welcome card)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_unless_exists
from storage.models import AppSettingRow


async def first_time(session: AsyncSession, purpose: str, subject: str, now: datetime) -> bool:
    """Marks (purpose, subject) as done; True only for the one transaction that marked it."""
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:40]
    return await insert_unless_exists(
        session,
        AppSettingRow,
        {"key": f"once:{purpose[:16]}:{digest}", "value": "1", "updated_at": now},
        unique=["key"],
    )
