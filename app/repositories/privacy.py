"""Statements of the retention purge: the requests past their retention, a request's stored
documents, and the erasure of its messages, notes, outbox traces and documents' rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attachment import Attachment
from app.models.catalogue import Service
from app.models.outbox import OutboxMessage
from app.models.request import Message, Request, RequestEvent

_STORAGE_KEYS = select(Attachment.storage_key).where(
    Attachment.request_id == bindparam("request_id")
)


async def storage_keys(session: AsyncSession, request_id: int) -> list[str]:
    """Where the request's documents are stored."""
    return list((await session.scalars(_STORAGE_KEYS, {"request_id": request_id})).all())


async def service(session: AsyncSession, service_id: int) -> Service | None:
    return await session.get(Service, service_id)


async def erase(session: AsyncSession, request_id: int, *, kept_event_id: int) -> None:
    """Empty the request's message bodies and its history's notes (but `kept_event_id`'s);
    delete its unsent outbox messages and strip the sent ones of payload and recipient (a
    webhook's address, the administration's, stays); delete its documents' rows."""
    rid = request_id
    await session.execute(update(Message).where(Message.request_id == rid).values(body=""))
    await session.execute(
        update(RequestEvent)
        .where(RequestEvent.request_id == rid, RequestEvent.id != kept_event_id)
        .values(note=None)
    )
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.request_id == rid, OutboxMessage.status != "sent")
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.request_id == rid)
        .values(
            payload={},
            recipient=case((OutboxMessage.channel == "webhook", OutboxMessage.recipient), else_=""),
        )
    )
    await session.execute(delete(Attachment).where(Attachment.request_id == rid))


async def past_retention(
    session: AsyncSession, states: Sequence[str], closed_before: datetime, size: int
) -> list[Request]:
    """Up to `size` requests in `states`, not anonymized, closed before `closed_before`,
    oldest first, locked, skipping those another worker holds."""
    stmt = (
        select(Request)
        .where(
            Request.state.in_(states),
            Request.anonymized_at.is_(None),
            Request.closed_at < closed_before,
        )
        .order_by(Request.closed_at, Request.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())
