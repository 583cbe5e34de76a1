"""Filing a request exactly once, however often the client retries (`Idempotency-Key`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.actors import Actor
from app.models.enums import Action, Kind, Role, State
from app.models.request import Request
from app.repositories import requests as requests_repository
from app.repositories.driver import Direct
from app.repositories.idempotency import Record
from app.schemas.common import Localized
from app.schemas.privacy import PRIVACY_NOTICE_PATH
from app.schemas.requests import (
    ActionIn,
    MessageIn,
    RequestDetail,
    RequestIn,
)
from app.services import access_log, auth, challenges, idempotency, lifecycle, throttle, views
from app.services import requests as requests_service
from app.services.requests import Submitted

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
    """Whose keys these are: a staff member's own, an integration key's, a tracked
    request's, or the public's."""
    if actor is None:
        who = "public"
    elif actor.api_key_id is not None:
        who = f"api_key:{actor.api_key_id}"
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
    direct: Direct,
) -> Outcome:
    """File the request, or replay the first answer to a retry of the same key (a replay is
    never counted nor refused by the ceiling: the request was filed already).

    An ordinary filing is one statement on the driver (`direct`), in autocommit: the ceilings'
    counters ride in it, and so does everything it writes, its `Idempotency-Key` included (the
    key's lock and record: its answer is known before the insert). A proof of work or a
    verification code to spend must commit with the filing: those filings run in the
    session's transaction, and so does a retry of a key that has a record (a replay, or 422
    for another body)."""
    counted = _under_ceiling(actor)
    altcha = origin.altcha if counted else None  # a proof of work files past the ceiling
    client = None
    if counted and altcha is None:
        client = throttle.submission_counter(origin.client, settings, now)
    alone = altcha is None and payload.complainant.verification_code is None
    key_scope = scope(actor, f"POST {PATH}")
    # Only a key's claim compares bodies: no dump without one.
    dumped = payload.model_dump(mode="json") if idempotency_key else None
    filed: list[int] = []  # the new request's id (none on a replay)

    async def work(
        on: Direct | None = None, record: Callable[[Submitted], Record] | None = None
    ) -> idempotency.Answer:
        if altcha is not None:
            await challenges.spend(session, altcha, origin.challenge_key, now)
        submitted = await requests_service.submit(
            session,
            payload,
            actor,
            language=language,
            settings=settings,
            now=now,
            on=on,
            client=client,
            record=record,
            address=origin.client,
        )
        filed.append(submitted.request.id)
        return _created(submitted)

    async def in_transaction() -> tuple[idempotency.Answer, bool]:
        """The key claimed, replayed or stored in the session's transaction, with the work."""
        return await idempotency.once(
            session,
            scope=key_scope,
            key=idempotency_key,
            payload=dumped,
            now=now,
            ttl_hours=settings.idempotency_ttl_hours,
            work=work,
        )

    if not alone:
        answer, replayed = await in_transaction()
    elif not idempotency_key:
        answer, replayed = await work(direct), False
    else:
        claim = idempotency.Claim(key_scope, idempotency_key, idempotency.body_hash(dumped))
        ttl = settings.idempotency_ttl_hours

        def record(submitted: Submitted) -> Record:
            return idempotency.record(claim, _created(submitted), now, ttl)

        try:
            answer, replayed = await work(direct, record), False
        except idempotency.Known:  # a retry: replayed (or refused) in a transaction
            answer, replayed = await in_transaction()
    body = await _with_token(session, answer.body, filed[0] if filed else None, settings)
    return Outcome(body, answer.headers["Location"], replayed)


_LOCALIZED = tuple(Localized.model_fields)  # its languages, in its order
# A kind's or a state's value as a plain string, from its member or its value (a StrEnum
# member hashes and compares as its value): what `Kind(kind).value` gives, a dict read
# instead of the enum's constructor and its `value` property.
_KINDS = {member: member.value for member in Kind}
_STATES = {member: member.value for member in State}


def _localized(name: dict[str, str]) -> dict[str, str]:
    """A catalogue name as `Localized` dumps it."""
    return {language: name[language] for language in _LOCALIZED}


def _created(submitted: Submitted) -> idempotency.Answer:
    """A filing's answer, as stored for its key's retries (tokens are never stored with it:
    each reply gets a freshly minted one). The dump of `RequestCreated` without its token,
    written out: building the model and dumping it cost four times this dictionary
    (`test_submission.py` pins the two equal)."""
    request = submitted.request
    service = submitted.service
    body = {
        "tracking_number": request.tracking_number,
        "kind": _KINDS[request.kind],
        "state": _STATES[request.state],
        "administration": {
            "code": submitted.administration.code,
            "name": _localized(submitted.administration.name),
        },
        "service": None
        if service is None
        else {"code": service.code, "name": _localized(service.name)},
        "created_at": to_jsonable_python(request.created_at),
        "due_at": to_jsonable_python(request.due_at),
        "token_type": "bearer",
        "privacy_notice": PRIVACY_NOTICE_PATH,
    }
    return idempotency.Answer(201, body, {"Location": f"{PATH}/{request.tracking_number}"})


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


@dataclass(frozen=True)
class ActionOutcome:
    """A staff action's answer: the view (None when replayed), or the stored body to replay."""

    detail: RequestDetail | None
    body: dict[str, Any] | None
    etag: str


async def staff_action_once(
    session: AsyncSession,
    request: Request,
    action: Action,
    actor: Actor,
    body: ActionIn,
    *,
    idempotency_key: str | None,
    if_match: str | None,
    settings: Settings,
    now: datetime,
) -> ActionOutcome:
    """Take a staff action (staff, or an administration's system with its integration key), or
    replay the first answer to a retry of the same `Idempotency-Key` (its `If-Match` then is
    not checked again: the action it guarded was taken). The view an integration key gets is a
    read of the request's personal data: one row of the access log, replays included."""
    taken: list[RequestDetail] = []

    async def work() -> idempotency.Answer:
        requests_service.want_view(session, actor)  # the view rides in the change's statement
        changed = await requests_service.staff_action(
            session, request, action, actor, body, settings=settings, now=now, if_match=if_match
        )
        detail = await views.detail(session, changed, actor, settings, now)
        taken.append(detail)
        etag = lifecycle.etag(detail.version)
        # Only a key's claim stores the answer: no dump without one.
        dumped = detail.model_dump(mode="json") if idempotency_key else None
        return idempotency.Answer(200, dumped, {"ETag": etag})

    answer, replayed = await idempotency.once(
        session,
        scope=scope(
            actor,
            f"POST /api/v1/backoffice/requests/{request.tracking_number}/actions/{action.value}",
        ),
        key=idempotency_key,
        payload=body.model_dump(mode="json") if idempotency_key else None,
        now=now,
        ttl_hours=settings.idempotency_ttl_hours,
        work=work,
    )
    if actor.role is Role.integration:
        await access_log.record(session, request.id, actor, "detail", now)
    return ActionOutcome(
        detail=None if replayed else taken[0],
        body=answer.body if replayed else None,
        etag=answer.headers["ETag"],
    )
