"""Requests: submission, who may see which, the detailed view, and every action on them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.config import Settings
from app.domain import instants
from app.domain.actors import Actor, StaffToken
from app.errors import (
    FieldError,
    Forbidden,
    IdempotencyInProgress,
    InvalidToken,
    RequestNotFound,
    UnknownAction,
    ValidationFailed,
    VerificationFailed,
)
from app.models.catalogue import Administration, Service
from app.models.enums import CLOCK_RUNNING, Action, Channel, Kind, Role, State
from app.models.request import Message, Request, RequestEvent
from app.repositories import requests as repository
from app.repositories import users as users_repository
from app.repositories.driver import Direct
from app.repositories.idempotency import Record
from app.repositories.throttle import Counter
from app.schemas.catalogue import AttributeDefinition
from app.schemas.requests import ActionIn, ContactIn, RequestIn
from app.services import (
    canned_responses,
    catalogue,
    idempotency,
    lifecycle,
    notifications,
    otp,
    search,
    stats,
    throttle,
    tracking_numbers,
)
from app.services.attributes import validate_attributes
from app.services.lifecycle import ActionInput, Policy
from app.services.visibility import OPERATOR_CHANNELS
from app.services.visibility import can_see as can_see  # re-exported: views use it

CITIZEN_CHANNELS = (Channel.web, Channel.mobile)
# How far in the future a `received_at` may lie, for clocks that drift a little.
CLOCK_TOLERANCE = timedelta(minutes=5)
# Staff actions that speak to the citizen: their message joins the conversation.
SPEAKING_ACTIONS = (
    Action.request_info,
    Action.answer,
    Action.reject,
    Action.acknowledge,
    Action.interim_reply,
)


def sees_internal(actor: Actor) -> bool:
    """Internal notes and assignments belong to the administration's own staff."""
    return repository.sees_internal(actor.role)


async def policy_of(session: AsyncSession, request: Request, settings: Settings) -> Policy:
    """The deadlines in force for the request's current administration and service."""
    administration = await repository.administration(session, request.administration_id)
    service = await repository.service(session, request.service_id) if request.service_id else None
    return catalogue.policy_for(
        administration, service, settings, kind=request.kind, urgent=request.urgent
    )


# --- submission


@dataclass(frozen=True)
class Submitted:
    request: Request
    administration: Administration
    service: Service | None


def _check_channel(payload: RequestIn, actor: Actor | None) -> list[FieldError]:
    role = actor.role if actor else Role.citizen
    if role is Role.operator:
        allowed: tuple[Channel, ...] = OPERATOR_CHANNELS
    elif role is Role.citizen:
        allowed = CITIZEN_CHANNELS
    elif role is Role.integration:
        allowed = (Channel.integration,)
    else:
        raise Forbidden()
    errors = []
    if payload.channel not in allowed:
        errors.append(FieldError("channel", "channel_not_allowed", {"allowed": ", ".join(allowed)}))
    if payload.urgent and payload.kind is not Kind.information_request:
        errors.append(FieldError("urgent", "information_request_only"))
    if role is not Role.operator:
        if payload.received_at is not None:
            errors.append(FieldError("received_at", "operator_only"))
        if not (payload.complainant.email or payload.complainant.phone):
            errors.append(FieldError("complainant", "contact_required"))
    return errors


_CODE_FIELD = "complainant.verification_code"


async def _resolve_catalogue(
    session: AsyncSession, payload: RequestIn, direct: Direct | None
) -> tuple[Administration | None, Service | None, dict[str, object], list[FieldError]]:
    administration = await catalogue.administration_for_filing(
        session, payload.administration, direct
    )
    if administration is None:
        return None, None, {}, [FieldError("administration", "unknown_administration")]
    service = None
    errors: list[FieldError] = []
    definitions: Sequence[Mapping[str, Any] | AttributeDefinition] = []
    if payload.service:
        service = await catalogue.service_for_filing(
            session, administration.id, payload.service, direct
        )
        if service is None:  # its attributes cannot be judged without it: one clear error
            code = await catalogue.missing_service_code(session, administration.id, payload.service)
            return administration, None, {}, [FieldError("service", code)]
        definitions = catalogue.attribute_definitions(session, service)
        if payload.kind.value not in service.kinds:
            errors.append(
                FieldError("kind", "kind_not_accepted", {"accepted": ", ".join(service.kinds)})
            )
    elif payload.attributes:
        return administration, None, {}, [FieldError("service", "service_for_attributes")]
    attributes, attribute_errors = validate_attributes(definitions, payload.attributes)
    return administration, service, attributes, errors + attribute_errors


