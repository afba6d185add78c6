"""A Teams message as the plain text of the e-mail to a person Teams cannot reach."""

from __future__ import annotations

from cards.common import attachment
from cards.plain import plain_message


def _message(card: dict) -> dict:  # type: ignore[type-arg]
    return {"type": "message", "attachments": [attachment(card)]}


def test_text_facts_and_buttons_in_reading_order_inputs_left_out():
    card = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "TextBlock", "text": "Dags att dokumentera Ugglan"},
            {
                "type": "Container",
                "items": [
                    {
                        "type": "ColumnSet",
                        "columns": [
                            {
                                "type": "Column",
                                "items": [{"type": "TextBlock", "text": "Senast 17 mars"}],
                            }
                        ],
                    },
                    {"type": "TextBlock", "text": "dold", "isVisible": False},
                    {"type": "Input.Text", "id": "note", "label": "Kommentar", "value": "x"},
                ],
            },
            {"type": "FactSet", "facts": [{"title": "Kanal", "value": "Ugglan"}]},
            {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "Regel R12"}]},
        ],
        "actions": [
            {"type": "Action.Execute", "title": "Dokumentera nu", "verb": "documentation.start"},
            {"type": "Action.OpenUrl", "title": "Mallen", "url": "https://stad.example/mall"},
            {
                "type": "Action.ShowCard",
                "title": "Mer",
                "card": {
                    "type": "AdaptiveCard",
                    "actions": [{"type": "Action.Submit", "title": "Skjut upp"}],
                },
            },
        ],
    }

    plain = plain_message(_message(card))

    assert plain.title == "Dags att dokumentera Ugglan"
    assert plain.lines == ("Senast 17 mars", "Kanal: Ugglan", "Regel R12")
    assert plain.actions == ("Dokumentera nu", "Skjut upp")
    assert plain.links == (("Mallen", "https://stad.example/mall"),)
    assert plain.waits_for_an_answer


def test_a_plain_text_message_waits_for_nothing():
    plain = plain_message({"type": "message", "text": "Ugglan är dokumenterad."})
    assert (plain.title, plain.lines, plain.waits_for_an_answer) == (
        "Ugglan är dokumenterad.",
        (),
        False,
    )


def test_a_card_nested_without_end_is_read_to_a_bound():
    card: dict = {"type": "AdaptiveCard", "body": []}  # type: ignore[type-arg]
    inner = card
    for depth in range(200):
        child = {"type": "Container", "items": [{"type": "TextBlock", "text": f"rad {depth}"}]}
        inner["body" if inner is card else "items"].append(child)
        inner = child
    plain = plain_message(_message(card))
    assert 10 < len(plain.lines) + 1 < 200
