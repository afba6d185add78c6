"""Tests for the Teams app manifest, its localization, icons and package zip."""

from __future__ import annotations

import functools
import json
import os
import re
import struct
import subprocess
import sys
import tomllib
import unicodedata
import zipfile
import zlib
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from manifest import build
from manifest.build import (
    MANIFEST_SCHEMA_VERSION,
    PACKAGE_FILES,
    TEAMS_SCHEMA_NPM_PACKAGE,
    TEAMS_SCHEMA_NPM_VERSION,
    ManifestError,
    build_localization,
    build_manifest,
    write_package,
)
from tests.support import node_tools

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "manifest" / "template"
LOCALES_DIR = REPO_ROOT / "cards" / "locales"
SCHEMA_DIR_ENV = "KANALKOLLEN_TEAMS_SCHEMA_DIR"
NPM_PACKAGE_DIR = node_tools.NODE_MODULES / TEAMS_SCHEMA_NPM_PACKAGE
DEFAULT_SCHEMA_DIR = NPM_PACKAGE_DIR / "build" / "json-schemas" / "teams"
SCHEMA_URL_PREFIXES = (
    "https://developer.microsoft.com/json-schemas/teams/",
    "https://developer.microsoft.com/en-us/json-schemas/teams/",
)

APP_ID = "0f3a1c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
WHITE = (255, 255, 255)

# Keywords the schemas use although they declare draft-04; the npm package validates with Ajv,
# which enforces them, so the test does too instead of silently ignoring them.
_LATER_KEYWORDS = ("const", "contains", "propertyNames", "if")
TeamsSchemaValidator = jsonschema.validators.extend(
    jsonschema.Draft4Validator,
    {name: jsonschema.Draft7Validator.VALIDATORS[name] for name in _LATER_KEYWORDS},
)


# --- official schema ---------------------------------------------------------------------


def test_the_pinned_schema_package_is_the_one_the_build_names() -> None:
    """tests/node pins the @microsoft/app-manifest version manifest/build.py is written for."""
    pinned = node_tools.pinned_dependencies()
    assert pinned[TEAMS_SCHEMA_NPM_PACKAGE] == TEAMS_SCHEMA_NPM_VERSION


@pytest.fixture(scope="session")
def teams_schema_dir() -> Path:
    """Return the json-schemas/teams directory of the pinned @microsoft/app-manifest."""
    override = os.environ.get(SCHEMA_DIR_ENV)
    if override:
        schema_dir = Path(override)
        if not (schema_dir / f"v{MANIFEST_SCHEMA_VERSION}").is_dir():
            pytest.fail(
                f"{SCHEMA_DIR_ENV}={override} has no v{MANIFEST_SCHEMA_VERSION} folder; point it "
                f"at node_modules/{TEAMS_SCHEMA_NPM_PACKAGE}/build/json-schemas/teams"
            )
        return schema_dir
    # Installed by `make node-tools`, never here (issue 25); reading JSON needs no node.
    reason = node_tools.unavailable(
        f"the official Teams manifest schema ({TEAMS_SCHEMA_NPM_PACKAGE})", needs_node=False
    )
    if reason is not None:
        pytest.skip(reason)
    return DEFAULT_SCHEMA_DIR


