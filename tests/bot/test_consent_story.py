"""Consent before publishing through the real app (R9, R10): the check, the signed form sent in
the chat, the consent register, the post's address, and who may see a channel's consents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import select

from domain.clock import FixedClock
from domain.policy import Policy, TemplatePolicy
from storage.models import (
    AuditEventRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    EvidenceFileRow,
)
from tests.bot.active_story import (
    EDITOR_A,
    EDITOR_B,
    OUTSIDER,
    active_story,
    card_of,
    cards_to,
    channel_id,
    execute,
    png,
    refused,
    send_file,
    sweep,
)
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_submit
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

TEMPLATE = "https://intranat.stad.example/mallar/samtyckesavtal.docx"


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    policy = Policy(templates=TemplatePolicy(consent_template_url=TEMPLATE))
    return await active_story(start_bot, emulator, clock, smtp, tmp_path, policy)


def child(
    channel: int, *, form: str, guardian: str = "", filed: str = "", **extra: str
) -> dict[str, Any]:
    """The form's answers for one child under 15 in a picture for several contexts."""
    return {
        "rows": 1,
        "channel_id": str(channel),
        "identifiable": "yes",
        "use": "several_contexts",
        "people": "1",
        "p0_name": "Elev 7B:3",
        "p0_minor": "true",
        "p0_guardian": guardian,
        "p0_form": form,
        "p0_filed": filed,
        **extra,
    }


async def open_form(story: Story) -> dict[str, Any]:
    await story.say(EDITOR_A, "samtycke")
    _, form = story.last_card_to(EDITOR_A.conversation_id)
    return form


async def test_r9_child_under_15_without_guardian_consent_stops(story: Story):
    form = await open_form(story)
    assert "under 15 år" in str(form)
    channel = await channel_id(story)

    outcome = card_of(await execute(story, EDITOR_A, "consent.check", child(channel, form="none")))

    text = str(outcome)
    assert "Stopp" in text and "Elev 7B:3: inget samtycke" in text
    assert TEMPLATE in text  # R10: the template is shown where written consent is needed
    async with story.bot.sessions() as session:
        [check] = (await session.scalars(select(ConsentCheckRow))).all()
        consents = (await session.scalars(select(ConsentRow))).all()
        audit = (await session.scalars(select(AuditEventRow.action))).all()
    assert check.outcome == "stop" and consents == []
    assert "consent.checked" in audit


