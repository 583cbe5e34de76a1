"""Typed factories for tests: administrations, services, staff, and requests — filed through
the API (`file`) when the filing is what a test is about, or built directly in any state
(`create_request`) when the test only needs the state."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.domain.actors import Actor
from app.models.catalogue import Administration, Service
from app.models.enums import Action, Kind, Outcome, RejectionReason, Role, State
from app.models.request import Message, Request, RequestEvent
from app.models.user import User
from app.repositories import dispatcher
from app.services import auth, catalogue, clock, lifecycle, stats, totp, tracking_numbers
from app.services.lifecycle import ActionInput
from app.services.requests import SPEAKING_ACTIONS
from app.services.search import index
from app.services.textnorm import fold
from tests import documents

PASSWORD = "correct horse battery staple"
_hash_cache: dict[str, str] = {}
_counter = itertools.count(1)

L = {"ar": "نص", "fr": "texte", "en": "text"}


def attribute(
    code: str,
    datatype: str,
    order: int,
    description: dict[str, str],
    *,
    required: bool = False,
    values: list[dict[str, Any]] | None = None,
    **limits: Any,
) -> dict[str, Any]:
    """An attribute definition in the catalogue's shape (`limits`: `max_length`, `minimum`...)."""
    return {
        "code": code,
        "datatype": datatype,
        "required": required,
        "order": order,
        "description": description,
        **limits,
        "values": values or [],
    }


def choice(key: str, ar: str, fr: str, en: str) -> dict[str, Any]:
    """One value of a list attribute."""
    return {"key": key, "name": {"ar": ar, "fr": fr, "en": en}}


ATTRIBUTES: list[dict[str, Any]] = [
    attribute(
        "policy_number",
        "string",
        1,
        {"ar": "رقم العقد", "fr": "Numéro de police", "en": "Policy number"},
        required=True,
        max_length=20,
    ),
    attribute(
        "branch",
        "singlevaluelist",
        2,
        {"ar": "الفرع", "fr": "Branche", "en": "Branch"},
        required=True,
        values=[
            choice("auto", "السيارات", "Automobile", "Motor"),
            choice("health", "الصحة", "Santé", "Health"),
        ],
    ),
    attribute(
        "incident_date",
        "date",
        3,
        {"ar": "تاريخ الحادث", "fr": "Date du sinistre", "en": "Incident date"},
    ),
    attribute("amount", "number", 4, {"ar": "المبلغ", "fr": "Montant", "en": "Amount"}),
    attribute(
        "accused_id", "national_id", 5, {"ar": "رقم البطاقة", "fr": "CIN", "en": "National ID"}
    ),
]


async def make_administration(
    session: AsyncSession,
    code: str | None = None,
    *,
    name: dict[str, str] | None = None,
    answer_days: int | None = None,
    reopen_window_days: int | None = None,
    max_reopens: int | None = None,
    kinds: tuple[str, ...] = ("complaint", "observation", "suggestion"),
    attributes: list[dict[str, Any]] | None = None,
) -> Administration:
    """An administration with one service, `svc`, carrying the test attributes."""
    code = code or f"TST{next(_counter)}"
    name = name or {
        "ar": f"إدارة {code}",
        "fr": f"Administration {code}",
        "en": f"Administration {code}",
    }
    admin = Administration(
        code=code,
        name=name,
        sector="public_service",
        answer_days=answer_days,
        reopen_window_days=reopen_window_days,
        max_reopens=max_reopens,
        search_text=fold(" ".join([code, *name.values()])),
    )
    session.add(admin)
    await session.flush()
    services = [
        ("svc", {"ar": "خدمة", "fr": "Service", "en": "Service"}, attributes),
        ("general", {"ar": "عام", "fr": "Général", "en": "General"}, []),
    ]
    for service_code, service_name, service_attributes in services:
        session.add(
            Service(
                administration_id=admin.id,
                code=service_code,
                name=service_name,
                description=L,
                kinds=list(kinds),
                attributes=ATTRIBUTES if service_attributes is None else service_attributes,
                required_documents=[],
            )
        )
    await session.flush()
    return admin


