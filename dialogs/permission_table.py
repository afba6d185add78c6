"""The permission table (docs/permissions.md), generated from the declarations.

`python -m dialogs.permission_table > docs/permissions.md` writes it; a test fails when the
file is not what the declarations say, so the documentation and the code cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime

from microsoft_agents.hosting.core import MemoryStorage
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.dialog_runner import DialogRunner
from dialogs.flows import EDGE_COMMANDS, build_flows
from dialogs.permissions import Permit, describe
from dialogs.services import FlowServices, NoDirectory
from dialogs.state import DialogStates
from dialogs.wiring import Flows
from domain.clock import FixedClock
from domain.policy import Policy

HEADER = """# Who may do what

Generated from the declarations in `dialogs/` by `python -m dialogs.permission_table`; do not
edit by hand (`tests/test_permission_table.py` fails when this file is out of date).

Every card verb and typed command runs through one wrapper (`dialogs/guard.py`) that loads the
person once, finds the channel the card's data names and the person's roles towards it, and
refuses anyone the declaration does not name before any card or text about the channel is
built. A refusal says only "Du får inte göra det här." / "You are not allowed to do this.",
names nothing and changes nothing. A person of another organisation has no role at all.

Columns: **may act** with the channel the data names; **no channel named**: who may act when
the data names none (a form that creates one or is shown again); **never**: roles refused
even when another role would let them in; **sees plan**: who sees the plan's text, the login
reference (R6) and file links in the answer (anyone else who may act sees the status only).
"""


def _row(kind: str, name: str, permit: Permit) -> str:
    may = describe(permit.may) if kind != "command" else "– (names no channel)"
    return (
        f"| `{name}` | {kind} | {may} | "
        f"{'anyone who writes' if permit.anyone else describe(permit.may_new)} | "
        f"{describe(permit.never) if permit.never else '–'}"
        f"{' (own invitation only)' if permit.own else ''} | "
        f"{describe(permit.sees) if permit.sees else '–'} | {permit.rules or '–'} | "
        f"{permit.summary} |"
    )


def declarations() -> Flows:
    """Every flow's declarations, built with services that are never called."""
    services = FlowServices(
        sessions=async_sessionmaker(),
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)),
        policy=Policy(),
        directory=NoDirectory(),
        documents=None,  # type: ignore[arg-type]  # building the flows reads nothing
        wake_delivery=lambda: None,
    )
    runner = DialogRunner(DialogStates(MemoryStorage()), {})
    return build_flows(services, "", runner)


def permission_table() -> str:
    """The table, one row per verb and command, from the flows' declarations."""
    flows = declarations()
    lines = [
        HEADER,
        "| verb or command | kind | may act | no channel named | never | sees plan | rules "
        "| what |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for verb in sorted(flows.verbs, key=lambda v: v.value):
        lines.append(_row("card verb", verb.value, flows.verbs[verb].permit))
    commands = {**EDGE_COMMANDS, **{n: d.permit for n, d in flows.commands.items()}}
    for name in sorted(commands):
        lines.append(_row("command", name, commands[name]))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(permission_table(), end="")
