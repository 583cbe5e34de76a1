"""Statements on `Idempotency-Key` records: the per-key transaction lock, the stored answer,
its upsert and the purge of expired ones; and the claim and record of a key as parts (CTEs) of
the statement doing the work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import (
    CTE,
    BigInteger,
    FromClause,
    String,
    Table,
    bindparam,
    case,
    delete,
    exists,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.support import IdempotencyRecord

_TRY_LOCK = select(func.pg_try_advisory_xact_lock(bindparam("lock_id")))


async def try_lock(session: AsyncSession, lock_id: int) -> bool:
    """The transaction-scoped advisory lock `lock_id`, without waiting: whether it was taken."""
    return bool(await session.scalar(_TRY_LOCK, {"lock_id": lock_id}))


async def get_fresh(session: AsyncSession, scope: str, key: str) -> IdempotencyRecord | None:
    """The record of (scope, key), read again from the database even when already loaded."""
    return await session.get(IdempotencyRecord, (scope, key), populate_existing=True)


async def upsert(session: AsyncSession, scope: str, key: str, values: dict[str, Any]) -> None:
    stmt = insert(IdempotencyRecord).values(scope=scope, key=key, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["scope", "key"], set_=values)
    await session.execute(stmt)


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- a key claimed and recorded by the statement doing the work (one statement, autocommit)

_RECORDS = cast(Table, IdempotencyRecord.__table__)
_SCOPE = bindparam("idem_scope", type_=String)
_KEY = bindparam("idem_key", type_=String)
_RECORDED_COLUMNS = (
    "request_hash",
    "status_code",
    "body",
    "headers",
    "expires_at",
    "created_at",
)


@dataclass(frozen=True)
class Record:
    """The answer of a key, to record with the work it answers (`recorded_after`)."""

    scope: str
    key: str
    lock_id: int
    request_hash: str
    status_code: int
    body: Any
    headers: dict[str, str]
    expires_at: datetime
    created_at: datetime


def claimed() -> CTE:
    """A CTE of one row: `locked`, whether the key's transaction lock (`idem_lock`) was taken
    without waiting (the same lock as `try_lock`, so a key being worked on elsewhere, in a
    transaction or in such a statement, is refused), and `known`, whether a record of the key
    exists already (fresh or expired: the caller's other path decides). Without a key
    (`idem_scope` NULL): locked, unknown."""
    lock = func.pg_try_advisory_xact_lock(bindparam("idem_lock", type_=BigInteger))
    known = exists(select(_RECORDS.c.key).where(_RECORDS.c.scope == _SCOPE, _RECORDS.c.key == _KEY))
    return select(
        case((_SCOPE.is_(None), true()), else_=lock).label("locked"), known.label("known")
    ).cte("idempotency_claimed")


def recorded_after(work: FromClause) -> CTE:
    """A CTE inserting the key's record (`idem_*`) once `work` (a CTE that wrote the work) has
    a row. No ON CONFLICT: a record another statement wrote after this one's snapshot (which
    `claimed` found none in) fails the whole statement (`raced`), undoing the work too."""
    values = [_SCOPE.label("scope"), _KEY.label("key")]
    values += [
        bindparam(f"idem_{name}", type_=_RECORDS.c[name].type).label(name)
        for name in _RECORDED_COLUMNS
    ]
    return (
        insert(_RECORDS)
        .from_select(
            ["scope", "key", *_RECORDED_COLUMNS],
            select(*values).select_from(work).where(_SCOPE.is_not(None)),
        )
        .returning(_RECORDS.c.key)
        .cte("idempotency_recorded")
    )


def record_params(record: Record | None) -> dict[str, Any]:
    """The parameters of `claimed` and `recorded_after`: all None without a key."""
    if record is None:
        return {"idem_scope": None, "idem_key": None, "idem_lock": None} | {
            f"idem_{name}": None for name in _RECORDED_COLUMNS
        }
    return {
        "idem_scope": record.scope,
        "idem_key": record.key,
        "idem_lock": record.lock_id,
        **{f"idem_{name}": getattr(record, name) for name in _RECORDED_COLUMNS},
    }


def raced(error: DBAPIError) -> bool:
    """Whether `error` is a statement's record of a key meeting another's (`recorded_after`)."""
    # On the driver, asyncpg's own error; through a session, SQLAlchemy's adaptation of it,
    # which holds it as its cause.
    cause = error.orig
    if not isinstance(cause, asyncpg.UniqueViolationError):
        cause = getattr(cause, "__cause__", None)
    return (
        isinstance(cause, asyncpg.UniqueViolationError)
        and getattr(cause, "table_name", None) == _RECORDS.name
    )
