"""Statements on canned responses: an administration's page by code, one response, the code
an action names within the request's administration; and the administrations they belong to."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.canned_response import CannedResponse
from app.models.catalogue import Administration

_ADMINISTRATION_BY_CODE = select(Administration).where(Administration.code == bindparam("code"))
_BY_CODE = select(CannedResponse).where(
    CannedResponse.administration_id == bindparam("administration_id"),
    CannedResponse.code == bindparam("code"),
)


async def administration_by_code(session: AsyncSession, code: str) -> Administration | None:
    return await session.scalar(_ADMINISTRATION_BY_CODE, {"code": code})


async def administration(session: AsyncSession, administration_id: int) -> Administration:
    return await session.get_one(Administration, administration_id)


async def page(
    session: AsyncSession, administration_id: int, *, after: str | None, limit: int
) -> list[CannedResponse]:
    """Up to `limit` of the administration's responses by code, after the code `after`."""
    stmt = (
        select(CannedResponse)
        .where(CannedResponse.administration_id == administration_id)
        .order_by(CannedResponse.code)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(CannedResponse.code > after)
    return list((await session.scalars(stmt)).all())


async def get(session: AsyncSession, response_id: int) -> CannedResponse | None:
    return await session.get(CannedResponse, response_id)


async def by_code(
    session: AsyncSession, administration_id: int, code: str
) -> CannedResponse | None:
    """The administration's response with this code."""
    return await session.scalar(_BY_CODE, {"administration_id": administration_id, "code": code})


async def remove(session: AsyncSession, response: CannedResponse) -> None:
    await session.delete(response)
    await session.flush()