async def make_staff(
    session: AsyncSession,
    settings: Settings,
    role: Role,
    administration: Administration | None = None,
    *,
    full_name: str | None = None,
) -> tuple[User, dict[str, str]]:
    """A staff account and the Authorization header of its bearer token."""
    if "hash" not in _hash_cache:
        _hash_cache["hash"] = await auth.hash_password(PASSWORD)
    n = next(_counter)
    user = User(
        email=f"{role.value}{n}@staff.example.ma",
        full_name=full_name or f"{role.value.title()} {n}",
        password_hash=_hash_cache["hash"],
        role=role.value,
        administration_id=administration.id if administration else None,
        active=True,
        token_version=0,
        # Enrolled like `python -m app users create` does: these roles log in with a code.
        totp_secret=totp.new_secret() if role in totp.REQUIRED_FOR else None,
    )
    session.add(user)
    await session.flush()
    token = auth.staff_token(user.id, settings, version=user.token_version)
    return user, {"Authorization": f"Bearer {token}"}


def otp(user: User, moment: datetime | None = None) -> str:
    """The code the account's authenticator app shows at `moment` (now by default)."""
    assert user.totp_secret, f"{user.email} has no second factor"
    return totp.code_at(user.totp_secret, moment or clock.now())


def complaint(administration: str, **overrides: Any) -> dict[str, Any]:
    """A valid complaint for the `svc` service of a test administration."""
    body: dict[str, Any] = {
        "kind": "complaint",
        "administration": administration,
        "service": "svc",
        "subject": "Indemnisation refusée",
        "description": "Mon assureur refuse d'indemniser le sinistre du 3 mars 2026.",
        "attributes": {"policy_number": "POL-123", "branch": "auto"},
        "complainant": {"full_name": "Fatima Zahra El Idrissi", "email": "Fatima@Example.ma"},
    }
    body.update(overrides)
    return body


