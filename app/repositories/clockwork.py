"""The clock's statements: which requests are due for a warning, an escalation or closing, each
picked in keyset batches `FOR UPDATE SKIP LOCKED` so that several processes share the work."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import CLOCK_RUNNING, State
from app.models.request import Request
from app.models.support import ThrottleCounter, UsedChallenge


def due_soon(days: int, now: datetime) -> Select[Any]:
    """Running requests due within `days`, not yet warned for this due date."""
    return select(Request).where(
        Request.state.in_(CLOCK_RUNNING),
        Request.due_soon_alerted_at.is_(None),
        Request.due_at > now,
        Request.due_at <= now + timedelta(days=days),
    )


def escalation(level: int, escalation_days: int, now: datetime) -> Select[Any]:
    """Requests due to leave `level` for the next one (the guard's condition, in SQL)."""
    past = now if level == 0 else now - timedelta(days=escalation_days)
    return select(Request).where(
        Request.state.in_(CLOCK_RUNNING), Request.escalation_level == level, Request.due_at < past
    )


def answered_past_window(default_window_days: int, now: datetime) -> Select[Any]:
    """Answers (and acknowledgements) whose reopen window has passed."""
    window = func.coalesce(
        Service.reopen_window_days, Administration.reopen_window_days, default_window_days
    )
    return (
        select(Request)
        .join(Administration, Administration.id == Request.administration_id)
        .outerjoin(Service, Service.id == Request.service_id)
        .where(
            Request.state.in_([State.answered, State.acknowledged]),
            Request.answered_at < now - timedelta(days=1),
            Request.answered_at + func.make_interval(0, 0, 0, window) < now,
        )
    )


async def lock_batch(
    session: AsyncSession,
    stmt: Select[Any],
    key: Any,
    after: tuple[Any, int] | None,
    batch: int,
) -> list[Request]:
    """The next `batch` rows of `stmt` by (`key`, id) after `after`, locked, skipping those
    another process holds."""
    if after is not None:
        stmt = stmt.where(tuple_(key, Request.id) > tuple_(*after))
    stmt = stmt.order_by(key, Request.id).limit(batch).with_for_update(of=Request, skip_locked=True)
    return list((await session.scalars(stmt)).all())


async def purge_transient(session: AsyncSession, now: datetime) -> None:
    """Throttle windows that have ended and proof-of-work challenges that have expired."""
    await session.execute(delete(ThrottleCounter).where(ThrottleCounter.window_ends_at <= now))
    await session.execute(delete(UsedChallenge).where(UsedChallenge.expires_at <= now))
