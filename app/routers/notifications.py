"""Webhooks of administrations' systems, and the outbox as national admins supervise it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query, Response, status

from app.deps import AppSettings, CurrentStaff, NationalAdmin, Session
from app.errors import (
    AUTH_ERRORS,
    NotFound,
    ValidationFailed,
    error_responses,
)
from app.routers import make_router
from app.schemas.common import MAX_BIG_ID, MAX_ID
from app.schemas.notifications import OutboxOut, WebhookCreated, WebhookIn, WebhookOut
from app.services import clock, webhooks

router = make_router(prefix="/api/v1/backoffice", tags=["notifications"])


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook",
    operation_id="createWebhook",
    responses=error_responses(*AUTH_ERRORS, ValidationFailed),
)
async def create_webhook(
    body: WebhookIn, actor: CurrentStaff, session: Session, settings: AppSettings
) -> WebhookCreated:
    """A supervisor registers an HTTPS endpoint of their administration's system (a national
    admin names the administration). Events are POSTed as JSON, signed with HMAC-SHA256 over
    `"<timestamp>.<raw body>"` (header `Chikaya-Signature: t=...,v1=...`; refuse timestamps
    older than five minutes to stop replays), at least once, with a stable `Chikaya-Delivery`
    id to drop duplicates. The secret is shown only in this answer."""
    hook, administration = await webhooks.create(session, actor, body, settings, clock.now())
    return WebhookCreated(**webhooks.out(hook, administration).model_dump(), secret=hook.secret)


@router.get(
    "/webhooks",
    summary="List webhooks",
    operation_id="listWebhooks",
    responses=error_responses(*AUTH_ERRORS),
)
async def list_webhooks(actor: CurrentStaff, session: Session) -> list[WebhookOut]:
    """A supervisor sees their administration's active webhooks; a national admin sees all."""
    return [webhooks.out(hook, admin) for hook, admin in await webhooks.listing(session, actor)]


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a webhook",
    operation_id="deleteWebhook",
    responses=error_responses(*AUTH_ERRORS, NotFound),
)
async def delete_webhook(
    webhook_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: CurrentStaff, session: Session
) -> Response:
    """Stops deliveries to the endpoint (messages already in the outbox still go out)."""
    await webhooks.deactivate(session, actor, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/outbox",
    summary="Outbox messages by status",
    operation_id="listOutbox",
    responses=error_responses(*AUTH_ERRORS, ValidationFailed),
)
async def list_outbox(
    _actor: NationalAdmin,
    session: Session,
    status_: Annotated[Literal["pending", "sent", "parked"], Query(alias="status")] = "parked",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_BIG_ID, description="Keyset: ids below this one.")
    ] = None,
) -> list[OutboxOut]:
    """National admins see what could not be delivered (`parked` after the last retry), with
    the last error; recipients are not shown (personal data). A filing's messages are first
    one message of channel `fanout` (event `filing`), which the dispatcher writes out into
    one message each before sending them: pending until then, sent after."""
    return await webhooks.outbox(session, status=status_, limit=limit, before=before)


@router.post(
    "/outbox/{message_id}/resend",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Re-send a parked message",
    operation_id="resendOutboxMessage",
    responses=error_responses(*AUTH_ERRORS, NotFound),
)
async def resend(
    message_id: Annotated[int, Path(ge=1, le=MAX_BIG_ID)], _actor: NationalAdmin, session: Session
) -> Response:
    """Puts a parked message back in line; it keeps its message id."""
    await webhooks.resend(session, message_id, clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
