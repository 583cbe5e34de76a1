"""The search vector as PostgreSQL parses it, and the reindex batch's statement: requests by
id, a keyset page at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.request import Request

_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


def parsed_vector(text: Any) -> ColumnElement[Any]:
    """`to_tsvector('simple', text)`: the search vector of `text` (a value, or an SQL
    expression) by PostgreSQL's own parser, for the texts `services.search` leaves to it."""
    return func.to_tsvector(_SIMPLE, text)


_AFTER = (
    select(Request)
    .where(Request.id > bindparam("after_id"))
    .order_by(Request.id)
    .limit(bindparam("size"))
)


async def requests_after(session: AsyncSession, after_id: int, size: int) -> list[Request]:
    """The next `size` requests after `after_id`, in id order."""
    return list((await session.scalars(_AFTER, {"after_id": after_id, "size": size})).all())
