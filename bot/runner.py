"""One-shot work for cron and operators: `kanalkollen remind [--at] [--dry-run]`."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from sqlalchemy import select

from bot.adapter import build_adapter, build_authentication
from bot.delivery import build_delivery_loop
from bot.settings import Settings
from domain.clock import FixedClock, SystemClock
from domain.outbox import OutboxStatus
from domain.policy import load_policy
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import OutboxRow


async def run_reminders(
    settings: Settings, *, at: datetime | None, dry_run: bool, out: TextIO
) -> int:
    """Delivers every outbox row due at `at` (or now) and exits; `dry_run` only lists them."""
    policy = load_policy(settings.policy_path)
    clock = FixedClock(at) if at is not None else SystemClock()
    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        sessions = session_factory(engine)
        now = clock.now()
        if dry_run:
            async with sessions() as session:
                rows = (
                    (
                        await session.execute(
                            select(OutboxRow)
                            .where(OutboxRow.status == OutboxStatus.PENDING.value)
                            .where(OutboxRow.due_at <= now)
                            .order_by(OutboxRow.due_at, OutboxRow.id)
                        )
                    )
                    .scalars()
                    .all()
                )
            for row in rows:
                recipient = (
                    row.recipient_address
                    or row.conversation_id
                    or (f"person {row.recipient_person_id}")
                )
                out.write(
                    f"would send outbox {row.id} ({row.kind}) to {recipient}, "
                    f"due {row.due_at.isoformat()}\n"
                )
            out.write(f"{len(rows)} due at {now.isoformat()}; nothing sent (dry run)\n")
            return 0
        loop = build_delivery_loop(
            adapter=build_adapter(build_authentication(settings)),
            app_id=settings.app_id,
            default_service_url=settings.teams_service_url,
            sessions=sessions,
            clock=clock,
            policy=policy.delivery,
        )
        delivered = await loop.drain()
        out.write(f"{delivered} outbox message(s) handled at {now.isoformat()}\n")
        return 0
    finally:
        await engine.dispose()
