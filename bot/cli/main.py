"""The `kanalkollen` command: serve | migrate | remind | channels import | registry export |
person export|erase | organisations check|move | records export|check | files copy |
manifest build."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.settings import Settings, SettingsError, load_settings
from domain.organisations import Organisations
from domain.policy import PolicyError
from domain.policy_file import load_policy

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
    channels = commands.add_parser("channels", help="existing channels")
    channel_commands = channels.add_subparsers(dest="channels_command", required=True)
    importer = channel_commands.add_parser(
        "import", help="import existing channels from a CSV file (all rows or none)"
    )
    importer.add_argument("file", type=Path)
    importer.add_argument("--dry-run", action="store_true", help="validate and report only")
    importer.add_argument(
        "--tenant",
        default=None,
        help="tenant id (default: the organisation's only one, or the app's)",
    )
    _scope_arguments(importer, "the channels' (default: the only one)")
    registry = commands.add_parser("registry", help="the public list of channels (R8)")
    registry_commands = registry.add_subparsers(dest="registry_command", required=True)
    export = registry_commands.add_parser(
        "export", help="print the active channels' public fields (CSV for Excel, or JSON)"
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    _scope_arguments(export, "only this list (default: every organisation's)")
    person = commands.add_parser("person", help="personal data of a person or consent subject")
    person_commands = person.add_subparsers(dest="person_command", required=True)
    person_export = person_commands.add_parser(
        "export", help="write everything stored about ID as JSON"
    )
    person_export.add_argument("id", help="AAD object id, e-mail, person:N or consent:N")
    person_export.add_argument(
        "--organisation",
        metavar="SLUG",
        default=None,
        help="only this organisation's people and consents (needed when ID is in several)",
    )
    person_export.add_argument("--output", type=Path, default=None, help="file (default stdout)")
    person_erase = person_commands.add_parser(
        "erase", help="remove or anonymise what is not kept as a public record"
    )
    person_erase.add_argument("id", help="AAD object id, e-mail, person:N or consent:N")
    person_erase.add_argument(
        "--organisation",
        metavar="SLUG",
        default=None,
        help="only this organisation's people and consents (needed when ID is in several)",
    )
    person_erase.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    organisations = commands.add_parser(
        "organisations", help="the organisation files and the channels they describe"
    )
    organisation_commands = organisations.add_subparsers(
        dest="organisations_command", required=True
    )
    organisation_commands.add_parser(
        "check", help="read the files as start-up does and compare them with the database"
    )
    mover = organisation_commands.add_parser(
        "move", help="move channels to another organisation or administration"
    )
    mover.add_argument("source", metavar="FROM", help="slug or slug/administration")
    mover.add_argument("target", metavar="TO", help="slug or slug/administration")
    mover.add_argument(
        "--channel", type=int, action="append", metavar="ID", help="only this channel (repeat)"
    )
    mover.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    _records_arguments(commands)
    files = commands.add_parser("files", help="the stored files (plans, screenshots, packages)")
    file_commands = files.add_subparsers(dest="files_command", required=True)
    copier = file_commands.add_parser(
        "copy", help="copy every stored file to another store, keys and SHA-256 kept"
    )
    copier.add_argument("--from", dest="source", choices=("local", "azure-blob"), required=True)
    copier.add_argument("--to", dest="target", choices=("local", "azure-blob"), required=True)
    copier.add_argument("--dry-run", action="store_true", help="report only, copy nothing")
    manifest = commands.add_parser("manifest", help="the Teams app package")
    manifest_commands = manifest.add_subparsers(dest="manifest_command", required=True)
    build = manifest_commands.add_parser("build", help="write the Teams app .zip")
    build.add_argument("--out", type=Path, default=Path("var/kanalkollen-teams-app.zip"))
    build.add_argument("--base-url", default=None, help="https URL of the bot's public pages")
    return parser


def _records_arguments(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`records export|check` (issue 27): the records packages (E-ARK SIP or zip)."""
    records = commands.add_parser("records", help="records packages (R11-R13)")
    record_commands = records.add_subparsers(dest="records_command", required=True)
    export = record_commands.add_parser(
        "export", help="build a channel's packages again from the stored files"
    )
    export.add_argument("--channel", type=int, required=True, metavar="ID")
    export.add_argument("--round", type=int, default=None, metavar="N", help="only round N")
    export.add_argument(
        "--format",
        choices=("eark-sip", "zip"),
        default=None,
        help="default: the administration's records.package_format",
    )
    export.add_argument("--out", type=Path, required=True, metavar="DIR")
    check = record_commands.add_parser(
        "check", help="check packages: files against their METS, METS against its schema"
    )
    check.add_argument("packages", type=Path, nargs="+", metavar="PACKAGE")


