"""The citizen's own space: every request bearing the contact their session verified."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.errors import FieldError, ValidationFailed
from app.i18n import current_language, translate
from app.models.enums import Action
from app.repositories import citizens as repository
from app.schemas.citizens import (
    CitizenExport,
    CitizenPatch,
    CitizenUpdated,
    ExportedAttachment,
    ExportedRequest,
    MyRequest,
    MyRequestsPage,
)
from app.schemas.requests import AdministrationRef
from app.services import attachments, auth, notifications, otp, search, views
from app.services import requests as requests_service
from app.services.backoffice import _decode_cursor, _encode_cursor
from app.services.lifecycle import ActionInput

# Requests one correction touches: far above what one person files, a bound on the work.
MAX_RECTIFIED = 500


async def my_requests(
    session: AsyncSession, actor: Actor, *, cursor: str | None, limit: int
) -> MyRequestsPage:
    """Newest first, by keyset: a page never skips nor repeats a request filed meanwhile."""
    after = _decode_cursor(cursor) if cursor else None
    rows = await repository.page(session, actor.email, actor.phone, after=after, limit=limit + 1)
    items = [
        MyRequest(
            tracking_number=request.tracking_number,
            kind=request.kind,
            state=request.state,
            administration=AdministrationRef(code=administration.code, name=administration.name),
            created_at=request.created_at,
            due_at=request.due_at,
        )
        for request, administration in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = _encode_cursor(last.created_at, last.id)
    return MyRequestsPage(items=items, next_cursor=next_cursor)


def contact_of(actor: Actor) -> str:
    return actor.email or actor.phone or ""


async def export(
    session: AsyncSession, actor: Actor, *, settings: Settings, now: datetime
) -> CitizenExport:
    """Every request of the contact with its public history, its conversation, its documents'
    metadata and links, and its rating; at most `CITIZEN_EXPORT_MAX_REQUESTS`, the most recent."""
    cap = settings.citizen_export_max_requests
    found = await repository.loaded(session, actor.email, actor.phone, cap + 1)
    exported = []
    for request in found[:cap]:
        messages = await requests_service.messages(session, request, actor)
        files = await attachments.listing(session, request)
        base = f"/api/v1/requests/{request.tracking_number}/attachments"
        exported.append(
            ExportedRequest(
                request=await views.detail(session, request, actor, settings, now),
                messages=[views.message_out(m, name, actor) for m, name in messages],
                attachments=[
                    ExportedAttachment(
                        **attachments.out(a).model_dump(), download_url=f"{base}/{a.id}"
                    )
                    for a in files
                ],
            )
        )
    truncated = len(found) > cap
    return CitizenExport(
        contact=contact_of(actor),
        exported_at=now,
        requests=exported,
        truncated=truncated,
        note=translate("citizens.export_truncated", current_language.get(), count=str(cap))
        if truncated
        else None,
    )


async def rectify(
    session: AsyncSession,
    actor: Actor,
    body: CitizenPatch,
    *,
    client: str,
    settings: Settings,
    now: datetime,
) -> CitizenUpdated:
    """Correct the name and/or a contact on every request of the session's contact, each
    through the lifecycle (a `rectify` event); a new contact must prove itself with its code
    (422 on `code` when missing), and the contact it replaces is told."""
    new_contact = None
    if body.email or body.phone:
        if not body.code:
            raise ValidationFailed(errors=[FieldError("code", "required")])
        new_contact = otp.contact_of(body.email, body.phone)
        await otp.verify(session, new_contact, body.code, client=client, settings=settings, now=now)
    ids = await repository.ids(session, actor.email, actor.phone, MAX_RECTIFIED)
    updated = 0
    for request_id in ids:
        request = await repository.get(session, request_id)
        old_email, old_phone = request.email, request.phone
        changed = [
            name
            for name, new, old in (
                ("full_name", body.full_name, request.full_name),
                ("email", body.email, old_email),
                ("phone", body.phone, old_phone),
            )
            if new and new != old
        ]
        if not changed:
            continue
        data = ActionInput(
            full_name=body.full_name,
            email=body.email,
            phone=body.phone,
            data={"changed": changed},
        )
        request = await requests_service.act(
            session, request, Action.rectify, actor, data, settings=settings, now=now
        )
        search.index(request)
        updated += 1
        told_email = old_email if "email" in changed else None
        told_phone = old_phone if "phone" in changed else None
        if told_email or told_phone:
            await notifications.contact_changed(
                session, request, told_email, told_phone, now, template="contact_corrected"
            )
    await session.flush()
    answer = CitizenUpdated(updated=updated)
    # The session's own contact replaced: it would open nothing more; a new one for the new.
    if new_contact is not None and (
        (actor.email is not None and new_contact.channel == "email")
        or (actor.phone is not None and new_contact.channel == "sms")
    ):
        answer.access_token = auth.citizen_token(new_contact.channel, new_contact.match, settings)
        answer.expires_in = settings.citizen_token_ttl_seconds
    return answer
