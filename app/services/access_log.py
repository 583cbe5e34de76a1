"""Who read my file (law 09-08): every staff or integration read of a request's personal data
is one INSERT in the reading transaction; the citizen sees the administration, the role and
the moment, never a staff member's name or id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.access_log import AccessLogEntry
from app.models.catalogue import Administration
from app.schemas.access_log import AccessLogItem, AccessLogPage
from app.schemas.requests import AdministrationRef
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
    await session.execute(
        insert(AccessLogEntry).values(
            request_id=request_id,
            at=now,
            role=actor.role.value,
            administration_id=actor.administration_id,
            user_id=actor.user_id,
            api_key_id=api_key_id,
            what=what,
        )
    )


async def record_staff_read(
    session: AsyncSession, request_id: int, actor: Actor, what: str, now: datetime
) -> None:
    if logged(actor):
        await record(session, request_id, actor, what, now)


async def for_citizen(
    session: AsyncSession, request_id: int, *, cursor: str | None, limit: int
) -> AccessLogPage:
    """Newest first, keyset-paginated on (at, id)."""
    stmt = (
        select(AccessLogEntry, Administration)
        .outerjoin(Administration, Administration.id == AccessLogEntry.administration_id)
        .where(AccessLogEntry.request_id == request_id)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    )
    if cursor:
        moment, row_id = _decode_cursor(cursor)
        stmt = stmt.where(tuple_(AccessLogEntry.at, AccessLogEntry.id) < tuple_(moment, row_id))
    rows = (await session.execute(stmt.limit(limit + 1))).all()
    items = [
        AccessLogItem(
            at=entry.at,
            role=entry.role,
            administration=AdministrationRef(code=administration.code, name=administration.name)
            if administration is not None
            else None,
            what=entry.what,
        )
        for entry, administration in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = _encode_cursor(last.at, last.id)
    return AccessLogPage(items=items, next_cursor=next_cursor)
