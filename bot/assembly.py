"""Builds the services the flows and loops run on, for the app and for `kanalkollen remind`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.capture.setup import capturer_for
from bot.capture.worker import CaptureWorker
from bot.delivery.email_sender import EmailSender
from bot.delivery.loop import DeliveryLoop, build_delivery_loop
from bot.delivery.scheduler import Scheduler
from bot.documents.chat_records import StoredRecords
from bot.documents.plan_store import StoredDocuments
from bot.integrations.directory import graph_clients
from bot.integrations.mail import mail_transport_from
from bot.settings import Settings
from bot.teams.members import directory_for
from bot.web.file_links import FileLinkSigner
from dialogs.capture import CaptureFlow
from dialogs.dialog_runner import DialogRunner
from dialogs.editor_changes.reachability import EditorReachability
from dialogs.flows import Flows, build_flows
from dialogs.services import FlowServices
from dialogs.unreachable import UnreachableFlow, bot_link
from domain.clock import Clock
from domain.organisation_file import load_organisations
from domain.organisations import (
    OrganisationError,
    Organisations,
    single_organisation,
)
from domain.policy import Policy
from storage.captures import CaptureStore
from storage.file_store_azure import AzureBlobFileStore
from storage.files import FileStore, LocalFileStore
from storage.organisations import organisations_in_use

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """The delivery loop, the flows and the scheduler of one process."""

    delivery: DeliveryLoop
    flows: Flows
    scheduler: Scheduler
    services: FlowServices
    capture: CaptureWorker | None = None  # None without a browser: screenshots only


def file_store_for(settings: Settings) -> FileStore:
    """The store the settings name (FILE_STORE): the local folder, or Azure Blob Storage.

    The Azure client connects at its first use; close the store when the process ends."""
    if settings.file_store == "azure-blob":
        return AzureBlobFileStore.connect(
            container=settings.azure_storage_container,
            connection_string=settings.azure_storage_connection_string,
            account_url=settings.azure_storage_account_url,
            timeout_seconds=settings.azure_storage_timeout_seconds,
            retries=settings.azure_storage_retries,
        )
    return LocalFileStore(settings.files_dir)


@asynccontextmanager
async def opened_file_store(settings: Settings) -> AsyncIterator[FileStore]:
    """The settings' store for a command's run, closed afterwards."""
    store = file_store_for(settings)
    try:
        yield store
    finally:
        await store.close()


def organisations_for(settings: Settings, policy: Policy) -> Organisations:
    """Who this deployment serves: the organisation files, or the policy as the only one.

    With KANALKOLLEN_ORGANISATIONS the tenants served are the organisations'; ALLOWED_TENANTS,
    if set, must name only some of them. A wrong file raises OrganisationError naming it.
    """
    if settings.organisations_path is None:
        return single_organisation(policy, tenant_ids=settings.allowed_tenants)
    organisations = load_organisations(
        settings.organisations_path, deployed=not settings.local_mode
    )
    served = organisations.tenant_ids
    foreign = sorted(t for t in settings.allowed_tenants if t.strip().lower() not in served)
    if foreign:
        raise OrganisationError(
            f"ALLOWED_TENANTS names {', '.join(foreign)}, which no organisation in "
            f"KANALKOLLEN_ORGANISATIONS ({settings.organisations_path}) serves."
        )
    return organisations


async def check_organisations_in_use(
    sessions: async_sessionmaker[AsyncSession], organisations: Organisations
) -> None:
    """Refuses to start when channels belong to an organisation or administration that no
    configuration names: nobody could see them."""
    async with sessions() as session:
        in_use = await organisations_in_use(session)
    for slug, administrations in sorted(in_use.items()):
        organisation = organisations.by_slug(slug)
        if organisation is None:
            raise OrganisationError(
                f"The database has channels of organisation {slug!r}, which no organisation "
                f"file names (known: {', '.join(o.slug for o in organisations)})."
            )
        unknown = sorted(a for a in administrations if organisation.administration(a) is None)
        if unknown:
            where = organisation.source or "the policy"
            raise OrganisationError(
                f"{where}: administrations: the database has channels of administration "
                f"{unknown[0]!r} of organisation {slug!r}, which the file does not name."
            )


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    policy: Policy,
    organisations: Organisations | None = None,
    adapter: Any,
    store: FileStore,
    signer: FileLinkSigner,
    runner: DialogRunner,
) -> AsyncIterator[Runtime]:
    """Opens the HTTP client for Graph, builds everything, and closes it afterwards."""
    async with aiohttp.ClientSession() as http:
        served = organisations.tenant_ids if organisations is not None else frozenset()
        graphs = graph_clients(settings, http, served)
        directory = directory_for(graphs.by_tenant)
        transport = mail_transport_from(
            settings.mail_transport,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_starttls=settings.smtp_starttls,
            smtp_user=settings.smtp_user,
            smtp_password=settings.smtp_password,
            graph=graphs.single,
        )
        delivery = build_delivery_loop(
            adapter=adapter,
            app_id=settings.app_id,
            default_service_url=settings.teams_service_url,
            sessions=sessions,
            clock=clock,
            policy=policy.delivery,
            email=(
                EmailSender(
                    transport,
                    settings.mail_from,
                    store,
                    # Issue 27: a package too large to attach is mailed as a signed link.
                    link=lambda key, ttl: signer.url_for(settings.base_url, key, ttl),
                )
                if transport
                else None
            ),
        )
        capturer = await capturer_for(settings, clock)
        workers: list[CaptureWorker] = []

        def wake_capture() -> None:
            for worker in workers:
                worker.wake()

        services = FlowServices(
            sessions=sessions,
            clock=clock,
            policy=policy,
            directory=directory,
            documents=StoredDocuments(store, signer, settings.base_url, clock),
            wake_delivery=lambda: wake_after_commit(),
            records=StoredRecords(
                store,
                http,
                policy.documentation.max_file_mb * 1024 * 1024,
                timeout_seconds=settings.download_timeout_seconds,
            ),
            wake_capture=wake_capture if capturer is not None else None,
            organisations=organisations or single_organisation(policy),
        )
        if capturer is not None:
            worker = CaptureWorker(
                store=CaptureStore(sessions),
                capturer=capturer,
                files=store,
                sessions=sessions,
                clock=clock,
                timeout_seconds=settings.capture_timeout_seconds,
                wake_delivery=delivery.wake,
                retention=timedelta(days=policy.documentation.abandoned_capture_days),
            )
            worker.on_finished = CaptureFlow(services).notify
            workers.append(worker)
        flows = build_flows(services, f"{settings.base_url}/registry.csv", runner)
        # R3: an editor who cannot be reached any more: the manager names a replacement.
        delivery.on_undeliverable = EditorReachability(services).unreachable
        # Whoever Teams cannot reach gets the message by e-mail; a decision's owner is told.
        delivery.on_unreachable = UnreachableFlow(
            services, bot_link(settings.app_id, settings.base_url)
        ).fallback
        scheduler = Scheduler(sessions, flows.sweeps, delivery.wake)

        def wake_after_commit() -> None:
            # A flow committed work: deliver what it queued, and sweep for what it made due.
            delivery.wake()
            scheduler.wake()

        try:
            yield Runtime(delivery, flows, scheduler, services, workers[0] if workers else None)
        finally:
            for worker in workers:
                await worker.stop()
            await graphs.aclose()
