"""create_app(settings): the aiohttp application; nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from aiohttp import hdrs, web
from aiohttp.web_log import AccessLogger
from microsoft_agents.hosting.dialogs import Dialog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.assembly import (
    check_organisations_in_use,
    file_store_for,
    open_runtime,
    organisations_for,
)
from bot.delivery.loop import DeliveryLoop
from bot.delivery.scheduler import Scheduler
from bot.settings import Settings
from bot.teams.activity_handler import KanalkollenBot
from bot.teams.adapter import KanalkollenAdapter, QueueReply, build_adapter
from bot.teams.card_actions import ActionRouter
from bot.teams.commands import CommandRouter, edge_commands
from bot.teams.messages_endpoint import MAX_BODY_BYTES, MessagesEndpoint
from bot.teams.turn_recorder import TurnRecorder
from bot.teams.upload_receipts import UploadReceipts
from bot.web.consent_register import RegisterCsv, consent_register_routes
from bot.web.file_links import FILES_PATH, FileLinkSigner, files_routes, signing_secret
from bot.web.registry_page import registry_routes
from dialogs.answers import RuleAnswers
from dialogs.consent.register import ConsentRegister
from dialogs.dialog_runner import DialogRunner
from dialogs.state import DialogStates
from domain.clock import Clock, SystemClock
from domain.organisations import Organisations
from domain.outbox import OutboxKind
from domain.policy import Policy
from domain.policy_file import load_policy
from storage.bot_state import SqlStorage
from storage.db import create_engine, session_factory
from storage.migrate import is_at_head, upgrade_head
from storage.outbox import enqueue

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
POLICY = web.AppKey("policy", Policy)
ORGANISATIONS = web.AppKey("organisations", Organisations)
CLOCK = web.AppKey("clock", Clock)  # type: ignore[type-abstract]
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
BOT = web.AppKey("bot", KanalkollenBot)
DELIVERY = web.AppKey("delivery", DeliveryLoop)
ENDPOINT = web.AppKey("messages_endpoint", MessagesEndpoint)
SCHEDULER = web.AppKey("scheduler", Scheduler)
CAPTURE = web.AppKey("capture", object)  # the CaptureWorker, or None without a browser
ADAPTER = web.AppKey("adapter", KanalkollenAdapter)
REGISTER_CSV = web.AppKey("register_csv", object)  # RegisterCsv: the consent register's CSV


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    policy: Policy | None = None,
    flows: Mapping[str, Dialog] | None = None,
    deliver: bool = True,
    schedule: bool = True,
) -> web.Application:
    """Builds the app; the database, bot and delivery loop open and close with it."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[POLICY] = policy if policy is not None else load_policy(settings.policy_path)
    # A wrong organisation file stops start-up here, naming the file and the key.
    app[ORGANISATIONS] = organisations_for(settings, app[POLICY])
    app[CLOCK] = clock or SystemClock()

    async def database(app: web.Application) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_head(engine)
            app[SESSIONS] = session_factory(engine)
            await check_organisations_in_use(app[SESSIONS], app[ORGANISATIONS])
        except BaseException:
            await engine.dispose()
            raise
        app[ENGINE] = engine
        yield
        await engine.dispose()

    store = file_store_for(settings)  # FILE_STORE: shared by every instance with azure-blob
    signer = FileLinkSigner(
        signing_secret(settings.files_signing_key, local_mode=settings.local_mode), app[CLOCK]
    )

    async def bot(app: web.Application) -> AsyncIterator[None]:
        adapter = build_adapter(settings)
        app[ADAPTER] = adapter
        sessions = app[SESSIONS]
        states = DialogStates(SqlStorage(sessions, app[CLOCK]))
        runner = DialogRunner(states, flows or {})
        async with open_runtime(
            settings,
            sessions=sessions,
            clock=app[CLOCK],
            policy=app[POLICY],
            organisations=app[ORGANISATIONS],
            adapter=adapter,
            store=store,
            signer=signer,
            runner=runner,
        ) as runtime:
            languages = _default_languages(app[ORGANISATIONS], app[POLICY])
            recorder = TurnRecorder(sessions, app[CLOCK], default_language=languages)
            assert runtime.flows.guard is not None
            commands = CommandRouter(
                runtime.flows.guard,
                {**edge_commands(runner, recorder), **runtime.flows.commands},
                runner,
            )
            kanalkollen = KanalkollenBot(
                states=states,
                recorder=recorder,
                router=ActionRouter(runtime.flows),
                runner=runner,
                commands=commands,
                answers=RuleAnswers(app[POLICY], app[ORGANISATIONS]),
            )
            adapter.queue_reply = _outbox_replies(sessions, app[CLOCK], runtime.delivery.wake)
            app[BOT] = kanalkollen
            app[DELIVERY] = runtime.delivery
            app[SCHEDULER] = runtime.scheduler
            app[CAPTURE] = runtime.capture
            app[REGISTER_CSV] = ConsentRegister(runtime.services).csv_for
            endpoint = MessagesEndpoint(
                settings=settings,
                organisations=app[ORGANISATIONS],
                adapter=adapter,
                bot=kanalkollen,
                receipts=UploadReceipts(sessions, app[CLOCK], default_language=languages),
            )
            app[ENDPOINT] = endpoint
            if deliver:
                runtime.delivery.start()
                if runtime.capture is not None:
                    runtime.capture.start()
            if schedule:
                runtime.scheduler.start()
            try:
                yield
            finally:
                # Acknowledged turns with files finish first: their files are kept.
                await endpoint.close(timeout=settings.download_timeout_seconds + 5)
                await runtime.scheduler.stop()
                await runtime.delivery.stop()
                await adapter.http.close()

    async def files(app: web.Application) -> AsyncIterator[None]:
        yield
        await store.close()

    app.cleanup_ctx.extend([files, database, bot])

    async def messages(request: web.Request) -> web.StreamResponse:
        return await request.app[ENDPOINT].handle(request)

    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.add_routes(files_routes(store, signer))
    # Issue 24: the consent register's CSV, made when its signed link is opened (never stored).
    app.add_routes(consent_register_routes(signer, lambda: _register_csv(app)))
    # R8: the public list; the session factory exists once the database context has started.
    app.add_routes(
        registry_routes(lambda: app[SESSIONS], app[POLICY], organisations=app[ORGANISATIONS])
    )
    return app


