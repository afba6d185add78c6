"""Microsoft Graph for the bot: managers, users and sendMail, with msal client credentials.

msal is synchronous, so the msal application is built and asked for a token in a worker
thread (`asyncio.to_thread`), one caller at a time; the token is kept until five minutes
before it expires (msal's own cache is the second layer). msal reaches the identity platform
through a `requests.Session` that this client owns (msal's documented `http_client`
parameter, set up like msal's default: certificate verification, a timeout, one retry), so
`aclose()` can close its sockets. The authority is `{authority_host}/{tenant_id}`; msal needs
https, and with `instance_discovery=False` it accepts any https host the admin configured
(Entra's own hosts are known to msal and never need that discovery).

Tests run this very code against `tests/support/fake_graph.py`: an https server on loopback
with a certificate from a throwaway CA, given here as `ca_file`. Nothing is rewritten or
patched: msal does its OpenID discovery and token request over real TLS, and Graph calls go
through the caller's aiohttp session. `ca_file` is also what an organisation behind a
TLS-inspecting proxy sets.

Tokens and the client secret are never logged nor put in an error message.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
import msal
import requests
from msal.exceptions import MsalServiceError
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from bot.integrations.mail_message import MailAttachment
from domain.outbox import retry_after_seconds

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
USER_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled,department"
TIMEOUT_SECONDS = 10.0
# A token is renewed this long before it expires, so no request goes out with a dying one.
TOKEN_MARGIN_SECONDS = 300.0
# sendMail takes at most 4 MB per request; bigger attachments need an upload session.
MAX_SENDMAIL_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class GraphConfig:
    """Where Graph and the identity platform are, and the app registration's credentials."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    authority_host: str = DEFAULT_AUTHORITY_HOST
    ca_file: str | None = None  # trust this CA bundle instead of the system's
    timeout_seconds: float = TIMEOUT_SECONDS

    @property
    def authority(self) -> str:
        """The tenant's authority URL, e.g. https://login.microsoftonline.com/<tenant>."""
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"


@dataclass(frozen=True)
class GraphUser:
    """A directory user as Graph returns it with USER_FIELDS."""

    id: str
    display_name: str
    mail: str | None
    user_principal_name: str | None
    account_enabled: bool | None
    department: str | None = None

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> GraphUser:
        """Reads a Graph user (or directoryObject) resource."""
        return cls(
            id=str(data["id"]),
            display_name=str(data.get("displayName") or ""),
            mail=data.get("mail"),
            user_principal_name=data.get("userPrincipalName"),
            account_enabled=data.get("accountEnabled"),
            department=data.get("department") or None,
        )


class GraphError(Exception):
    """Graph or the token endpoint answered with an error status."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"Graph answered {status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after


class GraphAuthError(GraphError):
    """The identity platform refused the app's credentials (wrong or expired secret, tenant)."""


class GraphUnavailable(Exception):
    """Graph or the identity platform could not be reached in time."""


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    renew_at: float  # time.monotonic()


