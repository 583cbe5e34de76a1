"""Public statistics (chikaya.ma's six indicators), scoped statistics and exports for staff."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.responses import StreamingResponse

from app.deps import CurrentStaff, ReadOnly, Session
from app.errors import (
    AdministrationNotFound,
    FieldError,
    Forbidden,
    InvalidToken,
    ServiceNotFound,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from app.models.enums import Kind, Role
from app.routers import make_router
from app.schemas.statistics import ScopedStatisticsOut, StatisticsOut
from app.services import catalogue, clock, exports, stats

router = make_router(tags=["statistics"])

Month = Annotated[
    str | None,
    Query(
        pattern=r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$",
        description="YYYY-MM, 1900 to 2999",
        examples=["2026-01"],
    ),
]


def _month(value: str | None) -> date | None:
    return date(int(value[:4]), int(value[5:7]), 1) if value else None


def _period(from_month: str | None, to_month: str | None) -> tuple[date | None, date | None]:
    start, end = _month(from_month), _month(to_month)
    if start and end and start > end:
        raise ValidationFailed(errors=[FieldError("from", "after_to")])
    return start, end


async def _scope(
    session: Session,
    administration: str | None,
    service: str | None,
    kind: Kind | None,
    from_month: str | None,
    to_month: str | None,
) -> stats.Scope:
    if service and not administration:
        raise ValidationFailed(errors=[FieldError("service", "service_needs_administration")])
    start, end = _period(from_month, to_month)
    administration_id = service_id = None
    if administration:
        found = await catalogue.find_administration(session, administration)
        if found is None:
            raise AdministrationNotFound(params={"code": administration})
        administration_id = found.id
        if service:
            service_id = await stats.service_id(session, found.id, service)
            if service_id is None:
                raise ServiceNotFound(params={"code": service})
    return stats.Scope(administration_id, service_id, kind, start, end)


def _not_modified(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110: `*`, or any tag of the list, compared weakly (`W/` ignored)."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


@router.get(
    "/api/v1/statistics",
    summary="Public indicators",
    operation_id="getStatistics",
    dependencies=[ReadOnly],
    response_model=StatisticsOut,
    responses={
        304: {"description": "Not modified (If-None-Match)."},
        **error_responses(AdministrationNotFound, ServiceNotFound, ValidationFailed),
    },
)
async def public_statistics(
    request: Request,
    session: Session,
    administration: Annotated[str | None, Query(max_length=32, examples=["ACAPS"])] = None,
    service: Annotated[
        str | None, Query(max_length=48, description="With `administration`.")
    ] = None,
    kind: Kind | None = None,
    from_month: Annotated[Month, Query(alias="from")] = None,
    to_month: Annotated[Month, Query(alias="to")] = None,
) -> Response:
    """The portal's indicators — received, processed, reopened, escalated (deadlines missed),
    average processing days, processed %, satisfaction % — overall or for an administration, a
    service, a kind and a period of months of receipt; with a ranking of administrations and a
    monthly series.

    Each request counts in the month it was received (its cohort): "processed %" of a month is
    the share of that month's requests processed so far. *Processed* means a first answer,
    acknowledgement or rejection (a withdrawal is not processed); the processing time runs
    from receipt to that first answer; *satisfaction* is the share of ratings of 4 or 5 on the
    1–5 scale among rated answers. Counters are kept with each event, so the answer costs a
    sum over a small table, never a scan of requests. Cached for a minute; `ETag` supported."""
    scope = await _scope(session, administration, service, kind, from_month, to_month)
    # The JSON bytes as pydantic-core writes them (fields in a fixed order: a stable ETag).
    raw = await stats.public_json(session, scope, request.app.state.direct)
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
    if _not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(raw, media_type="application/json", headers=headers)


async def _staff_administration(
    session: Session, actor: CurrentStaff, administration: str | None
) -> str | None:
    if actor.role is Role.national_admin:
        return administration
    if actor.role is not Role.supervisor:
        raise Forbidden()
    if administration:  # a supervisor's scope is their own administration, and only that
        found = await catalogue.find_administration(session, administration)
        if found is None or found.id != actor.administration_id:
            raise Forbidden()
    return None  # resolved from the actor


@router.get(
    "/api/v1/backoffice/statistics",
    summary="Indicators of my scope, with overdue and escalated counts",
    operation_id="getScopedStatistics",
    responses=error_responses(
        Unauthorized, InvalidToken, Forbidden, AdministrationNotFound, ValidationFailed
    ),
)
async def scoped_statistics(
    actor: CurrentStaff,
    session: Session,
    administration: Annotated[
        str | None,
        Query(max_length=32, description="National admins; a supervisor only their own."),
    ] = None,
    kind: Kind | None = None,
    from_month: Annotated[Month, Query(alias="from")] = None,
    to_month: Annotated[Month, Query(alias="to")] = None,
) -> ScopedStatisticsOut:
    """A supervisor gets their administration's indicators; a national admin gets the whole
    portal or one administration. Both see how many open requests are overdue and how many
    are escalated right now."""
    code = await _staff_administration(session, actor, administration)
    if actor.role is Role.supervisor:
        scope = stats.Scope(actor.administration_id, None, kind, *_period(from_month, to_month))
        ids: list[int] | None = [actor.administration_id] if actor.administration_id else []
    else:
        scope = await _scope(session, code, None, kind, from_month, to_month)
        ids = [scope.administration_id] if scope.administration_id else None
    computed = await stats.compute(session, scope)
    return ScopedStatisticsOut(
        **computed,
        overdue=await stats.overdue_counts(session, ids, clock.now()),
        escalated_open=await stats.escalated_counts(session, ids),
    )


@router.get(
    "/api/v1/backoffice/requests.csv",
    summary="Export my requests as CSV",
    operation_id="exportRequests",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}},
        **error_responses(Unauthorized, InvalidToken, Forbidden, AdministrationNotFound),
    },
)
async def export_requests(
    actor: CurrentStaff,
    request: Request,
    session: Session,
    administration: Annotated[
        str | None,
        Query(
            max_length=32,
            description="National admins: one administration's requests, with personal data "
            "(each line in its request's access log).",
            examples=["ACAPS"],
        ),
    ] = None,
) -> StreamingResponse:
    """Streamed from a server-side cursor, however many rows. Supervisors export their
    administration's requests with the tracking numbers, subjects and complainants' contacts
    (they handle them), each request's line written to its access log (`export`) before it
    is sent. National admins export every administration's requests without personal data
    (law 09-08): each row is known by its public `reference`, and free text, which may name
    people, stays out; with `administration`, that one's requests as its supervisors get
    them, logged alike (oversight reads any request, and every read is on record)."""
    if actor.role is Role.supervisor:
        if administration is not None:
            await _staff_administration(session, actor, administration)
        administration_id, personal = actor.administration_id, True
    elif actor.role is Role.national_admin and administration is not None:
        found = await catalogue.find_administration(session, administration)
        if found is None:
            raise AdministrationNotFound(params={"code": administration})
        administration_id, personal = found.id, True
    elif actor.role is Role.national_admin:
        administration_id, personal = None, False
    else:
        raise Forbidden()
    body = exports.rows(
        request.app.state.sessionmaker,
        request.app.state.direct,
        administration_id=administration_id,
        personal=personal,
        now=clock.now(),
        reader=actor,  # each request exported with personal data is in its access log
    )
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="requests.csv"'},
    )
