"""Tracking: the citizen's key to their request."""

from app.deps import AppSettings, AssistingOperator, ClientAddress, Session
from app.errors import (
    Forbidden,
    InvalidToken,
    TooManyAttempts,
    TrackingFailed,
    ValidationFailed,
    error_responses,
)
from app.routers import make_router
from app.schemas.auth import TokenOut, TrackingIn
from app.services import clock, tracking

router = make_router(prefix="/api/v1/tracking", tags=["tracking"])


@router.post(
    "",
    summary="Open a request with its tracking number and contact",
    operation_id="trackRequest",
    responses=error_responses(
        TrackingFailed, ValidationFailed, TooManyAttempts, InvalidToken, Forbidden
    ),
)
async def track(
    body: TrackingIn,
    session: Session,
    settings: AppSettings,
    client: ClientAddress,
    operator: AssistingOperator,
) -> TokenOut:
    """Give the tracking number and the email *or* the phone (E.164 or Moroccan national form)
    used at submission; receive a short-lived bearer token that opens that one request.

    A wrong number and a wrong contact get the same `tracking_failed` answer. Failed attempts
    are limited per tracking number and per client address: past the limit, `429` with
    `Retry-After`.

    **Call centre**: an operator (role `operator`) calling with their staff token, giving the
    caller's number and contact as the caller states them, receives an *assisted* token for
    that one request, whatever channel it was filed on. It carries the citizen's powers only,
    ends with the staff token at the latest, and every action taken with it is recorded in the
    history as the operator's on the citizen's behalf (`data.channel` `call_center`,
    `data.operator_id`). Its failures are limited per operator, not per address. Other staff
    get `403`."""
    token, ttl = await tracking.open_request(
        session,
        tracking_number=body.tracking_number,
        email=body.email,
        phone=body.phone,
        client=client,
        settings=settings,
        now=clock.now(),
        operator=operator,
    )
    return TokenOut(access_token=token, expires_in=ttl)
