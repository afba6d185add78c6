"""A fake Microsoft Graph and identity platform on loopback, over real TLS.

It serves what `bot/integrations/graph.py` uses: the tenant's OpenID configuration and
client-credentials token endpoint (for msal, which accepts only https authorities), and Graph
v1.0's `/users/{id}`, `/users/{id}/manager` and `/users/{id}/sendMail`. The certificate comes
from a throwaway CA made for the test run; `ca_file` is the file to trust. All ids, names and
secrets are synthetic.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.integrations.graph import GraphConfig
from bot.settings import Settings

TENANT_ID = "00000000-0000-4000-8000-00000000c0de"
CLIENT_ID = "11111111-1111-4111-8111-111111111111"
CLIENT_SECRET = "fake-client-secret"  # synthetic: the fake's own test credential
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
USER_FIELDS = ("id", "displayName", "mail", "userPrincipalName", "accountEnabled")

Where = Literal["graph", "token"]


@dataclass(frozen=True)
class LoopbackCertificate:
    """A CA and a server certificate for 127.0.0.1, as PEM."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes = field(repr=False)

    def write(self, folder: Path) -> tuple[Path, Path, Path]:
        """Writes ca.pem, cert.pem and key.pem into the folder and returns their paths."""
        paths = (folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
        for path, pem in zip(paths, (self.ca_pem, self.cert_pem, self.key_pem), strict=True):
            path.write_bytes(pem)
        return paths


@functools.cache
def loopback_certificate() -> LoopbackCertificate:
    """Makes (once per test run) a CA and a certificate it signed for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def usage(*, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Kanalkollen test CA"))
        .issuer_name(name("Kanalkollen test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(ca=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return LoopbackCertificate(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@dataclass(frozen=True)
class GraphRequest:
    """One request the fake received (the client secret is never kept)."""

    method: str
    path: str
    query: dict[str, str]
    bearer: str | None
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None


@dataclass(frozen=True)
class SentAttachment:
    """A file attachment of a sent e-mail, decoded."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SentMail:
    """An e-mail accepted by sendMail."""

    sender: str
    to: tuple[str, ...]
    subject: str
    content_type: str
    body: str
    attachments: tuple[SentAttachment, ...]
    save_to_sent_items: bool


@dataclass
class _User:
    id: str
    display_name: str
    mail: str | None
    upn: str
    account_enabled: bool
    manager_id: str | None
    department: str | None = None
    tenant_id: str = TENANT_ID

    def resource(self, select: str | None) -> dict[str, Any]:
        full = {
            "id": self.id,
            "displayName": self.display_name,
            "mail": self.mail,
            "userPrincipalName": self.upn,
            "accountEnabled": self.account_enabled,
            "department": self.department,
        }
        fields = select.split(",") if select else USER_FIELDS
        return {
            "@odata.type": "#microsoft.graph.user",
            **{key: value for key, value in full.items() if key in fields},
        }


@dataclass
class _Failure:
    status: int
    times: int
    retry_after: float | None


def _graph_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class FakeGraph:
    """Graph v1.0 and the tenant's token endpoint on https://127.0.0.1:<port>."""

    def __init__(
        self,
        *,
        tenant_id: str = TENANT_ID,
        other_tenants: tuple[str, ...] = (),
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        token_lifetime: int = 3599,
    ) -> None:
        """Configure the fake; use `async with` to serve.

        `other_tenants` have consented to the same (multi-tenant) app registration: each gets
        tokens from its own authority, and a token sees its own tenant's users only.
        """
        self.tenant_id = tenant_id
        self.tenants = frozenset({tenant_id, *other_tenants})
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.requests: list[GraphRequest] = []
        self.sent_mail: list[SentMail] = []
        self.tokens_issued: list[str] = []
        self._valid_tokens: dict[str, str] = {}  # token -> the tenant it was issued for
        self._users: dict[str, _User] = {}
        self._failures: dict[Where, list[_Failure]] = {"graph": [], "token": []}
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    # --- configuration ---------------------------------------------------------------------

    def add_user(
        self,
        id: str,
        display_name: str,
        mail: str | None,
        upn: str,
        account_enabled: bool = True,
        manager_id: str | None = None,
        department: str | None = None,
        tenant_id: str | None = None,
    ) -> None:
        """Adds a directory user (manager_id: another user's id) of a tenant (the first)."""
        self._users[id] = _User(
            id,
            display_name,
            mail,
            upn,
            account_enabled,
            manager_id,
            department,
            tenant_id or self.tenant_id,
        )

    def fail_next(
        self,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        *,
        where: Where = "graph",
    ) -> None:
        """Answers the next `times` Graph (or token) requests with this error status."""
        self._failures[where].append(_Failure(status, times, retry_after))

    def revoke_tokens(self) -> None:
        """Makes every token issued so far invalid (Graph answers 401 to them)."""
        self._valid_tokens.clear()

    @property
    def token_requests(self) -> list[GraphRequest]:
        """The requests to the token endpoint."""
        return [r for r in self.requests if r.path.endswith("/oauth2/v2.0/token")]

    @property
    def graph_requests(self) -> list[GraphRequest]:
        """The requests to Graph v1.0."""
        return [r for r in self.requests if r.path.startswith("/v1.0/")]

    # --- where it is ----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """https://127.0.0.1:<port>."""
        return f"https://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """The Graph v1.0 base URL."""
        return f"{self.origin}/v1.0"

    @property
    def authority_host(self) -> str:
        """The identity platform's host, as GraphConfig.authority_host."""
        return self.origin

    @property
    def ca_file(self) -> str:
        """The CA certificate to trust for this server."""
        assert self._folder is not None, "the fake is not started"
        return str(Path(self._folder.name) / "ca.pem")

    def bot_settings(self, **overrides: Any) -> Settings:
        """Settings of a bot that asks this fake (GRAPH_*), with `overrides`."""
        config = self.config()
        values: dict[str, Any] = {
            "graph_tenant_id": config.tenant_id,
            "graph_client_id": config.client_id,
            "graph_client_secret": config.client_secret,
            "graph_base_url": config.base_url,
            "graph_authority_host": config.authority_host,
            "graph_ca_file": config.ca_file or "",
        }
        return Settings(**{**values, **overrides})

    def config(self, **overrides: Any) -> GraphConfig:
        """A GraphConfig that points at this fake with its credentials."""
        values: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "base_url": self.base_url,
            "authority_host": self.authority_host,
            "ca_file": self.ca_file,
            "timeout_seconds": 2.0,
        }
        return GraphConfig(**(values | overrides))

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FakeGraph:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Starts serving on an ephemeral port."""
        self._folder = tempfile.TemporaryDirectory(prefix="fake-graph-")
        await self.up()

    async def up(self) -> None:
        """Listens again (on the same port once it had one)."""
        if self._runner is not None:
            return
        assert self._folder is not None, "the fake is not started"
        _, cert, key = loopback_certificate().write(Path(self._folder.name))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port, ssl_context=context)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def down(self) -> None:
        """Stops listening and drops open connections: clients get 'connection refused'."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        """Stops the server and removes its certificate files."""
        await self.down()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    # --- the HTTP side --------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        tenant = "/{tenant}"
        app.router.add_get(f"{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post(f"{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/users/{id}", self._user)
        app.router.add_get("/v1.0/users/{id}/manager", self._manager)
        app.router.add_post("/v1.0/users/{id}/sendMail", self._send_mail)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        form: dict[str, str] = {}
        body: Any = None
        if request.content_type == "application/x-www-form-urlencoded":
            posted = await request.post()
            form = {k: str(v) for k, v in posted.items() if k != "client_secret"}
        elif request.can_read_body:
            body = await request.json()
        authorization = request.headers.get("Authorization", "")
        bearer = authorization[7:] if authorization.startswith("Bearer ") else None
        self.requests.append(
            GraphRequest(request.method, request.path, dict(request.query), bearer, form, body)
        )
        where: Where = "graph" if request.path.startswith("/v1.0/") else "token"
        if request.path.endswith("openid-configuration"):
            return await handler(request)
        failures = self._failures[where]
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.pop(0)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = f"{failure.retry_after:g}"
            return web.json_response(
                {"error": {"code": "FakeFailure", "message": f"told to fail {failure.status}"}},
                status=failure.status,
                headers=headers,
            )
        return await handler(request)

    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if tenant not in self.tenants:
            return web.json_response(
                {"error": "invalid_tenant", "error_description": "AADSTS90002: not found"},
                status=400,
            )
        base = f"{self.origin}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return self._token_error(400, "unsupported_grant_type", "AADSTS70003")
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self._client_secret
        ):
            return self._token_error(401, "invalid_client", "AADSTS7000215: invalid secret")
        if form.get("scope") != GRAPH_SCOPE:
            return self._token_error(400, "invalid_scope", "AADSTS1002012: wrong scope")
        token = f"fake-graph-token-{len(self.tokens_issued) + 1}"
        self.tokens_issued.append(token)
        self._valid_tokens[token] = request.match_info["tenant"]
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": token,
            }
        )

    @staticmethod
    def _token_error(status: int, error: str, description: str) -> web.Response:
        return web.json_response(
            {"error": error, "error_description": description, "error_codes": [0]},
            status=status,
        )

    def _authorised(self, request: web.Request) -> bool:
        return self._tenant_of(request) is not None

    def _tenant_of(self, request: web.Request) -> str | None:
        """The tenant the request's token was issued for; None without a valid token."""
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return None
        return self._valid_tokens.get(authorization[7:])

    def _find(self, id_or_upn: str, request: web.Request | None = None) -> _User | None:
        """A user of the request token's tenant (another tenant's are not found)."""
        tenant = self._tenant_of(request) if request is not None else self.tenant_id
        found = self._users.get(id_or_upn)
        if found is None:
            wanted = id_or_upn.lower()
            found = next((u for u in self._users.values() if u.upn.lower() == wanted), None)
        return found if found is not None and found.tenant_id == tenant else None

    async def _user(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is invalid.")
        user = self._find(request.match_info["id"], request)
        if user is None:
            return _graph_error(404, "Request_ResourceNotFound", "Resource does not exist.")
        return web.json_response(user.resource(request.query.get("$select")))

    async def _manager(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is invalid.")
        user = self._find(request.match_info["id"], request)
        manager = self._find(user.manager_id or "", request) if user is not None else None
        if manager is None:
            return _graph_error(
                404, "Request_ResourceNotFound", "Resource 'manager' does not exist."
            )
        return web.json_response(manager.resource(request.query.get("$select")))

    async def _send_mail(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is invalid.")
        sender = self._find(request.match_info["id"], request)
        if sender is None or sender.mail is None:
            return _graph_error(404, "ErrorInvalidUser", "The requested user is invalid.")
        payload = await request.json()
        message = payload.get("message") or {}
        to = tuple(r["emailAddress"]["address"] for r in message.get("toRecipients", []))
        if not to:
            return _graph_error(400, "ErrorInvalidRecipients", "At least one recipient.")
        body = message.get("body") or {}
        self.sent_mail.append(
            SentMail(
                sender=sender.mail,
                to=to,
                subject=message.get("subject", ""),
                content_type=body.get("contentType", ""),
                body=body.get("content", ""),
                attachments=tuple(
                    SentAttachment(
                        a["name"], a["contentType"], base64.b64decode(a["contentBytes"])
                    )
                    for a in message.get("attachments", [])
                    if a.get("@odata.type") == "#microsoft.graph.fileAttachment"
                ),
                save_to_sent_items=bool(payload.get("saveToSentItems", True)),
            )
        )
        return web.Response(status=202)