async def submit(
    session: AsyncSession,
    payload: RequestIn,
    actor: Actor | None,
    *,
    language: str,
    settings: Settings,
    now: datetime,
    on: AsyncSession | Direct | None = None,
    client: Counter | None = None,
    record: Callable[[Submitted], Record] | None = None,
    address: str = "",
) -> Submitted:
    """Validate a new request against the catalogue and file it, with its first history event,
    in one statement: in the session's transaction, or `on` the driver on its own (when
    nothing else of the call must commit with it; the catalogue's version is read there too).
    `client`: the counter of its client's ceiling, which must count it (else 429, nothing
    filed). `record`: the `Idempotency-Key` record of the filing, claimed and inserted by the
    same statement (409 while the key is held elsewhere, `idempotency.Known` when it has a
    record already: nothing filed either way). `address`: the caller's, against which its
    tries at a verification code count."""
    errors = _check_channel(payload, actor)
    direct = on if isinstance(on, Direct) else None
    administration, service, attributes, catalogue_errors = await _resolve_catalogue(
        session, payload, direct
    )
    errors += catalogue_errors
    received_at = payload.received_at or now
    if received_at.tzinfo is None:
        errors.append(FieldError("received_at", "not_a_datetime"))
    elif received_at > now + CLOCK_TOLERANCE:
        errors.append(FieldError("received_at", "in_future"))
    complainant = payload.complainant
    verified_contact = None
    if complainant.verification_code is None:
        if service is not None and service.requires_verified_contact:
            errors.append(FieldError(_CODE_FIELD, "verification_required"))
    elif not errors:  # a code is spent only on an otherwise valid filing
        verified_contact = await otp.spend_for_filing(
            session,
            complainant.email,
            complainant.phone,
            complainant.verification_code,
            client=address,
            settings=settings,
            now=now,
        )
        if verified_contact is None:  # the only error: its failed attempt stays counted
            raise VerificationFailed(errors=[FieldError(_CODE_FIELD, "code_invalid")])
    if errors or administration is None:
        raise ValidationFailed(errors=errors)
    received_at = received_at.astimezone(UTC)  # every timestamp leaves in UTC

    days = catalogue.answer_days(
        administration, service, settings, kind=payload.kind, urgent=payload.urgent
    )
    request = repository.new_request(
        kind=payload.kind,
        state=lifecycle.INITIAL_STATE,
        version=1,
        administration_id=administration.id,
        service_id=service.id if service else None,
        subject=payload.subject,
        description=payload.description,
        attributes=attributes,
        language=payload.language or language,
        channel=payload.channel.value,
        person_type=complainant.person_type.value,
        full_name=complainant.full_name,
        organization_name=complainant.organization_name,
        email=complainant.email,
        phone=complainant.phone,
        national_id=complainant.national_id,
        country=complainant.country,
        address=payload.location.address if payload.location else None,
        latitude=payload.location.lat if payload.location else None,
        longitude=payload.location.long if payload.location else None,
        operator_id=actor.user_id if actor and actor.role is Role.operator else None,
        received_at=received_at,
        # Decree 2-17-265: the legal clock runs from the day the request actually arrived.
        clock_started_at=received_at,
        due_at=received_at + timedelta(days=days),
        reopen_count=0,
        receipt_code=tracking_numbers.receipt_code(),
        public_id=tracking_numbers.public_id(),
        urgent=payload.urgent,
        verified_contact=verified_contact,
        extension_count=0,
        created_at=now,
        updated_at=now,
    )
    submitted = {
        "action": Action.submit.value,
        "from_state": None,
        "to_state": request.state,
        "actor_role": (actor.role if actor else Role.citizen).value,
        "actor_id": actor.user_id if actor else None,
        "public": True,
        "data": {
            "channel": request.channel,
            "due_at": instants.isoformat(request.due_at),
            **(lifecycle.integration_facts(actor) if actor else {}),
        },
        "created_at": now,
    }
    acknowledgements = notifications.acknowledgement_ceilings(request, settings, now)
    ceilings = repository.Ceilings(client, *acknowledgements)

    def outbox() -> notifications.Outbox:  # its messages quote the tracking number drawn
        return notifications.on_submitted(
            request, administration, settings, now, ceilings=acknowledgements
        )

    # Its statistics ride in the insert: the cohort of the month it was filed in.
    month = stats.cohort_month(request.created_at)
    if on is None or session.in_transaction():
        # What the call read through the session (a staff token's account, a catalogue row
        # not cached yet) holds a connection in a transaction: the filing joins it, rather
        # than take a second connection while holding one, and commits with it.
        on = session
    result = Submitted(request, administration, service)
    recorded = None if record is None else functools.partial(record, result)
    await _insert_with_tracking_number(
        on, request, submitted, outbox, now, month, ceilings, recorded
    )
    if session.new or session.dirty or session.deleted:  # whatever else filing changed (rare)
        await session.flush()
    return result


