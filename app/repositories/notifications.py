"""Statements of the notifications: who is told about a request (supervisors' addresses and
webhooks, in one statement), the outbox message queued, the duplicates of an answered
request, and the answered complaints whose reopen window closes soon."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    Row,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import Kind, Role, State
from app.models.outbox import OutboxMessage, Webhook
from app.models.request import Request
from app.models.user import User

_SUPERVISORS = select(
    literal("supervisor").label("who"),
    User.email.label("address"),
    cast(null(), Integer).label("webhook_id"),
).where(
    User.administration_id == bindparam("administration_id"),
    User.role == Role.supervisor.value,
    User.active,
)
_WEBHOOKS = select(literal("webhook"), Webhook.url, Webhook.id).where(
    Webhook.administration_id == bindparam("administration_id"),
    Webhook.active,
    Webhook.events.contains(bindparam("events")),
)
_AUDIENCE = union_all(_SUPERVISORS, _WEBHOOKS)
_HOOKS_ONLY = select(Webhook.url, Webhook.id).where(
    Webhook.administration_id == bindparam("administration_id"),
    Webhook.active,
    Webhook.events.contains(bindparam("events")),
)


@dataclass
class Audience:
    supervisors: list[str] = field(default_factory=list)
    webhooks: list[tuple[str, int]] = field(default_factory=list)  # (url, id)


async def new_request_audience(
    session: AsyncSession, administration_id: int, event: str
) -> Audience:
    """The active supervisors' emails and the active webhooks taking `event`, together."""
    audience = Audience()
    connection = await session.connection()  # Core's path: plain rows, no entities
    rows = await connection.execute(
        _AUDIENCE, {"administration_id": administration_id, "events": [event]}
    )
    for who, address, webhook_id in rows:
        if who == "supervisor":
            audience.supervisors.append(address)
        else:
            audience.webhooks.append((address, webhook_id))
    return audience


async def webhooks_for(
    session: AsyncSession, administration_id: int, event: str
) -> list[tuple[str, int]]:
    """The active webhooks of an administration taking `event`: (url, id)."""
    connection = await session.connection()
    rows = await connection.execute(
        _HOOKS_ONLY, {"administration_id": administration_id, "events": [event]}
    )
    return [(url, webhook_id) for url, webhook_id in rows]


_NATIONAL_ADMINS = (
    select(User.email).where(User.role == Role.national_admin.value, User.active).order_by(User.id)
)


async def national_admins(session: AsyncSession) -> list[str]:
    """The active national admins' emails (a declined transfer awaits their routing)."""
    connection = await session.connection()
    return [email for (email,) in await connection.execute(_NATIONAL_ADMINS)]


# Deadline alerts: the assignee, the administration's supervisors, or the national admins
# (the flags and ids left NULL match nothing); an address once even when it plays two parts.
_STAFF_EMAILS = (
    select(User.email)
    .where(
        User.active,
        or_(
            User.id == bindparam("assignee_id"),
            and_(
                bindparam("supervisors", type_=Boolean),
                User.role == Role.supervisor.value,
                User.administration_id == bindparam("administration_id"),
            ),
            and_(bindparam("national", type_=Boolean), User.role == Role.national_admin.value),
        ),
    )
    .distinct()
    .order_by(User.email)
)


async def staff_emails(
    session: AsyncSession,
    administration_id: int,
    *,
    assignee_id: int | None = None,
    supervisors: bool = False,
    national: bool = False,
) -> list[str]:
    """The active staff's addresses among the request's assignee, its administration's
    supervisors and the national admins: one statement."""
    connection = await session.connection()
    rows = await connection.execute(
        _STAFF_EMAILS,
        {
            "assignee_id": assignee_id,
            "administration_id": administration_id,
            "supervisors": supervisors,
            "national": national,
        },
    )
    return [address for (address,) in rows]


def add_outbox(
    session: AsyncSession,
    *,
    channel: str,
    event: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    request_id: int | None = None,
    webhook_id: int | None = None,
    priority: int = 0,
    expires_at: datetime | None = None,
) -> None:
    """Queue one message in the outbox (pending, due now), in the current transaction."""
    session.add(
        OutboxMessage(
            message_id=uuid.uuid4(),
            channel=channel,
            event=event,
            recipient=recipient,
            payload=payload,
            request_id=request_id,
            webhook_id=webhook_id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            priority=priority,
            expires_at=expires_at,
        )
    )


async def administration(session: AsyncSession, administration_id: int) -> Administration:
    return await session.get_one(Administration, administration_id)


async def service(session: AsyncSession, service_id: int) -> Service | None:
    return await session.get(Service, service_id)


_DUPLICATES_OF = (
    select(Request).where(Request.duplicate_of_id == bindparam("request_id")).order_by(Request.id)
)


async def duplicates_of(session: AsyncSession, request_id: int) -> list[Request]:
    """The requests marked duplicates of this one, by id."""
    return list((await session.scalars(_DUPLICATES_OF, {"request_id": request_id})).all())


async def reopen_reminders_due(
    session: AsyncSession,
    *,
    now: datetime,
    default_window_days: int,
    reminder_days: int,
    batch: int,
) -> list[Row[Request, Administration]]:
    """Answered complaints not yet reminded whose reopen window (the service's, else the
    administration's, else the default) closes within `reminder_days`, with their
    administration; at most `batch`, locked, skipping those another worker holds."""
    window = func.coalesce(
        Service.reopen_window_days, Administration.reopen_window_days, default_window_days
    )
    closes = Request.answered_at + func.make_interval(0, 0, 0, window)
    stmt = (
        select(Request, Administration)
        .join(Administration, Administration.id == Request.administration_id)
        .outerjoin(Service, Service.id == Request.service_id)
        .where(
            Request.state == State.answered.value,
            Request.kind == Kind.complaint.value,
            Request.reopen_reminder_sent_at.is_(None),
            closes > now,
            closes <= now + timedelta(days=reminder_days),
        )
        .limit(batch)
        .with_for_update(of=Request, skip_locked=True)
    )
    return list((await session.execute(stmt)).all())