async def test_r9_r10_guardians_written_consent_uploaded_publishes_and_is_registered(
    story: Story, files: FileServer, clock: FixedClock
):
    await open_form(story)
    channel = await channel_id(story)

    # Oral consent is not enough for several contexts (R10).
    oral = card_of(
        await execute(
            story,
            EDITOR_A,
            "consent.check",
            child(channel, form="oral", guardian="Vårdnadshavare A"),
        )
    )
    assert "Stopp" in str(oral) and "skriftligt samtycke" in str(oral)

    # Written consent, the signed form sent in the chat.
    waiting = card_of(
        await execute(
            story,
            EDITOR_A,
            "consent.check",
            child(channel, form="written", guardian="Vårdnadshavare A"),
        )
    )
    assert "Elev 7B:3" in str(waiting)
    assert (
        "underskrivna samtycket för Elev 7B:3"
        in story.emulator.texts(EDITOR_A.conversation_id)[-2]
    )
    signed = png(6)
    await send_file(story, EDITOR_A, files, "samtycke.png", signed, "png")
    _, outcome = story.last_card_to(EDITOR_A.conversation_id)
    assert "Du kan publicera" in str(outcome)

    async with story.bot.sessions() as session:
        [consent] = (await session.scalars(select(ConsentRow))).all()
        [evidence] = (await session.scalars(select(EvidenceFileRow))).all()
        checks = (
            await session.scalars(select(ConsentCheckRow).order_by(ConsentCheckRow.id))
        ).all()
        links = (await session.scalars(select(ConsentCheckConsentRow))).all()
    assert (consent.subject, consent.minor, consent.guardian) == (
        "Elev 7B:3",
        True,
        "Vårdnadshavare A",
    )
    assert (consent.scope, consent.form, consent.status) == (
        "several_contexts",
        "written",
        "active",
    )
    assert evidence.subject_type == "consent" and evidence.subject_id == consent.id
    assert evidence.purpose == "consent_form" and len(evidence.sha256) == 64
    assert [c.outcome for c in checks] == ["stop", "publish"]
    assert [(link.check_id, link.consent_id) for link in links] == [(checks[1].id, consent.id)]

    # The post's address: a wrong one re-asks, the right one is kept.
    post = outcome["actions"][0]["data"]
    wrong = card_of(
        await execute(
            story, EDITOR_A, "consent.post", {**post, "post_address": "https://example.com/p/1"}
        )
    )
    assert "instagram.com" in str(wrong)
    address = "https://www.instagram.com/p/C0nsent1/"
    saved = card_of(
        await execute(story, EDITOR_A, "consent.post", {**post, "post_address": address})
    )
    assert address in str(saved) and "sparad" in str(saved)
    async with story.bot.sessions() as session:
        check = await session.get(ConsentCheckRow, checks[1].id)
        actions = (await session.scalars(select(AuditEventRow.action))).all()
    assert check is not None and check.post_address == address
    assert {"consent.checked", "consent.recorded", "consent.post_recorded"} <= set(actions)

    # Both editors and the manager see the consent in the register; the address is there.
    for user in (EDITOR_A, EDITOR_B, story.manager):
        await story.say(user, "samtycken")
        _, register = story.last_card_to(user.conversation_id)
        assert "Elev 7B:3" in str(register) and address in str(register)
        assert any(a["type"] == "Action.OpenUrl" for a in register["actions"])

    # The CSV for the unit: UTF-8 with BOM, ';'-separated, behind the signed link.
    link = next(a["url"] for a in register["actions"] if a["type"] == "Action.OpenUrl")
    parts = urlsplit(link)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{story.bot.url}{parts.path}?{parts.query}") as response,
    ):
        assert response.status == 200
        data = await response.read()
    assert data.startswith("\ufeff".encode())
    rows = data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Nummer;Kanal;Person") and "Elev 7B:3" in rows[1]
    assert address in rows[1] and "Vårdnadshavare A" in rows[1]


async def test_r9_another_user_cannot_see_or_touch_the_channels_consents(
    story: Story, files: FileServer
):
    channel = await channel_id(story)
    await open_form(story)
    outcome = card_of(
        await execute(
            story,
            EDITOR_A,
            "consent.check",
            child(
                channel, form="written", guardian="Vårdnadshavare A", filed="Pärm samtycken 2026"
            ),
        )
    )
    assert "Du kan publicera" in str(outcome)

    await story.say(OUTSIDER, "samtycken")
    answer = story.emulator.texts(OUTSIDER.conversation_id)[-1]
    assert "Bara kanalens redaktörer och chef" in answer and "Elev" not in answer
    # Not an editor: no consent check for the channel, even with a forged channel id.
    assert refused(await execute(story, OUTSIDER, "consent.check", child(channel, form="oral")))
    post = outcome["actions"][0]["data"]
    address = {**post, "post_address": "https://www.instagram.com/p/x/"}
    assert refused(await execute(story, OUTSIDER, "consent.post", address))
    async with story.bot.sessions() as session:
        checks = (await session.scalars(select(ConsentCheckRow))).all()
    assert [c.post_address for c in checks] == [None]


async def test_r9_a_withdrawn_consent_cannot_be_used_in_a_new_check(story: Story):
    channel = await channel_id(story)
    await open_form(story)
    await execute(
        story,
        EDITOR_A,
        "consent.check",
        child(channel, form="written", guardian="Vårdnadshavare A", filed="Diarienr 2026/12"),
    )
    async with story.bot.sessions.begin() as session:
        consent = (await session.scalars(select(ConsentRow))).one()
        consent_id = consent.id
    # While active, the register's consent covers a new picture.
    reuse = {
        "rows": 1,
        "channel_id": str(channel),
        "identifiable": "yes",
        "use": "several_contexts",
        "people": "1",
        "reuse": str(consent_id),
    }
    assert "Du kan publicera" in str(
        card_of(await execute(story, EDITOR_A, "consent.check", reuse))
    )
    async with story.bot.sessions.begin() as session:
        consent = await session.get(ConsentRow, consent_id)
        assert consent is not None
        consent.status = "withdrawn"
    refused = card_of(await execute(story, EDITOR_A, "consent.check", reuse))
    assert "Stopp" in str(refused) and "återkallat" in str(refused)