@functools.cache
def _unicode_letter_ranges() -> str:
    """Return a character-class body matching exactly the Unicode letters (category L*)."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith("L"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


def _to_python_regexes(node: Any) -> Any:
    """Return a schema copy whose ECMAScript-only \\p{L} escapes are Python-compatible."""
    # The schemas are written for Ajv (JavaScript regexes with the u flag); Python's re lacks
    # Unicode property escapes, so \p{L} (only ever used inside [...]) becomes explicit ranges.
    if isinstance(node, dict):
        converted = {key: _to_python_regexes(value) for key, value in node.items()}
        pattern = converted.get("pattern")
        if isinstance(pattern, str) and "\\p{L}" in pattern:
            converted["pattern"] = pattern.replace("\\p{L}", _unicode_letter_ranges())
            re.compile(converted["pattern"])
        return converted
    if isinstance(node, list):
        return [_to_python_regexes(item) for item in node]
    return node


def _schema_registry(version_dir: Path) -> Registry[Any]:
    """Return a registry holding every schema of one version; remote look-ups are refused."""

    def refuse(uri: str) -> Resource[Any]:
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

    registry: Registry[Any] = Registry(retrieve=refuse)  # type: ignore[call-arg]
    for path in sorted(version_dir.glob("*.json")):
        contents = _to_python_regexes(json.loads(path.read_text(encoding="utf-8")))
        resource = Resource.from_contents(contents)
        for prefix in SCHEMA_URL_PREFIXES:
            registry = registry.with_resource(f"{prefix}{version_dir.name}/{path.name}", resource)
    return registry


def _validator(schema_dir: Path, file_name: str) -> jsonschema.protocols.Validator:
    """Return a validator for one schema file of the pinned manifest version."""
    version_dir = schema_dir / f"v{MANIFEST_SCHEMA_VERSION}"
    schema = _to_python_regexes(json.loads((version_dir / file_name).read_text(encoding="utf-8")))
    assert schema.get("$schema") == "http://json-schema.org/draft-04/schema#"
    TeamsSchemaValidator.check_schema(schema)
    return TeamsSchemaValidator(
        schema,
        registry=_schema_registry(version_dir),
        format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER,
    )


@pytest.fixture(scope="session")
def manifest_validator(teams_schema_dir: Path) -> jsonschema.protocols.Validator:
    """Return a validator for MicrosoftTeams.schema.json."""
    return _validator(teams_schema_dir, "MicrosoftTeams.schema.json")


@pytest.fixture(scope="session")
def localization_validator(teams_schema_dir: Path) -> jsonschema.protocols.Validator:
    """Return a validator for MicrosoftTeams.Localization.schema.json."""
    return _validator(teams_schema_dir, "MicrosoftTeams.Localization.schema.json")


def _schema_errors(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    """Return readable schema errors for a document (empty when valid)."""
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def test_schema_folder_has_no_newer_stable_version(teams_schema_dir: Path) -> None:
    """The template uses the newest stable (non-devPreview) v1.x schema of the pinned package."""
    versions = [
        tuple(int(part) for part in path.name[1:].split("."))
        for path in teams_schema_dir.iterdir()
        if path.is_dir() and path.name[1:].replace(".", "").isdigit()
    ]
    newest = ".".join(map(str, max(versions)))
    assert newest == MANIFEST_SCHEMA_VERSION


def test_manifest_validates_against_official_schema(
    manifest_validator: jsonschema.protocols.Validator,
) -> None:
    """The built manifest.json is valid for the pinned Teams schema."""
    manifest = build_manifest(APP_ID, base_url="https://bot.example.se/kanalkollen/")
    assert _schema_errors(manifest_validator, manifest) == []
    assert manifest["manifestVersion"] == MANIFEST_SCHEMA_VERSION
    assert manifest["$schema"].endswith(f"/v{MANIFEST_SCHEMA_VERSION}/MicrosoftTeams.schema.json")


def test_localization_validates_against_official_schema(
    localization_validator: jsonschema.protocols.Validator,
) -> None:
    """The built en-US.json is valid for the pinned Teams localization schema."""
    localization = build_localization()
    assert _schema_errors(localization_validator, localization) == []
    assert localization["$schema"].endswith(
        f"/v{MANIFEST_SCHEMA_VERSION}/MicrosoftTeams.Localization.schema.json"
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("manifestVersion",), "1.29"),
        (("bots", 0, "botId"), "not-a-guid"),
        (("accentColor",), "blue"),
        (("bots", 0, "commandLists", 0, "scopes"), ["nowhere"]),
    ],
)
def test_schema_validator_rejects_broken_manifests(
    manifest_validator: jsonschema.protocols.Validator, path: tuple[Any, ...], value: Any
) -> None:
    """The validator really enforces the schema (including const), so a pass means something."""
    manifest = build_manifest(APP_ID)
    node: Any = manifest
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert _schema_errors(manifest_validator, manifest)


def test_schema_validator_rejects_unknown_localization_keys(
    localization_validator: jsonschema.protocols.Validator,
) -> None:
    """Localization keys outside the schema's patterns are rejected."""
    localization = build_localization()
    localization["bots[0].commandLists[0].commands[0].titel"] = "oops"
    assert _schema_errors(localization_validator, localization)


