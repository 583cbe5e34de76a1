"""Request-scoped dependencies: the session, the settings, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import get_session
from app.errors import Forbidden, InvalidToken, Unauthorized
from app.models.enums import Role
from app.repositories import users as users_repository
from app.services import auth
from app.services.lifecycle import Actor

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
    description="Citizens: the token of `POST /api/v1/tracking` (or of the submission's answer).",
    auto_error=False,
)

Session = Annotated[AsyncSession, Depends(get_session)]


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


async def optional_actor(
    session: Session,
    settings: AppSettings,
    token: Annotated[str | None, Depends(staff_oauth2)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(tracking_bearer)],
) -> Actor | None:
    if not token:
        return None
    claims = auth.decode(token, settings)
    try:
        subject = int(claims["sub"])
    except (TypeError, ValueError):
        raise InvalidToken() from None
    if claims["typ"] == "tracking":
        return Actor(role=Role.citizen, request_id=subject)
    # The role and administration only (one row, no entity): checked on every staff call.
    found = await users_repository.active_role(session, subject)
    if found is None:
        raise InvalidToken()
    role, administration_id = found
    return Actor(role=Role(role), user_id=subject, administration_id=administration_id)


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


async def require_actor(actor: OptionalActor) -> Actor:
    if actor is None:
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})
    return actor


CurrentActor = Annotated[Actor, Depends(require_actor)]


async def require_citizen(actor: CurrentActor) -> Actor:
    if actor.role is not Role.citizen:
        raise Forbidden()
    return actor


async def require_staff(actor: CurrentActor) -> Actor:
    if not actor.is_staff:
        raise Forbidden()
    return actor


async def require_administration_staff(actor: CurrentActor) -> Actor:
    """Agents and supervisors: the staff of one administration."""
    if actor.role not in (Role.agent, Role.supervisor):
        raise Forbidden()
    return actor


async def require_operator(actor: CurrentActor) -> Actor:
    if actor.role is not Role.operator:
        raise Forbidden()
    return actor


CurrentCitizen = Annotated[Actor, Depends(require_citizen)]
CurrentStaff = Annotated[Actor, Depends(require_staff)]
AdministrationStaff = Annotated[Actor, Depends(require_administration_staff)]
CurrentOperator = Annotated[Actor, Depends(require_operator)]


async def client_address(request: Request) -> str:
    """The caller's address: the TCP peer, or the address its `X-Forwarded-For` names when the
    peer is a trusted proxy (`FORWARDED_ALLOW_IPS`, applied by `app.observability`); a header
    from anyone else is ignored, so nobody can pose as another client to dodge a throttle."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


async def require_national_admin(actor: CurrentActor) -> Actor:
    if actor.role is not Role.national_admin:
        raise Forbidden()
    return actor


NationalAdmin = Annotated[Actor, Depends(require_national_admin)]