async def _insert_with_tracking_number(
    on: AsyncSession | Direct,
    request: Request,
    first_event: dict[str, Any],
    outbox: Callable[[], notifications.Outbox],
    now: datetime,
    stats_month: datetime,
    ceilings: repository.Ceilings,
    record: Callable[[], Record] | None,
) -> None:
    """Insert the request with its first event, its outbox messages, its statistics, its
    ceilings' counters and its key's `record` (its answer, which quotes the tracking number
    drawn), in one statement; 429 when its client's counter is full."""
    # 50 random bits make a collision very unlikely; when one happens, draw again.
    for _ in range(5):
        repository.fill(request, tracking_number=tracking_numbers.generate())
        text = search.search_text(request)
        repository.fill(request, search_text=text, search_vector=search.search_vector(text))
        answer = None if record is None else record()
        filing = await repository.insert_new(
            on, request, first_event, outbox(), now, stats_month, ceilings, answer
        )
        if filing.request_id is not None:
            return
        if not filing.locked:
            raise IdempotencyInProgress(headers={"Retry-After": "1"})
        if filing.known:
            raise idempotency.Known()
        if ceilings.client is not None:
            if not filing.counted:
                await throttle.refuse_submission(on, ceilings.client, now)
            # A taken number: the client's counter counted this submission already (that
            # statement's writes stand), so the next draw leaves it out: counted once.
            ceilings = replace(ceilings, client=None)
    raise RuntimeError("could not draw a free tracking number")


# --- reading


async def get_detail(direct: Direct, raw_number: str, actor: Actor) -> Any:
    """What the detail view of request `raw_number` shows, if `actor` may see it: one
    statement, visibility included (a tracking token names its request, so nothing else is
    read to decide)."""
    number = tracking_numbers.normalize(raw_number)
    row = None
    if number is not None:
        row = await repository.get_detail(
            direct,
            number,
            actor.role,
            request_id=actor.request_id,
            administration_id=actor.administration_id,
            email=actor.email,
            phone=actor.phone,
        )
    if row is None:
        raise RequestNotFound()
    return row


async def find_by_tracking_number(
    session: AsyncSession, raw: str, *, for_update: bool = False
) -> Request | None:
    """The request and what views show of it; `for_update` locks its row as it is read (for
    an action about to follow: `lifecycle.apply` then needs no second read)."""
    number = tracking_numbers.normalize(raw)
    if number is None:
        return None
    request = await repository.by_tracking_number(session, number, for_update=for_update)
    if request is not None and for_update:
        lifecycle.note_locked(session, request.id)
    return request


async def get_visible(
    session: AsyncSession, raw_number: str, actor: Actor, *, for_update: bool = False
) -> Request:
    request = await find_by_tracking_number(session, raw_number, for_update=for_update)
    if request is None or not can_see(actor, request):
        raise RequestNotFound()
    return request


async def locked_for_action(
    session: AsyncSession, raw_number: str, caller: Actor | StaffToken
) -> tuple[Actor, Request]:
    """Who acts and the request they act on, read under its row lock (`get_visible`'s
    answers: 404 for a request the actor may not see). A staff token's account is checked
    by the same statement (401 if it is inactive or its tokens revoked, as the dependencies
    answer, before anything is said of the request)."""
    if isinstance(caller, Actor):
        return caller, await get_visible(session, raw_number, caller, for_update=True)
    number = tracking_numbers.normalize(raw_number)
    found = None
    if number is not None:
        found = await repository.locked_with_account(
            session, number, caller.user_id, caller.version
        )
    if found is None:  # no such request, or no such account: which one, the account first
        await staff_of(session, caller)
        raise RequestNotFound()
    request, role, administration_id = found
    actor = caller.actor(role, administration_id)
    if not actor.is_staff:
        raise Forbidden()
    lifecycle.note_locked(session, request.id)
    if not can_see(actor, request):
        raise RequestNotFound()
    return actor, request


