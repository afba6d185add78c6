"""What the fan-out benchmark runs on: the seeded outbox, the emulator's probe of every request,
the pacer it watches, and counters of the bot's log lines."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from microsoft_agents.activity import Activity
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.loop import DeliveryLoop
from bot.delivery.pacing import Pacer
from bot.delivery.proactive import TeamsSender
from bot.teams.turn_recorder import reference_of
from domain.outbox import OutboxKind
from storage.models import ConversationReferenceRow, PersonRow
from storage.outbox import OutboxStore, enqueue
from tests.support.factories import TeamsUser, make_message, make_user

TEXT = "Dags att dokumentera kanalen (bench outbox #{row_id})"

ROW_IN_TEXT = re.compile(r"\(bench outbox #(\d+)\)")

BATCH = 1_000


def conversation_reference(user: TeamsUser, service_url: str) -> dict[str, Any]:
    """The reference the turn recorder stores for a user's personal chat.

    What the recorder stores for a Teams message: no activity id (a proactive message is a
    new message) and the tenant on the conversation.
    """
    activity = Activity.model_validate(make_message("hej", user=user, service_url=service_url))
    return reference_of(activity, user.tenant_id)


async def seed(
    sessions: async_sessionmaker[AsyncSession], count: int, service_url: str, now: datetime
) -> tuple[dict[int, str], float]:
    """Inserts N people with their personal conversation references and queues one outbox
    row for each; returns ({row id: text}, seconds taken)."""
    started = time.perf_counter()
    users = [make_user(index) for index in range(1, count + 1)]
    for first in range(0, count, BATCH):
        people: list[dict[str, Any]] = []
        references: list[dict[str, Any]] = []
        for offset, user in enumerate(users[first : first + BATCH]):
            person_id = first + offset + 1
            people.append(
                {
                    "id": person_id,
                    "tenant_id": user.tenant_id,
                    "aad_object_id": user.aad_object_id,
                    "teams_user_id": user.user_id,
                    "name": user.name,
                    "email": user.email,
                    "locale": "sv-SE",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            references.append(
                {
                    "conversation_id": user.conversation_id,
                    "conversation_type": "personal",
                    "tenant_id": user.tenant_id,
                    "person_id": person_id,
                    "service_url": service_url,
                    "channel_id": "msteams",
                    "reference": conversation_reference(user, service_url),
                    "updated_at": now,
                }
            )
        async with sessions.begin() as session:
            await session.execute(insert(PersonRow), people)
            await session.execute(insert(ConversationReferenceRow), references)
    texts: dict[int, str] = {}
    for first in range(0, count, BATCH):
        async with sessions.begin() as session:
            rows = [
                enqueue(
                    session,
                    kind=OutboxKind.TEAMS_MESSAGE,
                    payload={},
                    now=now,
                    tenant_id=user.tenant_id,
                    recipient_person_id=first + offset + 1,
                )
                for offset, user in enumerate(users[first : first + BATCH])
            ]
            await session.flush()
            for row in rows:
                texts[row.id] = TEXT.format(row_id=row.id)
                row.payload = {"activity": {"type": "message", "text": texts[row.id]}}
    return texts, time.perf_counter() - started


@contextlib.contextmanager
def patched_pacer(burst: float | None, block_restarts_refill: bool) -> Iterator[list[str]]:
    """Changes bot.delivery.pacing.Pacer in this process for the run (not the stock pacer).

    `burst`: every bucket holds at most this many tokens, instead of `max(1, rate)`.
    `block_restarts_refill`: after `block()` (a 429's Retry-After) the bucket refills from
    the end of the block, instead of from its last grant, so a block does not end in a
    full-bucket burst. Yields the descriptions of the patches made.
    """
    made: list[str] = []
    original_init = Pacer.__init__
    original_block = Pacer.block
    if burst is not None:

        def init(
            self: Pacer,
            rate_per_second: float,
            *,
            burst: float | None = None,
            monotonic: Callable[[], float] = time.monotonic,
        ) -> None:
            original_init(self, rate_per_second, burst=forced, monotonic=monotonic)

        forced = burst
        Pacer.__init__ = init  # type: ignore[method-assign]
        made.append(f"burst {burst:g}")
    if block_restarts_refill:

        def block(self: Pacer, key: str, seconds: float) -> None:
            original_block(self, key, seconds)
            bucket = self._bucket(key)
            bucket.updated = max(bucket.updated, bucket.blocked_until)

        Pacer.block = block  # type: ignore[method-assign]
        made.append("block restarts the refill")
    try:
        yield made
    finally:
        Pacer.__init__ = original_init  # type: ignore[method-assign]
        Pacer.block = original_block  # type: ignore[method-assign]


@dataclass
class Probe:
    """Wraps a few delivery functions for the run and records what each call took."""

    seconds: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    in_flight: int = 0
    max_in_flight: int = 0
    _restore: list[tuple[Any, str, Any]] = field(default_factory=list)

    def _wrap(
        self, label: str, function: Callable[..., Awaitable[Any]], count_flight: bool
    ) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(function)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            if count_flight:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await function(*args, **kwargs)
            finally:
                if count_flight:
                    self.in_flight -= 1
                self.seconds[label].append(time.perf_counter() - start)

        return timed

    def __enter__(self) -> Probe:
        # (owner, attribute, label, count the calls in flight)
        targets: tuple[tuple[Any, str, str, bool], ...] = (
            (DeliveryLoop, "_deliver", "deliver", False),
            (Pacer, "acquire", "pacer", False),
            (TeamsSender, "deliver", "send", True),
            (OutboxStore, "claim", "claim", False),
            (OutboxStore, "mark_sent", "mark_sent", False),
        )
        for owner, attribute, label, count_flight in targets:
            function = owner.__dict__[attribute]
            self._restore.append((owner, attribute, function))
            setattr(owner, attribute, self._wrap(label, function, count_flight))
        return self

    def __exit__(self, *_exc: object) -> None:
        for owner, attribute, function in reversed(self._restore):
            setattr(owner, attribute, function)
        self._restore.clear()


class LogCounter(logging.Handler):
    """Counts the delivery loop's log records by their message template (kept off stderr)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {record.msg}"] += 1


@contextlib.contextmanager
def counting_logs(names: Sequence[str]) -> Any:
    """Sends these loggers' records to a counter instead of stderr, for the run."""
    counter = LogCounter()
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, logger.level))
        logger.addHandler(counter)
        logger.propagate = False
        logger.setLevel(logging.INFO)
    try:
        yield counter
    finally:
        for logger, propagate, level in saved:
            logger.removeHandler(counter)
            logger.propagate = propagate
            logger.setLevel(level)