def _scope_arguments(command: argparse.ArgumentParser, which: str) -> None:
    command.add_argument(
        "--organisation", metavar="SLUG", default=None, help=f"organisation: {which}"
    )
    command.add_argument(
        "--administration", metavar="SLUG", default=None, help=f"administration: {which}"
    )


def _aware_time(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time: {raw!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {raw}+01:00 or {raw}Z")
    return value


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Runs one kanalkollen command; returns the exit code.

    `environ` replaces the process environment (the tests run the command in their process).
    """
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(environ)
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        if settings.log_level != "DEBUG":
            # The SDK logs each connector call at INFO (with conversation ids): DEBUG shows it.
            logging.getLogger("microsoft_agents").setLevel(logging.WARNING)
        if args.command == "serve":
            return _serve(settings)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "remind":
            return asyncio.run(_remind(settings, args.at, args.dry_run))
        if args.command == "channels":
            return asyncio.run(
                _import(
                    settings,
                    args.file,
                    args.dry_run,
                    args.tenant,
                    organisation=args.organisation,
                    administration=args.administration,
                )
            )
        if args.command == "registry":
            return asyncio.run(
                _registry_export(
                    settings,
                    args.format,
                    organisation=args.organisation,
                    administration=args.administration,
                )
            )
        if args.command == "person":
            from bot.cli.person import person_erase, person_export

            organisations = _organisations(settings)
            if args.person_command == "export":
                return asyncio.run(
                    person_export(settings, organisations, args.id, args.output, args.organisation)
                )
            return asyncio.run(
                person_erase(settings, organisations, args.id, args.dry_run, args.organisation)
            )
        if args.command == "records":
            from bot.cli import records as record_commands

            if args.records_command == "check":
                return record_commands.check_records(args.packages, sys.stdout)
            policy = load_policy(settings.policy_path)
            return asyncio.run(
                record_commands.export_records(
                    settings,
                    _organisations(settings),
                    policy,
                    channel_id=args.channel,
                    round_number=args.round,
                    package_format=args.format,
                    out=args.out,
                    stdout=sys.stdout,
                )
            )
        if args.command == "organisations":
            from bot.cli import organisations as organisation_commands

            deployment = _organisations(settings)
            if args.organisations_command == "check":
                return asyncio.run(organisation_commands.check(settings, deployment))
            return asyncio.run(
                organisation_commands.move(
                    settings,
                    deployment,
                    args.source,
                    args.target,
                    channel_ids=args.channel,
                    dry_run=args.dry_run,
                )
            )
        if args.command == "files":
            from bot.cli.files import files_copy

            return asyncio.run(
                files_copy(settings, args.source, args.target, dry_run=args.dry_run)
            )
        if args.command == "manifest":
            return _manifest_build(settings, args.out, args.base_url)
    except (SettingsError, PolicyError) as error:
        print(f"kanalkollen: {error}", file=sys.stderr)
        return 2
    return 1


def _organisations(settings: Settings) -> Organisations:
    """The deployment's organisations: the folder's files when set, else the single policy."""
    from bot.assembly import organisations_for

    return organisations_for(settings, load_policy(settings.policy_path))


def _serve(settings: Settings) -> int:
    from bot.app import SafeAccessLogger, create_app

    # A broken policy, or outside local mode an example mailbox, stops start-up before binding.
    load_policy(settings.policy_path, deployed=not settings.local_mode)
    if settings.local_mode:
        log.warning(
            "local mode: no MicrosoftAppId is set, so requests are not authenticated; "
            "listening on http://127.0.0.1:%d/api/messages only",
            settings.port,
        )
    app = create_app(settings)

    async def freeze_start_up_objects(_app: web.Application) -> AsyncIterator[None]:
        # What start-up built (modules, catalogs, SDK models, the app) lives as long as the
        # process: moved out of the collector's generations, full collections stay short.
        gc.collect()
        gc.freeze()
        yield

    app.cleanup_ctx.append(freeze_start_up_objects)  # after the database and the bot
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log_class=SafeAccessLogger,
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
    from bot.cli.remind import run_reminders

    return await run_reminders(settings, at=at, dry_run=dry_run, out=sys.stdout)


async def _import(
    settings: Settings,
    file: Path,
    dry_run: bool,
    tenant: str | None,
    *,
    organisation: str | None = None,
    administration: str | None = None,
) -> int:
    import aiohttp

    from bot.cli.channel_import import ImportTargetError, import_channels, import_target
    from bot.integrations.directory import graph_clients
    from bot.teams.members import directory_for
    from domain.channel_import import decode, parse_channels
    from domain.clock import SystemClock
    from domain.dates import local_date
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade_head

    try:
        target, unit = import_target(_organisations(settings), organisation, administration)
    except ImportTargetError as error:
        print(f"kanalkollen: {error}", file=sys.stderr)
        return 2
    own = next(iter(target.tenant_ids)) if len(target.tenant_ids) == 1 else None
    tenant_id = tenant or own or settings.app_tenant_id or settings.graph_tenant_id
    if not tenant_id:
        print("kanalkollen: give --tenant, or set MicrosoftAppTenantId.", file=sys.stderr)
        return 2
    if not target.serves(tenant_id):
        print(
            f"kanalkollen: tenant {tenant_id} does not belong to organisation {target.slug!r}.",
            file=sys.stderr,
        )
        return 2
    try:
        data = await asyncio.to_thread(file.read_bytes)
    except OSError as error:
        print(f"kanalkollen: cannot read {file}: {error.strerror}", file=sys.stderr)
        return 2
    now = SystemClock().now()
    rows, errors = parse_channels(decode(data), today=local_date(now))
    if errors:
        for error in errors:
            print(f"{file}: {error}", file=sys.stderr)
        print(f"kanalkollen: {len(errors)} error(s); nothing was imported.", file=sys.stderr)
        return 1
    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        async with aiohttp.ClientSession() as http:
            graphs = graph_clients(settings, http, target.tenant_ids)
            directory = directory_for(graphs.by_tenant)
            report = await import_channels(
                session_factory(engine),
                unit.policy,
                directory,
                tenant_id,
                rows,
                now,
                dry_run=dry_run,
                organisation=target.slug,
                administration=unit.slug,
            )
            await graphs.aclose()
    finally:
        await engine.dispose()
    verb = "would import" if dry_run else "imported"
    print(f"{verb} {len(report.imported)} channel(s); {len(report.unchanged)} already there.")
    return 0


async def _registry_export(
    settings: Settings,
    fmt: str,
    *,
    organisation: str | None = None,
    administration: str | None = None,
) -> int:
    from bot.web.registry_lists import (
        UnknownAdministration,
        UnknownOrganisation,
        organisation_of,
        scope_of,
    )
    from bot.web.registry_page import export_registry
    from domain.registry import RegistryFilter
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade_head

    organisations = _organisations(settings)
    try:
        if organisation is not None or administration is not None:
            scope_of(organisation_of(organisations, organisation), administration)
    except (UnknownOrganisation, UnknownAdministration) as error:
        print(f"kanalkollen: {error}", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        text = await export_registry(
            session_factory(engine),
            organisations.organisations[0].policy,
            fmt,
            RegistryFilter(administration=administration),
            organisations=organisations,
            organisation=organisation,
        )
    finally:
        await engine.dispose()
    # Bytes, so the file is UTF-8 (the CSV with its BOM) whatever the terminal's encoding is.
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


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
