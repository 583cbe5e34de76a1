"""Turning requests into what each caller may see (personal data only to those entitled)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models.request import Message, Request, RequestEvent
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
    RequestSummary,
    ServiceRef,
    StaffRef,
)
from app.services import lifecycle
from app.services import requests as service
from app.services.lifecycle import Actor


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


def event_out(event: RequestEvent, name: str | None, actor: Actor) -> EventOut:
    staff_view = actor.is_staff
    return EventOut(
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        actor=event.actor_role,
        actor_name=name if staff_view else None,
        at=event.created_at,
        note=event.note,
        data=event.data,
        internal=not event.public,
    )


def message_out(message: Message, name: str | None, actor: Actor) -> MessageOut:
    return MessageOut(
        id=message.id,
        author=message.author_role,
        author_name=name if actor.is_staff else None,
        body=message.body,
        internal=message.internal,
        created_at=message.created_at,
    )


async def detail(
    session: AsyncSession, request: Request, actor: Actor, settings: Settings, now: datetime
) -> RequestDetail:
    policy = await service.policy_of(session, request, settings)
    events = await service.history(session, request, actor)
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
    internal = service.sees_internal(actor)
    return RequestDetail(
        tracking_number=request.tracking_number,
        kind=request.kind,
        state=request.state,
        version=request.version,
        administration=administration_ref(request),
        service=service_ref(request),
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
        ),
        location=location_of(request),
        created_at=request.created_at,
        received_at=request.received_at,
        updated_at=request.updated_at,
        due_at=request.due_at,
        clock_paused=request.paused_at is not None,
        overdue=service.is_overdue(request, now),
        answered_at=request.answered_at,
        closed_at=request.closed_at,
        reopen_count=request.reopen_count,
        reopen_until=service.reopen_until(request, policy),
        rejection_reason=request.rejection_reason,
        urgent=request.urgent,
        extension_count=request.extension_count,
        outcome=request.outcome,
        legal_ground=request.refusal_ground,
        rating=rating,
        assignee=staff_ref(request.assignee) if internal else None,
        operator=staff_ref(request.operator) if actor.is_staff else None,
        # After a transfer the request has left the actor's queue: nothing more to offer.
        allowed_actions=lifecycle.allowed_actions(request, actor, policy, now)
        if service.can_see(actor, request)
        else [],
        history=[event_out(event, name, actor) for event, name in events],
    )


def summary(request: Request, now: datetime) -> RequestSummary:
    return RequestSummary(
        tracking_number=request.tracking_number,
        kind=request.kind,
        state=request.state,
        administration=request.administration.code,
        service=request.service.code if request.service else None,
        subject=request.subject,
        channel=request.channel,
        created_at=request.created_at,
        due_at=request.due_at,
        overdue=service.is_overdue(request, now),
        assignee=staff_ref(request.assignee),
    )
