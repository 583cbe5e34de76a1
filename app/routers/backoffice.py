"""The back office: each administration's queue and every staff action of the lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query, Response
from fastapi.responses import JSONResponse

from app.deps import (
    AdministrationStaff,
    AppSettings,
    CurrentStaff,
    ReadOnly,
    Session,
    StaffActionCaller,
    StaffReader,
)
from app.errors import (
    ActionNotForRole,
    AmbiguousCredentials,
    ContactAlreadySet,
    ContactNotAllowed,
    ExtensionAlreadyUsed,
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidApiKey,
    InvalidToken,
    NotTransferred,
    PreconditionFailed,
    RequestNotFound,
    TransitionNotAllowed,
    Unauthorized,
    UnknownAction,
    UrgentNotExtensible,
    ValidationFailed,
    error_responses,
)
from app.models.enums import Kind, Role, State
from app.routers import json_response, make_router
from app.routers.params import Cursor, Limit
from app.schemas.access_log import StaffAccessLogPage
from app.schemas.auth import StaffOut
from app.schemas.common import Moment, Page
from app.schemas.requests import ActionIn, ContactIn, RequestDetail, RequestSummary
from app.services import access_log, backoffice, clock, submissions, users, views
from app.services import requests as service

router = make_router(prefix="/api/v1/backoffice", tags=["backoffice"])

TrackingNumber = Annotated[str, Path(max_length=32, examples=["K7MD-Q2ZX-9PT"])]

_AUTH_ERRORS = (Unauthorized, InvalidToken, Forbidden)


@router.get(
    "/requests",
    summary="The queue of my administration (national admins: of every administration)",
    operation_id="listQueue",
    response_model=Page[RequestSummary],
    responses=error_responses(*_AUTH_ERRORS, ValidationFailed),
)
async def list_queue(
    reader: StaffReader,
    administration: Annotated[
        str | None,
        Query(
            max_length=32,
            description="An administration's code. National admins: only that administration "
            "(every one when absent). Agents and supervisors: their own only; another's is "
            "`403 forbidden`, never a wider view.",
            examples=["ACAPS"],
        ),
    ] = None,
    escalation_level: Annotated[
        int | None,
        Query(
            ge=0,
            le=2,
            description="`1`: past due (the administration's supervisors); `2`: the national "
            "admins' queue — a deadline long missed, or a transfer the receiving "
            "administration declined, until a national admin routes it with `transfer`.",
        ),
    ] = None,
    state: Annotated[list[State] | None, Query(description="One or more states.")] = None,
    kind: Kind | None = None,
    service_code: Annotated[str | None, Query(alias="service", max_length=48)] = None,
    assignee: Annotated[
        str | None, Query(max_length=20, description="A staff id, `me` or `none`.")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="Past the due date while the administration holds it.")
    ] = None,
    escalated: Annotated[
        bool | None,
        Query(
            description="Open and escalated (level 1 or 2: a deadline missed, the answer still "
            "owed); `false`: every other request."
        ),
    ] = None,
    created_from: Annotated[Moment | None, Query(description="Created at or after.")] = None,
    created_to: Annotated[Moment | None, Query(description="Created before.")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A tracking number, or words of the subject, "
            "description or name (prefixes match; accents and case ignored).",
        ),
    ] = None,
    sort: backoffice.Sort = backoffice.Sort.due_at,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """Agents and supervisors: only their administration's requests. National admins: every
    administration's, or one with `administration`; `escalation_level=2` is their own queue
    (declined transfers awaiting routing, deadlines long missed). The most urgent first by
    default; keyset pagination: pass `next_cursor` back as `cursor`. Operators get 403."""
    actor = reader.actor
    now = clock.now()
    administration_id = await backoffice.queue_scope(reader.direct, actor, administration)
    rows, next_cursor = await backoffice.queue(
        reader.direct,
        administration_id=administration_id,
        me=actor.user_id,
        filters=backoffice.QueueFilter(
            states=state,
            kind=kind,
            service=service_code,
            assignee=assignee,
            overdue=overdue,
            escalated=escalated,
            created_from=created_from,
            created_to=created_to,
            q=q,
            escalation_level=escalation_level,
        ),
        sort=sort,
        limit=limit,
        cursor=cursor,
        now=now,
    )
    return Response(views.queue_page_json(rows, now, next_cursor), media_type="application/json")


@router.post(
    "/requests/{tracking_number}/actions/{action}",
    summary="Take a staff action",
    operation_id="takeAction",
    response_model=RequestDetail,
    responses=error_responses(
        *_AUTH_ERRORS,
        InvalidApiKey,
        AmbiguousCredentials,
        RequestNotFound,
        UnknownAction,
        TransitionNotAllowed,
        ActionNotForRole,
        ExtensionAlreadyUsed,
        UrgentNotExtensible,
        NotTransferred,
        PreconditionFailed,
        ValidationFailed,
        IdempotencyKeyReused,
        IdempotencyInProgress,
    ),
)
async def take_action(
    tracking_number: TrackingNumber,
    action: Annotated[str, Path(max_length=32, examples=["start"])],
    caller: StaffActionCaller,
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description="The ETag you read; a stale one answers 412."),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="A unique key (a UUID) per action: a retry with the same key and body "
            "returns the first answer (`Idempotent-Replayed: true`) without acting twice; the "
            "same key with another body answers 422, a retry while the first runs 409. Kept "
            "at least 24 hours, per staff member or integration key.",
        ),
    ] = None,
    body: ActionIn | None = None,
) -> Response:
    """Any staff action of the lifecycle table (see `GET /api/v1/lifecycle`): `start`,
    `assign` (`assignee`), `transfer` (`administration`, optional `service`, `reason`;
    supervisors, and national admins for any open request — routing one in their queue may
    name its own administration), `decline_transfer` (`reason`; the receiving administration,
    once, for a request it got by transfer: `not_transferred` otherwise; it goes to the
    national admins' queue, `escalation_level=2`, until one of them routes it with `transfer`),
    `request_info` (`message`), `resume`, `answer` (`message`), `reject` (`reason_code`,
    `message`), `acknowledge`, `close`, `extend_deadline` (`days`, `reason`; never for an urgent
    information request: `urgent_not_extensible`), `message`, `note`, `mark_duplicate`
    (`duplicate_of`: a tracking number of the same administration; rejected as `duplicate`),
    `decide_appeal` (national admins, on an appealed complaint: `decision` `dismissed`, or
    `sent_back` with `days` 1–60 and a `message` of instructions for the administration),
    `interim_reply` (`message` and `expected_at`, a moment in the future: the citizen is told
    when to expect the answer; the due date and the escalation level do not change).
    Any action that carries a `message` takes a `template` instead: the code of a canned
    response of the request's administration (`/api/v1/backoffice/templates`), filled in
    the citizen's language.
    A refusal of the table answers `409` with `allowed_actions`.

    **Administrations' own systems** call it with their integration key (`X-API-Key`) instead
    of a staff token: on their administration's requests only (any other is a `404`, as for
    staff), and only the actions an agent may take (a supervisor's or a national admin's is
    `409 action_not_for_role`). The history records them as `integration` with the key
    (`data.api_key_id`, `data.api_key`); messages they write are the `integration`'s; each
    answer, which carries the request's personal data, is one row of its access log."""
    # Read under the row lock the action takes anyway: one read instead of two (a staff
    # token's account checked by it too).
    session, settings = caller.session, caller.settings
    actor, request = await service.locked_for_action(session, tracking_number, caller.caller)
    parsed = service.parse_action(action)
    outcome = await submissions.staff_action_once(
        session,
        request,
        parsed,
        actor,
        body or ActionIn(),  # `start` and the like need no body at all
        idempotency_key=idempotency_key,
        if_match=if_match,
        settings=settings,
        now=clock.now(),
    )
    if outcome.detail is None:  # a retry of the same key: the first answer, as it was
        headers = {"ETag": outcome.etag, "Idempotent-Replayed": "true"}
        return JSONResponse(outcome.body, headers=headers)
    # Serialized once by pydantic-core (FastAPI would validate the model again first).
    return json_response(outcome.detail, headers={"ETag": outcome.etag})


