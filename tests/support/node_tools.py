"""The Node packages some tests use, pinned in tests/node and installed by `make node-tools`.

The tests never install them (issue 25: a first `make test` installs nothing behind the user's
back). Where they are missing or differ from the pins, the tests that need them skip and say
what to run; the rest of the suite does not need Node at all.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PINS_DIR = REPO_ROOT / "tests" / "node"
PINNED_FILES = ("package.json", "package-lock.json")
INSTALL_DIR = REPO_ROOT / ".cache" / "node-tools"
NODE_MODULES = INSTALL_DIR / "node_modules"
# Written by `make node-tools` after `npm ci`: the sha256 of the two pinned files, concatenated.
STAMP = INSTALL_DIR / "installed.sha256"
NODE_MISSING = (
    "Node.js is not installed: {what} needs it (install Node.js >= 18 with npm, then run "
    "`make node-tools`)"
)
NOT_INSTALLED = "{what} needs the pinned Node packages of tests/node: run `make node-tools`"
OUTDATED = (
    "{what} needs the pinned Node packages of tests/node, and .cache/node-tools holds "
    "other versions: run `make node-tools`"
)


def pinned_dependencies() -> dict[str, str]:
    """The packages and exact versions tests/node/package.json pins."""
    package = json.loads((PINS_DIR / "package.json").read_text(encoding="utf-8"))
    dependencies: dict[str, str] = package["dependencies"]
    return dependencies


def pins_digest() -> str:
    """The digest `make node-tools` writes once the pinned packages are installed."""
    digest = hashlib.sha256()
    for name in PINNED_FILES:
        digest.update((PINS_DIR / name).read_bytes())
    return digest.hexdigest()


def installed_version(package: str) -> str | None:
    """The version of a package under .cache/node-tools, or None when it is absent."""
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.is_file():
        return None
    version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    return version if isinstance(version, str) else None


def unavailable(what: str, *, needs_node: bool = True) -> str | None:
    """Why the pinned packages cannot be used (a skip reason), or None when they can."""
    if needs_node and shutil.which("node") is None:
        return NODE_MISSING.format(what=what)
    if not STAMP.is_file() or not NODE_MODULES.is_dir():
        return NOT_INSTALLED.format(what=what)
    if STAMP.read_text(encoding="utf-8").strip() != pins_digest() or any(
        installed_version(name) != version for name, version in pinned_dependencies().items()
    ):
        return OUTDATED.format(what=what)
    return None
