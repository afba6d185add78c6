"""R8: the public list's record, order, filter and its CSV (Swedish Excel) and JSON files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import date

import pytest

from domain.registry import (
    CSV_BOM,
    FIELDS,
    FilterError,
    PublicChannel,
    RegistryFilter,
    in_registry_order,
    parse_filter,
    swedish_key,
    to_csv,
    to_json,
)

HEADERS = ("Plattform", "Kanalens namn", "Adress", "Verksamhet", "Ansvarig förvaltning", "Start")
LABELS = {"instagram": "Instagram", "facebook": "Facebook", "other": "Annan"}


def label(value: str) -> str:
    return LABELS.get(value, value)


def channel(name: str = "Ugglan", **overrides: object) -> PublicChannel:
    values: dict[str, object] = {
        "platform": "instagram",
        "name": name,
        "address": "https://www.instagram.com/ugglan",
        "unit": "Fritidsgården Ugglan",
        "administration": "Skol- och fritidsförvaltningen",
        "start_date": date(2026, 3, 2),
    }
    values.update(overrides)
    return PublicChannel(**values)  # type: ignore[arg-type]


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith(CSV_BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(CSV_BOM), newline=""), delimiter=";"))


# --- the record ------------------------------------------------------------------------------


def test_r8_the_record_has_the_public_fields_and_nothing_else():
    assert [f.name for f in dataclasses.fields(PublicChannel)] == list(FIELDS)
    assert FIELDS == ("platform", "name", "address", "unit", "administration", "start_date")


# --- CSV -------------------------------------------------------------------------------------


def test_r8_csv_is_utf8_with_bom_semicolons_and_crlf_for_swedish_excel():
    text = to_csv([channel("Ängens förskola – Åby & Öst")], HEADERS, label)

    assert text.startswith("\ufeffPlattform;Kanalens namn;Adress;")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbfPlattform;")
    assert text.endswith("\r\n") and text.count("\r\n") == 2
    assert read_csv(text) == [
        list(HEADERS),
        [
            "Instagram",
            "Ängens förskola – Åby & Öst",
            "https://www.instagram.com/ugglan",
            "Fritidsgården Ugglan",
            "Skol- och fritidsförvaltningen",
            "2026-03-02",
        ],
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Ugglan; fritids",
        'Skolan "Solen"',
        'Citat "; och semikolon;"',
        "Två\nrader",
        "Slut med semikolon;",
    ],
)
def test_r8_csv_quotes_separators_quotes_and_line_breaks(name: str):
    text = to_csv([channel(name)], HEADERS, label)

    assert read_csv(text)[1][1] == name
    assert f'"{name.replace(chr(34), chr(34) * 2)}"' in text


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+46 skolan", "'+46 skolan"),
        ("-minus", "'-minus"),
        ("@mention", "'@mention"),
        ("Vanligt namn", "Vanligt namn"),
    ],
)
def test_csv_cells_that_excel_would_run_as_formulas_are_defused(name: str, written: str):
    assert read_csv(to_csv([channel(name)], HEADERS, label))[1][1] == written


def test_csv_of_a_channel_without_start_date_has_an_empty_cell():
    rows = read_csv(to_csv([channel(start_date=None, address="")], HEADERS, label))

    assert rows[1][2] == "" and rows[1][5] == ""


def test_csv_of_no_channels_is_the_header_row():
    assert read_csv(to_csv([], HEADERS, label)) == [list(HEADERS)]


def test_csv_needs_one_header_per_field():
    with pytest.raises(ValueError, match="6 headers"):
        to_csv([channel()], HEADERS[:5], label)


# --- JSON ------------------------------------------------------------------------------------


def test_r8_json_has_the_public_fields_and_the_platform_label():
    text = to_json([channel("Östra skolans Facebook", platform="facebook")], label)

    assert json.loads(text) == {
        "count": 1,
        "channels": [
            {
                "platform": "facebook",
                "platform_label": "Facebook",
                "name": "Östra skolans Facebook",
                "address": "https://www.instagram.com/ugglan",
                "unit": "Fritidsgården Ugglan",
                "administration": "Skol- och fritidsförvaltningen",
                "start_date": "2026-03-02",
            }
        ],
    }
    assert "Östra" in text  # UTF-8, not \u00d6 escapes


def test_json_keeps_quotes_semicolons_and_a_missing_start_date():
    text = to_json([channel('Skolan "Solen"; två', start_date=None)], label)

    (record,) = json.loads(text)["channels"]
    assert record["name"] == 'Skolan "Solen"; två'
    assert record["start_date"] is None


def test_json_of_no_channels():
    assert json.loads(to_json([], label)) == {"count": 0, "channels": []}


# --- order -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "ordered"),
    [
        (["Öst", "Äng", "Åby", "Zeta", "Ahla"], ["Ahla", "Zeta", "Åby", "Äng", "Öst"]),
        (["öst", "Åby", "äng"], ["Åby", "äng", "öst"]),
        (["Eva", "Élise", "Emil"], ["Élise", "Emil", "Eva"]),
        (["Aa\u030ash", "Ab"], ["Ab", "Aa\u030ash"]),  # decomposed å (a + ring) is still å
    ],
)
def test_swedish_alphabetical_order(words: list[str], ordered: list[str]):
    assert sorted(words, key=swedish_key) == ordered


def test_r8_list_is_ordered_by_unit_then_platform_as_shown_then_name():
    channels = [
        channel("b", unit="Östra", platform="instagram"),
        channel("a", unit="Östra", platform="instagram"),
        channel("z", unit="Östra", platform="facebook"),
        channel("y", unit="Östra", platform="other"),
        channel("x", unit="Åby", platform="instagram"),
    ]

    assert [c.name for c in in_registry_order(channels, label)] == ["x", "y", "z", "a", "b"]
    # By value, "other" sorts after "instagram"; as shown, "Annan" comes first.
    assert [c.name for c in in_registry_order(channels)] == ["x", "z", "a", "b", "y"]


# --- the filter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ({}, RegistryFilter()),
        ({"unit": [""], "platform": [""]}, RegistryFilter()),
        ({"unit": ["Åby skola"]}, RegistryFilter(unit="Åby skola")),
        ({"unit": ["  Åby skola "]}, RegistryFilter(unit="Åby skola")),
        ({"platform": ["instagram"]}, RegistryFilter(platform="instagram")),
        ({"unit": ["Åby"], "platform": ["x"]}, RegistryFilter(unit="Åby", platform="x")),
        ({"platform": ["myspace"]}, RegistryFilter(platform="myspace")),
        ({"utm_source": ["nyhetsbrev"], "unit": ["Åby"]}, RegistryFilter(unit="Åby")),
    ],
)
def test_filter_from_query(query: dict[str, list[str]], wanted: RegistryFilter):
    assert parse_filter(query) == wanted


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"unit": ["a", "b"]}, "more than once"),
        ({"platform": ["instagram", "facebook"]}, "more than once"),
        ({"unit": ["x" * 121]}, "longer than 120"),
        ({"platform": ["x" * 33]}, "longer than 32"),
        ({"unit": ["Åby\x00"]}, "not text"),
        ({"unit": ["Åby\n skola"]}, "not text"),
        ({"platform": ["insta\ufffdgram"]}, "not text"),
        ({"q": ["x" * 2000]}, "too long"),
        ({f"p{i}": ["x"] for i in range(300)}, "too long"),
    ],
)
def test_filter_refuses_what_no_form_sends(query: dict[str, list[str]], reason: str):
    with pytest.raises(FilterError, match=reason):
        parse_filter(query)


def test_filter_at_the_column_limits_is_accepted():
    wanted = parse_filter({"unit": ["x" * 120], "platform": ["y" * 32]})

    assert wanted == RegistryFilter(unit="x" * 120, platform="y" * 32)
    assert wanted.active and not RegistryFilter().active