async def test_consent_form_errors_reshow_the_form_and_add_person_keeps_answers(story: Story):
    channel = await channel_id(story)
    await open_form(story)
    shown = card_of(
        await execute(
            story,
            EDITOR_A,
            "consent.check",
            {"rows": 1, "channel_id": str(channel), "p0_guardian": "Någon"},
        )
    )
    text = str(shown)
    assert "Välj ett svar" in text and "Skriv ett namn" in text
    more = card_of(
        await execute(
            story, EDITOR_A, "consent.add_person", {**child(channel, form="oral"), "rows": 1}
        )
    )
    ids = [e.get("id") for e in more["body"]]
    assert "p1_name" in ids
    assert any(e.get("id") == "p0_name" and e.get("value") == "Elev 7B:3" for e in more["body"])


async def test_consent_post_address_is_asked_again_once_after_the_policys_days(
    story: Story, clock: FixedClock
):
    channel = await channel_id(story)
    await open_form(story)
    start = clock.now()
    await execute(
        story,
        EDITOR_A,
        "consent.check",
        child(channel, form="written", guardian="Vårdnadshavare A", filed="Pärm 3"),
    )
    before = len(cards_to(story, EDITOR_A))
    assert (await sweep(story, clock, start + timedelta(days=1)))["consent_post_reminders"] == 0
    assert (await sweep(story, clock, start + timedelta(days=2, hours=1)))[
        "consent_post_reminders"
    ] == 1
    assert (await sweep(story, clock, start + timedelta(days=5)))["consent_post_reminders"] == 0
    reminders = cards_to(story, EDITOR_A)[before:]
    assert len(reminders) == 1 and "Vilken adress fick inlägget" in str(reminders[0][1])


async def test_consent_check_speaks_english_from_the_locale(story: Story):
    await story.say(EDITOR_A, "consent", locale="en-US")
    _, form = story.last_card_to(EDITOR_A.conversation_id)
    assert "Check consent before you publish" in str(form)
    channel = await channel_id(story)
    outcome = card_of(
        await execute(
            story, EDITOR_A, "consent.check", child(channel, form="none"), locale="en-US"
        )
    )
    assert "Stop. Do not publish yet." in str(outcome)


async def test_r9_a_client_without_universal_actions_checks_consent_with_action_submit(
    story: Story, files: FileServer
):
    await story.say(EDITOR_A, "samtycke")
    form_id, _ = story.last_card_to(EDITOR_A.conversation_id)
    channel = await channel_id(story)

    # A stop: the clicked form is replaced in place, as Action.Execute would have done.
    status, _ = await story.bot.post(
        make_submit(
            {"verb": "consent.check", **child(channel, form="none")},
            user=EDITOR_A,
            service_url=story.emulator.service_url,
            reply_to_id=form_id,
        )
    )
    assert status == 200
    await story.emulator.wait_for(lambda e: any(u.activity_id == form_id for u in e.updates))
    current = story.emulator.current(EDITOR_A.conversation_id, form_id)
    assert current is not None and "Stopp" in str(current)

    # Written consent with the form sent in the chat works the same way.
    await story.say(EDITOR_A, "samtycke")
    second_id, _ = story.last_card_to(EDITOR_A.conversation_id)
    await story.bot.post(
        make_submit(
            {
                "verb": "consent.check",
                **child(channel, form="written", guardian="Vårdnadshavare A"),
            },
            user=EDITOR_A,
            service_url=story.emulator.service_url,
            reply_to_id=second_id,
        )
    )
    await story.emulator.wait_for(
        lambda e: any(
            "underskrivna samtycket för Elev 7B:3" in t for t in e.texts(EDITOR_A.conversation_id)
        )
    )
    await send_file(story, EDITOR_A, files, "samtycke.pdf", b"%PDF-1.4\n%test\n", "pdf")
    _, outcome = story.last_card_to(EDITOR_A.conversation_id)
    assert "Du kan publicera" in str(outcome)
