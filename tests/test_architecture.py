"""The architecture of STYLE.md, checked on the source: who reads the environment, which way
imports point, that importing does nothing, and that every datetime knows its time zone."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "dialogs", "cards", "storage", "domain", "manifest")
SETTINGS_MODULE = "bot.settings"


@dataclass(frozen=True)
class SourceModule:
    """A Python file of one of our packages, parsed."""

    name: str  # dotted, e.g. "bot.settings" or "storage.migrations.env"
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        """The top-level package, e.g. "bot"."""
        return self.name.split(".")[0]

    @property
    def is_package(self) -> bool:
        """Tells whether this is a package's __init__.py."""
        return self.path.name == "__init__.py"

    @property
    def importable(self) -> bool:
        """Tells whether Python imports it as a module of a regular package.

        Alembic's storage/migrations (no __init__.py) holds scripts that Alembic runs, and a
        `__main__.py` runs its command when imported.
        """
        if self.path.name == "__main__.py":
            return False
        folder = self.path.parent
        while folder != REPO_ROOT:
            if not (folder / "__init__.py").is_file():
                return False
            folder = folder.parent
        return True

    def where(self, node: ast.AST) -> str:
        """Returns "path:line" of a node, for failure messages."""
        return f"{self.path.relative_to(REPO_ROOT)}:{getattr(node, 'lineno', 0)}"


@cache
def source_modules() -> tuple[SourceModule, ...]:
    """Parses every .py file of our packages."""
    modules = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            modules.append(SourceModule(".".join(parts), path, tree))
    return tuple(modules)


def test_the_packages_are_found() -> None:
    names = {module.name for module in source_modules()}
    assert set(PACKAGES) <= names
    assert SETTINGS_MODULE in names


# --- (a) only bot/settings.py reads the environment ----------------------------------------

ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(module: SourceModule) -> list[str]:
    """Finds os.environ / os.getenv (under any alias) and any use of python-dotenv."""
    os_aliases = set()
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "os" or alias.name.startswith("os."):
                    os_aliases.add(alias.asname or "os")
                if alias.name.split(".")[0] == "dotenv":
                    found.append(f"{module.where(node)}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "dotenv":
                found.append(f"{module.where(node)}: from {node.module} import ...")
            if node.module == "os":
                found += [
                    f"{module.where(node)}: from os import {alias.name}"
                    for alias in node.names
                    if alias.name in ENVIRONMENT_NAMES or alias.name == "*"
                ]
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id in os_aliases
        ):
            found.append(f"{module.where(node)}: {node.value.id}.{node.attr}")
    return found


def test_only_the_settings_read_the_environment() -> None:
    found = [
        read
        for module in source_modules()
        if module.name != SETTINGS_MODULE
        for read in environment_reads(module)
    ]
    assert not found, "read the environment in bot/settings.py only:\n" + "\n".join(found)


def test_the_environment_check_sees_the_settings_reading_it() -> None:
    settings = next(m for m in source_modules() if m.name == SETTINGS_MODULE)
    found = environment_reads(settings)
    assert any("os.environ" in read for read in found)
    assert any("dotenv" in read for read in found)


# --- (b) imports point inward: bot -> dialogs -> cards, storage -> domain ------------------

SDK_AND_WEB = {"microsoft_agents", "aiohttp", "sqlalchemy", "alembic"}
FORBIDDEN_IMPORTS: dict[str, set[str]] = {
    "domain": SDK_AND_WEB | {"bot", "dialogs", "cards", "storage", "manifest"},
    "storage": {"bot", "dialogs", "cards", "manifest", "microsoft_agents"},
    "cards": {"bot", "dialogs", "storage", "microsoft_agents", "aiohttp", "sqlalchemy", "alembic"},
    "dialogs": {"bot", "manifest"},
    "manifest": {"bot"},  # nothing outside bot imports bot
}


