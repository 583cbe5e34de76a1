"""The CSV export's statement: requests with their administration's and service's codes,
oldest first, fetched from a server cursor in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.request import Request

_ROWS = (
    select(Request, Administration.code, Service.code)
    .join(Administration, Administration.id == Request.administration_id)
    .outerjoin(Service, Service.id == Request.service_id)
    .order_by(Request.created_at, Request.id)
    .execution_options(yield_per=500)
)


async def stream(
    session: AsyncSession, administration_id: int | None
) -> AsyncIterator[tuple[Request, str, str | None]]:
    """(request, administration code, service code) of every request, or of one
    administration's, streamed 500 at a time."""
    stmt = _ROWS
    if administration_id is not None:
        stmt = stmt.where(Request.administration_id == administration_id)
    result = await session.stream(stmt)
    async for request, administration_code, service_code in result:
        yield request, administration_code, service_code
