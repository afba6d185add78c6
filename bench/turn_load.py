"""The load of `bench.turns`: closed-loop clients that post messages and time the replies.

A turn is one POST of a Teams-shaped personal-chat message to a bot's /api/messages; its
latency runs from just before the POST to the moment the `ConnectorEmulator` (in this process)
recorded the reply, on the same monotonic clock. Each user is one client in their own 1:1
chat, so N users are N concurrent turns. The bots take turns in blocks, in ABBA order; each
block reads the bot process's CPU time before and after.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.bots import BotProcess
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.connector_records import ADAPTIVE_CARD, Received
from tests.support.factories import TeamsUser, make_message

TEXT = "hjälp"
HELP_TITLE = "Det här kan Kanalkollen"
HEADERS = {"Content-Type": "application/json"}


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to (a bad reply, a timeout)."""


class Replies:
    """Finds the emulator's record of the reply to an inbound activity, by its replyToId."""

    def __init__(self, emulator: ConnectorEmulator) -> None:
        self._emulator = emulator
        self._cursor = 0
        self._by_reply_to: dict[str, Received] = {}

    def _scan(self) -> None:
        requests = self._emulator.requests
        while self._cursor < len(requests):
            record = requests[self._cursor]
            self._cursor += 1
            if record.ok and record.operation in ("send", "reply") and record.body is not None:
                key = record.body.get("replyToId") or record.activity_id
                if key:
                    self._by_reply_to.setdefault(str(key), record)

    def take(self, activity_id: str) -> Received | None:
        """Returns (and forgets) the reply to an activity if the emulator has it already."""
        self._scan()
        return self._by_reply_to.pop(activity_id, None)

    async def wait(self, activity_id: str, seconds: float) -> Received:
        """Waits for the reply to an activity; BenchError after `seconds`."""
        found: list[Received] = []

        def arrived(_emulator: ConnectorEmulator) -> bool:
            record = self.take(activity_id)
            if record is not None:
                found.append(record)
            return bool(found)

        try:
            await self._emulator.wait_for(arrived, seconds)
        except AssertionError as error:
            raise BenchError(f"no reply to activity {activity_id} within {seconds}s") from error
        return found[0]


@dataclass(frozen=True)
class Sample:
    """One measured turn."""

    latency: float  # POST start -> reply recorded by the emulator
    post: float  # POST start -> POST answered
    reply_before_response: bool


@dataclass
class Level:
    """What was measured on one bot at one number of concurrent users."""

    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0  # summed wall time of the bot's measured blocks
    cpu_user: float = 0.0  # the bot process's user CPU seconds over those blocks
    cpu_system: float = 0.0  # and its system CPU seconds (the kernel: sockets, mostly)
    driver_cpu: float = 0.0  # this process's (client + emulator) CPU seconds over them


@dataclass
class Target:
    """One bot under test and what was measured on it."""

    bot: BotProcess
    session: aiohttp.ClientSession
    expect: Callable[[dict[str, Any]], bool]
    levels: dict[int, Level] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.bot.name


def is_help_card(reply: dict[str, Any]) -> bool:
    """Kanalkollen's answer to `hjälp`: the help card."""
    for attachment in reply.get("attachments") or []:
        content = attachment.get("content") or {}
        if attachment.get("contentType") == ADAPTIVE_CARD and content.get("body"):
            return bool(content["body"][0].get("text") == HELP_TITLE)
    return False


def is_echo(reply: dict[str, Any]) -> bool:
    """An echo bot's answer to `hjälp`."""
    return reply.get("text") == TEXT


def driver_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_turn(
    target: Target, user: TeamsUser, replies: Replies, service_url: str, turn_seconds: float
) -> Sample:
    """POSTs one `hjälp` message and waits until its reply has reached the emulator."""
    activity = make_message(TEXT, user=user, service_url=service_url)
    activity_id = str(activity["id"])
    data = json.dumps(activity).encode("utf-8")
    try:
        async with asyncio.timeout(turn_seconds):
            start = time.monotonic()
            async with target.session.post(target.bot.url, data=data, headers=HEADERS) as response:
                body = await response.read()
                status = response.status
            answered = time.monotonic()
            reply = replies.take(activity_id)
            before = reply is not None
            if reply is None:
                reply = await replies.wait(activity_id, turn_seconds)
    except TimeoutError as error:
        raise BenchError(f"{target.name}: a turn took longer than {turn_seconds}s") from error
    except aiohttp.ClientError as error:
        raise BenchError(f"{target.name}: POST failed: {error!r}") from error
    if status not in (200, 201, 202):
        raise BenchError(f"{target.name}: POST answered {status}: {body[:200]!r}")
    if reply.body is None or not target.expect(reply.body):
        raise BenchError(f"{target.name}: unexpected reply {reply.body!r:.300}")
    return Sample(latency=reply.at - start, post=answered - start, reply_before_response=before)


async def run_block(
    target: Target,
    users: Sequence[TeamsUser],
    replies: Replies,
    service_url: str,
    count: int,
    turn_seconds: float,
) -> list[Sample]:
    """Runs `count` turns on one bot, each user a closed-loop client; the samples."""
    samples: list[Sample] = []
    remaining = count

    async def client(user: TeamsUser) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            samples.append(await one_turn(target, user, replies, service_url, turn_seconds))

    await asyncio.gather(*(client(user) for user in users[:count]))
    return samples


async def alternate(
    targets: Sequence[Target],
    users: Sequence[TeamsUser],
    replies: Replies,
    service_url: str,
    *,
    turns: int,
    block: int,
    turn_seconds: float,
    deadline: float,
    record: bool,
) -> bool:
    """Runs `turns` turns per bot in blocks, in ABBA order; False if the deadline hit."""
    done = 0
    round_number = 0
    while done < turns:
        if time.monotonic() > deadline:
            return False
        size = min(block, turns - done)
        order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
        for target in order:
            (bot_user, bot_system), driver = target.bot.cpu_seconds(), driver_cpu()
            start = time.monotonic()
            samples = await run_block(target, users, replies, service_url, size, turn_seconds)
            if record:
                level = target.levels[len(users)]
                level.wall += time.monotonic() - start
                bot_user_after, bot_system_after = target.bot.cpu_seconds()
                level.cpu_user += bot_user_after - bot_user
                level.cpu_system += bot_system_after - bot_system
                level.driver_cpu += driver_cpu() - driver
                level.samples.extend(samples)
        done += size
        round_number += 1
    return True
