"""Reads of the Open311 facade: the active services, a page of requests in one statement with
only the columns shown, and the token lookup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
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
        case((Request.administration_id == _OWNER, Request.tracking_number)).label(
            "tracking_number"
        ),
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


async def services(
    session: AsyncSession, codes: Iterable[str] | None = None
) -> list[tuple[Administration, Service]]:
    """Active services with their administration, by code (`ADMINISTRATION-service`) or all,
    ordered by those codes."""
    stmt = (
        select(Administration, Service)
        .join(Service, Service.administration_id == Administration.id)
        .where(Service.active)
        .order_by(Administration.code, Service.code)
    )
    if codes is not None:
        stmt = stmt.where((Administration.code + "-" + Service.code).in_(list(codes)))
    return [(a, s) for a, s in (await session.execute(stmt)).all()]


async def public_id(session: AsyncSession, value: str) -> str | None:
    """The public id `value`, if a request bears it."""
    found: str | None = await session.scalar(
        select(Request.public_id).where(Request.public_id == value)
    )
    return found


@dataclass(frozen=True)
class RequestFilter:
    """Which requests a page holds: public ids (then nothing else counts), or a range of
    `received_at` with optional services and states."""

    public_ids: Sequence[str] | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    service_ids: Sequence[int] | None = None
    states: Sequence[str] | None = None  # only these
    not_states: Sequence[str] | None = None  # all but these


def _conditions(found: RequestFilter) -> list[ColumnElement[bool]]:
    if found.public_ids is not None:
        return [Request.public_id.in_(found.public_ids)]
    conditions: list[ColumnElement[bool]] = []
    if found.received_from is not None:
        conditions.append(Request.received_at >= found.received_from)
    if found.received_to is not None:
        conditions.append(Request.received_at <= found.received_to)
    if found.service_ids is not None:
        conditions.append(Request.service_id.in_(found.service_ids))
    if found.states is not None:
        conditions.append(Request.state.in_(found.states))
    if found.not_states is not None:
        conditions.append(Request.state.not_in(found.not_states))
    return conditions


async def request_page(
    session: AsyncSession,
    found: RequestFilter,
    *,
    owner: int | None,
    limit: int,
    offset: int,
) -> Sequence[Row[Any]]:
    """Requests matching `found`, newest first (by `received_at`, which
    `ix_requests_received (received_at, id)` serves with the date range); the full fields only
    for the administration `owner` (the integration key's)."""
    stmt = (
        _PAGE.where(*_conditions(found))
        .order_by(Request.received_at.desc(), Request.id.desc())
        .limit(limit)
        .offset(offset)
    )
    connection = await session.connection()
    result = await connection.execute(stmt, {"owner": owner})
    return cast("Sequence[Row[Any]]", result.all())  # rows read by name
