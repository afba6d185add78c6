"""The `kanalkollen` command: serve | migrate | remind | manifest build."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.settings import Settings, SettingsError, load_settings
from domain.policy import PolicyError, load_policy

log = logging.getLogger("kanalkollen")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kanalkollen", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the bot (POST /api/messages, /healthz, /readyz)")
    commands.add_parser("migrate", help="migrate the database to the newest revision")
    remind = commands.add_parser(
        "remind", help="deliver what is due at a time (now by default), then exit"
    )
    remind.add_argument("--at", type=_aware_time, help="ISO time to act as if it were now")
    remind.add_argument("--dry-run", action="store_true", help="print what is due, send nothing")
    manifest = commands.add_parser("manifest", help="the Teams app package")
    manifest_commands = manifest.add_subparsers(dest="manifest_command", required=True)
    build = manifest_commands.add_parser("build", help="write the Teams app .zip")
    build.add_argument("--out", type=Path, default=Path("var/kanalkollen-teams-app.zip"))
    build.add_argument("--base-url", default=None, help="https URL of the bot's public pages")
    return parser


def _aware_time(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time: {raw!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {raw}+01:00 or {raw}Z")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one kanalkollen command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        if args.command == "serve":
            return _serve(settings)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "remind":
            return asyncio.run(_remind(settings, args.at, args.dry_run))
        if args.command == "manifest":
            return _manifest_build(settings, args.out, args.base_url)
    except (SettingsError, PolicyError) as error:
        print(f"kanalkollen: {error}", file=sys.stderr)
        return 2
    return 1


def _serve(settings: Settings) -> int:
    from bot.app import create_app

    load_policy(settings.policy_path)  # a broken policy stops start-up before binding
    if settings.local_mode:
        log.warning(
            "local mode: no MicrosoftAppId is set, so requests are not authenticated; "
            "listening on http://127.0.0.1:%d/api/messages only",
            settings.port,
        )
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=lambda message: log.info(message.strip()),
    )
    return 0


async def _migrate(settings: Settings) -> int:
    from storage.db import create_engine
    from storage.migrate import current_revision, upgrade_head

    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        log.info("database at revision %s", await current_revision(engine))
    finally:
        await engine.dispose()
    return 0


async def _remind(settings: Settings, at: datetime | None, dry_run: bool) -> int:
    from bot.runner import run_reminders

    return await run_reminders(settings, at=at, dry_run=dry_run, out=sys.stdout)


def _manifest_build(settings: Settings, out: Path, base_url: str | None) -> int:
    from manifest.build import write_package

    if not settings.app_id:
        print(
            "kanalkollen: MicrosoftAppId must be set to build the Teams app package.",
            file=sys.stderr,
        )
        return 2
    kwargs = {"base_url": base_url} if base_url else {}
    try:
        path = write_package(settings.app_id, out, **kwargs)
    except ValueError as error:
        print(f"kanalkollen: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
