"""Statements on documents' rows: how many a request has, its list, one document, and which
storage keys rows still point to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attachment import Attachment

_COUNT = (
    select(func.count())
    .select_from(Attachment)
    .where(Attachment.request_id == bindparam("request_id"))
)
_OF_REQUEST = (
    select(Attachment)
    .where(Attachment.request_id == bindparam("request_id"))
    .order_by(Attachment.id)
)


async def count(session: AsyncSession, request_id: int) -> int:
    return int(await session.scalar(_COUNT, {"request_id": request_id}) or 0)


async def of_request(session: AsyncSession, request_id: int) -> list[Attachment]:
    """The request's documents, in the order they came."""
    return list((await session.scalars(_OF_REQUEST, {"request_id": request_id})).all())


async def get(session: AsyncSession, attachment_id: int) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Those of `keys` a row points to."""
    stmt = select(Attachment.storage_key).where(Attachment.storage_key.in_(keys))
    return set((await session.scalars(stmt)).all())
