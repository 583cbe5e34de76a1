"""Statements on a citizen's own requests: those bearing the contact their session verified,
matched by the one indexed comparison (`ix_requests_email_lower`, `ix_requests_phone`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.catalogue import Administration
from app.models.request import Request


def owned_by(email: str | None, phone: str | None) -> ColumnElement[bool]:
    """The SQL twin of `visibility.contact_matches`: the session's verified email (already
    lower-cased) or phone."""
    if email is not None:
        return func.lower(Request.email) == email
    if phone is not None:
        return Request.phone == phone
    raise ValueError("not a citizen session")


def _mine(email: str | None, phone: str | None) -> Select[Request, Administration]:
    return (
        select(Request, Administration)
        .join(Administration, Administration.id == Request.administration_id)
        .where(owned_by(email, phone))
        .order_by(Request.created_at.desc(), Request.id.desc())
    )


async def page(
    session: AsyncSession,
    email: str | None,
    phone: str | None,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Row[Request, Administration]]:
    """Up to `limit` (request, administration) rows, newest first, strictly after the keyset
    position `after` (created_at, id) when given."""
    stmt = _mine(email, phone)
    if after is not None:
        moment, row_id = after
        stmt = stmt.where(tuple_(Request.created_at, Request.id) < tuple_(moment, row_id))
    return list((await session.execute(stmt.limit(limit))).all())


async def loaded(
    session: AsyncSession, email: str | None, phone: str | None, limit: int
) -> list[Request]:
    """The most recent `limit` requests with their administration, service, assignee and
    operator loaded (the export's)."""
    stmt = (
        select(Request)
        .where(owned_by(email, phone))
        .order_by(Request.created_at.desc(), Request.id.desc())
        .options(
            selectinload(Request.administration),
            selectinload(Request.service),
            selectinload(Request.assignee),
            selectinload(Request.operator),
        )
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def ids(session: AsyncSession, email: str | None, phone: str | None, limit: int) -> list[int]:
    """The ids of at most `limit` of the contact's requests, oldest first."""
    stmt = select(Request.id).where(owned_by(email, phone)).order_by(Request.id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def get(session: AsyncSession, request_id: int) -> Request:
    """The request by id (from the identity map when loaded); raises when there is none."""
    return await session.get_one(Request, request_id)
