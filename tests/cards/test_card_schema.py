"""Every card the bot sends validates against Adaptive Cards 1.5 and renders as Teams would.

Three layers, each run on every sample of tests/cards/samples.py in every language:
the official 1.5 JSON schema; the official renderer (npm `adaptivecards`) with Teams' host
config, also as a client without Universal Actions; and our own rules, which need no node.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from microsoft_agents.activity import Attachment, ChannelAccount, ChannelId, ConversationAccount
from microsoft_agents.hosting.core import MessageFactory

import cards
from cards.actions import parse_action
from cards.common import ADAPTIVE_CARD_CONTENT_TYPE
from cards.verbs import Verb
from tests.cards import samples
from tests.cards.official import (
    SCHEMA_GIT_BLOB,
    SCHEMA_PATH,
    RendererResult,
    RendererUnavailable,
    ensure_renderer,
    git_blob_id,
    render,
    schema,
    schema_problems,
)
from tests.support.factories import BOT_ID, BOT_NAME, make_user

SAMPLES = samples.sample_cards()
EXECUTE = "Action.Execute"
SUBMIT = "Action.Submit"
VERBS = {verb.value for verb in Verb}
# Teams refuses a bot message over about 28 KB, counting the whole activity it is sent in.
TEAMS_MESSAGE_LIMIT_BYTES = 28_000

# A card that breaks rules on purpose: the self-tests below prove that the checks can fail.
BROKEN = "broken-self-test"
BROKEN_CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Kanalkollen", "size": "Huge"}],
    "actions": [
        {"type": EXECUTE, "title": "Godkänn", "data": {"channel_id": 7}},
        {
            "type": EXECUTE,
            "title": "Neka",
            "verb": "channel.reject",
            "data": {"verb": "channel.reject"},
            "fallback": {"type": SUBMIT, "title": "Neka", "data": {"password": "hunter2"}},
        },
    ],
}


# Teams' people picker: an Input.ChoiceSet whose choices Teams fetches from the directory
# ("choices.data": a Data.Query over graph.microsoft.com/users). Teams documents it for the
# cards it renders; the 1.5 schema and renderer know Data.Query only from 1.6. So the schema
# and renderer checks see each picker as the plain ChoiceSet that other clients show, with
# one stand-in choice for the list Teams fills; any other Data.Query is still refused.
PEOPLE_PICKER_QUERY = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
PICKER_STAND_IN = {"title": "Teams people picker", "value": "people"}


def as_plain_1_5(node: Any) -> Any:
    """Returns a card with each Teams people picker as the plain 1.5 ChoiceSet it falls back to."""
    if isinstance(node, list):
        return [as_plain_1_5(item) for item in node]
    if not isinstance(node, dict):
        return node
    plain = {key: as_plain_1_5(value) for key, value in node.items()}
    if plain.get("type") == "Input.ChoiceSet" and plain.get("choices.data") == PEOPLE_PICKER_QUERY:
        del plain["choices.data"]
        plain["choices"] = plain.get("choices") or [PICKER_STAND_IN]
    return plain


def actions_of(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yields every action of a card with its JSON path; an action's fallback is part of it."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from actions_of(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        is_action = str(node.get("type", "")).startswith("Action.")
        if is_action:
            yield path, node
        for key, value in node.items():
            if not (is_action and key in {"fallback", "data"}):
                yield from actions_of(value, f"{path}.{key}")


def leaves_of(node: Any, path: str = "$") -> Iterator[tuple[str, str, Any]]:
    """Yields (path, key, value) for every value of a card that is not an object or array."""
    items = enumerate(node) if isinstance(node, list) else node.items()
    for key, value in items:
        where = f"{path}[{key}]" if isinstance(node, list) else f"{path}.{key}"
        if isinstance(value, dict | list):
            yield from leaves_of(value, where)
        else:
            yield where, str(key), value


# --- (a) the official Adaptive Cards 1.5 schema ------------------------------------------


def test_the_schema_is_microsofts_adaptive_cards_1_5_schema() -> None:
    assert git_blob_id(SCHEMA_PATH) == SCHEMA_GIT_BLOB, f"{SCHEMA_PATH} was changed"
    official = schema()
    assert official["id"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert "Action.Execute" in official["definitions"]
    assert jsonschema.validators.validator_for(official) is jsonschema.Draft6Validator
    jsonschema.Draft6Validator.check_schema(official)


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_card_validates_against_the_official_schema(sample: samples.SampleCard) -> None:
    problems = schema_problems(as_plain_1_5(sample.card))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_execute_fallback_validates_as_an_action_submit(sample: samples.SampleCard) -> None:
    # The schema lets any object through as a fallback (its FallbackOption is a bare
    # `pattern`, which ignores objects), so each fallback is checked as an Action.Submit too.
    problems = [
        f"{path}.fallback{problem.removeprefix('$')}"
        for path, action in actions_of(sample.card)
        if action["type"] == EXECUTE and isinstance(action.get("fallback"), dict)
        for problem in schema_problems(action["fallback"], SUBMIT)
    ]
    assert not problems, "\n".join(problems)


def test_the_schema_check_catches_a_broken_card() -> None:
    assert any("size" in problem for problem in schema_problems(BROKEN_CARD))
    password = {"type": SUBMIT, "title": "x", "data": {}, "password": "hunter2"}
    assert schema_problems(password, SUBMIT)
    other_query = {"type": "Data.Query", "dataset": "graph.microsoft.com/groups"}
    picker = {"type": "Input.ChoiceSet", "id": "p", "choices": [], "choices.data": other_query}
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [picker]}
    assert any("choices.data" in problem for problem in schema_problems(as_plain_1_5(card)))


# --- (b) the official renderer, with Teams' host config -----------------------------------


@pytest.fixture(scope="module")
def rendered() -> dict[str, RendererResult]:
    """Every sample (and the broken card) through the official renderer, in one node run."""
    try:
        node_modules = ensure_renderer()
        cards = {s.id: as_plain_1_5(s.card) for s in SAMPLES} | {BROKEN: BROKEN_CARD}
        return render(cards, node_modules)
    except RendererUnavailable as unavailable:
        pytest.skip(str(unavailable))
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_official_renderer_parses_validates_and_renders_the_card(
    sample: samples.SampleCard, rendered: dict[str, RendererResult]
) -> None:
    problems = rendered[sample.id].problems
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_clients_without_universal_actions_see_the_submit_fallback(
    sample: samples.SampleCard, rendered: dict[str, RendererResult]
) -> None:
    result = rendered[sample.id]
    expected = [
        {**action, "type": SUBMIT, "verb": None} if action["type"] == EXECUTE else action
        for action in result.actions
    ]
    assert result.legacy_actions == expected


def test_the_renderer_check_catches_a_broken_card(rendered: dict[str, RendererResult]) -> None:
    broken = rendered[BROKEN]
    assert any('Invalid value "Huge"' in problem for problem in broken.problems)
    assert [action["type"] for action in broken.actions] == [EXECUTE, EXECUTE]
    # Without Action.Execute, the first action (no fallback) is gone.
    assert [action["title"] for action in broken.legacy_actions] == ["Neka"]


# --- (c) our own rules, without node -------------------------------------------------------


def execute_problems(card: dict[str, Any]) -> list[str]:
    """Checks that every Action.Execute has a known verb, carries it in its data, and has an
    Action.Submit fallback with the same title and data (STYLE.md)."""
    problems = []
    for path, action in actions_of(card):
        data = action.get("data")
        carried = data.get("verb") if isinstance(data, dict) else None
        if carried is not None and carried not in VERBS:
            problems.append(f"{path}: data.verb {carried!r} is not a cards.verbs.Verb")
        if action["type"] != EXECUTE:
            continue
        verb = action.get("verb")
        if verb not in VERBS:
            problems.append(f"{path}: verb {verb!r} is not a cards.verbs.Verb")
        if carried != verb:
            problems.append(f"{path}: data.verb {carried!r} differs from verb {verb!r}")
        if path.endswith(".refresh.action"):
            continue  # clients without Universal Actions do not refresh: nothing to fall back to
        fallback = action.get("fallback")
        if not isinstance(fallback, dict) or fallback.get("type") != SUBMIT:
            problems.append(f"{path}: no Action.Submit fallback")
            continue
        if fallback.get("data") != data:
            problems.append(f"{path}: the fallback's data differs from the action's")
        if fallback.get("title") != action.get("title"):
            problems.append(f"{path}: the fallback's title differs from the action's")
    return problems


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_every_execute_action_has_a_verb_and_a_submit_fallback(
    sample: samples.SampleCard,
) -> None:
    problems = execute_problems(sample.card)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_action_data_reads_back_through_parse_action(sample: samples.SampleCard) -> None:
    for path, action in actions_of(sample.card):
        if action["type"] != EXECUTE:
            continue
        fields = {key: value for key, value in action["data"].items() if key != "verb"}
        invoke = {"action": {"type": EXECUTE, "verb": action["verb"], "data": action["data"]}}
        # A refresh has no fallback: clients without Universal Actions do not refresh.
        fallback = [] if path.endswith(".refresh.action") else [action["fallback"]["data"]]
        for value in (invoke, *fallback):
            parsed = parse_action(value)
            assert parsed is not None, path
            assert (parsed.verb, parsed.data) == (Verb(action["verb"]), fields), path


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_card_is_an_adaptive_card_1_5(sample: samples.SampleCard) -> None:
    assert sample.card["type"] == "AdaptiveCard"
    assert sample.card["version"] == "1.5"


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_card_fits_in_one_teams_message(sample: samples.SampleCard) -> None:
    user = make_user()
    activity = MessageFactory.attachment(
        Attachment(content_type=ADAPTIVE_CARD_CONTENT_TYPE, content=sample.card)
    )
    activity.channel_id = ChannelId("msteams")
    activity.service_url = "https://smba.trafficmanager.net/emea/"
    activity.from_property = ChannelAccount(id=BOT_ID, name=BOT_NAME)
    activity.recipient = ChannelAccount(
        id=user.user_id, name=user.name, aad_object_id=user.aad_object_id
    )
    activity.conversation = ConversationAccount(
        id=user.conversation_id, conversation_type="personal", tenant_id=user.tenant_id
    )
    wire = activity.model_dump(mode="json", by_alias=True, exclude_none=True)
    size = len(json.dumps(wire).encode("utf-8"))
    assert size < TEAMS_MESSAGE_LIMIT_BYTES


# Key names are compared without case, "_" and "-": "client_secret", "apiKey", "accessToken".
SECRET_KEY = re.compile(
    r".*(password|passwd|secret|apikey|credentials?|connectionstring)"
    r"|(access|refresh|id|bearer|auth)?token|pwd|authorization"
)
SECRET_VALUE = re.compile(
    r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"  # a JWT
    r"|\bBearer\s+\S{8,}"  # an Authorization header
    r"|[A-Za-z0-9_.~-]{3}\dQ~[A-Za-z0-9_.~-]{31,34}"  # an Entra ID client secret
    r"|\b[a-z][a-z0-9+.-]*://[^\s/:@]+:[^\s/@]+@"  # a URL with a password
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|\b(password|pwd|accountkey|sharedaccesskey)\s*=",
    re.I,
)


def secret_problems(card: dict[str, Any]) -> list[str]:
    """Finds keys named like secrets and values shaped like credentials anywhere in a card."""
    problems = []
    for path, key, value in leaves_of(card):
        if SECRET_KEY.fullmatch(re.sub(r"[_-]", "", key.lower())):
            problems.append(f"{path}: a key named like a secret")
        elif isinstance(value, str) and SECRET_VALUE.search(value):
            problems.append(f"{path}: a value shaped like a credential")
    return problems


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_card_carries_no_secrets(sample: samples.SampleCard) -> None:
    problems = secret_problems(sample.card)
    assert not problems, "\n".join(problems)


def test_our_rules_catch_a_broken_card() -> None:
    problems = execute_problems(BROKEN_CARD)
    assert "$.actions[0]: verb None is not a cards.verbs.Verb" in problems
    assert "$.actions[0]: no Action.Submit fallback" in problems
    assert "$.actions[1]: verb 'channel.reject' is not a cards.verbs.Verb" in problems
    assert "$.actions[1]: the fallback's data differs from the action's" in problems
    leaky = {"body": [{"type": "TextBlock", "text": "postgresql://kk:hunter2@db/kanalkollen"}]}
    assert secret_problems(leaky) == ["$.body[0].text: a value shaped like a credential"]
    named = secret_problems({"data": {"api_key": "x"}})
    assert named == ["$.data.api_key: a key named like a secret"]


def test_every_card_builder_has_a_sample() -> None:
    builders = {
        name
        for module_info in pkgutil.iter_modules(cards.__path__, "cards.")
        for name, member in vars(importlib.import_module(module_info.name)).items()
        if name.endswith("_card")
        and inspect.isfunction(member)
        and member.__module__ == module_info.name
    }
    referenced = {
        node.id
        for module in (samples, *map(importlib.import_module, samples.SAMPLE_MODULES))
        for node in ast.walk(ast.parse(inspect.getsource(module)))
        if isinstance(node, ast.Name)
    }
    assert builders, "no card builders found in cards/"
    assert builders <= referenced, f"add a line to SAMPLE_CARDS for {builders - referenced}"
