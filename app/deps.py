"""Request-scoped dependencies: the session, the settings, and who is calling."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
    OAuth2PasswordBearer,
)
from fastapi.security.base import SecurityBase
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import get_session, session_of
from app.domain.actors import Actor, StaffToken
from app.errors import AmbiguousCredentials, Forbidden, InvalidApiKey, InvalidToken, Unauthorized
from app.models.enums import Role
from app.repositories.driver import Direct
from app.repositories.users import ActorRow
from app.services import api_keys, auth, challenges, tracking, users
from app.services import requests as requests_service

# Both schemes read the same `Authorization: Bearer` header: staff log in with the OAuth2
# password flow (Swagger UI's Authorize button), citizens send the token of `POST /tracking`.
staff_oauth2 = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    scheme_name="StaffOAuth2",
    description="Staff: the OAuth2 password flow of `POST /api/v1/auth/token`.",
    auto_error=False,
)
tracking_bearer = HTTPBearer(
    scheme_name="TrackingToken",
    description="Citizens: the token of `POST /api/v1/tracking` (or of the submission's answer), "
    "which opens one request; or a citizen session of `POST /api/v1/citizens/session`, which "
    "opens every request bearing its verified email or phone.",
    auto_error=False,
)
citizen_bearer = HTTPBearer(
    scheme_name="CitizenSession",
    description="Citizens: the token of `POST /api/v1/citizens/session` (a one-time code sent "
    "to an email or phone), valid for every request bearing that verified contact.",
    auto_error=False,
)
integration_key = APIKeyHeader(
    name="X-API-Key",
    scheme_name="IntegrationKey",
    description="An administration's own system: its integration key (`python -m app api-keys "
    "create`), which takes an agent's actions on that administration's requests.",
    auto_error=False,
)

Session = Annotated[AsyncSession, Depends(get_session)]


@functools.lru_cache(maxsize=8)
def _autocommit(engine: Engine) -> Engine:
    # The same pool; each connection handed out runs without a transaction, and gets its
    # isolation level back when it returns.
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def read_only(session: Session) -> None:
    """For routes that only read: the session's statements run without a transaction, saving
    the `BEGIN` and `COMMIT` round trips (PostgreSQL's READ COMMITTED gives each statement its
    own snapshot anyway). Put it in the route's `dependencies`, which run before the others.
    Nothing is checked out here: a call refused before its first statement costs no
    connection. A session bound to a connection (the tests' rolled-back transaction) is left
    as it is."""
    _read_only(session)


def _read_only(session: AsyncSession) -> None:
    bind = session.sync_session.bind
    if isinstance(bind, Engine) and not session.in_transaction():
        session.sync_session.bind = _autocommit(bind)


ReadOnly = Depends(read_only)


# The dependencies below are `async def` although they never wait: FastAPI runs a plain `def`
# dependency in a worker thread, a thread hop per call on every request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


def _citizen_session(claims: dict[str, object]) -> Actor:
    """A citizen session: no request id (it is no tracking token), the verified contact."""
    channel, _, contact = str(claims["sub"]).partition(":")
    if not contact or channel not in ("email", "sms"):
        raise InvalidToken()
    if channel == "email":
        return Actor(role=Role.citizen, email=contact)
    return Actor(role=Role.citizen, phone=contact)


async def optional_actor(
    session: Session,
    settings: AppSettings,
    token: Annotated[str | None, Depends(staff_oauth2)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(tracking_bearer)],
) -> Actor | None:
    return await _actor(token, settings, functools.partial(users.get_active_actor, session))


# How an account is looked up: on the request's session, or on the driver (the hot reads).
ActorLookup = Callable[[int], Awaitable[ActorRow | None]]


async def _actor(token: str | None, settings: Settings, lookup: ActorLookup) -> Actor | None:
    if not token:
        return None
    claims = auth.decode(token, settings)
    if claims["typ"] == "citizen":
        return _citizen_session(claims)
    try:
        subject = int(claims["sub"])
    except (TypeError, ValueError):
        raise InvalidToken() from None
    if claims["typ"] == "tracking":
        if "op" not in claims:
            return Actor(role=Role.citizen, request_id=subject)
        return await _assisted(lookup, claims, subject)
    user = await lookup(subject)
    # A deactivation or a new password bumps `token_version`: older tokens die at once.
    if user is None or claims.get("ver") != user.token_version:
        raise InvalidToken()
    return Actor(role=Role(user.role), user_id=user.id, administration_id=user.administration_id)


async def _assisted(lookup: ActorLookup, claims: dict[str, object], request_id: int) -> Actor:
    """An operator's assisted tracking token: the citizen's powers on that one request, no
    staff power; it dies with the operator's account or password like their staff token."""
    try:
        operator_id = int(str(claims["op"]))
    except (TypeError, ValueError):
        raise InvalidToken() from None
    user = await lookup(operator_id)
    if (
        user is None
        or Role(user.role) is not Role.operator
        or claims.get("opv") != user.token_version
    ):
        raise InvalidToken()
    return Actor(role=Role.citizen, request_id=request_id, assisted_by=user.id)


# The operation's security in the document follows the scheme each dependency reads: staff-only
# operations list `StaffOAuth2`, citizen-only ones `TrackingToken`, those open to both list both,
# and those open to anyone also list `{}` (see `anonymous_allowed`). Each reads the same header
# and decodes the token the same way, so a token of the other kind is refused by its role (403).


async def optional_staff(
    session: Session,
    settings: AppSettings,
    token: Annotated[str | None, Depends(staff_oauth2)],
) -> Actor | None:
    return await optional_actor(session, settings, token, None)


async def optional_citizen(
    session: Session,
    settings: AppSettings,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(tracking_bearer)],
) -> Actor | None:
    return await optional_actor(session, settings, bearer.credentials if bearer else None, None)


