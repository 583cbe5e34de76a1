"""Who read my file (law 09-08): every staff or integration read of a request's personal data
is one INSERT in the reading transaction; the citizen sees the administration, the role and
the moment, never a staff member's name or id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.repositories import access_log as repository
from app.schemas.access_log import (
    AccessLogItem,
    AccessLogPage,
    StaffAccessLogItem,
    StaffAccessLogPage,
)
from app.schemas.requests import AdministrationRef, StaffRef
from app.services.backoffice import _decode_cursor, _encode_cursor
from app.services.lifecycle import Actor

WHAT = ("detail", "messages", "attachments", "download")


def logged(actor: Actor) -> bool:
    """Staff reads are logged; the citizen's own reads are not."""
    return actor.is_staff


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
    assert what in WHAT
    await repository.record(
        session,
        request_id=request_id,
        at=now,
        role=actor.role.value,
        administration_id=actor.administration_id,
        user_id=actor.user_id,
        api_key_id=api_key_id,
        what=what,
    )


async def record_staff_read(
    session: AsyncSession, request_id: int, actor: Actor, what: str, now: datetime
) -> None:
    if logged(actor):
        await record(session, request_id, actor, what, now)


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
