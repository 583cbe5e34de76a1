"""`Idempotency-Key` for POSTs that create something.

The first request with a key takes a transaction-scoped advisory lock on (scope, key), does its
work and stores its answer in the same transaction: the stored answer exists exactly when the
work was committed. A retry with the same key and body gets the stored answer; with another
body, 422; while the first still holds the lock, 409. Records live at least 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import IdempotencyInProgress, IdempotencyKeyReused
from app.models.support import IdempotencyRecord
from app.repositories import idempotency as repository


@dataclass(frozen=True)
class Answer:
    """What a creating POST answered: replayed as is to the retries of the same key."""

    status_code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    scope: str
    key: str
    request_hash: str


def body_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_id(scope: str, key: str) -> int:
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Known(Exception):
    """A key claimed in the work's own statement had a record already (or got one from
    another statement meanwhile): nothing was written; answer through `once`."""


def record(claim: Claim, answer: Answer, now: datetime, ttl_hours: int) -> repository.Record:
    """The record of `claim` answered by `answer`, for the statement doing the work to claim
    the key and insert it (`repositories.idempotency.claimed` and `recorded_after`): the
    same lock as `claim`'s, the same record as `store`'s."""
    return repository.Record(
        scope=claim.scope,
        key=claim.key,
        lock_id=_lock_id(claim.scope, claim.key),
        request_hash=claim.request_hash,
        status_code=answer.status_code,
        body=answer.body,
        headers=answer.headers,
        expires_at=now + timedelta(hours=ttl_hours),
        created_at=now,
    )


async def claim(session: AsyncSession, claim: Claim, now: datetime) -> IdempotencyRecord | None:
    """Take the key for this transaction; return the stored answer if the work was done before."""
    if not await repository.try_lock(session, _lock_id(claim.scope, claim.key)):
        raise IdempotencyInProgress(headers={"Retry-After": "1"})
    record = await repository.get_fresh(session, claim.scope, claim.key)
    if record is None or record.expires_at <= now:
        return None
    if record.request_hash != claim.request_hash:
        raise IdempotencyKeyReused()
    return record


async def store(
    session: AsyncSession,
    claim: Claim,
    *,
    status_code: int,
    body: Any,
    headers: dict[str, str],
    now: datetime,
    ttl_hours: int,
) -> None:
    values = {
        "request_hash": claim.request_hash,
        "status_code": status_code,
        "body": body,
        "headers": headers,
        "expires_at": now + timedelta(hours=ttl_hours),
        "created_at": now,
    }
    await repository.upsert(session, claim.scope, claim.key, values)


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    return await repository.purge_expired(session, now)


async def once(
    session: AsyncSession,
    *,
    scope: str,
    key: str | None,
    payload: Any,
    now: datetime,
    ttl_hours: int,
    work: Callable[[], Awaitable[Answer]],
) -> tuple[Answer, bool]:
    """Run `work` once per (scope, key): returns its answer and whether it is a replay."""
    if not key:
        return await work(), False
    claimed = Claim(scope=scope, key=key, request_hash=body_hash(payload))
    stored = await claim(session, claimed, now)
    if stored is not None:
        return Answer(stored.status_code, stored.body, dict(stored.headers)), True
    answer = await work()
    await store(
        session,
        claimed,
        status_code=answer.status_code,
        body=answer.body,
        headers=answer.headers,
        now=now,
        ttl_hours=ttl_hours,
    )
    return answer, False
