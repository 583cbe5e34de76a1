"""Turning requests into what each caller may see (personal data only to those entitled)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.models.base import loaded
from app.models.catalogue import Administration, Service
from app.models.request import Message, Request
from app.models.user import User
from app.schemas.requests import (
    AdministrationRef,
    ComplainantOut,
    EventOut,
    Location,
    MessageOut,
    Rating,
    RatingDimensions,
    RequestDetail,
    ServiceRef,
    StaffRef,
)
from app.services import catalogue, lifecycle
from app.services import requests as service_module
from app.services.lifecycle import Policy


def staff_ref(user: User | None) -> StaffRef | None:
    return StaffRef(id=user.id, full_name=user.full_name, role=user.role) if user else None


def administration_ref(request: Request) -> AdministrationRef:
    admin = request.administration
    return AdministrationRef(code=admin.code, name=admin.name)


def service_ref(request: Request) -> ServiceRef | None:
    svc = request.service
    return ServiceRef(code=svc.code, name=svc.name) if svc else None


def location_of(request: Request) -> Location | None:
    if request.address is None and request.latitude is None:
        return None
    return Location(address=request.address, lat=request.latitude, long=request.longitude)


def message_out(message: Message, name: str | None, actor: Actor) -> MessageOut:
    return MessageOut(
        id=message.id,
        author=message.author_role,
        author_name=name if actor.is_staff else None,
        body=message.body,
        internal=message.internal,
        created_at=message.created_at,
    )


def _render(
    request: Request,
    *,
    administration: AdministrationRef,
    service: ServiceRef | None,
    assignee: StaffRef | None,
    operator: StaffRef | None,
    history: list[EventOut],
    policy: Policy,
    visible: bool,
    actor: Actor,
    now: datetime,
    duplicate_of: str | None = None,
    duplicates: list[str] | None = None,
) -> RequestDetail:
    rating = (
        Rating(
            score=request.rating_score,
            comment=request.rating_comment,
            dimensions=RatingDimensions(**request.rating_dimensions)
            if request.rating_dimensions
            else None,
            rated_at=request.rated_at,
        )
        if request.rating_score is not None and request.rated_at is not None
        else None
    )
    internal = service_module.sees_internal(actor)
    staff = actor.is_staff
    return RequestDetail(
        tracking_number=request.tracking_number,
        kind=request.kind,
        state=request.state,
        version=request.version,
        administration=administration,
        service=service,
        subject=request.subject,
        description=request.description,
        attributes=request.attributes,
        channel=request.channel,
        language=request.language,
        complainant=ComplainantOut(
            person_type=request.person_type,
            full_name=request.full_name,
            organization_name=request.organization_name,
            email=request.email,
            phone=request.phone,
            national_id=request.national_id,
            country=request.country,
            contact_verified=request.verified_contact is not None,
            verified_contact=request.verified_contact,
        ),
        location=location_of(request),
        created_at=request.created_at,
        received_at=request.received_at,
        updated_at=request.updated_at,
        due_at=request.due_at,
        clock_paused=request.paused_at is not None,
        overdue=service_module.is_overdue(request, now),
        escalation_level=request.escalation_level if staff else None,
        escalated_at=request.escalated_at if staff else None,
        answered_at=request.answered_at,
        closed_at=request.closed_at,
        reopen_count=request.reopen_count,
        reopen_until=service_module.reopen_until(request, policy),
        rejection_reason=request.rejection_reason,
        urgent=request.urgent,
        extension_count=request.extension_count,
        outcome=request.outcome,
        legal_ground=request.refusal_ground,
        rating=rating,
        assignee=assignee if internal else None,
        operator=operator if staff else None,
        duplicate_of=duplicate_of if staff else None,
        duplicates=duplicates if staff else None,
        # After a transfer the request has left the actor's queue: nothing more to offer.
        allowed_actions=lifecycle.allowed_actions(request, actor, policy, now) if visible else [],
        history=history,
    )


async def detail(
    session: AsyncSession, request: Request, actor: Actor, settings: Settings, now: datetime
) -> RequestDetail:
    """The view of a request loaded as an ORM object (after an action changed it)."""
    policy = await service_module.policy_of(session, request, settings)
    extras = await service_module.view_extras(session, request, actor)
    staff_view = actor.is_staff
    return _render(
        request,
        administration=administration_ref(request),
        service=service_ref(request),
        assignee=staff_ref(request.assignee),
        operator=staff_ref(request.operator),
        history=[
            EventOut(**event) if staff_view else EventOut(**{**event, "actor_name": None})
            for event in extras.history
        ],
        policy=policy,
        visible=service_module.can_see(actor, request),
        actor=actor,
        now=now,
        duplicate_of=extras.duplicate_of if staff_view else None,
        duplicates=list(extras.duplicates) if staff_view else None,
    )


def _staff_fields(user_id: int | None, name: str | None, role: str | None) -> dict[str, Any] | None:
    """A `StaffRef`'s fields from a row's columns, None when the row names nobody."""
    if user_id is None or name is None or role is None:
        return None
    return {"id": user_id, "full_name": name, "role": role}


def _ref(user_id: int | None, name: str | None, role: str | None) -> StaffRef | None:
    fields = _staff_fields(user_id, name, role)
    return None if fields is None else StaffRef(**fields)


def detail_of(row: Row[Any], actor: Actor, settings: Settings, now: datetime) -> RequestDetail:
    """The view of a request read by `repositories.requests.get_detail` (one statement)."""
    # The row holds the request's columns by name (`DETAIL_FIELDS`): the lifecycle's guards
    # and the rendering read it as they read a loaded request, at a tuple's cost.
    request = cast(Request, row)
    administration = loaded(
        Administration,
        {
            "answer_days": row.administration_answer_days,
            "reopen_window_days": row.administration_reopen_window_days,
            "max_reopens": row.administration_max_reopens,
        },
    )
    service = (
        loaded(
            Service,
            {
                "answer_days": row.service_answer_days,
                "reopen_window_days": row.service_reopen_window_days,
            },
        )
        if row.service_id is not None
        else None
    )
    policy = catalogue.policy_for(
        administration, service, settings, kind=row.kind, urgent=row.urgent
    )
    staff_view = actor.is_staff
    history = [
        EventOut(**event) if staff_view else EventOut(**{**event, "actor_name": None})
        for event in row.history
    ]
    return _render(
        request,
        administration=AdministrationRef(
            code=row.administration_code, name=row.administration_name
        ),
        service=ServiceRef(code=row.service_code, name=row.service_name)
        if row.service_id is not None
        else None,
        assignee=_ref(row.assignee_id, row.assignee_name, row.assignee_role),
        operator=_ref(row.operator_id, row.operator_name, row.operator_role),
        history=history,
        policy=policy,
        visible=True,  # the statement returns only what the actor may see
        actor=actor,
        now=now,
        duplicate_of=row.duplicate_of,
        duplicates=row.duplicates,
    )


def queue_page_json(rows: Sequence[Row[Any]], now: datetime, next_cursor: str | None) -> bytes:
    """A page of the queue from rows of `repositories.requests.queue_page`: the JSON of
    `Page[RequestSummary]` (the route's documented response), byte for byte what pydantic
    writes of it, written by orjson straight from the rows (twenty summaries validated only to
    be serialized were a sixth of the page's CPU). The columns arrive typed (enum members,
    aware datetimes, which orjson writes as pydantic does: UTC as `Z`); the keys are the
    schema's, in its order."""
    page = {"items": [_summary(row, now) for row in rows], "next_cursor": next_cursor}
    return orjson.dumps(page, option=orjson.OPT_UTC_Z)


def _summary(row: Row[Any], now: datetime) -> dict[str, Any]:
    """A `RequestSummary` of one row, as a dict of its fields."""
    return {
        "tracking_number": row.tracking_number,
        "kind": row.kind,
        "state": row.state,
        "administration": row.administration_code,
        "service": row.service_code,
        "subject": row.subject,
        "channel": row.channel,
        "created_at": row.created_at,
        "due_at": row.due_at,
        "overdue": service_module.overdue(row.state, row.due_at, now),
        "escalation_level": row.escalation_level,
        "assignee": _staff_fields(row.assignee_id, row.assignee_name, row.assignee_role),
    }
