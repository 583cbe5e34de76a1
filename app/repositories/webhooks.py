"""Statements on webhooks and the outbox as national admins and supervisors see them: the
active hooks, deactivation, the outbox by status, re-sending a parked message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration
from app.models.outbox import OutboxMessage, Webhook
from app.models.request import Request

_ACTIVE = (
    select(Webhook, Administration)
    .join(Administration, Administration.id == Webhook.administration_id)
    .where(Webhook.active)
    .order_by(Webhook.id)
)
_OUTBOX = select(OutboxMessage, Request.tracking_number).outerjoin(
    Request, Request.id == OutboxMessage.request_id
)


def _of(administration_id: int | None, every: bool) -> list[ColumnElement[bool]]:
    return [] if every else [Webhook.administration_id == administration_id]


async def administration(session: AsyncSession, administration_id: int | None) -> Administration:
    return await session.get_one(Administration, administration_id)


async def active(
    session: AsyncSession, *, administration_id: int | None, every: bool
) -> list[tuple[Webhook, Administration]]:
    """The active hooks with their administration, by id: of every administration, or of one."""
    stmt = _ACTIVE.where(*_of(administration_id, every))
    return [(hook, admin) for hook, admin in (await session.execute(stmt)).all()]


async def deactivate(
    session: AsyncSession, hook_id: int, *, administration_id: int | None, every: bool
) -> bool:
    """Deactivate an active hook (of one administration unless `every`); False when none."""
    result = await session.execute(
        update(Webhook)
        .where(Webhook.id == hook_id, Webhook.active, *_of(administration_id, every))
        .values(active=False)
        .returning(Webhook.id)
    )
    return result.scalar_one_or_none() is not None


async def outbox(
    session: AsyncSession, *, status: str, limit: int, before: int | None
) -> list[tuple[OutboxMessage, str | None]]:
    """Messages in `status` with their request's tracking number, newest first (keyset on id)."""
    stmt = (
        _OUTBOX.where(OutboxMessage.status == status).order_by(OutboxMessage.id.desc()).limit(limit)
    )
    if before is not None:
        stmt = stmt.where(OutboxMessage.id < before)
    return [(message, number) for message, number in (await session.execute(stmt)).all()]


async def resend(session: AsyncSession, message_id: int, now: datetime) -> bool:
    """Put a parked message back in line with a fresh count of attempts; False when none."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "parked")
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
        .returning(OutboxMessage.id)
    )
    return result.scalar_one_or_none() is not None
