"""Bot state on SQL with eTag optimistic concurrency.

Semantics follow the Bot Framework SDK's storage base tests: an item written with no eTag or
`*` always wins; an item written with the eTag it was read with wins only if nobody wrote in
between (otherwise `StateConflictError`); an empty eTag is refused. Values are serialised with
jsonpickle, as the SDK's persistent storages did, because dialog state holds SDK objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jsonpickle
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from storage.models import BotStateRow


class StateConflictError(KeyError):
    """Another turn wrote the same state since it was read (eTag mismatch)."""


def _get_etag(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("e_tag")
    return getattr(value, "e_tag", None)


def _set_etag(value: Any, etag: str) -> None:
    if isinstance(value, dict):
        value["e_tag"] = etag
    elif hasattr(value, "e_tag"):
        value.e_tag = etag


class SqlStorage:
    """Bot state (dialog stacks, conversation state) kept in the `bot_state` table."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def read(self, keys: Iterable[str] | None) -> dict[str, Any]:
        """Returns the stored items for the keys that exist, each with its current eTag."""
        if keys is None:
            raise Exception("Keys are required when reading")
        wanted = list(keys)
        if not wanted:
            return {}
        async with self._sessions() as session:
            rows = (
                await session.execute(select(BotStateRow).where(BotStateRow.key.in_(wanted)))
            ).scalars()
            result: dict[str, Any] = {}
            for row in rows:
                value = jsonpickle.decode(row.data, keys=True)
                _set_etag(value, row.etag)
                result[row.key] = value
            return result

    async def write(self, changes: Mapping[str, Any] | None) -> None:
        """Writes the items in one transaction; raises StateConflictError on a stale eTag."""
        if changes is None:
            raise Exception("Changes are required when writing")
        if not changes:
            return
        now = self._clock.now()
        written: list[tuple[Any, str]] = []
        async with self._sessions.begin() as session:
            for key, value in changes.items():
                expected = _get_etag(value)
                if expected == "":
                    raise ValueError(f"bot state '{key}': an empty eTag cannot be written")
                new_etag = uuid.uuid4().hex
                data = jsonpickle.encode(_without_etag(value), keys=True)
                await self._write_one(session, key, expected, new_etag, data, now)
                written.append((value, new_etag))
        # Only once committed: an item of a batch that failed keeps the eTag it was read with.
        for value, new_etag in written:
            _set_etag(value, new_etag)

    async def _write_one(
        self,
        session: AsyncSession,
        key: str,
        expected: str | None,
        new_etag: str,
        data: str,
        now: Any,
    ) -> None:
        conditional = expected not in (None, "*")
        statement = (
            update(BotStateRow)
            .where(BotStateRow.key == key)
            .values(data=data, etag=new_etag, updated_at=now)
        )
        if conditional:
            statement = statement.where(BotStateRow.etag == expected)
        updated = await session.execute(statement)
        if updated.rowcount:  # type: ignore[attr-defined]
            return
        exists = await session.scalar(select(BotStateRow.key).where(BotStateRow.key == key))
        if exists is not None:
            raise StateConflictError(f"bot state '{key}' was changed by another turn")
        # A new key: the primary key makes a concurrent first write of the same key fail.
        session.add(BotStateRow(key=key, etag=new_etag, data=data, updated_at=now))
        try:
            await session.flush()
        except IntegrityError as exc:
            raise StateConflictError(f"bot state '{key}' was created by another turn") from exc

    async def delete(self, keys: Iterable[str]) -> None:
        """Deletes the items; unknown keys are ignored."""
        wanted = list(keys)
        if not wanted:
            return
        async with self._sessions.begin() as session:
            await session.execute(delete(BotStateRow).where(BotStateRow.key.in_(wanted)))


def _without_etag(value: Any) -> Any:
    """Returns the value without its eTag, which lives in its own column."""
    if isinstance(value, dict) and "e_tag" in value:
        return {k: v for k, v in value.items() if k != "e_tag"}
    return value
