"""The citizen's own space: a one-time code, a session, and every request of that contact."""

from fastapi import status

from app.deps import AppSettings, CitizenSession, ClientAddress, Session
from app.errors import (
    ChallengeExpired,
    ChallengeInvalid,
    ChallengeUsed,
    CodeInvalid,
    Forbidden,
    InvalidToken,
    TooManyAttempts,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from app.i18n import current_language, translate
from app.routers import make_router
from app.routers.challenges import ChallengeKey
from app.routers.params import Cursor, Limit
from app.routers.requests import Altcha
from app.schemas.auth import TokenOut
from app.schemas.citizens import (
    CitizenExport,
    CitizenPatch,
    CitizenUpdated,
    CodeSent,
    ContactIn,
    MyRequestsPage,
    SessionIn,
)
from app.services import auth, citizens, clock, otp

router = make_router(prefix="/api/v1/citizens", tags=["citizens"])

_SESSION_ERRORS = (Unauthorized, InvalidToken, Forbidden)


@router.post(
    "/otp",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a one-time code to an email or a phone",
    operation_id="sendCitizenCode",
    responses=error_responses(
        ValidationFailed, TooManyAttempts, ChallengeInvalid, ChallengeExpired, ChallengeUsed
    ),
)
async def send_code(
    body: ContactIn,
    session: Session,
    settings: AppSettings,
    client: ClientAddress,
    challenge_key: ChallengeKey,
    altcha: Altcha = None,
) -> CodeSent:
    """A six-digit code goes to the email or the phone, valid 10 minutes and once. The answer
    is the same whether or not any request bears this contact.

    Limited per contact and client address (`429` with `Retry-After`), and per address and
    hour (a solution of `GET /api/v1/challenges` in `X-Altcha` passes that ceiling); past a
    daily number of codes to one contact, the answer is the same but nothing is sent."""
    language = current_language.get()
    await otp.send_code(
        session,
        otp.contact_of(body.email, body.phone),
        client=client,
        altcha=altcha,
        challenge_key=challenge_key,
        language=language,
        settings=settings,
        now=clock.now(),
    )
    return CodeSent(
        detail=translate("citizens.code_sent", language),
        expires_in=settings.otp_ttl_seconds,
    )


@router.post(
    "/session",
    summary="Exchange a one-time code for a citizen session",
    operation_id="openCitizenSession",
    responses=error_responses(ValidationFailed, CodeInvalid, TooManyAttempts),
)
async def open_session(
    body: SessionIn, session: Session, settings: AppSettings, client: ClientAddress
) -> TokenOut:
    """The contact and the code it received: a bearer token (30 minutes) that opens every
    request bearing that email or phone, as a tracking token opens one. A wrong, expired or
    spent code answers `code_invalid`; after 5 wrong codes from one address, `429`."""
    contact = otp.contact_of(body.email, body.phone)
    await otp.verify(session, contact, body.code, client=client, settings=settings, now=clock.now())
    token = auth.citizen_token(contact.channel, contact.match, settings)
    return TokenOut(access_token=token, expires_in=settings.citizen_token_ttl_seconds)


@router.get(
    "/me/requests",
    summary="My requests",
    operation_id="listMyRequests",
    responses=error_responses(*_SESSION_ERRORS, ValidationFailed),
)
async def my_requests(
    session: Session,
    actor: CitizenSession,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> MyRequestsPage:
    """Every request bearing the session's verified contact, newest first, with its tracking
    number (a lost one is found again here). The session token opens each of them as a
    tracking token does. Keyset pagination: pass `next_cursor` back as `cursor`."""
    return await citizens.my_requests(session, actor, cursor=cursor, limit=limit)


@router.get(
    "/me/export",
    summary="All my data, as JSON",
    operation_id="exportMyData",
    responses=error_responses(*_SESSION_ERRORS),
)
async def export_my_data(
    session: Session, settings: AppSettings, actor: CitizenSession
) -> CitizenExport:
    """Law 09-08, right of access: every request bearing the verified contact, newest first,
    with its details, public history, conversation (never internal notes), documents
    (metadata and download links, opened by this session's token) and rating. At most
    `CITIZEN_EXPORT_MAX_REQUESTS` requests: past that, `truncated` is true and `note` says
    how to read the others."""
    return await citizens.export(session, actor, settings=settings, now=clock.now())


@router.patch(
    "/me",
    summary="Correct my name or contact",
    operation_id="updateMe",
    responses=error_responses(*_SESSION_ERRORS, ValidationFailed, CodeInvalid, TooManyAttempts),
)
async def update_me(
    body: CitizenPatch,
    session: Session,
    settings: AppSettings,
    actor: CitizenSession,
    client: ClientAddress,
) -> CitizenUpdated:
    """Law 09-08, right of rectification, on every request bearing the verified contact:
    `full_name`, and/or a new `email` or `phone` with the `code` sent to it by
    `POST /api/v1/citizens/otp` (`code_invalid` when wrong). Each request records a
    `rectify` event; the contact replaced is told. When the session's own contact is
    replaced, the answer carries a session for the new one."""
    return await citizens.rectify(
        session, actor, body, client=client, settings=settings, now=clock.now()
    )