@router.post(
    "/requests/{tracking_number}/contact",
    summary="Attach or replace the contact of a paper or phone request",
    operation_id="attachContact",
    responses=error_responses(
        *_AUTH_ERRORS, RequestNotFound, ContactNotAllowed, ContactAlreadySet, ValidationFailed
    ),
)
async def attach_contact(
    tracking_number: TrackingNumber,
    body: ContactIn,
    actor: CurrentStaff,
    session: Session,
    settings: AppSettings,
) -> RequestDetail:
    """A request received by mail or phone gets an email and/or a phone, so that its author can
    follow it with the tracking number (as the ACAPS platform allows). Operators attach one
    only when the request has none (`contact_already_set` otherwise); a supervisor of the
    request's administration may replace it, with a `reason`, and the previous contact is told
    (its new value masked). Other roles get 403."""
    request = await service.get_visible(session, tracking_number, actor)
    now = clock.now()
    request = await service.attach_contact(
        session, request, actor, body, settings=settings, now=now
    )
    return await views.detail(session, request, actor, settings, now)


@router.get(
    "/requests/{tracking_number}/access-log",
    summary="Who read this request",
    operation_id="getStaffAccessLog",
    dependencies=[ReadOnly],
    responses=error_responses(*_AUTH_ERRORS, RequestNotFound, ValidationFailed),
)
async def staff_access_log(
    tracking_number: TrackingNumber,
    actor: CurrentStaff,
    session: Session,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> StaffAccessLogPage:
    """For a supervisor of the request's administration or a national administrator: every
    read of its personal data by staff or an integration key, with the reader's name (or the
    key's), newest first; keyset pagination: pass `next_cursor` back as `cursor`. Other roles
    get 403."""
    if actor.role not in (Role.supervisor, Role.national_admin):
        raise Forbidden()
    request = await service.get_visible(session, tracking_number, actor)
    return await access_log.for_staff(session, request.id, cursor=cursor, limit=limit)


@router.get(
    "/staff",
    summary="Staff of my administration",
    operation_id="listStaff",
    responses=error_responses(*_AUTH_ERRORS),
)
async def list_staff(actor: AdministrationStaff, session: Session) -> list[StaffOut]:
    """The active agents and supervisors a request can be assigned to."""
    assert actor.administration_id is not None
    return [users.staff_out(u) for u in await users.colleagues(session, actor.administration_id)]