# --- manifest content --------------------------------------------------------------------


def _catalog_commands(language: str) -> list[dict[str, Any]]:
    """Return the menu's [commands.*] tables of a catalog, read straight from the repo."""
    with (LOCALES_DIR / f"{language}.toml").open("rb") as handle:
        tables = tomllib.load(handle)["commands"].values()
    return [table for table in tables if table.get("menu", True)]


def test_manifest_fields() -> None:
    """Ids, names, URLs, bot settings and localization info are filled in as specified."""
    manifest = build_manifest(APP_ID, version="2.3.4", base_url="https://bot.example.se/kk/")
    assert manifest["id"] == APP_ID
    assert manifest["version"] == "2.3.4"
    assert manifest["name"] == {
        "short": "Kanalkollen",
        "full": "Kanalkollen – sociala medier enligt reglerna",
    }
    developer = manifest["developer"]
    assert developer["name"] == "Kanalkollen"
    assert developer["websiteUrl"] == "https://bot.example.se/kk"
    for key in ("privacyUrl", "termsOfUseUrl"):
        assert developer[key].startswith("https://bot.example.se/kk/")
    assert manifest["validDomains"] == ["bot.example.se"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team"]
    assert bot["supportsFiles"] is True
    assert bot["isNotificationOnly"] is False
    assert [cl["scopes"] for cl in bot["commandLists"]] == [["personal"], ["team"]]
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "sv-SE",
        "additionalLanguages": [{"languageTag": "en-US", "file": "en-US.json"}],
    }
    assert "{{" not in json.dumps(manifest)


def test_default_version_and_base_url() -> None:
    """Without arguments the package version and the placeholder https base URL are used."""
    manifest = build_manifest(APP_ID)
    assert manifest["version"] == metadata.version("kanalkollen")
    assert manifest["developer"]["websiteUrl"] == build.DEFAULT_BASE_URL
    assert build.DEFAULT_BASE_URL.startswith("https://")


def test_manifest_commands_match_swedish_catalog() -> None:
    """Every command list carries the sv.toml commands, in catalog order."""
    expected = [
        {"title": c["title"], "description": c["description"]} for c in _catalog_commands("sv")
    ]
    for command_list in build_manifest(APP_ID)["bots"][0]["commandLists"]:
        assert command_list["commands"] == expected


def test_localization_commands_match_english_catalog() -> None:
    """en-US.json translates every manifest command with the en.toml title and description."""
    manifest = build_manifest(APP_ID)
    localization = build_localization()
    english = _catalog_commands("en")
    expected: dict[str, str] = {}
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        assert len(command_list["commands"]) == len(english)
        for j, command in enumerate(english):
            expected[f"bots[0].commandLists[{i}].commands[{j}].title"] = command["title"]
            expected[f"bots[0].commandLists[{i}].commands[{j}].description"] = command[
                "description"
            ]
    bot_keys = {k: v for k, v in localization.items() if k.startswith("bots[")}
    assert bot_keys == expected
    assert localization["name.short"] == "Kanalkollen"
    assert localization["description.short"] != manifest["description"]["short"]


# --- catalog checks ----------------------------------------------------------------------


