"""The delivery loop: claims due outbox rows, sends them paced, records the outcome.

It is woken when a row is added in this process and otherwise polls, so rows added by
another instance or by `kanalkollen remind` are picked up within the poll interval.

Each tenant has its own lane: its own pace, its own sends in flight, its own 429 pauses. The
loop claims the next batch while earlier ones are still going, leaving out the rows of tenants
whose lane is full or paused by a 429, and a paused tenant's claimed rows go back to the outbox
(due when the pause ends) instead of holding a lease and a slot: one tenant's 429s never slow
another tenant's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.pacing import Pacer
from bot.delivery.proactive import DeliveryError
from domain.clock import Clock
from domain.outbox import DeliveryFailure, NextStep, OutboxKind, OutboxStatus, after_failure
from domain.policy import DeliveryPolicy
from storage.channels import add_card_copy
from storage.outbox import OutboxMessage, OutboxStore
from storage.people import forget_conversation, mark_undeliverable, personal_conversation

log = logging.getLogger(__name__)

# (session, person id, now): reacts to a person marked undeliverable, in the same transaction.
UndeliverableHook = Callable[[AsyncSession, int, datetime], Awaitable[object]]
# (session, message, reason, now): a Teams message to a person given up on, same transaction.
UnreachableHook = Callable[[AsyncSession, OutboxMessage, str, datetime], Awaitable[object]]

POLL_SECONDS = 5.0
STOP_GRACE_SECONDS = 10.0
CONCURRENT_CONVERSATIONS = 8  # conversations of one tenant sent to side by side
# A tenant or conversation paused longer than this by a 429: its claimed rows go back.
DEFER_AFTER_SECONDS = 1.0


class Sender(Protocol):
    """Delivers one outbox message or raises DeliveryError."""

    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        """Delivers the message and returns where it landed."""
        ...


def instance_name() -> str:
    """A name for this process, stored on the rows it claims."""
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


class DeliveryLoop:
    """Delivers the outbox: one claim per batch, paced per tenant and per conversation."""

    def __init__(
        self,
        *,
        store: OutboxStore,
        senders: Mapping[OutboxKind, Sender],
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        policy: DeliveryPolicy,
        owner: str | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._store = store
        self._senders = dict(senders)
        self._sessions = sessions
        self._clock = clock
        self._policy = policy
        self.owner = owner or instance_name()
        self._poll_seconds = poll_seconds
        self._tenants = Pacer(policy.per_tenant_per_second)
        self._conversations = Pacer(policy.per_conversation_per_second)
        self._wake = asyncio.Event()
        # Called in the transaction that marks a person undeliverable (set by the runtime).
        self.on_undeliverable: UndeliverableHook | None = None
        # Called in the transaction that gives up on a Teams message to a person (e-mail).
        self.on_unreachable: UnreachableHook | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._in_flight: dict[str, int] = defaultdict(int)  # claimed, not yet done, per tenant
        self._batches: set[asyncio.Task[None]] = set()
        self._skipped: set[str] = set()  # tenants the last claim left out

    def wake(self) -> None:
        """Asks the loop to look for due rows now (called after a commit that queued one)."""
        self._wake.set()

    def start(self) -> None:
        """Starts the loop as a background task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="kanalkollen-delivery")

    async def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Stops after the batch in hand; after the grace period the batch is cancelled.

        A cancelled row keeps its lease and is delivered by whichever instance claims it
        after the lease.
        """
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._stopping = False

    async def _run(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    batch = await self._claim()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("delivery loop: a claim failed; retrying after the poll")
                    batch = []
                if batch:
                    # The next claim does not wait for this batch: other tenants go on.
                    task = asyncio.create_task(self._deliver_batch(batch))
                    self._batches.add(task)
                    task.add_done_callback(self._batches.discard)
                    continue
                if self._stopping:
                    break
                idle = await self._idle_seconds()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(idle):
                        await self._wake.wait()
            if self._batches:
                await asyncio.gather(*self._batches, return_exceptions=True)
        except asyncio.CancelledError:
            for task in list(self._batches):
                task.cancel()
            raise

    async def _idle_seconds(self) -> float:
        next_due = await self._store.next_due_at()
        if next_due is None:
            return self._poll_seconds
        wait = (next_due - self._clock.now()).total_seconds()
        if wait <= 0 and self._busy_tenants():
            # What is due belongs to tenants whose lanes are full or paused: a lane wakes the
            # loop when it has room, a pause ends by itself.
            paused = [self._tenants.blocked_for(t) for t in self._tenants.blocked_keys()]
            wait = min([*paused, self._poll_seconds])
        return min(max(wait, 0.05), self._poll_seconds)

    def _busy_tenants(self) -> list[str]:
        """Tenants whose rows wait: their lane holds a batch already, or a 429 paused them."""
        full = [t for t, n in self._in_flight.items() if n >= self._policy.batch_size]
        return sorted({*full, *self._tenants.blocked_keys(DEFER_AFTER_SECONDS)})

    async def _claim(self) -> list[OutboxMessage]:
        self._skipped = set(self._busy_tenants())
        batch = await self._store.claim(
            self.owner,
            self._clock.now(),
            self._policy.lease_seconds,
            self._policy.batch_size,
            kinds=tuple(self._senders),
            skip_tenants=self._skipped,
        )
        for message in batch:
            self._in_flight[message.tenant_id or "-"] += 1
        return batch

    async def run_once(self) -> int:
        """Claims one batch of due rows and delivers it; returns how many were claimed."""
        batch = await self._claim()
        if batch:
            await self._deliver_batch(batch)
        return len(batch)

    async def _deliver_batch(self, batch: list[OutboxMessage]) -> None:
        groups: dict[str, list[OutboxMessage]] = defaultdict(list)
        for message in batch:
            groups[_conversation_key(message)].append(message)
        await asyncio.gather(*(self._deliver_group(key, group) for key, group in groups.items()))

    async def drain(self) -> int:
        """Delivers every row due now, batch after batch; returns how many were claimed."""
        total = 0
        while delivered := await self.run_once():
            total += delivered
        return total

    async def _deliver_group(self, key: str, group: list[OutboxMessage]) -> None:
        # One conversation's messages go in order; different conversations go side by side,
        # up to CONCURRENT_CONVERSATIONS per tenant (one tenant's slow sends hold only its own).
        tenant = group[0].tenant_id or "-"
        limit = self._limits.setdefault(tenant, asyncio.Semaphore(CONCURRENT_CONVERSATIONS))
        async with limit:
            for message in group:
                try:
                    await self._deliver(key, message)
                finally:
                    self._done(message)

    def _done(self, message: OutboxMessage) -> None:
        tenant = message.tenant_id or "-"
        self._in_flight[tenant] -= 1
        if self._in_flight[tenant] <= 0:
            del self._in_flight[tenant]
        if (
            tenant in self._skipped
            and self._in_flight.get(tenant, 0) <= self._policy.batch_size // 2
        ):
            # The last claim left this tenant's rows for a full lane; it has room again.
            self._skipped.discard(tenant)
            self._wake.set()

    async def _deliver(self, key: str, message: OutboxMessage) -> None:
        tenant = message.tenant_id or "-"
        paused = max(self._tenants.blocked_for(tenant), self._conversations.blocked_for(key))
        if paused > DEFER_AFTER_SECONDS:
            # Throttled before this row was tried: back to the outbox, due when the pause ends.
            await self._store.defer(message, self._clock.now() + timedelta(seconds=paused))
            return
        await self._tenants.acquire(tenant)
        await self._conversations.acquire(key)
        try:
            result = await self._senders[message.kind].deliver(message)
        except DeliveryError as error:
            await self._failed(key, message, error)
            return
        except Exception as error:
            log.exception("outbox %s: unexpected error", message.id)
            await self._failed(
                key,
                message,
                DeliveryError(
                    DeliveryFailure(status=None, message=f"{type(error).__name__}: {error}")
                ),
            )
            return
        if not await self._store.mark_sent(message, self._clock.now(), result):
            log.warning(
                "outbox %s: sent, but the lease had passed to another instance", message.id
            )
        await self._remember_copy(message, result)

    async def _remember_copy(self, message: OutboxMessage, result: dict[str, Any]) -> None:
        """Records where a tracked card landed, so that later decisions update it."""
        track = message.payload.get("track")
        if not isinstance(track, dict) or not result.get("activity_id"):
            return
        async with self._sessions.begin() as session:
            await add_card_copy(
                session,
                subject_type=track["subject_type"],
                subject_id=track["subject_id"],
                card=track["card"],
                conversation_id=result["conversation_id"],
                activity_id=result["activity_id"],
                person_id=message.recipient_person_id,
                locale=None,
                now=self._clock.now(),
            )

    async def _failed(self, key: str, message: OutboxMessage, error: DeliveryError) -> None:
        failure = error.failure
        now = self._clock.now()
        if failure.status == 429 and failure.retry_after_seconds:
            self._tenants.block(message.tenant_id or "-", failure.retry_after_seconds)
            self._conversations.block(key, failure.retry_after_seconds)
        if error.stale_conversation and message.conversation_id is None:
            # Teams no longer knows the stored chat: forget it and open a new one right away.
            async with self._sessions.begin() as session:
                if message.recipient_person_id is not None:
                    row = await personal_conversation(session, message.recipient_person_id)
                    if row is not None:
                        await forget_conversation(session, row.conversation_id)
            step = NextStep(OutboxStatus.PENDING, now)
            if message.attempts >= self._policy.max_attempts:
                step = NextStep(OutboxStatus.DEAD)
        elif error.unreachable:
            step = NextStep(OutboxStatus.UNDELIVERABLE)
        else:
            step = after_failure(failure, message.attempts, now, self._policy)
        log.warning(
            "outbox %s (%s) attempt %d failed: %s -> %s",
            message.id,
            message.kind.value,
            message.attempts,
            failure.message,
            step.status.value,
        )
        if step.status is OutboxStatus.UNDELIVERABLE and message.recipient_person_id is not None:
            # The person first, then the row: a crash in between retries the row after its
            # lease, which marks the person again and queues the e-mail once (idempotent).
            async with self._sessions.begin() as session:
                if not error.unreachable:  # refused by Teams (403/404), not unknown to it
                    await mark_undeliverable(
                        session, message.recipient_person_id, failure.message, now
                    )
                    if self.on_undeliverable is not None:
                        # R3: an editor who cannot be reached is replaced (the manager is asked).
                        await self.on_undeliverable(session, message.recipient_person_id, now)
                if self.on_unreachable is not None:
                    # The message by e-mail, and whoever decides told when it waits for an answer.
                    await self.on_unreachable(session, message, failure.message, now)
            self.wake()
        await self._store.mark_failed(message, step, failure.message)


def _conversation_key(message: OutboxMessage) -> str:
    if message.conversation_id:
        return f"c:{message.conversation_id}"
    if message.recipient_person_id is not None:
        return f"p:{message.recipient_person_id}"
    return f"a:{message.recipient_address or message.id}"


def build_delivery_loop(
    *,
    adapter: Any,
    app_id: str,
    default_service_url: str,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    policy: DeliveryPolicy,
    email: Sender | None = None,
) -> DeliveryLoop:
    """Builds the loop with the Teams senders and, when a transport is configured, e-mail.

    Without a mail transport (MAIL_TRANSPORT=none) e-mail rows stay pending in the outbox.
    """
    from bot.delivery.proactive import TeamsSender

    teams = TeamsSender(
        adapter,
        app_id=app_id,
        sessions=sessions,
        clock=clock,
        default_service_url=default_service_url,
    )
    senders: dict[OutboxKind, Sender] = {
        OutboxKind.TEAMS_MESSAGE: teams,
        OutboxKind.TEAMS_UPDATE: teams,
    }
    if email is not None:
        senders[OutboxKind.EMAIL] = email
    return DeliveryLoop(
        store=OutboxStore(sessions),
        senders=senders,
        sessions=sessions,
        clock=clock,
        policy=policy,
    )
