"""Does one tenant's throttling slow another's? The delivery loop with several tenants.

    .venv/bin/python -m bench.tenant_lanes [--tenants 5] [--messages 200] [--json]

Seeds `--tenants` tenants with `--messages` people each and one due outbox row per person,
then runs the real delivery loop (as `serve` runs it) against the connector emulator twice:
once with every tenant answered normally (the baseline), once with the first tenant's every
first `--throttled-chats` chats answered 429 (Retry-After `--retry-after`) once each: every 429
pauses that tenant's lane. Each tenant's
pace is `DeliveryPolicy.per_tenant_per_second`. The figure that matters: how long the other
tenants take to receive all their messages, throttled neighbour or not.

Target (issue 15): with a throttled neighbour, the other tenants' last delivery comes no later
than 1.2 x the baseline's, and nothing is lost or sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import environment, positive
from bench.fanout_probe import conversation_reference
from bot.delivery.loop import build_delivery_loop
from bot.settings import Settings
from bot.teams.adapter import build_adapter
from domain.clock import SystemClock
from domain.outbox import OutboxKind, OutboxStatus
from domain.policy import DeliveryPolicy
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import ConversationReferenceRow, OutboxRow, PersonRow
from storage.outbox import enqueue
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_user

TARGET_FACTOR = 1.2
SETTLED = (OutboxStatus.SENT.value, OutboxStatus.DEAD.value, OutboxStatus.UNDELIVERABLE.value)


def tenant_id(number: int) -> str:
    """A synthetic Entra tenant id."""
    return f"7e57c0de-0000-4000-8000-{number:012d}"


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    tenants: int,
    per_tenant: int,
    service_url: str,
    now: datetime,
) -> dict[str, str]:
    """People, their chats and one due row each; returns {conversation id: tenant id}."""
    conversations: dict[str, str] = {}
    person_id = 0
    for number in range(1, tenants + 1):
        tenant = tenant_id(number)
        people, references, users = [], [], []
        for _ in range(per_tenant):
            person_id += 1
            user = make_user(person_id, tenant_id=tenant)
            users.append((person_id, user))
            conversations[user.conversation_id] = tenant
            people.append(
                {
                    "id": person_id,
                    "tenant_id": tenant,
                    "aad_object_id": user.aad_object_id,
                    "teams_user_id": user.user_id,
                    "name": user.name,
                    "locale": "sv-SE",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            references.append(
                {
                    "conversation_id": user.conversation_id,
                    "conversation_type": "personal",
                    "tenant_id": tenant,
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
            for pid, _user in users:
                enqueue(
                    session,
                    kind=OutboxKind.TEAMS_MESSAGE,
                    payload={"activity": {"type": "message", "text": f"Påminnelse {pid}"}},
                    now=now,
                    tenant_id=tenant,
                    recipient_person_id=pid,
                )
    return conversations


async def one_run(args: argparse.Namespace, throttled: bool) -> dict[str, Any]:
    """Delivers every row; returns each tenant's figures."""
    clock = SystemClock()
    policy = DeliveryPolicy(per_tenant_per_second=args.pace)
    total = args.tenants * args.messages
    with tempfile.TemporaryDirectory(prefix="kk-bench-lanes-") as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'kanalkollen.db'}")
        try:
            await upgrade_head(engine)
            sessions = session_factory(engine)
            async with ConnectorEmulator() as emulator:
                conversations = await seed(
                    sessions, args.tenants, args.messages, emulator.service_url, clock.now()
                )
                noisy = tenant_id(1)
                if throttled:
                    chats = [c for c, tenant in conversations.items() if tenant == noisy]
                    for conversation in chats[: args.throttled_chats]:
                        emulator.fail_next(
                            429,
                            retry_after=args.retry_after,
                            operation="send",
                            conversation_id=conversation,
                        )
                adapter = build_adapter(Settings())
                loop = build_delivery_loop(
                    adapter=adapter,
                    app_id="",
                    default_service_url=emulator.service_url,
                    sessions=sessions,
                    clock=clock,
                    policy=policy,
                )
                start = time.monotonic()
                loop.start()
                try:
                    deadline = start + args.max_seconds
                    while time.monotonic() < deadline:
                        await asyncio.sleep(0.25)
                        async with sessions() as session:
                            settled = await session.scalar(
                                select(func.count())
                                .select_from(OutboxRow)
                                .where(OutboxRow.status.in_(SETTLED))
                            )
                        if settled == total:
                            break
                finally:
                    await loop.stop(grace_seconds=5.0)
                    await adapter.http.close()
                wall = time.monotonic() - start
                last: dict[str, float] = defaultdict(float)
                sent: Counter[str] = Counter()
                rejected: Counter[str] = Counter()
                texts: Counter[str] = Counter()
                for record in emulator.requests:
                    tenant = conversations.get(record.conversation_id or "", "?")
                    if record.operation != "send":
                        continue
                    if not record.ok:
                        rejected[tenant] += 1
                        continue
                    sent[tenant] += 1
                    texts[record.text or ""] += 1
                    last[tenant] = max(last[tenant], record.at - start)
                async with sessions() as session:
                    counts = dict(
                        (
                            await session.execute(
                                select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
                            )
                        ).all()
                    )
        finally:
            await engine.dispose()
    quiet = [tenant_id(n) for n in range(2, args.tenants + 1)]
    return {
        "wall_s": round(wall, 2),
        "outbox": counts,
        "duplicated": sum(n - 1 for n in texts.values() if n > 1),
        "noisy": {
            "tenant": noisy,
            "sent": sent[noisy],
            "429": rejected[noisy],
            "last_s": round(last[noisy], 2),
        },
        "quiet": {
            "tenants": len(quiet),
            "sent": sum(sent[t] for t in quiet),
            "429": sum(rejected[t] for t in quiet),
            "last_s": round(max((last[t] for t in quiet), default=0.0), 2),
        },
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The baseline, then the run with a throttled tenant."""
    baseline = await one_run(args, throttled=False)
    noisy = await one_run(args, throttled=True)
    factor = noisy["quiet"]["last_s"] / baseline["quiet"]["last_s"]
    expected = (args.tenants - 1) * args.messages
    return {
        "config": {
            "tenants": args.tenants,
            "messages_per_tenant": args.messages,
            "per_tenant_per_second": args.pace,
            "retry_after_s": args.retry_after,
            "throttled_chats": args.throttled_chats,
        },
        "environment": environment(),
        "baseline": baseline,
        "throttled_neighbour": noisy,
        "targets": {
            "quiet_slowdown": round(factor, 3),
            "slowdown_pass": factor <= TARGET_FACTOR,
            "complete_pass": noisy["quiet"]["sent"] == expected
            and noisy["noisy"]["sent"] == args.messages,
            "duplicated_pass": baseline["duplicated"] == 0 and noisy["duplicated"] == 0,
        },
    }


def render(result: dict[str, Any]) -> str:
    """The result as a table."""
    c, b, n, t = (result[k] for k in ("config", "baseline", "throttled_neighbour", "targets"))
    lines = [
        f"{c['tenants']} tenants x {c['messages_per_tenant']} messages, "
        f"{c['per_tenant_per_second']}/s per tenant; {c['throttled_chats']} of the noisy tenant's "
        f"chats answer 429 (Retry-After {c['retry_after_s']} s) once",
        "",
        "run                  quiet tenants' last  noisy tenant's last  429s   outbox",
        f"baseline             {b['quiet']['last_s']:>14.2f} s  {b['noisy']['last_s']:>17.2f} s"
        f"  {b['noisy']['429'] + b['quiet']['429']:>4}   {b['outbox']}",
        f"throttled neighbour  {n['quiet']['last_s']:>14.2f} s  {n['noisy']['last_s']:>17.2f} s"
        f"  {n['noisy']['429'] + n['quiet']['429']:>4}   {n['outbox']}",
        "",
        "target                                          measured  result",
        f"quiet tenants slowed <= {TARGET_FACTOR} x the baseline"
        f"          {t['quiet_slowdown']:>6.3f}x  {'PASS' if t['slowdown_pass'] else 'FAIL'}",
        f"every message delivered (quiet and noisy)"
        f"                  {'PASS' if t['complete_pass'] else 'FAIL'}",
        f"duplicated = 0                                              "
        f"{'PASS' if t['duplicated_pass'] else 'FAIL'}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs both runs and prints the report; exit 0 PASS, 1 FAIL."""
    parser = argparse.ArgumentParser(prog="python -m bench.tenant_lanes", description=__doc__)
    parser.add_argument("--tenants", type=positive, default=5, help="tenants (5)")
    parser.add_argument("--messages", type=positive, default=200, help="per tenant (200)")
    parser.add_argument("--pace", type=float, default=30.0, help="per tenant and second (30)")
    parser.add_argument("--retry-after", type=float, default=5.0, help="seconds (5)")
    parser.add_argument(
        "--throttled-chats", type=positive, default=5, help="the noisy tenant's chats (5)"
    )
    parser.add_argument("--max-seconds", type=float, default=120.0, help="per run (120)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0 if all(v for k, v in result["targets"].items() if k.endswith("_pass")) else 1


if __name__ == "__main__":
    sys.exit(main())
