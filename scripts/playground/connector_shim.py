"""A pass-through in front of the Playgrounds' Bot Connector (/_connector) that drops JSON nulls.

Why: every proactive message the bot sends (the approval card to the manager, the editors'
invitations, the registration card, ...) goes through the Agents SDK's
`ConnectorClient.send_to_conversation`, which serializes the activity with `exclude_unset`
but not `exclude_none`, after `TurnContext.send_activities` has set `activity.id = None`. The
request body then carries `"id": null`. Teams ignores it; the Playground validates the body
(`id` must be a string when present) and answers 400, which the bot rightly treats as final:
the message goes to the dead letters and the story stops at the approval. Replies inside a turn
go through `reply_to_activity`, which excludes nulls, and are not affected.

Until the bot works around that (its own connector factory could exclude nulls), run.sh points
each Playground's serviceUrl here: http://127.0.0.1:SHIM_PORT/<playground port>/_connector/...
is forwarded to http://127.0.0.1:<playground port>/_connector/... with every null member of a
JSON object removed, and nothing else changed. `run.sh --no-shim` leaves it out, to see the
defect. GET /_shim/stats tells what was dropped (walk.py prints it).

usage: python connector_shim.py --port 56160 --allow 56150,56151,...
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

log = logging.getLogger("connector_shim")


class Dropped:
    """How often a null member was dropped, by its path in the JSON body."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()


SESSION: web.AppKey[ClientSession] = web.AppKey("session")
DROPPED: web.AppKey[Dropped] = web.AppKey("dropped")
ALLOWED: web.AppKey[frozenset[int]] = web.AppKey("allowed")
PASSED = ("Content-Type", "Authorization", "Accept")


def without_nulls(value: Any, path: str, dropped: Counter[str]) -> Any:
    """The JSON value with every null member of an object removed (counted by path)."""
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                dropped[f"{path}{key}"] += 1
            else:
                kept[key] = without_nulls(item, f"{path}{key}.", dropped)
        return kept
    if isinstance(value, list):
        return [without_nulls(item, f"{path}[].", dropped) for item in value]
    return value


async def forward(request: web.Request) -> web.StreamResponse:
    port = int(request.match_info["port"])
    if port not in request.app[ALLOWED]:
        raise web.HTTPNotFound(text=f"no Playground on port {port}")
    body = await request.read()
    if body and request.content_type == "application/json":
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None  # the Playground answers malformed JSON itself
        if parsed is not None:
            counts = request.app[DROPPED].counts
            before = sum(counts.values())
            cleaned = without_nulls(parsed, "", counts)
            if sum(counts.values()) != before:
                log.info("%s %s: dropped null members", request.method, request.path)
            body = json.dumps(cleaned, ensure_ascii=False).encode()
    target = f"http://127.0.0.1:{port}/_connector/{request.match_info['tail']}"
    headers = {name: request.headers[name] for name in PASSED if name in request.headers}
    async with request.app[SESSION].request(
        request.method, target, params=request.query, data=body or None, headers=headers
    ) as answer:
        payload = await answer.read()
        response = web.Response(status=answer.status, body=payload)
        if "Content-Type" in answer.headers:
            response.headers["Content-Type"] = answer.headers["Content-Type"]
        return response


async def stats(request: web.Request) -> web.Response:
    return web.json_response({"dropped": dict(request.app[DROPPED].counts)})


async def ping(_request: web.Request) -> web.Response:
    return web.Response(text="pong")


def make_app(allowed: frozenset[int]) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[ALLOWED] = allowed
    app[DROPPED] = Dropped()

    async def session(app: web.Application) -> AsyncIterator[None]:
        app[SESSION] = ClientSession(timeout=ClientTimeout(total=60))
        yield
        await app[SESSION].close()

    app.cleanup_ctx.append(session)
    app.router.add_get("/_shim/ping", ping)
    app.router.add_get("/_shim/stats", stats)
    app.router.add_route("*", "/{port:\\d+}/_connector/{tail:.*}", forward)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--allow", required=True, help="comma-separated Playground ports")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    allowed = frozenset(int(p) for p in args.allow.split(",") if p)
    web.run_app(make_app(allowed), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
