"""Administrations register the HTTPS endpoints of their own systems; national admins watch
the outbox and re-send what was parked."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.errors import FieldError, Forbidden, NotFound, ValidationFailed
from app.models.catalogue import Administration
from app.models.enums import Role
from app.models.outbox import Webhook
from app.repositories import webhooks as repository
from app.schemas.notifications import OutboxOut, WebhookIn, WebhookOut
from app.services import catalogue, netguard


async def _check_url(url: str, settings: Settings, resolver: netguard.Resolver) -> None:
    """HTTPS to a host of the public internet, no credentials in the address (checked again
    at every delivery: where a name points may change)."""
    policy = netguard.Policy(allow_loopback=settings.webhooks_allow_http_loopback)
    try:
        await netguard.check_url(url, policy, resolver)
    except netguard.Refused as refused:
        raise ValidationFailed(errors=[FieldError("url", refused.code)]) from refused


async def _target_administration(
    session: AsyncSession, actor: Actor, code: str | None
) -> Administration:
    """Supervisors manage their own administration's hooks; national admins name one."""
    if actor.role is Role.supervisor and code is None:
        return await repository.administration(session, actor.administration_id)
    if actor.role is Role.national_admin and code:
        administration = await catalogue.find_administration(session, code)
        if administration is None:
            raise ValidationFailed(errors=[FieldError("administration", "unknown_administration")])
        return administration
    if actor.role is Role.national_admin:
        raise ValidationFailed(errors=[FieldError("administration", "required")])
    raise Forbidden()


def out(hook: Webhook, administration: Administration) -> WebhookOut:
    return WebhookOut(
        id=hook.id,
        administration=administration.code,
        url=hook.url,
        events=hook.events,
        active=hook.active,
        created_at=hook.created_at,
    )


async def create(
    session: AsyncSession,
    actor: Actor,
    body: WebhookIn,
    settings: Settings,
    now: datetime,
    resolver: netguard.Resolver = netguard.resolve,
) -> tuple[Webhook, Administration]:
    # Who may register first: an agent learns nothing of how addresses are judged.
    administration = await _target_administration(session, actor, body.administration)
    await _check_url(body.url, settings, resolver)
    hook = Webhook(
        administration_id=administration.id,
        url=body.url,
        secret=secrets.token_urlsafe(32),
        events=sorted(set(body.events)),
        active=True,
        created_at=now,
    )
    session.add(hook)
    await session.flush()
    return hook, administration


def _scope(actor: Actor) -> tuple[int | None, bool]:
    """(administration, every): national admins see every administration's hooks,
    supervisors their own."""
    if actor.role is Role.national_admin:
        return None, True
    if actor.role is Role.supervisor:
        return actor.administration_id, False
    raise Forbidden()


async def listing(session: AsyncSession, actor: Actor) -> list[tuple[Webhook, Administration]]:
    administration_id, every = _scope(actor)
    return await repository.active(session, administration_id=administration_id, every=every)


async def deactivate(session: AsyncSession, actor: Actor, hook_id: int) -> None:
    administration_id, every = _scope(actor)
    if not await repository.deactivate(
        session, hook_id, administration_id=administration_id, every=every
    ):
        raise NotFound()


async def outbox(
    session: AsyncSession, *, status: str, limit: int, before: int | None
) -> list[OutboxOut]:
    """Outbox messages by status, newest first (keyset on id). No recipient: personal data."""
    rows = await repository.outbox(session, status=status, limit=limit, before=before)
    return [
        OutboxOut(
            id=m.id,
            message_id=str(m.message_id),
            channel=m.channel,
            event=m.event,
            status=m.status,
            attempts=m.attempts,
            next_attempt_at=m.next_attempt_at,
            last_error=m.last_error,
            created_at=m.created_at,
            sent_at=m.sent_at,
            tracking_number=number,
        )
        for m, number in rows
    ]


async def resend(session: AsyncSession, message_id: int, now: datetime) -> None:
    """Put a parked message back in line, with a fresh count of attempts and the same id."""
    if not await repository.resend(session, message_id, now):
        raise NotFound()