def _fake_catalogs(
    monkeypatch: pytest.MonkeyPatch, sv: dict[str, Any], en: dict[str, Any] | None = None
) -> None:
    """Make the builder read the given command tables instead of the real catalogs."""
    catalogs = {"sv": {"commands": sv}, "en": {"commands": en if en is not None else sv}}
    monkeypatch.setattr(build, "_catalog", lambda language: catalogs[language])


def _command(title: str, description: str = "Gör något") -> dict[str, Any]:
    """Return a catalog command table whose title is one of its keywords."""
    return {"title": title, "description": description, "keywords": [title]}


def test_too_many_commands_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """More than ten commands do not fit a Teams command list."""
    _fake_catalogs(monkeypatch, {f"c{i}": _command(f"kommando{i}") for i in range(11)})
    with pytest.raises(ManifestError, match="at most 10"):
        build_manifest(APP_ID)


def test_commands_off_the_menu_do_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Admin commands with menu = false are left out of the menu and its limit."""
    table = {f"c{i}": _command(f"kommando{i}") for i in range(10)}
    table["admin"] = {**_command("adminkommando"), "menu": False}
    _fake_catalogs(monkeypatch, table)
    titles = [c["title"] for c in build_manifest(APP_ID)["bots"][0]["commandLists"][0]["commands"]]
    assert len(titles) == 10
    assert "adminkommando" not in titles


def test_ten_commands_are_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exactly ten commands are accepted."""
    _fake_catalogs(monkeypatch, {f"c{i}": _command(f"kommando{i}") for i in range(10)})
    assert len(build_manifest(APP_ID)["bots"][0]["commandLists"][0]["commands"]) == 10


def test_long_title_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Command titles are limited to 32 characters."""
    _fake_catalogs(monkeypatch, {"long": _command("x" * 33)})
    with pytest.raises(ManifestError, match=r"\[commands\.long\].*at most 32"):
        build_manifest(APP_ID)


def test_long_description_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Command descriptions are limited to 128 characters."""
    _fake_catalogs(monkeypatch, {"long": _command("lång", "y" * 129)})
    with pytest.raises(ManifestError, match="at most 128"):
        build_localization()


def test_catalogs_must_agree_on_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """sv.toml and en.toml must define the same commands in the same order."""
    _fake_catalogs(
        monkeypatch,
        {"help": _command("hjälp"), "cancel": _command("avbryt")},
        {"cancel": _command("cancel"), "help": _command("help")},
    )
    with pytest.raises(ManifestError, match="same commands in the same order"):
        build_manifest(APP_ID)


def test_title_must_be_a_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    """A menu title the bot would not recognise is rejected."""
    command = {"title": "hjälp", "description": "Hjälp", "keywords": ["help"]}
    _fake_catalogs(monkeypatch, {"help": command})
    with pytest.raises(ManifestError, match="not one of its keywords"):
        build_manifest(APP_ID)


# --- argument checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "app_id",
    [
        "",
        "not-a-guid",
        "0f3a1c2e5b6d4e7f8a9b0c1d2e3f4a5b",
        "{0f3a1c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b}",
        "0f3a1c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5g",
    ],
)
def test_non_guid_app_id_raises(app_id: str, tmp_path: Path) -> None:
    """A malformed MicrosoftAppId is rejected before anything is written."""
    with pytest.raises(ValueError, match="MicrosoftAppId"):
        build_manifest(app_id)
    out = tmp_path / "app.zip"
    with pytest.raises(ValueError, match="MicrosoftAppId"):
        write_package(app_id, out)
    assert not out.exists()


@pytest.mark.parametrize(
    "base_url", ["http://example.se/kanalkollen", "example.se", "https://", "https://a.se/?x=1"]
)
def test_bad_base_url_raises(base_url: str) -> None:
    """The developer URLs must be https."""
    with pytest.raises(ValueError, match="base_url"):
        build_manifest(APP_ID, base_url=base_url)


