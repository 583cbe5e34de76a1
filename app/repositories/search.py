"""The reindex batch's statement: requests by id, a keyset page at a time."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.request import Request

_AFTER = (
    select(Request)
    .where(Request.id > bindparam("after_id"))
    .order_by(Request.id)
    .limit(bindparam("size"))
)


async def requests_after(session: AsyncSession, after_id: int, size: int) -> list[Request]:
    """The next `size` requests after `after_id`, in id order."""
    return list((await session.scalars(_AFTER, {"after_id": after_id, "size": size})).all())
