"""Issue 23: the permission table is documentation generated from the declarations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cards.i18n import commands
from cards.verbs import Verb
from dialogs.flows import EDGE_COMMANDS
from dialogs.permission_table import declarations, permission_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"


def test_docs_permissions_md_is_what_the_declarations_say():
    assert DOC.read_text(encoding="utf-8") == permission_table(), (
        "docs/permissions.md is out of date: run `python -m dialogs.permission_table "
        "> docs/permissions.md`"
    )


def test_every_verb_and_command_has_one_row():
    table = permission_table()
    names = [v.value for v in Verb] + [c.name for c in commands()]
    for name in names:
        assert table.count(f"| `{name}` |") == 1, name


def test_a_verb_without_a_declaration_stops_start_up():
    flows = declarations()
    verbs = dict(flows.verbs)
    del verbs[Verb.CLOSING_CONFIRM]
    with pytest.raises(ValueError, match=r"closing\.confirm"):
        replace(flows, verbs=verbs).check_declared(frozenset())


def test_a_catalog_command_without_a_declaration_stops_start_up():
    flows = declarations()
    known = frozenset(c.name for c in commands()) - set(EDGE_COMMANDS)
    flows.check_declared(known)
    with pytest.raises(ValueError, match="no_such_command"):
        flows.check_declared(known | {"no_such_command"})
