"""The tracking lookup: a request's id and contacts by its number, nothing else loaded."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.request import Request

_CONTACTS_BY_NUMBER = select(Request.id, Request.email, Request.phone).where(
    Request.tracking_number == bindparam("number")
)

ContactsRow = Row[int, str | None, str | None]


async def contacts_by_number(session: AsyncSession, number: str) -> ContactsRow | None:
    """`id`, `email` and `phone` of the request with this tracking number."""
    row: ContactsRow | None = (
        await session.execute(_CONTACTS_BY_NUMBER, {"number": number})
    ).one_or_none()
    return row
