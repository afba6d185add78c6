"""Turns of one conversation run one at a time, in the order their requests arrived (issue 13),
also when a turn runs in the background or a waiting turn is given up."""

from __future__ import annotations

import asyncio

from bot.teams.messages_endpoint import ConversationTurns


async def _let_the_tasks_run() -> None:
    """Lets every ready task run up to its next wait (no I/O here, so a few passes suffice)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_turns_run_in_the_order_they_took_their_place():
    turns = ConversationTurns()
    ran: list[int] = []

    async def turn(place, index: int) -> None:  # type: ignore[no-untyped-def]
        async with place:
            ran.append(index)
            await asyncio.sleep(0)
            ran.append(index)

    places = [turns.enter("a:chat") for _ in range(5)]
    # Started in reverse: the place taken at arrival decides, not when the task first runs.
    await asyncio.gather(*(turn(places[i], i) for i in reversed(range(5))))

    assert ran == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


async def test_a_turn_given_up_while_waiting_does_not_let_the_next_jump_ahead():
    turns = ConversationTurns()
    first_may_end = asyncio.Event()
    events: list[str] = []

    async def first() -> None:
        async with turns.enter("a:chat"):
            events.append("first starts")
            await first_may_end.wait()
            events.append("first ends")

    async def third() -> None:
        async with turns.enter("a:chat"):
            events.append("third runs")

    running = asyncio.create_task(first())
    await asyncio.sleep(0)
    second = asyncio.create_task(turns.enter("a:chat").__aenter__())
    later = asyncio.create_task(third())
    await _let_the_tasks_run()
    second.cancel()  # e.g. the request was dropped while it waited
    await _let_the_tasks_run()
    assert events == ["first starts"]

    first_may_end.set()
    await asyncio.gather(running, later)
    assert events == ["first starts", "first ends", "third runs"]


async def test_other_conversations_do_not_wait():
    turns = ConversationTurns()
    async with turns.enter("a:one"):
        async with asyncio.timeout(1):
            async with turns.enter("a:two"):
                pass
