"""Citizens prove they own a request with its number and the email or phone they gave."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.contacts import email_key, normalize_phone
from app.domain.errors import FieldCodeError
from app.errors import TrackingFailed
from app.repositories import tracking as repository
from app.services import auth, throttle, tracking_numbers


@dataclass(frozen=True)
class Operator:
    """The call-centre operator asking for an assisted token, and when their staff token ends."""

    user_id: int
    token_version: int
    expires_at: datetime


# Compared against when the number matches nothing, so both failures take the same path.
_NOBODY = "\x00" * 32


def _same(stored: str | None, given: str | None) -> bool:
    # Constant-time comparison: the time taken tells nothing about how much matched.
    return hmac.compare_digest((stored or _NOBODY).encode(), (given or "").encode()) and bool(
        stored and given
    )


async def open_request(
    session: AsyncSession,
    *,
    tracking_number: str,
    email: str | None,
    phone: str | None,
    client: str,
    settings: Settings,
    now: datetime,
    operator: Operator | None = None,
) -> tuple[str, int]:
    """A tracking token for the request, or the same `tracking_failed` problem for any mismatch.

    With `operator`, an assisted token: the call-centre operator proves the caller's contact
    the caller's way, and acts for them on that one request."""
    number = tracking_numbers.normalize(tracking_number) or tracking_number.strip().upper()[:32]
    # Counted per (number, client): a stranger's guesses never lock the citizen out. The whole
    # call centre shares one address, so an operator is counted as their own client.
    if operator is not None:
        client = f"operator:{operator.user_id}"
    attempts = throttle.tracking_attempts(settings, number, client)
    await throttle.check_attempt(session, attempts, now)
    row = await repository.contacts_by_number(session, number)
    request_id, stored_email, stored_phone = row if row else (None, None, None)
    given_phone = None
    if phone:
        try:
            given_phone = normalize_phone(phone)
        except FieldCodeError:
            given_phone = phone
    email_ok = _same(
        email_key(stored_email) if stored_email else None, email_key(email) if email else None
    )
    phone_ok = _same(stored_phone, given_phone)
    if request_id is None or not (email_ok or phone_ok):
        await throttle.record_failed_attempt(session, attempts, now)
        raise TrackingFailed()
    if operator is None:
        return auth.tracking_token(
            request_id, number, settings
        ), settings.tracking_token_ttl_seconds
    token = auth.tracking_token(
        request_id,
        number,
        settings,
        operator=(operator.user_id, operator.token_version),
        not_after=operator.expires_at,
    )
    ttl = min(
        settings.tracking_token_ttl_seconds,
        int((operator.expires_at - datetime.now(UTC)).total_seconds()),
    )
    return token, max(ttl, 0)