class SafeAccessLogger(AccessLogger):  # type: ignore[misc]
    """aiohttp's access log without the query of a signed link (`/files/…?exp=…&sig=…`, the
    consent register's CSV).

    The signature opens a plan, a screenshot or a consent form for 30 days: whoever reads the
    logs must not be able to. A Referer that is a file link loses its query too."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        changes: dict[str, Any] = {}
        if _is_file_link(request.path) and request.query_string:
            changes["rel_url"] = request.rel_url.with_query(None)
        referer = request.headers.get(hdrs.REFERER, "")
        if "?" in referer and _is_file_link(referer.partition("?")[0]):
            headers = request.headers.copy()
            headers[hdrs.REFERER] = referer.partition("?")[0]
            changes["headers"] = headers
        super().log(request.clone(**changes) if changes else request, response, time)


# Routes whose links carry a signature in their query (`?exp=…&sig=…`).
SIGNED_PATHS = (f"{FILES_PATH}/", "/consent-register/")


def _is_file_link(path_or_url: str) -> bool:
    return any(path in path_or_url for path in SIGNED_PATHS)


def _outbox_replies(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, wake: Callable[[], None]
) -> QueueReply:
    """A reply Teams kept refusing during the turn is queued, so that it is not lost."""

    async def queue(
        kind: OutboxKind, conversation_id: str, tenant_id: str | None, payload: dict[str, Any]
    ) -> None:
        async with sessions.begin() as session:
            enqueue(
                session,
                kind=kind,
                payload=payload,
                now=clock.now(),
                conversation_id=conversation_id,
                tenant_id=tenant_id,
            )
        wake()

    return queue


def _register_csv(app: web.Application) -> RegisterCsv:
    made: RegisterCsv = app[REGISTER_CSV]  # type: ignore[assignment]
    return made


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        migrated = await is_at_head(engine)
    except Exception as error:
        log.warning("readyz: database not reachable: %s", type(error).__name__)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    if not migrated:
        return web.json_response({"status": "unavailable", "database": "not migrated"}, status=503)
    # Issue 25: whether this instance takes captures (off: its log says why, at start-up).
    captures = "on" if request.app.get(CAPTURE) is not None else "off"
    return web.json_response({"status": "ready", "captures": captures})


def _default_languages(
    organisations: Organisations, policy: Policy
) -> Callable[[str | None], str]:
    """The language a tenant's people are answered in when they chose none: their
    organisation's `language.default`, else the deployment policy's."""

    def language(tenant_id: str | None) -> str:
        return organisations.policy_of_tenant(tenant_id, policy).language.default

    return language
