"""Build the Teams app manifest and package (manifest.json, en-US.json, icons) as a zip."""

from __future__ import annotations

import json
import re
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_BASE_URL",
    "MANIFEST_SCHEMA_VERSION",
    "MAX_COMMANDS_PER_LIST",
    "MAX_COMMAND_DESCRIPTION_LENGTH",
    "MAX_COMMAND_TITLE_LENGTH",
    "PACKAGE_FILES",
    "TEAMS_SCHEMA_NPM_PACKAGE",
    "TEAMS_SCHEMA_NPM_VERSION",
    "CatalogCommand",
    "ManifestError",
    "build_localization",
    "build_manifest",
    "load_commands",
    "package_files",
    "write_package",
]

# The Teams manifest schema version used by template/manifest.json (newest stable v1.x).
MANIFEST_SCHEMA_VERSION = "1.30"
# The npm package that ships the official schemas; tests validate against this exact version.
TEAMS_SCHEMA_NPM_PACKAGE = "@microsoft/app-manifest"
TEAMS_SCHEMA_NPM_VERSION = "1.1.2"

DEFAULT_BASE_URL = "https://example.invalid/kanalkollen"
DEFAULT_LANGUAGE = "sv"
ADDITIONAL_LANGUAGE = "en"
LOCALIZATION_FILE = "en-US.json"
PACKAGE_FILES = ("manifest.json", LOCALIZATION_FILE, "color.png", "outline.png")

# Limits Teams enforces on bot command menus (stricter than the JSON schema).
MAX_COMMAND_TITLE_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 128
MAX_COMMANDS_PER_LIST = 10

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Same pattern as "#/definitions/semver" in the manifest schema.
_SEMVER = re.compile(r"^(?:[0-9]|[1-9]+[0-9]*)\.(?:[0-9]|[1-9]+[0-9]*)\.(?:[0-9]|[1-9]+[0-9]*)$")
_PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")
# A fixed timestamp keeps the zip byte-for-byte reproducible.
_ZIP_DATE_TIME = (2024, 1, 1, 0, 0, 0)


class ManifestError(ValueError):
    """Raised when the manifest cannot be built from the templates and catalogs."""


@dataclass(frozen=True, slots=True)
class CatalogCommand:
    """One bot command as described by a message catalog."""

    name: str
    title: str
    description: str
    keywords: tuple[str, ...]


def _template_bytes(name: str) -> bytes:
    """Return the raw bytes of a file in manifest/template."""
    return (resources.files("manifest") / "template" / name).read_bytes()


def _template_json(name: str) -> dict[str, Any]:
    """Return a JSON template file from manifest/template as a dict."""
    data = json.loads(_template_bytes(name).decode("utf-8"))
    if not isinstance(data, dict):
        raise ManifestError(f"template/{name} must contain a JSON object")
    return data


def _catalog(language: str) -> dict[str, Any]:
    """Return the parsed message catalog cards/locales/<language>.toml."""
    path = resources.files("cards") / "locales" / f"{language}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def load_commands(language: str) -> list[CatalogCommand]:
    """Return the bot commands of a catalog in catalog order, checked against Teams limits."""
    source = f"cards/locales/{language}.toml"
    table = _catalog(language).get("commands")
    if not isinstance(table, dict) or not table:
        raise ManifestError(f"{source} has no [commands.<name>] tables")
    # Commands with `menu = false` (admin commands) are understood but not in the menu.
    menu = {
        name: entry
        for name, entry in table.items()
        if not (isinstance(entry, dict) and entry.get("menu", True) is False)
    }
    if len(menu) > MAX_COMMANDS_PER_LIST:
        raise ManifestError(
            f"{source} puts {len(menu)} commands in the menu but Teams shows at most "
            f"{MAX_COMMANDS_PER_LIST} per command list (set menu = false on the others)"
        )
    commands: list[CatalogCommand] = []
    for name, entry in menu.items():
        where = f"{source} [commands.{name}]"
        if not isinstance(entry, dict):
            raise ManifestError(f"{where} must be a table")
        title = entry.get("title")
        description = entry.get("description")
        keywords = entry.get("keywords", [])
        if not isinstance(title, str) or not title.strip():
            raise ManifestError(f"{where}: title must be a non-empty string")
        if not isinstance(description, str) or not description.strip():
            raise ManifestError(f"{where}: description must be a non-empty string")
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ManifestError(f"{where}: keywords must be a list of strings")
        if len(title) > MAX_COMMAND_TITLE_LENGTH:
            raise ManifestError(
                f"{where}: title {title!r} is {len(title)} characters; "
                f"Teams allows at most {MAX_COMMAND_TITLE_LENGTH}"
            )
        if len(description) > MAX_COMMAND_DESCRIPTION_LENGTH:
            raise ManifestError(
                f"{where}: description is {len(description)} characters; "
                f"Teams allows at most {MAX_COMMAND_DESCRIPTION_LENGTH}"
            )
        # Picking a command in the Teams menu sends its title, so the bot must recognise it.
        if title.casefold() not in {k.casefold() for k in keywords}:
            raise ManifestError(
                f"{where}: title {title!r} is not one of its keywords, so choosing it "
                "in the Teams command menu would not trigger the command"
            )
        commands.append(CatalogCommand(name, title, description, tuple(keywords)))
    titles = [c.title.casefold() for c in commands]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    if duplicates:
        raise ManifestError(f"{source}: duplicate command titles {duplicates}")
    return commands


