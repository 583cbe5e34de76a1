"""Filing a request exactly once, however often the client retries (`Idempotency-Key`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models.request import Request
from app.schemas.requests import AdministrationRef, RequestCreated, RequestIn, ServiceRef
from app.services import auth, idempotency
from app.services import requests as requests_service
from app.services.lifecycle import Actor

PATH = "/api/v1/requests"


@dataclass(frozen=True)
class Outcome:
    body: dict[str, Any]
    location: str
    replayed: bool


def _scope(actor: Actor | None) -> str:
    who = f"user:{actor.user_id}" if actor and actor.user_id else "public"
    return f"{who}:POST {PATH}"


async def _with_token(
    session: AsyncSession, body: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    # Tokens are never stored with the answer: a replay gets a freshly minted one.
    request_id = await session.scalar(
        select(Request.id).where(Request.tracking_number == body["tracking_number"])
    )
    assert request_id is not None
    token = auth.tracking_token(request_id, body["tracking_number"], settings)
    return {**body, "access_token": token, "expires_in": settings.tracking_token_ttl_seconds}


async def submit_once(
    session: AsyncSession,
    payload: RequestIn,
    actor: Actor | None,
    *,
    idempotency_key: str | None,
    language: str,
    settings: Settings,
    now: datetime,
) -> Outcome:
    claim = None
    if idempotency_key:
        claim = idempotency.Claim(
            scope=_scope(actor),
            key=idempotency_key,
            request_hash=idempotency.body_hash(payload.model_dump(mode="json")),
        )
        stored = await idempotency.claim(session, claim, now)
        if stored is not None:
            body = await _with_token(session, stored.body, settings)
            return Outcome(body, stored.headers["Location"], replayed=True)

    submitted = await requests_service.submit(
        session, payload, actor, language=language, settings=settings, now=now
    )
    request = submitted.request
    created = RequestCreated(
        tracking_number=request.tracking_number,
        kind=request.kind,
        state=request.state,
        administration=AdministrationRef(
            code=submitted.administration.code,
            name=submitted.administration.name,
        ),
        service=ServiceRef(code=submitted.service.code, name=submitted.service.name)
        if submitted.service
        else None,
        created_at=request.created_at,
        due_at=request.due_at,
        access_token="",
        expires_in=0,
    )
    stored_body = created.model_dump(mode="json", exclude={"access_token", "expires_in"})
    location = f"{PATH}/{request.tracking_number}"
    if claim is not None:
        await idempotency.store(
            session,
            claim,
            status_code=201,
            body=stored_body,
            headers={"Location": location},
            now=now,
            ttl_hours=settings.idempotency_ttl_hours,
        )
    token = auth.tracking_token(request.id, request.tracking_number, settings)
    body = {**stored_body, "access_token": token, "expires_in": settings.tracking_token_ttl_seconds}
    return Outcome(body, location, replayed=False)
