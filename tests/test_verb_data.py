"""Issue 23: a verb's card data is parsed once into its declared dataclass."""

from __future__ import annotations

import pytest

from dialogs.verb_data import MAX_TEXT, BadData, ChannelRef, DecisionData, parse_data


def test_ids_flags_and_texts_are_typed_and_the_forms_other_inputs_kept():
    data = parse_data(
        DecisionData,
        {"channel_id": "12", "version": 0, "comment": " Hej ", "login_access": "true", "x": "y"},
    )
    assert (data.channel_id, data.version, data.comment, data.login_access) == (
        12,
        0,
        " Hej ",
        True,
    )
    assert data.inputs == {"x": "y"}
    assert data.get("channel_id") == 12 and data["x"] == "y" and dict(data)["version"] == 0
    assert data.subjects() == {"channel_id": 12}


@pytest.mark.parametrize(
    "raw",
    [
        {"channel_id": "abc"},
        {"channel_id": "-1"},
        {"channel_id": 2**31},
        {"channel_id": True},
        {"channel_id": 1.5},
        {"version": "1e3"},
        {"comment": "x" * (MAX_TEXT + 1)},
        {"free_input": "x" * (MAX_TEXT + 1)},
    ],
)
def test_malformed_or_oversized_data_is_bad_data(raw):
    with pytest.raises(BadData):
        parse_data(DecisionData, raw)


def test_missing_and_empty_ids_name_no_subject():
    assert parse_data(ChannelRef, {}).subjects() == {}
    assert parse_data(ChannelRef, {"channel_id": ""}).channel_id is None
    assert parse_data(DecisionData, {"login_access": "false"}).login_access is False