@pytest.mark.parametrize("version", ["1.0", "1.0.0-beta", "0.1.0.dev1", "v1.0.0"])
def test_bad_version_raises(version: str) -> None:
    """Teams app versions are MAJOR.MINOR.PATCH."""
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        build_manifest(APP_ID, version=version)


# --- package zip -------------------------------------------------------------------------


def test_package_zip(tmp_path: Path) -> None:
    """The zip holds exactly the four files at its root, with the app id filled in."""
    out = write_package(APP_ID, tmp_path / "out" / "kanalkollen.zip")
    assert out == tmp_path / "out" / "kanalkollen.zip"
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(PACKAGE_FILES)
        contents = {name: archive.read(name) for name in archive.namelist()}
    for name in ("manifest.json", "en-US.json"):
        assert not contents[name].startswith(b"\xef\xbb\xbf")
    manifest = json.loads(contents["manifest.json"].decode("utf-8"))
    assert manifest == build_manifest(APP_ID)
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert json.loads(contents["en-US.json"].decode("utf-8")) == build_localization()
    assert contents["color.png"] == (TEMPLATE_DIR / "color.png").read_bytes()
    assert contents["outline.png"] == (TEMPLATE_DIR / "outline.png").read_bytes()
    for name in (manifest["icons"]["color"], manifest["icons"]["outline"]):
        assert name in contents
    for language in manifest["localizationInfo"]["additionalLanguages"]:
        assert language["file"] in contents


def test_package_into_directory_and_reproducible(tmp_path: Path) -> None:
    """A directory gets kanalkollen-<version>.zip, and rebuilding gives identical bytes."""
    first = write_package(APP_ID, tmp_path, version="1.2.3")
    assert first == tmp_path / "kanalkollen-1.2.3.zip"
    data = first.read_bytes()
    second = write_package(APP_ID, tmp_path / "again.zip", version="1.2.3")
    assert second.read_bytes() == data


# --- icons -------------------------------------------------------------------------------


def _read_png(path: Path) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Decode an 8-bit RGB/RGBA PNG into (width, height, RGBA pixels) without Pillow."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r} of {path.name}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    assert len(raw) == height * (stride + 1)
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int, int]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upper_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
                line[i] = (line[i] + pred) & 0xFF
            else:
                assert kind == 0, f"unknown PNG filter {kind}"
        for x in range(width):
            px = line[x * channels : (x + 1) * channels]
            pixels.append((px[0], px[1], px[2], px[3] if channels == 4 else 255))
        previous = line
    return width, height, pixels


def test_color_icon_is_192_and_opaque() -> None:
    """color.png is 192x192, fully opaque and actually coloured."""
    width, height, pixels = _read_png(TEMPLATE_DIR / "color.png")
    assert (width, height) == (192, 192)
    assert all(a == 255 for *_, a in pixels)
    accent = build_manifest(APP_ID)["accentColor"]
    accent_rgb = tuple(int(accent[i : i + 2], 16) for i in (1, 3, 5))
    assert pixels[0][:3] == accent_rgb
    assert len({p[:3] for p in pixels}) > 2


def test_outline_icon_is_32_white_on_transparent() -> None:
    """outline.png is 32x32 and has only white pixels and transparency."""
    width, height, pixels = _read_png(TEMPLATE_DIR / "outline.png")
    assert (width, height) == (32, 32)
    offenders = [p for p in pixels if p[3] != 0 and p[:3] != WHITE]
    assert offenders == []
    assert pixels[0][3] == 0, "the background must be transparent"
    assert any(p[3] == 255 for p in pixels), "the shape must be drawn in opaque white"


def test_icons_are_reproducible(tmp_path: Path) -> None:
    """scripts/make_icons.py regenerates the committed icons byte for byte."""
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "make_icons.py"), "--out-dir", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in ("color.png", "outline.png"):
        assert (tmp_path / name).read_bytes() == (TEMPLATE_DIR / name).read_bytes(), name
