"""One-shot work for cron and operators: `kanalkollen remind [--at] [--dry-run]`."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from sqlalchemy import select

from bot.assembly import file_store_for, open_runtime
from bot.settings import Settings
from bot.teams.adapter import build_adapter
from bot.web.file_links import FileLinkSigner, signing_secret
from dialogs.dialog_runner import DialogRunner
from dialogs.state import DialogStates
from domain.clock import FixedClock, SystemClock
from domain.outbox import OutboxStatus
from domain.policy_file import load_policy
from storage.bot_state import SqlStorage
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import OutboxRow


async def run_reminders(
    settings: Settings, *, at: datetime | None, dry_run: bool, out: TextIO
) -> int:
    """Runs one scheduler sweep as of `at` (or now), delivers what is due, and exits.

    With `dry_run` the sweep's work is rolled back and nothing is sent: it prints what would go.
    """
    policy = load_policy(settings.policy_path, deployed=not settings.local_mode)
    clock = FixedClock(at) if at is not None else SystemClock()
    engine = create_engine(settings.database_url)
    adapter = build_adapter(settings)
    store = file_store_for(settings)
    try:
        await upgrade_head(engine)
        sessions = session_factory(engine)
        now = clock.now()
        signer = FileLinkSigner(
            signing_secret(settings.files_signing_key, local_mode=settings.local_mode), clock
        )
        runner = DialogRunner(DialogStates(SqlStorage(sessions, clock)), {})
        async with open_runtime(
            settings,
            sessions=sessions,
            clock=clock,
            policy=policy,
            adapter=adapter,
            store=store,
            signer=signer,
            runner=runner,
        ) as runtime:
            if dry_run:
                # The sweeps run in one transaction that is rolled back: what they would
                # queue is visible to the listing below and then undone.
                async with sessions() as session, session.begin() as transaction:
                    queued = {
                        name: await sweep(session) for name, sweep in runtime.flows.sweeps.items()
                    }
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
                    await transaction.rollback()
                out.write(
                    f"sweep would queue {queued}; {len(rows)} due at {now.isoformat()}; "
                    "nothing sent (dry run)\n"
                )
                return 0
            queued = await runtime.scheduler.run_once()
            delivered = await runtime.delivery.drain()
            captured = 0
            if runtime.capture is not None:
                # The captures the sweep queued (and any left by a stopped server) are taken
                # here, one at a time within the page's time limit, and shown as in serve.
                await runtime.capture.purge()
                captured = await runtime.capture.drain()
                delivered += await runtime.delivery.drain()
            out.write(
                f"sweep queued {queued}; {captured} capture(s) taken; {delivered} outbox "
                f"message(s) handled at {now.isoformat()}\n"
            )
            return 0
    finally:
        await store.close()
        await adapter.http.close()
        await engine.dispose()
