"""Who is told about a request: supervisors' addresses and webhooks, in one statement."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    Boolean,
    Integer,
    and_,
    bindparam,
    cast,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role
from app.models.outbox import Webhook
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