async def staff_of(session: AsyncSession, token: StaffToken) -> Actor:
    """The staff member of `token`, their account read on its own: 401 when it is inactive or
    its tokens revoked, 403 for an account of no staff role (the dependencies' answers)."""
    user = await users_repository.get_active_actor(session, token.user_id)
    if user is None or user.token_version != token.version:
        raise InvalidToken()
    actor = token.actor(user.role, user.administration_id)
    if not actor.is_staff:
        raise Forbidden()
    return actor


def want_view(session: AsyncSession, actor: Actor) -> None:
    """The action about to be taken is answered with `actor`'s view: its change returns the
    history and links `view_extras` reads (no statement of their own)."""
    repository.want_view(session, sees_internal(actor), actor.is_staff)


async def view_extras(session: AsyncSession, request: Request, actor: Actor) -> Row[Any]:
    """What the view of `request` (loaded, possibly just changed) reads besides it: its history
    as `actor` may see it and, for staff, its duplicate links; one statement."""
    return await repository.view_extras(
        session, request.id, internal=sees_internal(actor), staff=actor.is_staff
    )


async def messages(
    session: AsyncSession, request: Request, actor: Actor
) -> list[tuple[Message, str | None]]:
    return await repository.messages(session, request.id, internal=sees_internal(actor))


# --- changing


# What views show of the rows a request names, each read by its id (from the session's
# identity map when it holds the row).
_RELATED = (
    ("administration", "administration_id", repository.administration_or_none),
    ("service", "service_id", repository.service),
    ("assignee", "assignee_id", repository.user),
    ("operator", "operator_id", repository.user),
)


async def _reload(session: AsyncSession, request: Request) -> Request:
    """Load what views show that the action changed (a transfer, an assignment) or that is
    not loaded; what is loaded and current is not read again. Each row by its id, not by a
    refresh of the request (which read the request again, then the row: `start`, which
    assigns the agent, cost two statements for the agent's name)."""
    unloaded = inspect(request).unloaded
    for name, key, get in _RELATED:
        wanted = getattr(request, key)
        if name in unloaded or getattr(getattr(request, name), "id", None) != wanted:
            row = None if wanted is None else await get(session, wanted)
            set_committed_value(request, name, row)
    return request


async def act(
    session: AsyncSession,
    request: Request,
    action: Action,
    actor: Actor,
    data: ActionInput,
    *,
    settings: Settings,
    now: datetime,
    if_match: str | None = None,
) -> Request:
    """Apply one lifecycle action and write its notifications, then reload what views show."""
    await perform(
        session, request, action, actor, data, settings=settings, now=now, if_match=if_match
    )
    return await _reload(session, request)


async def perform(
    session: AsyncSession,
    request: Request,
    action: Action,
    actor: Actor,
    data: ActionInput,
    *,
    settings: Settings,
    now: datetime,
    if_match: str | None = None,
) -> RequestEvent:
    """The one path of every action, whoever takes it (staff, citizens, the clock): the
    lifecycle's `apply`, then the notifications and the statistics of its event."""
    policy = await policy_of(session, request, settings)
    event = await lifecycle.apply(
        session, request, action, actor, data, policy, now, if_match=if_match
    )
    await notifications.on_event(session, request, event, settings, now)
    await stats.on_event(session, request, event)
    return event


def _message(request: Request, actor: Actor, body: str, internal: bool, now: datetime) -> Message:
    """A message of `actor` on `request` (internal: staff only)."""
    return Message(
        request_id=request.id,
        author_role=actor.role.value,
        author_id=actor.user_id,
        body=body,
        internal=internal,
        created_at=now,
    )


