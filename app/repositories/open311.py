"""Reads of the Open311 facade: the active services, a page of requests in one statement with
only the columns shown (on the driver, no session), and the token lookup."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, String, all_, any_, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import Role
from app.models.request import Message, Request, RequestEvent
from app.repositories import driver
from app.repositories.driver import Direct

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
# Names in the caller's language only: PostgreSQL picks it out, no name is decoded whole.
_LANGUAGE = bindparam("language", type_=String)

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
        Administration.name.op("->>")(_LANGUAGE).label("administration_name"),
        Service.code.label("service_code"),
        Service.name.op("->>")(_LANGUAGE).label("service_name"),
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
    # A range has both ends (the facade always sets them: 90 days at most).
    received_from: datetime | None = None
    received_to: datetime | None = None
    service_ids: Sequence[int] | None = None
    states: Sequence[str] | None = None  # only these
    not_states: Sequence[str] | None = None  # all but these


# Each filter compares with an array parameter (`= ANY`, not an expanding `IN` list), so that a
# page's SQL depends only on which filters it has: one statement per shape, compiled at import.
_IDS = Request.public_id == any_(bindparam("public_ids", type_=ARRAY(String)))
_RANGE = (
    Request.received_at >= bindparam("received_from", type_=Request.received_at.type),
    Request.received_at <= bindparam("received_to", type_=Request.received_at.type),
)
_SERVICES = Request.service_id == any_(bindparam("service_ids", type_=ARRAY(Integer)))
_STATES = {
    "in": Request.state == any_(bindparam("states", type_=ARRAY(String))),
    "not_in": Request.state != all_(bindparam("states", type_=ARRAY(String))),
}
States = Literal["in", "not_in"] | None
Shape = tuple[bool, bool, States]  # by ids; by services; by states (in, not in)


def _conditions(shape: Shape) -> list[ColumnElement[bool]]:
    by_ids, by_services, states = shape
    if by_ids:
        return [_IDS]
    conditions: list[ColumnElement[bool]] = list(_RANGE)
    if by_services:
        conditions.append(_SERVICES)
    if states is not None:
        conditions.append(_STATES[states])
    return conditions


def _page(shape: Shape) -> driver.Compiled:
    return driver.Compiled(
        _PAGE.where(*_conditions(shape))
        .order_by(Request.received_at.desc(), Request.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


_SHAPES: tuple[Shape, ...] = (
    (True, False, None),
    *itertools.product((False,), (False, True), (None, "in", "not_in")),
)
_PAGES = {shape: _page(shape) for shape in _SHAPES}


async def request_page(
    direct: Direct,
    found: RequestFilter,
    *,
    owner: int | None,
    language: str,
    limit: int,
    offset: int,
) -> list[Any]:
    """Requests matching `found`, newest first (by `received_at`, which
    `ix_requests_received (received_at, id)` serves with the date range), names in `language`;
    the full fields only for the administration `owner` (the integration key's). Rows read by
    name, on the driver."""
    params: dict[str, Any] = {"owner": owner, "language": language, "limit": limit}
    params["offset"] = offset
    states: States = None
    if found.public_ids is not None:
        shape: Shape = (True, False, None)
        params["public_ids"] = list(found.public_ids)
    else:
        if found.received_from is None or found.received_to is None:
            raise ValueError("a range of requests needs both its ends")
        params["received_from"] = found.received_from
        params["received_to"] = found.received_to
        if found.service_ids is not None:
            params["service_ids"] = list(found.service_ids)
        if found.states is not None:
            states, params["states"] = "in", list(found.states)
        elif found.not_states is not None:
            states, params["states"] = "not_in", list(found.not_states)
        shape = (False, found.service_ids is not None, states)
    return await driver.fetch_all(direct, _PAGES[shape], params)
