"""Requests as citizens (and staff) see them: submit, read, talk, close, reopen, rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.deps import (
    ActorReader,
    AppSettings,
    CurrentActor,
    CurrentCitizen,
    OptionalFiler,
    ReadOnly,
    Session,
)
from app.domain.actors import Actor
from app.errors import (
    AlreadyRated,
    AppealAlreadyMade,
    AppealNotOpen,
    ChallengeExpired,
    ChallengeInvalid,
    ChallengeUsed,
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidToken,
    NotAnswered,
    PreconditionFailed,
    ReopenLimitReached,
    ReopenWindowExpired,
    RequestNotFound,
    TooManyAttempts,
    TooManySubmissions,
    TransitionNotAllowed,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from app.i18n import current_language
from app.models.enums import Action, Role
from app.models.request import Request
from app.routers import json_response, make_router, plain_json_response
from app.routers.params import Cursor, Limit
from app.schemas.access_log import AccessLogPage
from app.schemas.requests import (
    CloseIn,
    MessageIn,
    MessageOut,
    RatingIn,
    ReopenIn,
    RequestCreated,
    RequestDetail,
    RequestIn,
)
from app.services import access_log, clock, lifecycle, submissions, views
from app.services import requests as service
from app.services.lifecycle import ActionInput

router = make_router(prefix="/api/v1/requests", tags=["requests"])

TrackingNumber = Annotated[
    str,
    Path(
        max_length=32,
        description="The tracking number (dashes and case optional).",
        examples=["K7MD-Q2ZX-9PT"],
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="A unique key (a UUID) per new request: retries with the same key and body "
        "return the first answer; the same key with another body answers 422; a retry while "
        "the first is running answers 409. Kept at least 24 hours.",
    ),
]
Altcha = Annotated[
    str | None,
    Header(
        alias="X-Altcha",
        max_length=4096,
        description="Past the per-address ceiling: a solution of `GET /api/v1/challenges` "
        "(base64-encoded JSON `{algorithm, challenge, number, salt, signature}`, ALTCHA v1). "
        "Each solution serves once.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag you read; a stale one answers 412."),
]
_READ_ERRORS = (Unauthorized, InvalidToken, RequestNotFound)
_ACTION_ERRORS = (*_READ_ERRORS, TransitionNotAllowed, PreconditionFailed, ValidationFailed)


async def _detail(
    session: AsyncSession, request: Request, actor: Actor, settings: Settings, response: Response
) -> RequestDetail:
    detail = await views.detail(session, request, actor, settings, clock.now())
    response.headers["ETag"] = lifecycle.etag(detail.version)
    return detail


@dataclass(frozen=True)
class _CitizenCall:
    """What every citizen button needs besides its path and its body."""

    session: AsyncSession
    settings: Settings
    actor: Actor
    response: Response

    async def act(self, tracking_number: str, action: Action, data: ActionInput) -> RequestDetail:
        """Find the request the token opens, apply `action` through the lifecycle, answer the
        new detail with its ETag."""
        request = await service.get_visible(self.session, tracking_number, self.actor)
        request = await service.act(
            self.session, request, action, self.actor, data, settings=self.settings, now=clock.now()
        )
        return await _detail(self.session, request, self.actor, self.settings, self.response)


async def _citizen_call(
    session: Session, settings: AppSettings, actor: CurrentCitizen, response: Response
) -> _CitizenCall:
    return _CitizenCall(session, settings, actor, response)


CitizenCall = Annotated[_CitizenCall, Depends(_citizen_call)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Submit a complaint, observation or suggestion",
    operation_id="submitRequest",
    response_model=RequestCreated,
    responses={
        201: {
            "headers": {
                "Location": {
                    "description": "The new request's address.",
                    "schema": {"type": "string"},
                }
            }
        },
        **error_responses(
            ValidationFailed,
            IdempotencyKeyReused,
            IdempotencyInProgress,
            Forbidden,
            InvalidToken,
            TooManySubmissions,
            TooManyAttempts,
            ChallengeInvalid,
            ChallengeExpired,
            ChallengeUsed,
        ),
    },
)
async def submit_request(
    payload: RequestIn,
    filer: OptionalFiler,
    idempotency_key: IdempotencyKey = None,
    altcha: Altcha = None,
) -> Response:
    """File a request with an administration, optionally for one of its services.

    Citizens file anonymously on channel `web` or `mobile` and must give an email or a phone.
    Operators (call centre, mail room) file with their bearer token on channel `call_center` or
    `mail`, for any administration, even without a contact, and may give `received_at`.
    `attributes` are checked against the service's definitions (unknown ones are refused).
    The answer carries the tracking number, the due date and a tracking token for this request.

    Anonymous submissions are limited per client address and hour (`429` with `Retry-After`
    past the ceiling); a solution of `GET /api/v1/challenges` in `X-Altcha` files past it.
    Acknowledgements to one email or phone are limited per day: past that, the request is
    still filed, only its acknowledgement is not sent. Staff and integrations are exempt.
    A `complainant.verification_code` counts as a try at that contact's code, as signing in
    does: past the wrong codes allowed to one client, `429 too_many_attempts`.
    """
    outcome = await submissions.submit_once(
        filer.session,
        payload,
        filer.actor,
        idempotency_key=idempotency_key,
        language=current_language.get(),
        settings=filer.settings,
        now=clock.now(),
        origin=submissions.Origin(filer.client, altcha, filer.challenge_key),
        direct=filer.direct,
    )
    headers = {"Location": outcome.location}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return plain_json_response(outcome.body, status_code=201, headers=headers)


@router.get(
    "/{tracking_number}",
    summary="A request, its history and what the caller may do",
    operation_id="getRequest",
    response_model=RequestDetail,
    responses=error_responses(*_READ_ERRORS),
)
async def get_request(tracking_number: TrackingNumber, reader: ActorReader) -> Response:
    """For its citizen (tracking token) or the staff of its administration: the state, the
    deadlines, the public history (staff also see internal events) and `allowed_actions`.
    The `ETag` header carries the version, for `If-Match` on staff actions."""
    actor = reader.actor
    row = await service.get_detail(reader.direct, tracking_number, actor)
    now = clock.now()
    await access_log.record_staff_read_direct(reader.direct, row.id, actor, "detail", now)
    detail = views.detail_of(row, actor, reader.settings, now)
    return json_response(detail, headers={"ETag": lifecycle.etag(detail.version)})


@router.get(
    "/{tracking_number}/messages",
    summary="The conversation",
    operation_id="listMessages",
    responses=error_responses(*_READ_ERRORS),
)
async def list_messages(
    tracking_number: TrackingNumber, session: Session, actor: CurrentActor
) -> list[MessageOut]:
    """Messages in order. Citizens never see internal notes."""
    request = await service.get_visible(session, tracking_number, actor)
    rows = await service.messages(session, request, actor)
    await access_log.record_staff_read(session, request.id, actor, "messages", clock.now())
    return [views.message_out(message, name, actor) for message, name in rows]


@router.get(
    "/{tracking_number}/access-log",
    summary="Who read my file",
    operation_id="getAccessLog",
    dependencies=[ReadOnly],
    responses=error_responses(*_READ_ERRORS, Forbidden, ValidationFailed),
)
async def get_access_log(
    tracking_number: TrackingNumber,
    session: Session,
    actor: CurrentActor,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> AccessLogPage:
    """Law 09-08: for the request's citizen (tracking token or citizen session), each time
    staff or an integration opened its personal data (the request, its conversation, its
    documents): when, which administration and which role; never a name. Newest first;
    keyset pagination: pass `next_cursor` back as `cursor`."""
    if actor.role is not Role.citizen:
        raise Forbidden()
    request = await service.get_visible(session, tracking_number, actor)
    return await access_log.for_citizen(session, request.id, cursor=cursor, limit=limit)


@router.post(
    "/{tracking_number}/messages",
    status_code=status.HTTP_201_CREATED,
    summary="Write a message (or, for staff, an internal note)",
    operation_id="postMessage",
    response_model=MessageOut,
    responses=error_responses(
        *_ACTION_ERRORS, Forbidden, IdempotencyKeyReused, IdempotencyInProgress
    ),
)
async def post_message(
    tracking_number: TrackingNumber,
    body: MessageIn,
    session: Session,
    settings: AppSettings,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A citizen's reply to a request for information also resumes the request (and its clock).
    Staff may set `internal` to write a note the citizen never sees, and may send a canned
    response of the request's administration (`template`, its code) instead of a `body`: its
    placeholders are filled in the citizen's language. `Idempotency-Key` makes a retried
    message count once."""
    request = await service.get_visible(session, tracking_number, actor)
    answer, replayed = await submissions.post_message_once(
        session,
        request,
        actor,
        body,
        idempotency_key=idempotency_key,
        settings=settings,
        now=clock.now(),
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(answer, status_code=201, headers=headers)


@router.post(
    "/{tracking_number}/close",
    summary="Close (withdraw, or accept the answer)",
    operation_id="closeRequest",
    responses=error_responses(*_ACTION_ERRORS, Forbidden),
)
async def close_request(
    tracking_number: TrackingNumber, body: CloseIn, call: CitizenCall
) -> RequestDetail:
    """The citizen closes the request: before an answer it is withdrawn, after it accepted."""
    return await call.act(tracking_number, Action.close, ActionInput(reason=body.reason))


@router.post(
    "/{tracking_number}/reopen",
    summary="Reopen an answered complaint",
    operation_id="reopenRequest",
    responses=error_responses(*_ACTION_ERRORS, Forbidden, ReopenWindowExpired, ReopenLimitReached),
)
async def reopen_request(
    tracking_number: TrackingNumber, body: ReopenIn, call: CitizenCall
) -> RequestDetail:
    """Unconvinced by the answer, the citizen sends it back to work, with a reason: within the
    reopen window after the answer (30 days unless the administration says otherwise), and at
    most a set number of times. The request gets a new due date."""
    return await call.act(tracking_number, Action.reopen, ActionInput(reason=body.reason))


@router.post(
    "/{tracking_number}/appeal",
    summary="Appeal a complaint to national admins, or an information request's refusal",
    operation_id="appealRequest",
    responses=error_responses(*_ACTION_ERRORS, Forbidden, AppealNotOpen, AppealAlreadyMade),
)
async def appeal_request(
    tracking_number: TrackingNumber, body: ReopenIn, call: CitizenCall
) -> RequestDetail:
    """Law 31-13: the applicant complains to the head of the body about a refusal, a partial
    answer, or a deadline passed without answer — within 20 days. The head decides anew.

    A complaint, answered or closed, is appealed to the national admins after an answer rated
    1–2 or once reopening is exhausted, within `APPEAL_WINDOW_DAYS` of the last answer
    (`appeal_not_open` otherwise); they decide with `decide_appeal`."""
    return await call.act(tracking_number, Action.appeal, ActionInput(reason=body.reason))


@router.put(
    "/{tracking_number}/rating",
    summary="Rate the answer",
    operation_id="rateRequest",
    responses=error_responses(*_ACTION_ERRORS, Forbidden, NotAnswered, AlreadyRated),
)
async def rate_request(
    tracking_number: TrackingNumber, body: RatingIn, call: CitizenCall
) -> RequestDetail:
    """A score from 1 to 5 and an optional comment, once, after the administration answered;
    optionally the survey's `dimensions` (`speed`, `clarity`, `courtesy`, `outcome`, each 1–5),
    whose averages the statistics report."""
    data = ActionInput(score=body.score, comment=body.comment, dimensions=body.dimension_scores())
    return await call.act(tracking_number, Action.rate, data)
