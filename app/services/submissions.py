"""Filing a request exactly once, however often the client retries (`Idempotency-Key`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.models.enums import Role
from app.models.request import Request
from app.repositories import requests as requests_repository
from app.schemas.requests import AdministrationRef, MessageIn, RequestCreated, RequestIn, ServiceRef
from app.services import auth, challenges, idempotency, throttle, views
from app.services import requests as requests_service

PATH = "/api/v1/requests"


@dataclass(frozen=True)
class Outcome:
    body: dict[str, Any]
    location: str
    replayed: bool


@dataclass(frozen=True)
class Origin:
    """Where a submission comes from: the client's address, and the proof of work (`X-Altcha`)
    it may bring to file past that address's ceiling."""

    client: str
    altcha: str | None = None
    challenge_key: str = ""


def _under_ceiling(actor: Actor | None) -> bool:
    """Anonymous citizens (and citizens with a tracking token) count against their address's
    ceiling; staff, operators and integration keys do not."""
    return actor is None or actor.role is Role.citizen


def scope(actor: Actor | None, route: str) -> str:
    """Whose keys these are: a staff member's own, a tracked request's, or the public's."""
    if actor is None:
        who = "public"
    elif actor.user_id is not None:
        who = f"user:{actor.user_id}"
    elif actor.request_id is None:  # a citizen session: its verified contact, hashed
        who = throttle.key("citizen", actor.email or "", actor.phone or "")
    else:
        who = f"request:{actor.request_id}"
    return f"{who}:{route}"


async def _with_token(
    session: AsyncSession, body: dict[str, Any], request_id: int | None, settings: Settings
) -> dict[str, Any]:
    """The answer with a fresh tracking token; a replay reads the id of the filed request."""
    if request_id is None:
        request_id = await requests_repository.id_by_tracking_number(
            session, body["tracking_number"]
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
    origin: Origin,
) -> Outcome:
    """File the request, or replay the first answer to a retry of the same key (a replay is
    never counted nor refused by the ceiling: the request was filed already)."""
    counted = _under_ceiling(actor)
    filed: list[int] = []  # the new request's id (none on a replay)

    async def work() -> idempotency.Answer:
        if counted and origin.altcha is not None:
            await challenges.spend(session, origin.altcha, origin.challenge_key, now)
        elif counted:
            await throttle.ensure_submission_allowed(session, origin.client, settings, now)
        submitted = await requests_service.submit(
            session, payload, actor, language=language, settings=settings, now=now
        )
        if counted and origin.altcha is None:
            # Last, so the counter's row stays locked only until the commit right after.
            await throttle.count_submission(session, origin.client, settings, now)
        request = submitted.request
        filed.append(request.id)
        created = RequestCreated(
            tracking_number=request.tracking_number,
            kind=request.kind,
            state=request.state,
            administration=AdministrationRef(
                code=submitted.administration.code, name=submitted.administration.name
            ),
            service=ServiceRef(code=submitted.service.code, name=submitted.service.name)
            if submitted.service
            else None,
            created_at=request.created_at,
            due_at=request.due_at,
            access_token="",
            expires_in=0,
        )
        # Tokens are never stored with the answer: each reply gets a freshly minted one.
        body = created.model_dump(mode="json", exclude={"access_token", "expires_in"})
        return idempotency.Answer(201, body, {"Location": f"{PATH}/{request.tracking_number}"})

    answer, replayed = await idempotency.once(
        session,
        scope=scope(actor, f"POST {PATH}"),
        key=idempotency_key,
        # Only a key's claim compares bodies: no dump without one.
        payload=payload.model_dump(mode="json") if idempotency_key else None,
        now=now,
        ttl_hours=settings.idempotency_ttl_hours,
        work=work,
    )
    body = await _with_token(session, answer.body, filed[0] if filed else None, settings)
    return Outcome(body, answer.headers["Location"], replayed)


async def post_message_once(
    session: AsyncSession,
    request: Request,
    actor: Actor,
    payload: MessageIn,
    *,
    idempotency_key: str | None,
    settings: Settings,
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """Add a message, or replay the first answer to a retry of the same key."""

    async def work() -> idempotency.Answer:
        message = await requests_service.post_message(
            session,
            request,
            actor,
            payload.body,
            internal=payload.internal,
            template=payload.template,
            settings=settings,
            now=now,
        )
        return idempotency.Answer(
            201, views.message_out(message, None, actor).model_dump(mode="json")
        )

    answer, replayed = await idempotency.once(
        session,
        scope=scope(actor, f"POST {PATH}/{request.tracking_number}/messages"),
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        now=now,
        ttl_hours=settings.idempotency_ttl_hours,
        work=work,
    )
    return answer.body, replayed
