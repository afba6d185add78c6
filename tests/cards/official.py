"""The official Adaptive Cards 1.5 schema and renderer, as the card tests use them.

The schema is Microsoft's `schemas/1.5.0/adaptive-card.json` (microsoft/AdaptiveCards, MIT),
kept unmodified in tests/support/cardcheck: no npm package ships it (`adaptivecards` ships only
TypeScript interfaces, `adaptivecards-designer` a 1.0-era schema), and the tests stay offline.
The renderer is the npm package `adaptivecards`, pinned in tests/node and installed into
.cache/node-tools by `make node-tools` (never by the tests), and driven by check_cards.cjs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from tests.support import node_tools

REPO_ROOT = Path(__file__).resolve().parents[2]
CARDCHECK_DIR = REPO_ROOT / "tests" / "support" / "cardcheck"
SCHEMA_PATH = CARDCHECK_DIR / "adaptive-card-1.5.schema.json"
# The git blob id of schemas/1.5.0/adaptive-card.json in microsoft/AdaptiveCards (unchanged
# since commit 93695cf2df1117ab08e36ebe707d0ced18e4e9b3); a local edit changes it.
SCHEMA_GIT_BLOB = "8301d0efef25d6626b52d6e38b20dc81dc59502e"
# lib/hostConfigs/microsoft-teams-light.json of the npm package adaptivecards-designer@2.4.4.
HOST_CONFIG_PATH = CARDCHECK_DIR / "host-config-microsoft-teams-light.json"
SCRIPT_PATH = CARDCHECK_DIR / "check_cards.cjs"
RENDERER = "the official Adaptive Cards renderer"

# --- schema ----------------------------------------------------------------------------------


def git_blob_id(path: Path) -> str:
    """Returns the id git gives the file's content (`git hash-object`)."""
    content = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


@functools.cache
def schema() -> dict[str, Any]:
    """Returns the official Adaptive Cards 1.5 JSON schema."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator(definition: str | None) -> jsonschema.protocols.Validator:
    root = schema()
    if definition is not None:
        root = {**root, "anyOf": [{"$ref": f"#/definitions/{definition}"}]}
    validator_class = jsonschema.validators.validator_for(root)
    validator: jsonschema.protocols.Validator = validator_class(root)
    return validator


def schema_problems(instance: Any, definition: str | None = None) -> list[str]:
    """Validates against the schema (or one of its definitions); returns readable errors."""
    return [
        f"{error.json_path}: {error.message}"
        for top in _validator(definition).iter_errors(instance)
        for error in _explain(top)
    ]


def _explain(error: ValidationError) -> list[ValidationError]:
    """Descends an anyOf error into the branch meant for the instance's `type`, if any."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    meant = [errors for errors in branches.values() if not any(map(_wrong_type, errors))]
    if len(meant) != 1:
        return [error]
    return [deeper for sub in meant[0] for deeper in _explain(sub)]


def _wrong_type(error: ValidationError) -> bool:
    """Tells whether an error says the instance is another element or action type."""
    return error.validator == "enum" and list(error.relative_path)[-1:] == ["type"]


# --- renderer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RendererResult:
    """What the official renderer made of one card."""

    problems: list[str]
    actions: list[dict[str, Any]]  # as Teams parses the card (Universal Actions)
    legacy_actions: list[dict[str, Any]]  # as a client without Action.Execute parses it


class RendererUnavailable(Exception):
    """node or the pinned packages are missing, so the renderer cannot run (the tests skip)."""


def ensure_renderer() -> Path:
    """Returns the node_modules holding the pinned renderer; raises RendererUnavailable."""
    reason = node_tools.unavailable(RENDERER)
    if reason is not None:
        raise RendererUnavailable(reason)
    return node_tools.NODE_MODULES


def render(cards: dict[str, dict[str, Any]], node_modules: Path) -> dict[str, RendererResult]:
    """Parses, validates and renders each named card with the official renderer."""
    node = shutil.which("node")
    if node is None:
        raise RendererUnavailable(node_tools.NODE_MISSING.format(what=RENDERER))
    payload = [{"name": name, "card": card} for name, card in cards.items()]
    result = subprocess.run(
        [node, str(SCRIPT_PATH), str(node_modules), str(HOST_CONFIG_PATH)],
        input=json.dumps(payload, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{SCRIPT_PATH.name} failed ({result.returncode}):\n{result.stderr}")
    return {
        item["name"]: RendererResult(item["problems"], item["actions"], item["legacyActions"])
        for item in json.loads(result.stdout)
    }