class GraphClient:
    """Calls Microsoft Graph as the app (client credentials) through an aiohttp session."""

    def __init__(self, config: GraphConfig, session: aiohttp.ClientSession) -> None:
        self._config = config
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)
        self._ssl: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=config.ca_file) if config.ca_file else True
        )
        self._base_url = config.base_url.rstrip("/")
        self._lock = asyncio.Lock()  # one token acquisition at a time
        self._threads = threading.RLock()  # guards the msal app in worker threads
        self._app: msal.ConfidentialClientApplication | None = None
        self._http: requests.Session | None = None
        self._token: _Token | None = None

    async def get_user(self, id_or_upn: str) -> GraphUser | None:
        """Returns the user with this object id or UPN, or None when Graph does not know it."""
        return await self._user(f"/users/{_segment(id_or_upn)}")

    async def get_manager(self, user_aad_id: str) -> GraphUser | None:
        """Returns the user's manager, or None when there is none (or no such user)."""
        return await self._user(f"/users/{_segment(user_aad_id)}/manager")

    async def send_mail(
        self,
        sender: str,
        to: list[str],
        subject: str,
        body_text: str,
        attachments: list[MailAttachment],
    ) -> None:
        """Sends a plain-text e-mail from the sender's mailbox (Graph answers 202)."""
        message = {
            "subject": subject,
            "body": {"contentType": "Text", "content": body_text},
            "toRecipients": [{"emailAddress": {"address": address}} for address in to],
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": attachment.filename,
                    "contentType": attachment.content_type,
                    "contentBytes": base64.b64encode(attachment.data).decode("ascii"),
                }
                for attachment in attachments
            ],
        }
        body = json.dumps({"message": message, "saveToSentItems": True}).encode("utf-8")
        if len(body) > MAX_SENDMAIL_BYTES:
            raise GraphError(413, f"the e-mail is {len(body)} bytes; sendMail takes 4 MB")
        await self._request("POST", f"/users/{_segment(sender)}/sendMail", body=body)

    async def aclose(self) -> None:
        """Closes msal's HTTP session (the aiohttp session belongs to the caller)."""
        await self._forget(None)

    async def _user(self, path: str) -> GraphUser | None:
        data = await self._request("GET", path, params={"$select": USER_FIELDS}, missing_ok=True)
        return None if data is None else GraphUser.from_graph(data)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """Sends one request; returns the JSON answer (None: empty, or 404 when missing_ok)."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            token = await self._access_token()
            headers["Authorization"] = f"Bearer {token}"
            try:
                async with self._session.request(
                    method,
                    self._base_url + path,
                    params=params,
                    data=body,
                    headers=headers,
                    timeout=self._timeout,
                    ssl=self._ssl,
                ) as response:
                    status = response.status
                    raw = await response.read()
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as error:
                raise GraphUnavailable(f"Graph {method} {path}: {type(error).__name__}") from error
            log.debug("graph %s %s -> %d", method, path, status)
            if status == 401 and attempt == 1:
                # The token may have been revoked or the secret rotated: one fresh token.
                await self._forget(token)
                continue
            if status == 404 and missing_ok:
                return None
            if 200 <= status < 300:
                return json.loads(raw) if raw else None
            error_type = GraphAuthError if status == 401 else GraphError
            raise error_type(status, _graph_message(raw), retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _access_token(self) -> str:
        async with self._lock:
            token = self._token
            if token is not None and time.monotonic() < token.renew_at:
                return token.value
            result = await asyncio.to_thread(self._acquire_token)
            if "access_token" not in result:
                # error and error_description are public (AADSTS codes); never the request.
                described = str(result.get("error_description") or "").split("\n", 1)[0]
                raise GraphAuthError(
                    401, f"token refused: {result.get('error', 'unknown error')}: {described}"
                )
            lifetime = float(result.get("expires_in", 0))
            self._token = _Token(
                result["access_token"], time.monotonic() + lifetime - TOKEN_MARGIN_SECONDS
            )
            log.info("graph: acquired an app token valid for %d s", lifetime)
            return self._token.value

    async def _forget(self, used_token: str | None) -> None:
        """Drops the msal app and its token (unless another caller already replaced it)."""
        async with self._lock:
            if used_token is None or self._token is None or self._token.value == used_token:
                await asyncio.to_thread(self._forget_app)

    def _acquire_token(self) -> dict[str, Any]:
        """Builds the msal app on first use and asks it for a token (in a worker thread)."""
        # A cancelled caller leaves its thread running; the next one waits for it here.
        with self._threads:
            return self._acquire_token_locked()

    def _acquire_token_locked(self) -> dict[str, Any]:
        try:
            if self._app is None:
                self._app = self._build_app()
            return dict(self._app.acquire_token_for_client(scopes=[GRAPH_SCOPE]))
        except requests.RequestException as error:
            self._forget_app()
            raise GraphUnavailable(
                f"identity platform unreachable: {type(error).__name__}"
            ) from error
        except MsalServiceError as error:
            # msal raises this for 5xx answers of the token endpoint.
            raise GraphUnavailable(f"identity platform failed: {error}") from error
        except ValueError as error:
            # The OpenID discovery failed (unknown tenant, wrong authority host), or the token
            # endpoint's answer was not JSON.
            self._forget_app()
            raise GraphAuthError(400, f"authority or token endpoint refused: {error}") from error

    def _build_app(self) -> msal.ConfidentialClientApplication:
        http = requests.Session()
        # As msal does for its own session (requests has no session-wide timeout); verify goes
        # with each request because requests lets REQUESTS_CA_BUNDLE override Session.verify.
        http.request = functools.partial(  # type: ignore[method-assign]
            http.request,
            timeout=self._config.timeout_seconds,
            verify=self._config.ca_file or True,
        )
        http.mount("https://", HTTPAdapter(max_retries=1))
        self._http = http
        return msal.ConfidentialClientApplication(
            self._config.client_id,
            client_credential=self._config.client_secret,
            authority=self._config.authority,
            http_client=http,
            instance_discovery=False,
        )

    def _forget_app(self) -> None:
        """Drops the msal app, its token cache and its HTTP session (in a worker thread)."""
        with self._threads:
            self._app = None
            self._token = None
            if self._http is not None:
                self._http.close()
                self._http = None


def _segment(value: str) -> str:
    """Quotes an object id or UPN for one URL path segment (#EXT# UPNs have a '#')."""
    return quote(value, safe="@")


def _graph_message(raw: bytes) -> str:
    """Returns Graph's error code and message from an error answer's body."""
    try:
        error = json.loads(raw)["error"]
        return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, KeyError, TypeError, AttributeError):
        return raw[:200].decode("utf-8", "replace")
