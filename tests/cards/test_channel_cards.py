"""The channel cards (flows 1–4, 10) show what the views say, where the user expects it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from cards.approval import approval_card
from cards.comms import comms_summary_card
from cards.editors import editor_invite_card, nominate_card
from cards.i18n import LANGUAGES, Texts
from cards.my_channels import my_channels_card
from cards.registration import registration_card
from cards.request_form import request_form_card
from cards.request_status import request_status_card
from cards.verbs import Verb
from cards.views import MyChannelRow, MyChannelsView
from domain.channel_request import ADDRESS_LIMIT, PLAN_FIELDS, TEXT_LIMITS
from tests.cards import samples

SV = Texts("sv")
PEOPLE_QUERY = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
FORM_FIELDS = (
    "platform",
    *TEXT_LIMITS,
    "evaluation_date",
    "editors",
    "manager",
)


def elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every element and action of a card, depth first, in reading order."""
    if isinstance(node, list):
        for item in node:
            yield from elements(item)
    elif isinstance(node, dict):
        if "type" in node:
            yield node
        for key, value in node.items():
            if key not in {"fallback", "data", "choices.data"}:
                yield from elements(value)


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's inputs by id."""
    return {e["id"]: e for e in elements(card["body"]) if e["type"].startswith("Input.")}


def next_to(card: dict[str, Any], element_id: str) -> dict[str, Any] | None:
    """The element right after the one with the id, in the same list of items."""
    for element in elements(card):
        for key in ("body", "items"):
            items = element.get(key, [])
            for index, item in enumerate(items):
                if item.get("id") == element_id:
                    return items[index + 1] if index + 1 < len(items) else None
    raise AssertionError(f"no element {element_id!r}")