async def optional_citizen_session(
    session: Session,
    settings: AppSettings,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(citizen_bearer)],
) -> Actor | None:
    return await optional_actor(session, settings, bearer.credentials if bearer else None, None)


async def optional_assisting_operator(
    session: Session,
    settings: AppSettings,
    token: Annotated[str | None, Depends(staff_oauth2)],
) -> tracking.Operator | None:
    """`POST /tracking` with a staff token: the call-centre operator helping a caller. Other
    staff are refused (403); a citizen's token there is ignored, as it always was."""
    if not token:
        return None
    claims = auth.decode(token, settings)
    if claims["typ"] != "staff":
        return None
    actor = await optional_actor(session, settings, token, None)
    if actor is None or actor.role is not Role.operator or actor.user_id is None:
        raise Forbidden()
    return tracking.Operator(
        user_id=actor.user_id,
        token_version=int(claims["ver"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


AssistingOperator = Annotated[tracking.Operator | None, Depends(optional_assisting_operator)]


def _required(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})
    return actor


# Anonymous callers welcome; staff (operators filing paper) identified when they send a token.
OptionalActor = Annotated[Actor | None, Depends(optional_staff)]


async def require_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    return _required(actor)


async def require_staff_token(actor: Annotated[Actor | None, Depends(optional_staff)]) -> Actor:
    return _required(actor)


async def require_citizen_token(
    actor: Annotated[Actor | None, Depends(optional_citizen)],
) -> Actor:
    return _required(actor)


CurrentActor = Annotated[Actor, Depends(require_actor)]
StaffActor = Annotated[Actor, Depends(require_staff_token)]


async def require_citizen(actor: Annotated[Actor, Depends(require_citizen_token)]) -> Actor:
    if actor.role is not Role.citizen:
        raise Forbidden()
    return actor


async def require_staff(actor: StaffActor) -> Actor:
    if not actor.is_staff:
        raise Forbidden()
    return actor


async def require_administration_staff(actor: StaffActor) -> Actor:
    """Agents and supervisors: the staff of one administration."""
    if actor.role not in (Role.agent, Role.supervisor):
        raise Forbidden()
    return actor


async def require_operator(actor: StaffActor) -> Actor:
    if actor.role is not Role.operator:
        raise Forbidden()
    return actor


async def require_citizen_session_token(
    actor: Annotated[Actor | None, Depends(optional_citizen_session)],
) -> Actor:
    return _required(actor)


async def require_citizen_session(
    actor: Annotated[Actor, Depends(require_citizen_session_token)],
) -> Actor:
    """Only a citizen session: a tracking token (one request) or a staff token is refused."""
    if actor.role is not Role.citizen or (actor.email is None and actor.phone is None):
        raise Forbidden()
    return actor


CurrentCitizen = Annotated[Actor, Depends(require_citizen)]
CitizenSession = Annotated[Actor, Depends(require_citizen_session)]
CurrentStaff = Annotated[Actor, Depends(require_staff)]
AdministrationStaff = Annotated[Actor, Depends(require_administration_staff)]
CurrentOperator = Annotated[Actor, Depends(require_operator)]


async def client_address(request: Request) -> str:
    """The caller's address: the TCP peer, or the address its `X-Forwarded-For` names when the
    peer is a trusted proxy (`FORWARDED_ALLOW_IPS`, applied by `app.observability`); a header
    from anyone else is ignored, so nobody can pose as another client to dodge a throttle."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


async def require_national_admin(actor: StaffActor) -> Actor:
    if actor.role is not Role.national_admin:
        raise Forbidden()
    return actor


NationalAdmin = Annotated[Actor, Depends(require_national_admin)]


def challenge_key_of(request: Request, settings: Settings) -> str:
    """The proof-of-work challenges' HMAC key, derived from the app's secret once per app."""
    key: str | None = getattr(request.app.state, "challenge_key", None)
    if key is None:
        key = challenges.hmac_key(settings)
        request.app.state.challenge_key = key
    return key


@dataclass(frozen=True, slots=True)
class Filer:
    """Who files a request, and with what: the request's session, the driver (an ordinary
    filing's one statement runs there), the settings, the caller (None: anonymous; a staff
    token's account looked up on the session), its address, and the challenges' key."""

    session: AsyncSession
    direct: Direct
    settings: Settings
    actor: Actor | None
    client: str
    challenge_key: str


async def optional_filer(
    request: Request, token: Annotated[str | None, Depends(staff_oauth2)]
) -> Filer:
    """A submission's context in one dependency instead of the nodes `Session`, `AppSettings`,
    `OptionalActor`, `ClientAddress` and the challenges' key resolved to (FastAPI's
    dependency solving, body validation aside, was about a tenth of a submission's CPU). The
    security scheme stays a sub-dependency: the operation's documented security (anonymous
    callers welcome, staff may send their token) is unchanged."""
    session = session_of(request)
    settings: Settings = request.app.state.settings
    actor = await _actor(token, settings, functools.partial(users.get_active_actor, session))
    client = await client_address(request)
    key = challenge_key_of(request, settings)
    return Filer(session, request.app.state.direct, settings, actor, client, key)


OptionalFiler = Annotated[Filer, Depends(optional_filer)]
# Dependencies that open the request's session themselves (not through `Session`): the
# document's 503 follows them too.
SESSION_OPENERS: set[Callable[..., Any]] = {optional_filer}


# Dependencies that read a token without demanding one: an operation reaching one of them other
# than through a `require_*` accepts anonymous callers too.
_OPTIONAL = {
    optional_filer,
    optional_actor,
    optional_staff,
    optional_citizen,
    optional_citizen_session,
    optional_assisting_operator,
}


def anonymous_allowed(dependant: Dependant) -> bool:
    """Whether the operation of `dependant` serves callers without any token."""
    for sub in dependant.dependencies:
        if sub.call in _OPTIONAL:
            return True
        name = getattr(sub.call, "__name__", "")
        if not name.startswith("require_") and anonymous_allowed(sub):
            return True
    return False


async def require_staff_or_integration(
    session: Session,
    settings: AppSettings,
    token: Annotated[str | None, Depends(staff_oauth2)],
    key: Annotated[str | None, Depends(integration_key)],
) -> Actor:
    """Staff with their token, or an administration's own system with its integration key
    (`X-API-Key`): the role `integration`, its administration, and which key it is. A wrong or
    revoked key is a 401, never taken for an anonymous call; both credentials at once, a 400."""
    if key is None:
        return await require_staff(
            await require_staff_token(await optional_staff(session, settings, token))
        )
    if token:
        raise AmbiguousCredentials()
    record = await api_keys.authenticate(session, key)
    if record is None:
        raise InvalidApiKey(headers={"WWW-Authenticate": 'APIKey realm="X-API-Key"'})
    return Actor(
        role=Role.integration,
        administration_id=record.administration_id,
        api_key_id=record.id,
        api_key_name=record.name,
    )


StaffOrIntegration = Annotated[Actor, Depends(require_staff_or_integration)]


@dataclass(frozen=True, slots=True)
class ActionCaller:
    """A staff action's context in one dependency: the request's session, the settings, and
    the caller: an `Actor` (an integration key, or a token resolved as `StaffOrIntegration`
    resolves it), or a staff token whose account the action's first statement checks (the
    row lock reads it: one round trip less per action)."""

    session: AsyncSession
    settings: Settings
    caller: Actor | StaffToken


def _staff_token(token: str | None, settings: Settings) -> StaffToken | None:
    """The staff token whose account alone remains to be checked, None for any other
    credential (checked as it always is)."""
    if not token:
        return None
    claims = auth.decode(token, settings)  # a bad signature or an expired token: 401 now
    if claims["typ"] in ("citizen", "tracking"):
        return None
    subject, version = claims["sub"], claims.get("ver")
    if type(version) is not int or not isinstance(subject, str) or not subject.isdecimal():
        return None
    return StaffToken(int(subject), version)


async def require_action_caller(
    request: Request,
    token: Annotated[str | None, Depends(staff_oauth2)],
    key: Annotated[str | None, Depends(integration_key)],
) -> ActionCaller:
    """`StaffOrIntegration`, `Session` and `AppSettings` in one dependency (the same schemes
    read, the same answers). A staff token's account is checked by the handler's first
    statement; should FastAPI refuse the call's parameters or body first, it is checked
    then (`app.db`), so that a revoked token is still a 401 before a 422."""
    session = session_of(request)
    settings: Settings = request.app.state.settings
    pending = _staff_token(token, settings) if key is None else None
    if pending is None:
        actor = await require_staff_or_integration(session, settings, token, key)
        return ActionCaller(session, settings, actor)
    check = functools.partial(requests_service.staff_of, session, pending)
    request.state.deferred_checks = (check,)
    return ActionCaller(session, settings, pending)


StaffActionCaller = Annotated[ActionCaller, Depends(require_action_caller)]


# The hot reads (a request's detail, the queue): one dependency instead of the seven nodes
# `ReadOnly` + `Session` + `AppSettings` + `CurrentActor` resolve to (FastAPI's dependency
# solving was a sixth of a read's CPU). They read the bearer token with the scheme itself
# (`staff_oauth2(request)`, the very parsing its dependency runs) rather than through a
# sub-dependency per scheme: FastAPI solves each of those on every call, a tenth of a
# tracked read's instructions for the two. The schemes they read are declared in
# `READER_SCHEMES` instead, which `app.main` writes into the document where FastAPI would
# have: the document is unchanged.


@dataclass(frozen=True, slots=True)
class DriverReader:
    """A read on the driver (`app.repositories.driver`): no session, hence no transaction
    and no nested checkout; the settings; the caller (a staff token's account looked up on
    the driver too)."""

    direct: Direct
    settings: Settings
    actor: Actor


async def _driver_reader(request: Request) -> DriverReader:
    """The caller of the request's bearer token, a staff token's account looked up on the
    driver."""
    direct: Direct = request.app.state.direct
    settings: Settings = request.app.state.settings
    token = await staff_oauth2(request)  # never raises: `auto_error=False`
    lookup = functools.partial(users.active_actor_on_driver, direct)
    return DriverReader(direct, settings, _required(await _actor(token, settings, lookup)))


async def require_reader(request: Request) -> DriverReader:
    """A token required, staff or citizen (`StaffOAuth2` or `TrackingToken`, one header);
    nothing read but the account of a staff token."""
    return await _driver_reader(request)


async def require_staff_reader(request: Request) -> DriverReader:
    """A staff token required (`CurrentStaff`), its account looked up on the driver."""
    reader = await _driver_reader(request)
    await require_staff(reader.actor)
    return reader


ActorReader = Annotated[DriverReader, Depends(require_reader)]
StaffReader = Annotated[DriverReader, Depends(require_staff_reader)]
# They read the database without the request's session (on the driver): the document's 503
# follows them too.
DRIVER_READERS = {require_reader, require_staff_reader}
# The security schemes each reader reads, in the order the document lists them (as when they
# were its sub-dependencies).
READER_SCHEMES: dict[Callable[..., Awaitable[DriverReader]], tuple[SecurityBase, ...]] = {
    require_reader: (staff_oauth2, tracking_bearer),
    require_staff_reader: (staff_oauth2,),
}


def reader_schemes(dependant: Dependant) -> list[SecurityBase]:
    """The schemes the readers in `dependant`'s tree read (each once), in the order FastAPI
    lists the schemes it finds (depth first, in parameter order)."""
    found: list[SecurityBase] = []
    for sub in dependant.dependencies:
        for scheme in READER_SCHEMES.get(sub.call, ()):  # type: ignore[arg-type]
            if scheme not in found:
                found.append(scheme)
        found += [scheme for scheme in reader_schemes(sub) if scheme not in found]
    return found


SESSION_OPENERS.add(require_action_caller)
