"""Reads of the Open311 facade: a page of requests in one statement, only the columns shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, Row, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import Role
from app.models.request import Message, Request, RequestEvent

# When each request last changed in a way its citizen sees: staff's internal work (notes,
# assignments) must not show through `updated_datetime`. `ix_request_events_request` serves it.
_LAST_PUBLIC_CHANGE = (
    select(func.max(RequestEvent.created_at))
    .where(RequestEvent.request_id == Request.id, RequestEvent.public.is_(True))
    .correlate(Request)
    .scalar_subquery()
)
# `status_notes`: the administration's latest message the citizen can read.
_LAST_PUBLIC_REPLY = (
    select(Message.body)
    .where(
        Message.request_id == Request.id,
        Message.internal.is_(False),
        Message.author_role != Role.citizen.value,
    )
    .order_by(Message.id.desc())
    .limit(1)
    .correlate(Request)
    .scalar_subquery()
)
_OWNER = bindparam("owner", type_=Integer)

_PAGE = (
    select(
        Request.id,
        Request.public_id,
        Request.state,
        Request.administration_id,
        Request.received_at,
        Request.created_at,
        Request.updated_at,
        Request.closed_at,
        Request.due_at,
        (Request.administration_id == _OWNER).label("owned"),
        # Only the owning administration's key sees these; CASE keeps PostgreSQL from even
        # reading them for the others.
        case((Request.administration_id == _OWNER, Request.description)).label("description"),
        case((Request.administration_id == _OWNER, Request.address)).label("address"),
        case((Request.administration_id == _OWNER, Request.latitude)).label("latitude"),
        case((Request.administration_id == _OWNER, Request.longitude)).label("longitude"),
        case((Request.administration_id == _OWNER, _LAST_PUBLIC_REPLY)).label("status_notes"),
        _LAST_PUBLIC_CHANGE.label("last_public_change"),
        Administration.code.label("administration_code"),
        Administration.name.label("administration_name"),
        Service.code.label("service_code"),
        Service.name.label("service_name"),
    )
    .select_from(Request)
    .join(Administration, Administration.id == Request.administration_id)
    .outerjoin(Service, Service.id == Request.service_id)
)


async def request_page(
    session: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    *,
    owner: int | None,
    limit: int,
    offset: int,
) -> Sequence[Row[Any]]:
    """Requests matching `conditions`, newest first (by `received_at`, which
    `ix_requests_received (received_at, id)` serves with the date range); the full fields only
    for the administration `owner` (the integration key's)."""
    stmt = (
        _PAGE.where(*conditions)
        .order_by(Request.received_at.desc(), Request.id.desc())
        .limit(limit)
        .offset(offset)
    )
    connection = await session.connection()
    result = await connection.execute(stmt, {"owner": owner})
    return cast("Sequence[Row[Any]]", result.all())  # rows read by name
