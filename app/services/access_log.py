"""Who read my file (law 09-08): every read of a request's personal data by staff, by an
operator's assisted tracking token or by an integration key is one INSERT in the reading
transaction (a CSV export with personal data: one row per request exported, before it is
sent); the citizen sees the administration, the role and the moment, never a staff member's
name or id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.actors import Actor
from app.models.enums import Role
from app.repositories import access_log as repository
from app.repositories.driver import Direct
from app.schemas.access_log import (
    AccessLogItem,
    AccessLogPage,
    StaffAccessLogItem,
    StaffAccessLogPage,
)
from app.schemas.requests import AdministrationRef, StaffRef
from app.services.backoffice import _decode_cursor, _encode_cursor

WHAT = ("detail", "messages", "attachments", "download", "export")


def logged(actor: Actor) -> bool:
    """Staff reads are logged, and an operator's through an assisted tracking token; the
    citizen's own reads are not."""
    return actor.is_staff or actor.assisted_by is not None


def _row(actor: Actor, what: str, now: datetime, api_key_id: int | None) -> dict[str, Any]:
    """The entry's columns but the request: an assisted token's read is the operator's."""
    assert what in WHAT
    assisted = actor.assisted_by is not None
    return {
        "at": now,
        "role": Role.operator.value if assisted else actor.role.value,
        "administration_id": actor.administration_id,
        "user_id": actor.assisted_by if assisted else actor.user_id,
        "api_key_id": api_key_id if api_key_id is not None else actor.api_key_id,
        "what": what,
    }


async def record(
    session: AsyncSession,
    request_id: int,
    actor: Actor,
    what: str,
    now: datetime,
    *,
    api_key_id: int | None = None,
) -> None:
    """One INSERT per read (on a read-only route's autocommit session it commits by itself)."""
    await repository.record(
        session, [{**_row(actor, what, now, api_key_id), "request_id": request_id}]
    )


async def record_many(
    session: AsyncSession,
    request_ids: Sequence[int],
    actor: Actor,
    what: str,
    now: datetime,
    *,
    api_key_id: int | None = None,
) -> None:
    """One multi-row INSERT for a page of requests read at once (Open311's list, a CSV
    export's chunk)."""
    if request_ids:
        row = _row(actor, what, now, api_key_id)
        await repository.record(session, [{**row, "request_id": rid} for rid in request_ids])


async def record_staff_read(
    session: AsyncSession, request_id: int, actor: Actor, what: str, now: datetime
) -> None:
    if logged(actor):
        await record(session, request_id, actor, what, now)


async def record_many_on_driver(
    direct: Direct, request_ids: Sequence[int], actor: Actor, what: str, now: datetime
) -> None:
    """`record_many` on the driver, one INSERT committed by itself: for the reads that run
    without a session, and for a CSV export's chunk, written while the export's own session
    streams (a second session would hold a second connection of the same pool)."""
    if request_ids:
        await repository.record_each(direct, list(request_ids), _row(actor, what, now, None))


async def record_staff_read_direct(
    direct: Direct, request_id: int, actor: Actor, what: str, now: datetime
) -> None:
    """`record_staff_read` for the reads that run on the driver, without a session."""
    if logged(actor):
        await record_many_on_driver(direct, [request_id], actor, what, now)


async def _page(
    session: AsyncSession, request_id: int, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Newest first, keyset-paginated on (at, id)."""
    after = _decode_cursor(cursor) if cursor else None
    rows = await repository.entries(session, request_id, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = _encode_cursor(last.at, last.id)
    return rows[:limit], next_cursor


def _item(row: Any) -> AccessLogItem:
    entry, administration = row[0], row[1]
    return AccessLogItem(
        at=entry.at,
        role=entry.role,
        administration=AdministrationRef(code=administration.code, name=administration.name)
        if administration is not None
        else None,
        what=entry.what,
    )


async def for_citizen(
    session: AsyncSession, request_id: int, *, cursor: str | None, limit: int
) -> AccessLogPage:
    """When, which administration and which role: never who."""
    rows, next_cursor = await _page(session, request_id, cursor, limit)
    return AccessLogPage(items=[_item(row) for row in rows], next_cursor=next_cursor)


async def for_staff(
    session: AsyncSession, request_id: int, *, cursor: str | None, limit: int
) -> StaffAccessLogPage:
    """The same entries with the reader's name, or the integration key's."""
    rows, next_cursor = await _page(session, request_id, cursor, limit)
    items = [
        StaffAccessLogItem(
            **_item(row).model_dump(),
            reader=StaffRef(id=row[2].id, full_name=row[2].full_name, role=row[2].role)
            if row[2] is not None
            else None,
            api_key=row.key_name,
        )
        for row in rows
    ]
    return StaffAccessLogPage(items=items, next_cursor=next_cursor)
