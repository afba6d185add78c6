"""Walks Kanalkollen's new-channel story through Microsoft 365 Agents Playground, headless.

Run by `scripts/playground/run.sh --walk` (`make playground-walk`), which starts the bot in local
mode and one Playground per person (the Playground always acts as its config's currentUser and
shows only that person's chats). Each person acts through their own Playground's JSON endpoints,
the same ones its web page calls:

  POST /_debug/conversation/{chat}/installation      the page opening the chat (installationUpdate
                                                     and conversationUpdate to the bot)
  POST /_conversation/v1/conversations/{chat}/messages
                                                     typing a message; the Playground sends it as
                                                     its currentUser, whatever `from` says
  POST /_conversation/v1/invoke                      pressing an Action.Execute button: an
                                                     adaptiveCard/action invoke from `from.id`,
                                                     who must be a member of the chat; the answer
                                                     is the bot's invoke response
  WS   /_ws_conversation/v1/conversations/stream     what the chat shows: createMessage and
                                                     updateMessage (also the bot's later updates)

The story: the requester types `ny kanal` and sends the form (manager and editors picked as the
Playground's people picker would: by user id) -> the manager approves (R2, R6) -> both editors
accept (R3) -> the requester gives the account's address, first a wrong one (R8) -> the channel
is active, shown in `mina kanaler` and counted in the admin's `register`. Every step asserts the
Swedish text the person sees and adds to the transcript printed at the end. Exit status 0 when
the whole story holds, 1 at the first step that does not.

Only the standard library and aiohttp (a dependency of the bot) are used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

CARD = "application/vnd.microsoft.card.adaptive"
TIMEOUT = 20.0  # seconds for one expected answer


class WalkFailed(AssertionError):
    """A step of the story did not show what it should."""


def expect(condition: object, message: str) -> None:
    if not condition:
        raise WalkFailed(message)


# --- adaptive cards, read as a person reads them -------------------------------------------------


def card_of(message: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in message.get("attachments") or []:
        content = attachment.get("content")
        if attachment.get("contentType") == CARD and isinstance(content, dict):
            return content
    return None


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def texts_of(card: dict[str, Any]) -> list[str]:
    """Every text a person can read on the card (blocks, facts, labels, button titles)."""
    found: list[str] = []
    for node in _walk(card.get("body", [])):
        if node.get("type") in ("TextBlock", "TextRun"):
            found.append(str(node.get("text", "")))
        elif node.get("type") == "FactSet":
            found += [f"{f.get('title', '')}: {f.get('value', '')}" for f in node.get("facts", [])]
        elif str(node.get("type", "")).startswith("Input."):
            found.append(str(node.get("label") or node.get("title") or ""))
    found += [a.get("title", "") for a in actions_of(card)]
    return found


def text_of(message: dict[str, Any]) -> str:
    """What the message says: its text and, for a card, every text on it."""
    card = card_of(message)
    parts = [message.get("text") or ""] + (texts_of(card) if card else [])
    return "\n".join(p for p in parts if p)


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's buttons: its actions and those of the ActionSets in its body."""
    found = list(card.get("actions", []))
    for node in _walk(card.get("body", [])):
        if node.get("type") == "ActionSet":
            found += node.get("actions", [])
    return found


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    for candidate in actions_of(card):
        if candidate.get("type") == "Action.Execute" and candidate.get("verb") == verb:
            return candidate
    raise WalkFailed(f"no button with verb {verb!r} on the card {title_of(card)!r}")


def inputs_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        node["id"]: node
        for node in _walk(card.get("body", []))
        if str(node.get("type", "")).startswith("Input.") and "id" in node
    }


def title_of(card: dict[str, Any]) -> str:
    for node in _walk(card.get("body", [])):
        if node.get("type") == "TextBlock":
            return str(node.get("text", ""))
    return "(card without text)"


def summary(message: dict[str, Any]) -> str:
    card = card_of(message)
    if card is None:
        return repr(message.get("text") or "")
    buttons = [a.get("title", "") for a in actions_of(card) if a.get("type") == "Action.Execute"]
    return f"card «{title_of(card)}»" + (f" [{' | '.join(buttons)}]" if buttons else "")


# --- one person's Playground --------------------------------------------------------------------


@dataclass
class Person:
    role: str
    name: str
    id: str
    port: int
    chat_id: str
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> as shown now
    arrived: list[str] = field(default_factory=list)  # message ids, oldest first

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