async def file(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    """File a request through the API; returns the 201 body plus a citizen `auth` header."""
    response = await client.post("/api/v1/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    created["auth"] = {"Authorization": f"Bearer {created['access_token']}"}
    return created


async def agent_and_stranger(
    session: AsyncSession, settings: Settings
) -> tuple[Administration, dict[str, str], dict[str, str]]:
    """An administration, the Authorization header of one of its agents, and that of an agent
    of another administration (a stranger to its requests)."""
    admin = await make_administration(session)
    other = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _stranger, stranger = await make_staff(session, settings, Role.agent, other)
    return admin, agent, stranger


async def file_complaint(
    client: httpx.AsyncClient, session: AsyncSession, **overrides: Any
) -> dict[str, Any]:
    """A complaint (with `overrides`) to a new test administration, filed through the API."""
    admin = await make_administration(session)
    return await file(client, complaint(admin.code, **overrides))


async def track(
    client: httpx.AsyncClient, number: str, *, headers: dict[str, str] | None = None, **contact: str
) -> httpx.Response:
    """Track a request: its number and the contact given at submission (`email=`/`phone=`);
    with an operator's `headers`, on a caller's behalf."""
    body = {"tracking_number": number, **contact}
    return await client.post("/api/v1/tracking", json=body, headers=headers)


def pdf(name: str = "constat.pdf") -> tuple[str, bytes, str]:
    """A PDF to upload, as httpx takes a file: name, content, type."""
    return (name, documents.pdf(), "application/pdf")


async def upload(
    client: httpx.AsyncClient, number: str, headers: dict[str, str], *files: Any
) -> httpx.Response:
    """Attach `files` (as httpx takes them) to request `number`."""
    return await client.post(
        f"/api/v1/requests/{number}/attachments",
        files=[("files", f) for f in files],
        headers=headers,
    )


async def act(
    client: httpx.AsyncClient, number: str, action: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/backoffice/requests/{number}/actions/{action}", json=body, headers=headers
    )


# --- requests in any state, built directly in the database


@dataclass(frozen=True)
class Step:
    """One lifecycle action on the way to a state, by a role, with what it carries."""

    action: Action
    role: Role = Role.agent
    data: ActionInput = field(default_factory=ActionInput)


START, CLOSE = Step(Action.start), Step(Action.close, Role.citizen)
ASK = Step(Action.request_info, data=ActionInput(message="Pouvez-vous préciser ?"))
ANSWER = Step(Action.answer, data=ActionInput(message="Réponse de l'administration."))
REJECT = Step(
    Action.reject,
    data=ActionInput(reason_code=RejectionReason.duplicate, message="Demande en double."),
)
REFUSE = Step(
    Action.answer,
    data=ActionInput(message="Non", outcome=Outcome.refused, refusal_ground="Art. 7"),
)
GRANT = Step(Action.answer, data=ActionInput(message="Voici.", outcome=Outcome.granted))
ACKNOWLEDGE = Step(Action.acknowledge, data=ActionInput(message="Merci."))
_BY_ACKNOWLEDGEMENT = {
    State.acknowledged: (ACKNOWLEDGE,),
    State.closed: (ACKNOWLEDGE, Step(Action.close)),
    State.rejected: (REJECT,),
}
# The usual way from `submitted` to each state, per kind: the actions a request of that kind
# takes, through the lifecycle table, so its history, clocks and counters are all genuine.
PATHS: dict[Kind, dict[State, tuple[Step, ...]]] = {
    Kind.complaint: {
        State.in_progress: (START,),
        State.awaiting_citizen: (START, ASK),
        State.answered: (START, ANSWER),
        State.closed: (START, ANSWER, CLOSE),
        State.rejected: (REJECT,),
        # Issue 10: an answer rated poorly is appealed to the national level.
        State.appealed: (
            START,
            ANSWER,
            Step(Action.rate, Role.citizen, ActionInput(score=1)),
            Step(Action.appeal, Role.citizen, ActionInput(reason="Non")),
        ),
    },
    Kind.observation: _BY_ACKNOWLEDGEMENT,
    Kind.suggestion: _BY_ACKNOWLEDGEMENT,
    Kind.information_request: {
        State.in_progress: (START,),
        State.awaiting_citizen: (START, ASK),
        State.answered: (START, GRANT),
        State.appealed: (
            START,
            REFUSE,
            Step(Action.appeal, Role.citizen, ActionInput(reason="Non")),
        ),
        State.closed: (START, GRANT, CLOSE),
        State.rejected: (REJECT,),
    },
}


async def create_request(
    session: AsyncSession,
    *,
    administration: Administration,
    state: State = State.submitted,
    kind: Kind = Kind.complaint,
    service: Service | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    staff: User | None = None,
    via: tuple[Step, ...] | None = None,
    **fields: Any,
) -> Request:
    """A request of `kind` in `state`, written straight to the database as if filed at `now`
    (the test clock by default) and taken at that same moment through `via` (by default the
    usual path of `PATHS`; `state` must be where it leads): the submission event and one
    history event per action, the deadlines the policy sets, the messages of speaking actions
    and the statistics counters — what `submit` and `act` write, except notifications (tests
    of notices file through the API).

    `fields` are columns of the request as filed (`subject`, `email`, `channel`, `urgent`,
    `received_at`, `reopen_count`, ...); `staff` is who takes the staff actions (an agent who
    starts becomes the assignee). The citizen's tracking token: `citizen_auth`."""
    now = now or clock.now()
    settings = settings or Settings()
    received_at: datetime = fields.pop("received_at", now)
    values: dict[str, Any] = {
        "subject": "Indemnisation refusée",
        "description": "Mon assureur refuse d'indemniser le sinistre du 3 mars 2026.",
        "attributes": {},
        "language": "fr",
        "channel": "web",
        "full_name": "Fatima Zahra El Idrissi",
        "email": "fatima@example.ma",
        "urgent": False,
        "reopen_count": 0,
        "extension_count": 0,
        "receipt_code": tracking_numbers.receipt_code(),
        "public_id": tracking_numbers.public_id(),
        "tracking_number": tracking_numbers.generate(),
        **fields,
    }
    policy = catalogue.policy_for(
        administration, service, settings, kind=kind, urgent=values["urgent"]
    )
    request = Request(
        kind=kind.value,
        state=lifecycle.INITIAL_STATE.value,
        version=1,
        administration_id=administration.id,
        service_id=service.id if service else None,
        received_at=received_at,
        clock_started_at=received_at,
        due_at=received_at + timedelta(days=policy.answer_days),
        created_at=now,
        updated_at=now,
        **values,
    )
    index(request)
    session.add(request)
    await session.flush()
    session.add(
        RequestEvent(
            request_id=request.id,
            action=Action.submit.value,
            from_state=None,
            to_state=request.state,
            actor_role=Role.citizen.value,
            public=True,
            data={"channel": request.channel, "due_at": request.due_at.isoformat()},
            created_at=now,
        )
    )
    await stats.on_submitted(session, request)
    steps = PATHS[kind].get(state, ()) if via is None else via
    for step in steps:
        role = step.role
        if staff is not None and role is Role.agent:
            role = Role(staff.role)  # a supervisor may take an agent's steps too
        actor = Actor(
            role=role,
            user_id=staff.id if staff is not None and role is not Role.citizen else None,
            administration_id=administration.id,
            request_id=request.id,
        )
        event = lifecycle.execute(request, step.action, actor, step.data, policy, now)
        session.add(event)
        if step.action in SPEAKING_ACTIONS and step.data.message:
            session.add(
                Message(
                    request_id=request.id,
                    author_role=actor.role.value,
                    author_id=actor.user_id,
                    body=step.data.message,
                    internal=False,
                    created_at=now,
                )
            )
        await session.flush()
        await stats.on_event(session, request, event)
    assert request.state == state.value, f"{[step.action for step in steps]} lead elsewhere"
    await session.flush()
    return request


def citizen_auth(request: Request, settings: Settings) -> dict[str, str]:
    """The Authorization header of the citizen's tracking token for `request`."""
    token = auth.tracking_token(request.id, request.tracking_number, settings)
    return {"Authorization": f"Bearer {token}"}


# --- shapes several test modules share


class TwoAdministrations(NamedTuple):
    """Two administrations and the Authorization headers of the staff tests act as."""

    admin: Administration
    other: Administration
    agent: dict[str, str]
    supervisor: dict[str, str]
    other_supervisor: dict[str, str]
    national: dict[str, str]


async def two_administrations(session: AsyncSession, settings: Settings) -> TwoAdministrations:
    """`admin` with an agent and a supervisor, `other` with a supervisor, and a national admin."""
    admin = await make_administration(session)
    other = await make_administration(session)
    _a, agent = await make_staff(session, settings, Role.agent, admin)
    _s, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    _o, other_supervisor = await make_staff(session, settings, Role.supervisor, other)
    _n, national = await make_staff(session, settings, Role.national_admin)
    return TwoAdministrations(admin, other, agent, supervisor, other_supervisor, national)


def unsaved_request(
    t0: datetime, kind: Kind = Kind.complaint, state: State = State.submitted, **fields: Any
) -> Request:
    """A request in memory only (for the lifecycle's logic), received at `t0`, due 60 days on."""
    values: dict[str, Any] = {
        "id": 1,
        "kind": kind.value,
        "state": state.value,
        "version": 1,
        "administration_id": 1,
        "channel": "web",
        "urgent": False,
        "reopen_count": 0,
        "extension_count": 0,
        "escalation_level": 0,
        "received_at": t0,
        "clock_started_at": t0,
        "due_at": t0 + timedelta(days=60),
        "created_at": t0,
        "updated_at": t0,
    }
    values.update(fields)
    return Request(**values)


# What an agent may do on a complaint just submitted (`allowed_actions`, in the table's order).
AGENT_ON_SUBMITTED = [
    "start",
    "reject",
    "mark_duplicate",
    "interim_reply",
    "message",
    "note",
    "attach",
]


async def filed_count(
    sessionmaker: async_sessionmaker[AsyncSession], administration_id: int
) -> int:
    """How many requests an administration holds, read afresh (what was committed)."""
    async with sessionmaker() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Request)
            .where(Request.administration_id == administration_id)
        )
    return int(found or 0)


async def indexed_as_postgresql_parses(session: AsyncSession, number: str, *words: str) -> None:
    """The request's search vector is `to_tsvector('simple', search_text)` as the server
    computes it (the application writes it), and holds each of `words`."""
    row = (
        await session.execute(
            text(
                "SELECT search_vector = to_tsvector('simple', search_text), "
                "tsvector_to_array(search_vector) FROM requests WHERE tracking_number = :n"
            ),
            {"n": number},
        )
    ).one()
    assert row[0], number
    assert set(words) <= set(row[1]), (words, row[1])


async def written_out(session: AsyncSession, now: datetime | None = None) -> None:
    """The filings' fan-outs written out into messages of their own, as the dispatcher does
    before claiming (`repositories.dispatcher.write_out`), in the session's transaction."""
    await dispatcher.write_out(session, now or clock.now() + timedelta(days=1), 10_000)