async def post_message(
    session: AsyncSession,
    request: Request,
    actor: Actor,
    body: str | None,
    *,
    internal: bool,
    settings: Settings,
    now: datetime,
    if_match: str | None = None,
    template: str | None = None,
    field: str = "body",
) -> Message:
    """Add to the conversation. A citizen's reply to a request for information resumes it.
    Staff may send a canned response (`template`) instead of a text of their own."""
    if internal and not sees_internal(actor):
        raise Forbidden()
    if template is not None and not sees_internal(actor):
        raise Forbidden()  # canned responses are the administration's own words
    body = await canned_responses.compose(
        session, request, text=body, template=template, field=field, settings=settings
    )
    if not body:
        raise ValidationFailed(errors=[FieldError(field, "required")])
    action = Action.note if internal else Action.message
    awaiting = request.state == State.awaiting_citizen
    await act(
        session,
        request,
        action,
        actor,
        ActionInput(message=body, data={"template": template} if template else {}),
        settings=settings,
        now=now,
        if_match=if_match,
    )
    message = _message(request, actor, body, internal, now)
    await repository.add_message(session, message)
    if awaiting and actor.role is Role.citizen:
        await act(session, request, Action.resume, actor, ActionInput(), settings=settings, now=now)
    if session.new or session.dirty or session.deleted:  # whatever else it changed (rare)
        await session.flush()
    return message


def _routes_back(request: Request, actor: Actor | None) -> bool:
    """A national admin may route a request in their queue (escalation level 2: a declined
    transfer, or a deadline long missed) back to its own administration: theirs to answer."""
    return actor is not None and actor.role is Role.national_admin and request.escalation_level == 2


async def _resolve_action_input(
    session: AsyncSession,
    request: Request,
    action: Action,
    body: ActionIn,
    settings: Settings,
    actor: Actor | None = None,
) -> ActionInput:
    errors: list[FieldError] = []
    assignee_id = None
    if body.assignee is not None:
        user = await repository.user(session, body.assignee)
        if (
            user is None
            or not user.active
            or user.administration_id != request.administration_id
            or user.role not in (Role.agent, Role.supervisor)
        ):
            errors.append(FieldError("assignee", "not_an_assignable_agent"))
        else:
            assignee_id = user.id
    target_id = target_service_id = target_days = None
    facts: dict[str, object] = {}
    if body.administration is not None:
        target = await catalogue.administration_for_filing(session, body.administration)
        if target is None:
            errors.append(FieldError("administration", "unknown_administration"))
        elif target.id == request.administration_id and not _routes_back(request, actor):
            errors.append(FieldError("administration", "same_administration"))
        else:
            target_service = None
            if body.service:
                target_service = await catalogue.service_for_filing(
                    session, target.id, body.service
                )
                if target_service is None:
                    code = await catalogue.missing_service_code(session, target.id, body.service)
                    errors.append(FieldError("service", code))
                elif request.kind not in target_service.kinds:
                    errors.append(
                        FieldError(
                            "service",
                            "kind_not_accepted",
                            {"accepted": ", ".join(target_service.kinds)},
                        )
                    )
            target_id = target.id
            target_service_id = target_service.id if target_service else None
            target_days = catalogue.policy_for(target, target_service, settings).answer_days
            facts["from_administration"] = request.administration.code
            facts["from_administration_id"] = request.administration_id
            facts["from_service_id"] = request.service_id
            facts["to_administration"] = target.code
    if action is Action.decline_transfer:
        facts["declined_by"] = request.administration.code
        if request.transferred_from_id is not None:
            origin = await repository.administration_or_none(session, request.transferred_from_id)
            facts["transferred_from"] = origin.code if origin else None
    duplicate_of_id = None
    if body.duplicate_of is not None:
        duplicate_of_id, error = await _original_of(session, request, body.duplicate_of)
        if error is not None:
            errors.append(error)
    complaint_decision = action is Action.decide_appeal and request.kind == Kind.complaint
    if complaint_decision and body.days is not None and body.days > 60:
        errors.append(FieldError("days", "out_of_range", {"min": 1, "max": 60}))
    limit = settings.information_extension_days
    if request.kind == Kind.information_request and body.days is not None and body.days > limit:
        errors.append(FieldError("days", "out_of_range", {"min": 1, "max": limit}))
    if errors:
        raise ValidationFailed(errors=errors)
    return ActionInput(
        # A decision's message instructs the administration: kept apart from the citizen's view.
        message=None if complaint_decision else body.message,
        instructions=body.message if complaint_decision else None,
        decision=body.decision,
        reason=body.reason,
        reason_code=body.reason_code,
        assignee_id=assignee_id,
        administration_id=target_id,
        service_id=target_service_id,
        target_answer_days=target_days,
        days=body.days,
        outcome=body.outcome,
        refusal_ground=body.legal_ground,
        duplicate_of_id=duplicate_of_id,
        expected_at=body.expected_at,
        data={**facts, "template": body.template} if body.template else facts,
    )


