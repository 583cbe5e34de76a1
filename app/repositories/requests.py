"""Statements on requests. The write side (filing) lives here; each name says what it does,
so the read side's statements can sit beside them."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, inspect, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from app.models.request import Request

# A tracking number already taken inserts nothing (and returns no id): the caller draws
# again, with no savepoint round trips around the insert.
# On the table, executed on the connection: Core's path, not the ORM's bulk-insert machinery.
_REQUESTS = cast(Table, Request.__table__)
_INSERT_NEW = (
    insert(_REQUESTS)
    .on_conflict_do_nothing(index_elements=[_REQUESTS.c.tracking_number])
    .returning(_REQUESTS.c.id)
)
_ID_BY_TRACKING_NUMBER = select(Request.id).where(
    Request.tracking_number == bindparam("tracking_number")
)
# Every column the application writes (the search vector is computed by the database).
_WRITTEN = tuple(
    column.key
    for column in inspect(Request).column_attrs
    if column.key not in ("id", "search_vector")
)


async def insert_new(session: AsyncSession, request: Request) -> bool:
    """Insert a new request built in memory, unless its tracking number is taken (False).

    Inserted, it joins the session as a loaded row (no second read), its unset columns None."""
    values: dict[str, Any] = {key: getattr(request, key, None) for key in _WRITTEN}
    connection = await session.connection()
    request_id = (await connection.execute(_INSERT_NEW, values)).scalar_one_or_none()
    if request_id is None:
        return False
    for key, value in values.items():
        setattr(request, key, value)
    request.id = request_id
    make_transient_to_detached(request)
    session.add(request)
    return True


async def id_by_tracking_number(session: AsyncSession, tracking_number: str) -> int | None:
    return await session.scalar(_ID_BY_TRACKING_NUMBER, {"tracking_number": tracking_number})
