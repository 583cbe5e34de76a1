"""Statements on the access log: one INSERT per staff read, and a request's entries newest
first with the reading administration, account and key."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.access_log import AccessLogEntry
from app.models.catalogue import Administration
from app.models.integration import ApiKey
from app.models.user import User
from app.repositories import driver

# The table itself: an ORM insert would ask for the new id back (RETURNING), unused here.
_TABLE = cast(Table, AccessLogEntry.__table__)
_RECORD = insert(_TABLE)
_COLUMNS = ("request_id", "at", "role", "administration_id", "user_id", "api_key_id", "what")
# The same entry for each of `request_ids`: one statement, whatever their number (a staff
# read's one, a CSV export chunk's many).
_RECORD_EACH = driver.Compiled(
    insert(_TABLE).from_select(
        list(_COLUMNS),
        select(
            func.unnest(bindparam("request_ids", type_=ARRAY(BigInteger))),
            *(bindparam(name, type_=_TABLE.c[name].type) for name in _COLUMNS[1:]),
        ),
    )
)
_ENTRIES = (
    select(AccessLogEntry, Administration, User, ApiKey.name.label("key_name"))
    .outerjoin(Administration, Administration.id == AccessLogEntry.administration_id)
    .outerjoin(User, User.id == AccessLogEntry.user_id)
    .outerjoin(ApiKey, ApiKey.id == AccessLogEntry.api_key_id)
    .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
)


async def record(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One INSERT of one or many entries (columns: request_id, at, role, administration_id,
    user_id, api_key_id, what)."""
    await session.execute(_RECORD, rows)


async def record_each(direct: driver.Direct, request_ids: list[int], row: dict[str, Any]) -> None:
    """The entry `row` (all columns but the request) for each of `request_ids`, on the driver:
    one INSERT that commits by itself."""
    await driver.execute(direct, _RECORD_EACH, {**row, "request_ids": request_ids})


async def entries(
    session: AsyncSession, request_id: int, *, after: tuple[datetime, int] | None, limit: int
) -> list[Any]:
    """Up to `limit` rows (entry, administration, user, key_name) of the request, newest first,
    strictly after the keyset position `after` (at, id) when given."""
    stmt = _ENTRIES.where(AccessLogEntry.request_id == request_id)
    if after is not None:
        moment, row_id = after
        stmt = stmt.where(tuple_(AccessLogEntry.at, AccessLogEntry.id) < tuple_(moment, row_id))
    return list((await session.execute(stmt.limit(limit))).all())