def executes(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's Action.Execute buttons by verb (not the refresh)."""
    return {a["verb"]: a for a in card.get("actions", []) if a["type"] == "Action.Execute"}


def texts_of(card: dict[str, Any]) -> list[str]:
    return [e["text"] for e in elements(card) if e["type"] == "TextBlock"]


# --- the new-channel form (R2, R3, R5, R6) ------------------------------------------------


def test_form_keeps_every_answer_and_shows_each_error_right_under_its_field() -> None:
    view = samples._form_errors_view(SV)
    card = request_form_card(view, SV)
    fields = inputs(card)
    assert set(fields) == set(FORM_FIELDS)
    for field in FORM_FIELDS:
        assert fields[field].get("value") == view.values[field], field
        error = next_to(card, field)
        assert error is not None, field
        assert error["type"] == "TextBlock"
        assert error["color"] == "Attention"
        assert error["text"] == view.errors[field]


def test_form_without_errors_shows_no_red_lines() -> None:
    card = request_form_card(samples._form_view(SV), SV)
    assert not [e for e in elements(card) if e.get("color") == "Attention"]
    assert all("value" not in element for element in inputs(card).values())


def test_every_form_input_has_a_label_is_required_and_says_why() -> None:
    card = request_form_card(samples._form_errors_view(SV), SV)
    for field, element in inputs(card).items():
        assert element["label"], field
        assert element["isRequired"] is True, field
        assert element["errorMessage"], field
    assert not [e for e in card["body"] if e["type"] == "TextBlock" and e["text"] == "Plattform"]


def test_form_limits_the_texts_as_the_domain_does() -> None:
    fields = inputs(request_form_card(samples._form_view(SV), SV))
    for field, limit in TEXT_LIMITS.items():
        assert fields[field]["maxLength"] == limit, field
    for field in ("purpose", *PLAN_FIELDS):
        assert fields[field]["isMultiline"] is True, field
        assert fields[field]["placeholder"], field
    assert fields["evaluation_date"]["type"] == "Input.Date"
    assert fields["platform"]["style"] == "compact"
    assert [c["value"] for c in fields["platform"]["choices"]] == [
        "instagram", "facebook", "youtube", "tiktok", "linkedin", "x", "other"
    ]  # fmt: skip


def test_form_asks_for_editors_with_the_teams_people_picker() -> None:
    editors = inputs(request_form_card(samples._form_view(SV), SV))["editors"]
    assert editors["type"] == "Input.ChoiceSet"
    assert editors["isMultiSelect"] is True
    assert editors["choices"] == []
    assert editors["choices.data"] == PEOPLE_QUERY


def test_form_asks_for_the_manager_only_when_the_directory_has_none() -> None:
    known = request_form_card(samples._form_view(SV), SV)
    assert "manager" not in inputs(known)
    assert {"title": "Din chef", "value": "Testperson Två"} in [
        fact for e in elements(known) if e["type"] == "FactSet" for fact in e["facts"]
    ]
    asked = inputs(request_form_card(samples._form_errors_view(SV), SV))["manager"]
    assert asked["isMultiSelect"] is False
    assert asked["choices.data"] == PEOPLE_QUERY


def test_form_login_reference_says_where_not_what() -> None:
    card = request_form_card(samples._form_view(SV), SV)
    login = inputs(card)["login_reference"]
    assert login["type"] == "Input.Text"
    assert "style" not in login  # never a password box (R6)
    assert "Enhetens lösenordsvalv" in login["placeholder"]
    assert "Skriv aldrig själva lösenordet" in " ".join(texts_of(card))


def test_a_new_form_submits_without_ids_and_a_resubmitted_one_with_them() -> None:
    new = executes(request_form_card(samples._form_view(SV), SV))
    assert new[Verb.CHANNEL_SUBMIT]["data"] == {"verb": "channel.submit"}
    resubmit_view = samples._form_resubmit_view(SV)
    card = request_form_card(resubmit_view, SV)
    action = executes(card)[Verb.CHANNEL_SUBMIT]
    assert action["data"] == {"channel_id": 7, "version": 3, "verb": "channel.submit"}
    assert action["fallback"]["data"] == action["data"]
    assert resubmit_view.manager_comment in texts_of(card)


# --- the approval card (R2, R5, R6) ---------------------------------------------------------


def test_the_manager_sees_three_decisions_a_comment_and_the_login_checkbox() -> None:
    card = approval_card(samples._approval_view(SV), SV)
    ids = {"channel_id": 7, "version": 3}
    actions = executes(card)
    assert list(actions) == [Verb.APPROVAL_APPROVE, Verb.APPROVAL_CHANGES, Verb.APPROVAL_REJECT]
    for verb, action in actions.items():
        assert action["data"] == {**ids, "verb": verb}
        assert action["fallback"] == {
            "type": "Action.Submit", "title": action["title"], "data": action["data"],
            **({"style": action["style"]} if "style" in action else {}),
        }  # fmt: skip
    assert actions[Verb.APPROVAL_APPROVE]["style"] == "positive"
    assert actions[Verb.APPROVAL_REJECT]["style"] == "destructive"
    fields = inputs(card)
    assert set(fields) == {"comment", "login_access"}
    assert fields["comment"]["isMultiline"] is True
    assert fields["comment"]["label"] == "Kommentar (krävs för att avslå eller begära ändringar)"
    toggle = fields["login_access"]
    assert toggle["type"] == "Input.Toggle"
    assert toggle["title"] == "Jag har tillgång till inloggningen"
    assert (toggle["valueOn"], toggle["valueOff"], toggle["value"]) == ("true", "false", "false")


def test_approval_errors_stand_under_the_comment_and_the_checkbox() -> None:
    view = samples._approval_errors_view(SV)
    card = approval_card(view, SV)
    for field in ("comment", "login_access"):
        error = next_to(card, field)
        assert error is not None
        assert (error["color"], error["text"]) == ("Attention", view.errors[field])
    assert inputs(card)["comment"]["value"] == view.values["comment"]


def test_approval_card_refreshes_itself_for_the_manager_and_the_requester() -> None:
    view = samples._approval_view(SV)
    refresh = approval_card(view, SV)["refresh"]
    assert refresh["userIds"] == list(view.refresh_user_ids)
    assert refresh["action"] == {
        "type": "Action.Execute",
        "verb": "approval.refresh",
        "data": {"channel_id": 7, "version": 3, "verb": "approval.refresh"},
    }
    without = approval_card(replace(view, refresh_user_ids=()), SV)
    assert "refresh" not in without


def test_everyone_else_sees_the_status_without_inputs_or_buttons() -> None:
    card = approval_card(samples._approval_status_view(SV), SV)
    assert not inputs(card)
    assert "actions" not in card
    assert card["refresh"]["userIds"]
    assert "Väntar på chefens beslut" in [
        fact["value"] for e in elements(card) if e["type"] == "FactSet" for fact in e["facts"]
    ]


def test_a_decided_card_shows_the_decision_and_offers_nothing_more() -> None:
    view = samples._approval_decided_view(SV)
    assert view.actionable and view.decision is not None
    card = approval_card(view, SV)
    assert not inputs(card)
    assert "actions" not in card
    decision = next(e for e in card["body"] if e.get("style") == "emphasis")
    assert decision["items"][0]["text"] == f"Beslut: {view.decision.label}"
    assert {fact["value"] for fact in decision["items"][1]["facts"]} == {
        view.decision.by, view.decision.at, view.decision.comment
    }  # fmt: skip
    assert texts_of(card)[1] == view.notice


def test_the_approval_card_links_the_plan_and_says_where_the_login_is() -> None:
    view = samples._approval_view(SV)
    card = approval_card(view, SV)
    links = [e for e in elements(card) if e["type"] == "Action.OpenUrl"]
    assert [link["url"] for link in links] == [view.summary.plan_url]
    facts = [f for e in elements(card) if e["type"] == "FactSet" for f in e["facts"]]
    assert {"title": "Inloggningen förvaras", "value": view.login_reference} in facts
    for section in view.sections:
        assert section.heading in texts_of(card)
        assert section.text in texts_of(card)


# --- status, editors, registration, my channels, communications ---------------------------


def test_status_card_lists_the_steps_and_refreshes_with_channel_status() -> None:
    card = request_status_card(samples._status_view(SV), SV)
    lines = texts_of(card)
    assert "✅ Ansökan är skickad" in lines
    assert "⬜ Chefen har godkänt planen" in lines
    assert card["refresh"]["action"]["verb"] == "channel.status"
    assert card["refresh"]["action"]["data"] == {
        "channel_id": 7, "version": 3, "verb": "channel.status"
    }  # fmt: skip
    assert "refresh" not in request_status_card(samples._status_decided_view(SV), SV)


def test_editor_invite_explains_the_role_and_offers_accept_and_decline() -> None:
    card = editor_invite_card(samples._invite_view(SV), SV)
    actions = executes(card)
    assert list(actions) == [Verb.EDITOR_ACCEPT, Verb.EDITOR_DECLINE]
    for verb, action in actions.items():
        assert action["data"] == {"channel_id": 7, "editor_id": 12, "verb": verb}
    body = " ".join(texts_of(card))
    assert "minst två redaktörer" in body
    assert "varje halvår" in body
    answered = editor_invite_card(samples._invite_answered_view(SV), SV)
    assert "actions" not in answered
    assert "Du har tackat ja. Tack!" in texts_of(answered)


def test_nominate_asks_for_one_person_and_shows_the_error_under_the_picker() -> None:
    card = nominate_card(samples._nominate_view(SV, error=True), SV)
    picker = inputs(card)["editors"]
    assert (picker["isMultiSelect"], picker["choices.data"]) == (False, PEOPLE_QUERY)
    assert next_to(card, "editors")["color"] == "Attention"  # type: ignore[index]
    action = executes(card)[Verb.EDITOR_NOMINATE]
    assert action["data"] == {"channel_id": 7, "verb": "editor.nominate"}
    done = nominate_card(samples._nominate_view(SV, done=True), SV)
    assert not inputs(done)
    assert "actions" not in done


def test_registration_asks_for_an_address_as_a_url() -> None:
    view = samples._registration_view(SV, error=True)
    card = registration_card(view, SV)
    address = inputs(card)["address"]
    assert address["style"] == "Url"
    assert address["maxLength"] == ADDRESS_LIMIT
    assert address["placeholder"] == view.hint
    assert address["value"] == view.value
    assert next_to(card, "address")["text"] == view.error  # type: ignore[index]
    action = executes(card)[Verb.CHANNEL_REGISTER]
    assert action["data"] == {"channel_id": 7, "version": 5, "verb": "channel.register"}
    body = " ".join(texts_of(card))
    assert "offentliga lista" in body  # R8
    assert "chef kommer åt" in body  # R6
    done = registration_card(samples._registration_view(SV, done=True), SV)
    assert not inputs(done)
    assert "actions" not in done


def test_my_channels_marks_overdue_documentation_in_red() -> None:
    rows = (
        MyChannelRow("Ugglan", "Instagram", "Fritid", "Redaktör", "Aktiv", "1 mars 2026", True),
        MyChannelRow("Skolan", "Facebook", "Skola", "Chef", "Aktiv", "1 juni 2026"),
        MyChannelRow("Nytt", "TikTok", "Fritid", "Har ansökt", "Väntar på chefens beslut"),
    )
    card = my_channels_card(MyChannelsView(rows), SV)
    red = [e["text"] for e in elements(card) if e.get("color") == "Attention"]
    assert red == ["Dokumentationen är försenad sedan 1 mars 2026"]
    assert "Nästa dokumentation: 1 juni 2026" in texts_of(card)
    assert len([e for e in card["body"] if e["type"] == "ColumnSet"]) == 3
    assert list(executes(card)) == [Verb.CHANNEL_NEW]


def test_my_channels_without_channels_invites_to_start_one() -> None:
    card = my_channels_card(MyChannelsView(rows=()), SV)
    assert "Du har inga kanaler än. Vill du starta en ny kanal?" in texts_of(card)
    assert executes(card)[Verb.CHANNEL_NEW]["title"] == "Ny kanal"


def test_communications_can_comment_on_the_plan() -> None:
    card = comms_summary_card(samples._comms_view(SV, error=True), SV)
    comment = inputs(card)["comment"]
    assert comment["isMultiline"] is True
    assert next_to(card, "comment")["color"] == "Attention"  # type: ignore[index]
    action = executes(card)[Verb.COMMS_COMMENT]
    assert action["data"] == {"channel_id": 7, "version": 3, "verb": "comms.comment"}
    sent = comms_summary_card(samples._comms_view(SV, sent=True), SV)
    assert "Skickat till Testperson Ett. Tack!" in texts_of(sent)


# --- every channel card, every language ---------------------------------------------------


@pytest.mark.parametrize("sample", samples.sample_cards(), ids=str)
def test_no_card_asks_for_a_password(sample: samples.SampleCard) -> None:
    # R6: the bot keeps where the login is, never the login itself.
    for element in inputs(sample.card).values():
        assert element.get("style") != "Password", element["id"]
        words = f"{element['id']} {element.get('label', '')}".casefold()
        assert not any(w in words for w in ("password", "lösenord", "losenord")), element["id"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_channel_cards_use_the_readers_language(language: str) -> None:
    texts = Texts(language)
    card = approval_card(samples._approval_view(texts), texts)
    expected = {"sv": "Godkänn", "en": "Approve"}[language]
    assert executes(card)[Verb.APPROVAL_APPROVE]["title"] == expected