class Walk:
    def __init__(self, http: aiohttp.ClientSession, people: list[Person]) -> None:
        self.http = http
        self.people = {p.role: p for p in people}
        self.transcript: list[str] = []
        self.changed = asyncio.Condition()
        self.readers: list[asyncio.Task[None]] = []

    show_cards = False  # --show-cards: every card's text under its line

    def note(self, line: str, card: dict[str, Any] | None = None) -> None:
        self.transcript.append(line)
        print(line, flush=True)
        if card is not None and self.show_cards:
            for text in texts_of(card):
                print(f"      | {text}", flush=True)

    async def connect(self) -> None:
        """Subscribes to every person's chat view, as each open browser tab does."""
        for person in self.people.values():
            socket = await self.http.ws_connect(
                f"{person.base}/_ws_conversation/v1/conversations/stream", heartbeat=30
            )
            self.readers.append(asyncio.create_task(self._read(person, socket)))

    async def _read(self, person: Person, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(frame.data)
            if event.get("actionConversationId") != person.chat_id:
                continue
            message = event.get("message") or {}
            message_id = str(message.get("messageId", ""))
            if event.get("action") == "createMessage" and message_id:
                person.messages[message_id] = message
                person.arrived.append(message_id)
                self.note(f"  bot → {person.first_name}: {summary(message)}", card_of(message))
            elif event.get("action") == "updateMessage" and message_id:
                person.messages[message_id] = message
                self.note(
                    f"  bot ⟳ {person.first_name}: {summary(message)} (updated)", card_of(message)
                )
            else:
                continue
            async with self.changed:
                self.changed.notify_all()

    async def wait_for(
        self,
        person: Person,
        what: str,
        test: Callable[[dict[str, Any]], bool],
        after: int = 0,
    ) -> tuple[str, dict[str, Any]]:
        """The newest message in the person's chat (arrived after `after`) that passes `test`."""
        deadline = time.monotonic() + TIMEOUT

        def found() -> tuple[str, dict[str, Any]] | None:
            for message_id in reversed(person.arrived[after:]):
                if test(person.messages[message_id]):
                    return message_id, person.messages[message_id]
            return None

        async with self.changed:
            while (hit := found()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    shown = [summary(person.messages[m]) for m in person.arrived]
                    raise WalkFailed(f"{person.name} never saw {what}; the chat shows {shown}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), left)
        return hit

    async def card_saying(
        self, person: Person, *needles: str, after: int = 0
    ) -> tuple[str, dict[str, Any]]:
        return await self.wait_for(
            person,
            f"a card saying {needles}",
            lambda m: card_of(m) is not None and all(n in text_of(m) for n in needles),
            after,
        )

    async def open_chat(self, person: Person) -> None:
        """What the Playground page does when it shows the person's chat with the bot."""
        url = f"{person.base}/_debug/conversation/{person.chat_id}/installation"
        async with self.http.post(url, json={}) as response:
            expect(response.status == 200, f"opening {person.name}'s chat: {response.status}")

    async def say(self, person: Person, text: str) -> int:
        """The person types a message; returns how many messages the chat had before."""
        before = len(person.arrived)
        self.note(f"{person.first_name} ({person.role}): {text}")
        url = f"{person.base}/_conversation/v1/conversations/{person.chat_id}/messages"
        body = {"from": {"id": person.id}, "text": text, "textFormat": "plain"}
        async with self.http.post(url, json=body) as response:
            expect(response.status == 200, f"{person.name} typing {text!r}: {response.status}")
        return before

    async def press(
        self,
        person: Person,
        message_id: str,
        verb: str,
        fill: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The person fills the card's inputs and presses a button, as the Playground page does:
        the action's data with the inputs that have a value; returns the invoke response."""
        card = card_of(person.messages[message_id])
        expect(card is not None, f"{person.name}: message {message_id} is not a card")
        assert card is not None
        button = action(card, verb)
        fill = fill or {}
        inputs = inputs_of(card)
        unknown = set(fill) - set(inputs)
        expect(not unknown, f"the card {title_of(card)!r} has no inputs {sorted(unknown)}")
        data = dict(button.get("data") or {})
        for input_id, element in inputs.items():
            if input_id in fill:
                data[input_id] = fill[input_id]
            elif element.get("type") == "Input.Toggle":
                data[input_id] = element.get("value", element.get("valueOff", "false"))
            elif element.get("value") not in (None, ""):
                data[input_id] = str(element["value"])
        shown = ", ".join(f"{k}={short(v)!r}" for k, v in fill.items()) or "nothing"
        self.note(f"{person.first_name} ({person.role}) presses «{button.get('title')}» ({shown})")
        body = {
            "name": "adaptiveCard/action",
            "from": {"id": person.id},
            "conversation": {"id": person.chat_id},
            "replyToId": message_id,
            "value": {
                "action": {
                    "type": "Action.Execute",
                    "title": button.get("title"),
                    "verb": verb,
                    "data": data,
                }
            },
        }
        async with self.http.post(f"{person.base}/_conversation/v1/invoke", json=body) as reply:
            text = await reply.text()
            expect(reply.status == 200, f"{person.name} pressing {verb}: {reply.status} {text}")
        answer: dict[str, Any] = json.loads(text)
        if answer.get("type") == CARD:
            # The Playground shows the returned card in place of the one pressed.
            person.messages[message_id] = {"attachments": [{"contentType": CARD, **answer}]}
            person.messages[message_id]["attachments"][0]["content"] = answer["value"]
            self.note(
                f"  bot ↩ {person.first_name}: {summary(person.messages[message_id])}",
                answer["value"],
            )
        else:
            self.note(
                f"  bot ↩ {person.first_name}: {answer.get('type')}: {answer.get('value')!r}"
            )
        return answer


def short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_text(answer: dict[str, Any]) -> str:
    if answer.get("type") == CARD and isinstance(answer.get("value"), dict):
        return "\n".join(texts_of(answer["value"]))
    return str(answer.get("value", ""))


# --- the story -----------------------------------------------------------------------------------


async def story(walk: Walk, database: Path | None) -> None:
    p = walk.people
    requester, manager = p["requester"], p["manager"]
    editors = [p["editor1"], p["editor2"]]
    admin = p["admin"]
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    evaluation = (today + timedelta(days=120)).isoformat()

    walk.note("— Everyone opens their chat with Kanalkollen (one Playground tab each)")
    for person in walk.people.values():
        await walk.open_chat(person)
    for person in walk.people.values():
        await walk.card_saying(person, "Hej! Jag är Kanalkollen.")
    # Opening a chat carries no name (Teams and the Playground send none on install); the bot
    # asks for the member on first contact, so nobody has to write before being named on cards.
    walk.note("— The requester asks for help")
    before = await walk.say(requester, "hjälp")
    await walk.card_saying(requester, "ny kanal", "mina kanaler", after=before)

    walk.note("— The requester asks about the rules in free text (typed without å/ä/ö)")
    before = await walk.say(requester, "maste jag ha tva redaktorer?")
    await walk.card_saying(requester, "Regel R3", "minst 2 redaktörer", after=before)
    before = await walk.say(requester, "Hur blir vädret i morgon?")
    await walk.card_saying(requester, "kommunikation", after=before)

    walk.note("— 1. Request: the requester asks for a new channel and sends the form")
    before = await walk.say(requester, "ny kanal")
    form_id, form = await walk.card_saying(requester, "Ny kanal i sociala medier", after=before)
    form_card = card_of(form) or {}
    pickers = {
        name: element.get("choices.data", {}).get("dataset")
        for name, element in inputs_of(form_card).items()
    }
    expect(
        pickers.get("editors") == pickers.get("manager") == "graph.microsoft.com/users",
        f"the form's editors and manager should be Teams people pickers: {pickers}",
    )
    answer = await walk.press(
        requester,
        form_id,
        "channel.submit",
        {
            "platform": "instagram",
            "name": "Fritidsgården Ugglan",
            "unit": "Fritidsgården Ugglan",
            "purpose": "Berätta om kvällsaktiviteter för unga 13–17 år och deras vårdnadshavare.",
            "goals": "Fler besökare på kvällsaktiviteterna.",
            "target_groups": "Unga 13–17 år i närområdet och deras vårdnadshavare.",
            "content_and_rhythm": "Två inlägg i veckan: veckans program och bilder.",
            "comment_handling": "Redaktörerna svarar på kommentarer vardagar inom ett dygn.",
            "moderation_and_crisis": "Kränkande kommentarer döljs och dokumenteras; chefen "
            "kontaktas vid kris.",
            "evaluation_date": evaluation,
            # The Playground's people picker answers with the picked users' ids, comma-separated.
            "editors": ",".join(e.id for e in editors),
            "manager": manager.id,
            "login_reference": "Enhetens lösenordsvalv, posten Instagram Ugglan",
        },
    )
    status = answer_text(answer)
    expect("Din ansökan: Fritidsgården Ugglan" in status, f"no status card: {status}")
    expect("Väntar på chefens beslut" in status, f"status is not pending: {status}")
    expect(manager.name in status, f"the status card should name the manager: {status}")
    for editor in editors:
        expect(editor.name in status, f"the status card should name {editor.name}: {status}")

    walk.note("— 2. Approval: the manager gets the plan and approves it (R2, R6)")
    approval_id, approval = await walk.card_saying(manager, "Ny kanal: Fritidsgården Ugglan")
    expect(
        f"{requester.name} vill starta en ny kanal" in text_of(approval),
        f"the approval card should name the requester: {text_of(approval)}",
    )
    refused = await walk.press(manager, approval_id, "approval.approve", {"login_access": "false"})
    expect(
        "Bekräfta att du har tillgång till inloggningen" in answer_text(refused),
        f"approving without access to the login should be refused: {answer_text(refused)}",
    )
    approved = await walk.press(
        manager, approval_id, "approval.approve", {"login_access": "true", "comment": ""}
    )
    expect("Godkänd" in answer_text(approved), f"not approved: {answer_text(approved)}")
    expect(
        not [a for a in actions_of(approved.get("value") or {}) if a.get("verb")],
        "the decided approval card should have no buttons left",
    )
    await walk.wait_for(
        requester,
        "the status card updated to approved",
        lambda m: "Godkänd – väntar på redaktörer" in text_of(m),
    )
    await walk.wait_for(
        requester,
        "the message that the manager approved",
        lambda m: "Din chef har godkänt planen för Fritidsgården Ugglan" in text_of(m),
    )

    walk.note("— 3. Editors: both nominated editors accept (R3)")
    for editor in editors:
        invite_id, invite = await walk.card_saying(
            editor, "Vill du bli redaktör för Fritidsgården Ugglan?"
        )
        expect(
            f"{requester.name} vill att du blir redaktör" in text_of(invite),
            f"the invitation should say who asks: {text_of(invite)}",
        )
        accepted = await walk.press(editor, invite_id, "editor.accept")
        expect(
            f"{editor.name} (har tackat ja)" in answer_text(accepted)
            and not [a for a in actions_of(accepted.get("value") or {}) if a.get("verb")],
            f"{editor.name}'s acceptance was not confirmed: {answer_text(accepted)}",
        )

    walk.note("— 4. Address: the requester creates the account and registers it (R8)")
    registration_id, _ = await walk.card_saying(requester, "Skapa kontot och ange adressen")
    wrong = await walk.press(
        requester,
        registration_id,
        "channel.register",
        {"address": "https://www.facebook.com/fritidsgarden.ugglan"},
    )
    expect(
        "Adressen ska höra till plattformen: instagram.com." in answer_text(wrong),
        f"an address on another platform should be refused: {answer_text(wrong)}",
    )
    registered = await walk.press(
        requester,
        registration_id,
        "channel.register",
        {"address": "https://www.instagram.com/fritidsgarden.ugglan"},
    )
    expect(
        "Klart! Kanalen är anmäld till stadens offentliga lista och aktiv."
        in answer_text(registered)
        and "Status: Aktiv" in answer_text(registered),
        f"the registration was not confirmed: {answer_text(registered)}",
    )

    walk.note("— 5. Active: everyone involved sees the channel as active")
    for editor in editors:
        await walk.wait_for(
            editor,
            "the message that the channel is active",
            lambda m: "Kanalen Fritidsgården Ugglan" in text_of(m) and "är nu aktiv" in text_of(m),
        )
    before = await walk.say(requester, "mina kanaler")
    _, mine = await walk.card_saying(requester, "Mina kanaler", after=before)
    expect("Fritidsgården Ugglan" in text_of(mine), f"not in mina kanaler: {text_of(mine)}")
    expect("Aktiv" in text_of(mine), f"not active in mina kanaler: {text_of(mine)}")
    expect("Nästa dokumentation:" in text_of(mine), "no documentation date in mina kanaler")
    # Every copy of the request's cards is updated (the messages above were sent earlier).
    for person, title in ((requester, "Din ansökan: Fritidsgården Ugglan"), (manager, "Ny kanal")):
        await walk.card_saying(person, title, "Status: Aktiv")

    walk.note("— An editor types `dokumentera` (R12): the round begins in the chat; avbryt")
    before = await walk.say(editors[0], "dokumentera")
    await walk.wait_for(
        editors[0],
        "the request for screenshots",
        lambda m: "Skicka skärmdumparna" in text_of(m),
        before,
    )
    before = await walk.say(editors[0], "avbryt")
    await walk.wait_for(
        editors[0], "the cancel", lambda m: "Okej, jag har avbrutit" in text_of(m), before
    )

    walk.note("— The admin (by policy) sees the channel counted; a chosen language sticks")
    before = await walk.say(admin, "register")
    _, overview = await walk.card_saying(admin, "Alla kanaler", after=before)
    expect(
        "Aktiv: 1" in text_of(overview),
        f"the admin's overview counts no active channel: {overview}",
    )
    before = await walk.say(admin, "english")
    await walk.wait_for(
        admin,
        "the English confirmation",
        lambda m: "I will answer in English" in text_of(m),
        before,
    )
    before = await walk.say(admin, "register")
    _, overview = await walk.card_saying(admin, "Active: 1", after=before)
    before = await walk.say(admin, "svenska")
    await walk.wait_for(
        admin, "the Swedish confirmation", lambda m: "Jag svarar på svenska" in text_of(m), before
    )

    if database is not None:
        walk.note("— The bot's database")
        check_database(walk, database)


def check_database(walk: Walk, database: Path) -> None:
    """The channel row is active and the registration notice to the registry is in the outbox."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT name, status, address FROM channels").fetchall()
        expect(len(rows) == 1 and rows[0][1] == "active", f"channels: {rows}")
        walk.note(f"  channels: {rows[0][0]!r} status={rows[0][1]} address={rows[0][2]}")
        mails = db.execute(
            "SELECT recipient_address, status FROM outbox WHERE recipient_address IS NOT NULL"
        ).fetchall()
        expect(
            any(address == "registret@example.org" for address, _ in mails),
            f"no registration notice to registret@example.org in the outbox: {mails}",
        )
        for address, state in mails:
            walk.note(f"  outbox e-mail to {address}: {state} (MAIL_TRANSPORT=none keeps it)")
        names = sorted(str(name) for (name,) in db.execute("SELECT name FROM people"))
        expect("None" not in names, f"a person without a name ('okänd person'): {names}")
        dead = db.execute("SELECT count(*) FROM outbox WHERE status = 'dead'").fetchone()[0]
        expect(dead == 0, f"{dead} message(s) in the dead letters")
        walk.note(f"  people, all named: {', '.join(names)}; no dead letters")


# --- main ----------------------------------------------------------------------------------------


def load_people(path: Path) -> list[Person]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Person(role=p["role"], name=p["name"], id=p["id"], port=p["port"], chat_id=p["chatId"])
        for p in data["people"]
    ]


def check_policy(people: list[Person], policy: Path) -> None:
    """The playground's policy names the playground's admin and deputy, in Swedish."""
    import tomllib

    data = tomllib.loads(policy.read_text(encoding="utf-8"))
    roles = {p.role: p for p in people}
    expect(data.get("admins") == [roles["admin"].id], f"{policy}: admins should be the admin")
    deputies = [d.get("aad_object_id") for d in data.get("deputies", [])]
    expect(deputies == [roles["deputy"].id], f"{policy}: deputies should be the deputy")
    expect(data.get("language", {}).get("default") == "sv", f"{policy}: language.default = sv")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=Path, required=True, help="people.json from run.sh")
    parser.add_argument("--bot", default="http://127.0.0.1:3978", help="the bot's base URL")
    parser.add_argument("--database", type=Path, help="the bot's SQLite file, checked at the end")
    parser.add_argument(
        "--policy", type=Path, default=Path(__file__).with_name("policy.toml"), help="policy"
    )
    parser.add_argument("--show-cards", action="store_true", help="print every card's text")
    args = parser.parse_args()
    Walk.show_cards = args.show_cards
    people = load_people(args.people)
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
        walk = Walk(http, people)
        try:
            check_policy(people, args.policy)
            async with http.get(f"{args.bot}/readyz") as response:
                expect(response.status == 200, f"the bot is not ready: {response.status}")
            await walk.connect()
            await story(walk, args.database)
        except WalkFailed as failure:
            print(f"\nWALK FAILED: {failure}", file=sys.stderr)
            return 1
        finally:
            for reader in walk.readers:
                reader.cancel()
    seconds = time.monotonic() - started
    print(
        f"\nWalk passed in {seconds:.1f} s: request → approval → editors → address → active, "
        "in Swedish.",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