async def _original_of(
    session: AsyncSession, request: Request, raw: str
) -> tuple[int | None, FieldError | None]:
    """The original a duplicate names: a request of the same administration (another
    administration's number answers like an unknown one: staff learn nothing of it)."""
    number = tracking_numbers.normalize(raw)
    row = None
    if number is not None:
        row = await repository.duplicate_candidate(session, number)
    if row is None or row.administration_id != request.administration_id:
        return None, FieldError("duplicate_of", "not_a_request_here")
    if row.id == request.id:
        return None, FieldError("duplicate_of", "same_request")
    if row.duplicate_of_id is not None:
        return None, FieldError("duplicate_of", "already_duplicate")
    return row.id, None


def parse_action(name: str) -> Action:
    try:
        return Action(name)
    except ValueError:
        raise UnknownAction(params={"action": name}) from None


async def staff_action(
    session: AsyncSession,
    request: Request,
    action: Action,
    actor: Actor,
    body: ActionIn,
    *,
    settings: Settings,
    now: datetime,
    if_match: str | None,
) -> Request:
    """Any staff action of the lifecycle table, with the message joining the conversation."""
    if action in (Action.message, Action.note):
        await post_message(
            session,
            request,
            actor,
            body.message,
            internal=action is Action.note,
            settings=settings,
            now=now,
            if_match=if_match,
            template=body.template,
            field="message",
        )
        return await _reload(session, request)
    if body.template is not None:
        message = await canned_responses.compose(
            session,
            request,
            text=body.message,
            template=body.template,
            field="message",
            settings=settings,
        )
        body = body.model_copy(update={"message": message})
    data = await _resolve_action_input(session, request, action, body, settings, actor)
    request = await act(
        session, request, action, actor, data, settings=settings, now=now, if_match=if_match
    )
    # The national admins' instructions (staff only), then what the action says to the citizen.
    written = [(data.instructions, True)]
    written.append((body.message if action in SPEAKING_ACTIONS else None, False))
    for text, internal in written:
        if text:
            await repository.add_message(session, _message(request, actor, text, internal, now))
    return request


async def attach_contact(
    session: AsyncSession,
    request: Request,
    actor: Actor,
    body: ContactIn,
    *,
    settings: Settings,
    now: datetime,
) -> Request:
    """An operator gives a contact to a mail or phone request that has none; replacing one
    takes a supervisor of its administration, and the previous contact is told."""
    if actor.role not in (Role.operator, Role.supervisor):
        raise Forbidden()
    # Read the contact being replaced under the row lock (`apply` takes it again: a no-op).
    request = await lifecycle.lock(session, request)
    old_email, old_phone = request.email, request.phone
    changed = [
        name
        for name, new, old in (("email", body.email, old_email), ("phone", body.phone, old_phone))
        if new and new != old
    ]
    facts: dict[str, object] = {"contact": "replaced" if old_email or old_phone else "attached"}
    if changed:
        facts["changed"] = changed
    data = ActionInput(email=body.email, phone=body.phone, reason=body.reason, data=facts)
    request = await act(
        session, request, Action.attach_contact, actor, data, settings=settings, now=now
    )
    if changed and (old_email or old_phone):
        await notifications.contact_changed(session, request, old_email, old_phone, now)
    search.index(request)  # staff may now find it by the new contact
    await session.flush()
    return request


def overdue(state: State, due_at: datetime, now: datetime) -> bool:
    """Past its due date while the administration holds it (the clock pauses otherwise)."""
    return state in CLOCK_RUNNING and due_at < now


def is_overdue(request: Request, now: datetime) -> bool:
    return overdue(request.state, request.due_at, now)


def reopen_until(request: Request, policy: Policy) -> datetime | None:
    if request.answered_at is None or request.kind != Kind.complaint:
        return None
    return request.answered_at + timedelta(days=policy.reopen_window_days)
