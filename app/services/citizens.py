"""The citizen's own space: every request bearing the contact their session verified."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration
from app.models.request import Request
from app.schemas.citizens import MyRequest, MyRequestsPage
from app.schemas.requests import AdministrationRef
from app.services.backoffice import _decode_cursor, _encode_cursor
from app.services.lifecycle import Actor


def owned_by(actor: Actor) -> ColumnElement[bool]:
    """The one indexed comparison (`ix_requests_email_lower`, `ix_requests_phone`) that
    `visibility.contact_matches` makes in Python."""
    if actor.email is not None:
        return func.lower(Request.email) == actor.email
    if actor.phone is not None:
        return Request.phone == actor.phone
    raise ValueError("not a citizen session")


def _mine(actor: Actor) -> Select[Request, Administration]:
    return (
        select(Request, Administration)
        .join(Administration, Administration.id == Request.administration_id)
        .where(owned_by(actor))
        .order_by(Request.created_at.desc(), Request.id.desc())
    )


async def my_requests(
    session: AsyncSession, actor: Actor, *, cursor: str | None, limit: int
) -> MyRequestsPage:
    """Newest first, by keyset: a page never skips nor repeats a request filed meanwhile."""
    stmt = _mine(actor)
    if cursor:
        moment, row_id = _decode_cursor(cursor)
        stmt = stmt.where(tuple_(Request.created_at, Request.id) < tuple_(moment, row_id))
    rows = (await session.execute(stmt.limit(limit + 1))).all()
    items = [
        MyRequest(
            tracking_number=request.tracking_number,
            kind=request.kind,
            state=request.state,
            administration=AdministrationRef(code=administration.code, name=administration.name),
            created_at=request.created_at,
            due_at=request.due_at,
        )
        for request, administration in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = _encode_cursor(last.created_at, last.id)
    return MyRequestsPage(items=items, next_cursor=next_cursor)