def _commands_by_language() -> tuple[list[CatalogCommand], list[CatalogCommand]]:
    """Return (Swedish, English) commands and check that both catalogs list the same ones."""
    default = load_commands(DEFAULT_LANGUAGE)
    additional = load_commands(ADDITIONAL_LANGUAGE)
    default_names = [c.name for c in default]
    additional_names = [c.name for c in additional]
    if default_names != additional_names:
        raise ManifestError(
            f"cards/locales/{DEFAULT_LANGUAGE}.toml and cards/locales/{ADDITIONAL_LANGUAGE}.toml "
            f"must define the same commands in the same order: {default_names} != "
            f"{additional_names}"
        )
    return default, additional


def _check_app_id(app_id: str) -> str:
    """Return app_id if it is a GUID, else raise ValueError naming MicrosoftAppId."""
    if not isinstance(app_id, str) or not _GUID.fullmatch(app_id.strip()):
        raise ValueError(
            f"MicrosoftAppId must be the bot's Microsoft app id, a GUID such as "
            f"00000000-0000-0000-0000-000000000000; got {app_id!r}"
        )
    return app_id.strip()


def _check_base_url(base_url: str) -> tuple[str, str]:
    """Return (base URL without trailing slash, host) for an https base URL."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"base_url must be an https:// URL with a host name; got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not have a query or fragment; got {base_url!r}")
    return url, parts.hostname


def _package_version() -> str:
    """Return the installed kanalkollen distribution version."""
    try:
        return metadata.version("kanalkollen")
    except metadata.PackageNotFoundError as exc:
        raise ManifestError(
            "kanalkollen is not installed, so its version is unknown; install it "
            "(pip install -e .) or pass version= explicitly"
        ) from exc


def _check_version(version: str | None) -> str:
    """Return a Teams-compatible MAJOR.MINOR.PATCH app version."""
    resolved = _package_version() if version is None else version
    if not _SEMVER.fullmatch(resolved):
        raise ValueError(
            f"the Teams app version must be MAJOR.MINOR.PATCH (digits only); got {resolved!r}"
        )
    return resolved


def _fill(node: Any, values: dict[str, str]) -> Any:
    """Return a copy of a JSON node with {{NAME}} placeholders replaced in every string."""
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, str):

        def replace(match: re.Match[str]) -> str:
            key = match.group(0)
            if key not in values:
                raise ManifestError(f"unknown placeholder {key} in the manifest template")
            return values[key]

        return _PLACEHOLDER.sub(replace, node)
    return node


def _command_lists(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Return bots[0].commandLists of a manifest (template or built)."""
    try:
        lists = manifest["bots"][0]["commandLists"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ManifestError("the manifest template must have bots[0].commandLists") from exc
    if not isinstance(lists, list) or not lists:
        raise ManifestError("bots[0].commandLists in the manifest template must be a list")
    return lists


def build_manifest(
    app_id: str,
    *,
    version: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> dict[str, Any]:
    """Return manifest.json as a dict (version None means the installed package version)."""
    app_id = _check_app_id(app_id)
    url, host = _check_base_url(base_url)
    manifest: dict[str, Any] = _fill(
        _template_json("manifest.json"),
        {
            "{{MICROSOFT_APP_ID}}": app_id,
            "{{VERSION}}": _check_version(version),
            "{{BASE_URL}}": url,
            "{{BASE_DOMAIN}}": host,
        },
    )
    if manifest.get("manifestVersion") != MANIFEST_SCHEMA_VERSION:
        raise ManifestError(
            f"template/manifest.json has manifestVersion {manifest.get('manifestVersion')!r}, "
            f"expected {MANIFEST_SCHEMA_VERSION!r}"
        )
    commands, _ = _commands_by_language()
    for command_list in _command_lists(manifest):
        command_list["commands"] = [
            {"title": c.title, "description": c.description} for c in commands
        ]
    return manifest


def build_localization() -> dict[str, Any]:
    """Return en-US.json (the English localization of the manifest) as a dict."""
    localization = _template_json(LOCALIZATION_FILE)
    _, commands = _commands_by_language()
    template = _template_json("manifest.json")
    for i, _command_list in enumerate(_command_lists(template)):
        for j, command in enumerate(commands):
            prefix = f"bots[0].commandLists[{i}].commands[{j}]"
            localization[f"{prefix}.title"] = command.title
            localization[f"{prefix}.description"] = command.description
    return localization


def _json_bytes(data: dict[str, Any]) -> bytes:
    """Serialise a JSON document as UTF-8 (without BOM), as Teams expects."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def package_files(
    app_id: str,
    *,
    version: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> dict[str, bytes]:
    """Return the app package contents as {file name: bytes}, in PACKAGE_FILES order."""
    manifest = build_manifest(app_id, version=version, base_url=base_url)
    localization = build_localization()
    return {
        "manifest.json": _json_bytes(manifest),
        LOCALIZATION_FILE: _json_bytes(localization),
        "color.png": _template_bytes("color.png"),
        "outline.png": _template_bytes("outline.png"),
    }


def write_package(
    app_id: str,
    out_path: Path,
    *,
    version: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> Path:
    """Write the app package zip (into a directory: kanalkollen-<version>.zip); return its path."""
    files = package_files(app_id, version=version, base_url=base_url)
    out_path = Path(out_path)
    if out_path.is_dir():
        built_version = json.loads(files["manifest.json"])["version"]
        out_path = out_path / f"kanalkollen-{built_version}.zip"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out_path