def imported_modules(module: SourceModule) -> Iterator[tuple[str, ast.AST]]:
    """Yields the absolute name of everything a module imports (also under TYPE_CHECKING,
    relative imports resolved, importlib.import_module("...") with a literal name)."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.module or "", node
                continue
            base = module.name.split(".")
            if not module.is_package:
                base.pop()
            base = base[: len(base) - (node.level - 1)]
            yield ".".join([*base, node.module] if node.module else base), node
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node


def test_imports_point_inward() -> None:
    wrong = [
        f"{module.where(node)}: {module.package} imports {name}"
        for module in source_modules()
        for name, node in imported_modules(module)
        if name.split(".")[0] in FORBIDDEN_IMPORTS.get(module.package, set())
    ]
    assert not wrong, "\n".join(wrong)


def test_the_import_check_resolves_relative_imports() -> None:
    tree = ast.parse("from . import handler\nfrom ..bot import app\nfrom .x import y\n")
    module = SourceModule("dialogs.flows", REPO_ROOT / "dialogs" / "flows.py", tree)
    assert [name for name, _ in imported_modules(module)] == ["dialogs", "bot", "dialogs.x"]


# --- (b2) the rooms of bot/ import downward, and no module imports itself round a cycle ------

# Lowest first: a room of bot/ imports only the rooms before it (and dialogs, cards, storage,
# domain). The same order stands in bot/__init__.py and ARCHITECTURE.md.
BOT_ROOMS = (
    "bot.settings",
    "bot.web",
    "bot.integrations",
    "bot.teams",
    "bot.delivery",
    "bot.documents",
    "bot.capture",
    "bot.assembly",
    "bot.app",
    "bot.cli",
)


def room_of(name: str) -> str | None:
    """The room of bot/ a dotted module name belongs to ("bot.teams.adapter" -> "bot.teams")."""
    return next((room for room in BOT_ROOMS if name == room or name.startswith(room + ".")), None)


def test_every_module_of_bot_is_in_a_room() -> None:
    homeless = [
        module.name
        for module in source_modules()
        if module.package == "bot" and module.name != "bot" and room_of(module.name) is None
    ]
    assert not homeless, f"modules of bot/ in no room (add them to one): {homeless}"


def room_violations(modules: tuple[SourceModule, ...]) -> list[str]:
    """Imports of a room of bot/ that reach a room after it."""
    wrong = []
    for module in modules:
        room = room_of(module.name)
        if room is None:
            continue
        allowed = set(BOT_ROOMS[: BOT_ROOMS.index(room) + 1])
        for name, node in imported_modules(module):
            target = room_of(name)
            if target is not None and target not in allowed:
                wrong.append(f"{module.where(node)}: {room} imports {name}")
    return wrong


def test_the_rooms_of_bot_import_downward() -> None:
    wrong = room_violations(source_modules())
    assert not wrong, "\n".join(wrong)


def test_the_room_check_sees_an_upward_import() -> None:
    tree = ast.parse("from bot.teams.adapter import build_adapter\nfrom bot.settings import x\n")
    path = REPO_ROOT / "bot" / "integrations" / "mail.py"
    found = room_violations((SourceModule("bot.integrations.mail", path, tree),))
    assert len(found) == 1 and "bot.integrations imports bot.teams.adapter" in found[0]


def our_import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (anywhere in the file, lazily or not)."""
    names = {module.name for module in source_modules() if module.importable}
    graph: dict[str, set[str]] = {}
    for module in source_modules():
        if module.name not in names:
            continue
        targets = set()
        for name, node in imported_modules(module):
            if name in names:
                targets.add(name)
            if isinstance(node, ast.ImportFrom):  # `from package import module`
                targets |= {f"{name}.{alias.name}" for alias in node.names} & names
        graph[module.name] = targets - {module.name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_module_imports_itself_round_a_cycle() -> None:
    cycles = import_cycles(our_import_graph())
    assert not cycles, f"import cycles: {cycles}"


def test_the_cycle_check_finds_a_lazy_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_every_package_says_what_it_holds() -> None:
    silent = [
        module.name
        for module in source_modules()
        if module.is_package
        and module.importable
        and len(ast.get_docstring(module.tree) or "") < 40  # more than "bot package."
    ]
    assert not silent, f"packages whose __init__.py does not say what they hold: {silent}"
    rooms = [
        module.name
        for module in source_modules()
        if module.is_package
        and room_of(module.name) == module.name
        and "May import" not in (ast.get_docstring(module.tree) or "")
    ]
    assert not rooms, f"rooms of bot/ that do not say what they may import: {rooms}"


def test_no_flow_is_wired_in_bot() -> None:
    """A flow's verbs, commands and sweeps are wired with the flow, in dialogs/."""
    wired = [
        f"{module.where(node)}: {module.name} builds Flows"
        for module in source_modules()
        if module.package == "bot"
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Flows"
    ]
    assert not wired, "\n".join(wired)
    assert not list((REPO_ROOT / "bot").glob("flows*.py"))


# Modules are split by what they do once they pass about 400 lines (bench/ too).
MAX_MODULE_LINES = 450


def test_no_module_outgrows_a_reading() -> None:
    files = [m.path for m in source_modules() if m.importable]
    files += sorted((REPO_ROOT / "bench").glob("*.py"))
    long = [
        f"{path.relative_to(REPO_ROOT)}: {lines} lines"
        for path in files
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, f"split by what they do (over {MAX_MODULE_LINES} lines): {long}"


# --- (c) importing a package does nothing ---------------------------------------------------

# Runs in a fresh interpreter, in an empty folder: spies on everything that must not be built at
# import time, imports every module, then looks for such objects among the modules' globals.
IMPORT_PROBE = """
import asyncio, asyncio.base_events, importlib, json, sys, threading
import aiohttp, aiohttp.web, msal, sqlalchemy.engine, sqlalchemy.ext.asyncio
from microsoft_agents.hosting.core import ChannelAdapter

built = []
SPIED = {
    asyncio.base_events.BaseEventLoop: "an asyncio event loop",
    aiohttp.web.Application: "an aiohttp web.Application",
    aiohttp.ClientSession: "an aiohttp ClientSession",
    ChannelAdapter: "an Agents SDK adapter (CloudAdapter)",
    sqlalchemy.engine.Engine: "an SQLAlchemy Engine",
    sqlalchemy.ext.asyncio.AsyncEngine: "an SQLAlchemy AsyncEngine",
    msal.ClientApplication: "an MSAL client application",
}

def spy(cls, what):
    original = cls.__init__
    def __init__(self, *args, **kwargs):
        built.append(what)
        original(self, *args, **kwargs)
    cls.__init__ = __init__

for cls, what in SPIED.items():
    spy(cls, what)
threads = threading.active_count()
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
kinds = tuple(SPIED) + (asyncio.AbstractEventLoop, threading.Thread)
held = [
    f"{name}.{attribute}: {type(value).__name__}"
    for name in json.loads(sys.argv[1])
    for attribute, value in vars(sys.modules[name]).items()
    if isinstance(value, kinds)
]
print(json.dumps({
    "built": built,
    "held": held,
    "new_threads": threading.active_count() - threads,
}))
"""


def import_probe(names: list[str], cwd: Path, *search_path: Path) -> dict[str, Any]:
    """Imports the modules in a fresh interpreter in `cwd`; returns what that built and left."""
    paths = [*map(str, search_path), str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, json.dumps(names)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    report["stderr"] = result.stderr
    report["files"] = sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*"))
    return report


def test_importing_every_module_builds_nothing(tmp_path: Path) -> None:
    names = sorted(module.name for module in source_modules() if module.importable)
    assert "bot.app" in names and "storage.db" in names
    report = import_probe(names, tmp_path)
    assert report["built"] == [], f"built while importing: {report['built']}"
    assert report["held"] == [], f"module-level objects: {report['held']}"
    assert report["new_threads"] == 0
    assert report["files"] == [], "importing wrote files in the working folder (var/?)"
    assert report["stderr"] == "", f"importing printed to stderr:\n{report['stderr']}"


def test_the_import_probe_sees_what_a_module_builds(tmp_path: Path) -> None:
    package = tmp_path / "code" / "eager"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import asyncio, pathlib\n"
        "from aiohttp import web\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "app = web.Application()\n"
        "loop = asyncio.new_event_loop()\n"
        "engine = create_async_engine('sqlite+aiosqlite:///var/x.db')\n"
        "pathlib.Path('var').mkdir()\n",
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir()
    report = import_probe(["eager"], work, tmp_path / "code")
    assert report["built"] == [
        "an aiohttp web.Application",
        "an asyncio event loop",
        "an SQLAlchemy Engine",
        "an SQLAlchemy AsyncEngine",
    ]
    assert report["held"] == [
        "eager.app: Application",
        "eager.loop: _UnixSelectorEventLoop",
        "eager.engine: AsyncEngine",
    ]
    assert report["files"] == ["var"]


# --- (d) only time-zone-aware datetimes -----------------------------------------------------

# datetime methods that return a naive local or UTC time unless given a tz.
NAIVE_ALWAYS = {"utcnow", "utcfromtimestamp", "today"}
NAIVE_WITHOUT_TZ = {"now": 0, "fromtimestamp": 1}  # method -> index of the positional tz


def naive_datetime_calls(module: SourceModule) -> list[str]:
    """Finds datetime.now() without tz, utcnow(), today() and friends (ruff DTZ, by ast)."""
    classes: set[str] = set()  # local names of datetime.datetime and datetime.date
    modules: set[str] = set()  # local names of the datetime module
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "datetime"}
        elif isinstance(node, ast.ImportFrom) and node.module == "datetime" and node.level == 0:
            classes |= {a.asname or a.name for a in node.names if a.name in {"datetime", "date"}}
    found = []
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        is_class = (isinstance(owner, ast.Name) and owner.id in classes) or (
            isinstance(owner, ast.Attribute)
            and owner.attr in {"datetime", "date"}
            and isinstance(owner.value, ast.Name)
            and owner.value.id in modules
        )
        method = node.func.attr
        if not is_class:
            continue
        if method in NAIVE_ALWAYS:
            found.append(f"{module.where(node)}: {method}()")
        elif method in NAIVE_WITHOUT_TZ:
            tz = next((k.value for k in node.keywords if k.arg == "tz"), None)
            position = NAIVE_WITHOUT_TZ[method]
            if tz is None and len(node.args) > position:
                tz = node.args[position]
            if tz is None or (isinstance(tz, ast.Constant) and tz.value is None):
                found.append(f"{module.where(node)}: {method}() without tz")
    return found


def test_no_naive_datetimes() -> None:
    found = [call for module in source_modules() for call in naive_datetime_calls(module)]
    assert not found, "pass a tz (or take the time from the Clock):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from datetime import datetime\ndatetime.now()", ["now() without tz"]),
        ("from datetime import datetime as dt\ndt.now(tz=None)", ["now() without tz"]),
        ("import datetime\ndatetime.datetime.utcnow()", ["utcnow()"]),
        ("import datetime as d\nd.date.today()", ["today()"]),
        (
            "from datetime import datetime\ndatetime.fromtimestamp(0)",
            ["fromtimestamp() without tz"],
        ),
        ("from datetime import UTC, datetime\ndatetime.now(UTC)", []),
        ("from datetime import UTC, datetime\ndatetime.fromtimestamp(0, tz=UTC)", []),
        ("clock.now()", []),
    ],
    ids=["now", "now-tz-none", "utcnow", "today", "fromtimestamp", "aware", "aware-kw", "clock"],
)
def test_the_datetime_check_finds_naive_calls(source: str, found: list[str]) -> None:
    module = SourceModule("domain.example", REPO_ROOT / "domain" / "example.py", ast.parse(source))
    assert [call.split(": ", 1)[1] for call in naive_datetime_calls(module)] == found


def test_every_benchmark_imports(tmp_path: Path) -> None:
    """The benchmarks run by hand, not in the suite: at least each of them must import."""
    # The botbuilder echo bot runs in the benchmark's own venv (.cache/bench), not in ours.
    own_venv = {"bench.echo_botbuilder"}
    names = sorted(
        {f"bench.{path.stem}" for path in (REPO_ROOT / "bench").glob("*.py")} - own_venv
    )
    report = import_probe(names, tmp_path)
    assert report["built"] == [], f"built while importing: {report['built']}"
