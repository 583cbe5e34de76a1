"""The receipt check: a request by its receipt code, with its administration and service."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.request import Request

_BY_RECEIPT_CODE = (
    select(Request)
    .where(Request.receipt_code == bindparam("code"))
    .options(selectinload(Request.administration), selectinload(Request.service))
)


async def by_receipt_code(session: AsyncSession, code: str) -> Request | None:
    return (await session.scalars(_BY_RECEIPT_CODE, {"code": code})).one_or_none()
