"""One-time codes that prove a citizen holds an email address or a phone number.

A code is six digits, kept only as an HMAC, valid for `OTP_TTL_SECONDS` and once. Abuse is
bounded the way the rest of the portal bounds it, never per contact alone (a stranger must
not be able to lock a citizen out):
* asking for codes: per (contact, client) per code lifetime (429 past it), per client per
  hour (429, or a solution of `GET /api/v1/challenges` in `X-Altcha`), and per contact per day,
  past which the code is silently not sent (nobody pumps SMS to one number from many clients);
* trying codes: `OTP_FAILURES_PER_CONTACT` wrong codes per (contact, client), then 429; past a
  higher number from every client together, each failing client waits longer and longer.
Every code of a contact still live is accepted (a stranger's request never voids the one its
owner received); the first success spends them all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.contacts import normalize_email, normalize_phone
from app.errors import CodeInvalid, TooManyAttempts
from app.i18n import Language
from app.models.citizen import VerificationCode
from app.repositories import otp as repository
from app.services import challenges, notifications, throttle

# More live codes than a contact can be sent in a code's lifetime is never needed.
MAX_LIVE_CODES = 50


@dataclass(frozen=True)
class Contact:
    """A verified-to-be contact: where to send (`address`) and how requests are matched
    (`match`: the address lower-cased, or the E.164 phone)."""

    channel: str  # "email" or "sms"
    address: str

    @property
    def match(self) -> str:
        return self.address.lower() if self.channel == "email" else self.address


def contact_of(email: str | None, phone: str | None) -> Contact:
    """The contact given (email first); raises `FieldCodeError` when it is malformed."""
    if email:
        return Contact("email", normalize_email(email))
    assert phone is not None
    return Contact("sms", normalize_phone(phone))


def _key(settings: Settings) -> bytes:
    # Derived from the app's secret, so it is never the token key itself.
    return hmac.new(
        settings.signing_key().encode(), b"chikaya one-time codes", hashlib.sha256
    ).digest()


def _contact_key(contact: Contact, settings: Settings) -> str:
    message = f"{contact.channel}:{contact.match}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()


def _code_hash(contact_key: str, code: str, settings: Settings) -> str:
    return hmac.new(_key(settings), f"{contact_key}:{code}".encode(), hashlib.sha256).hexdigest()


def _too_many(ends: datetime, now: datetime) -> TooManyAttempts:
    retry_after = max(1, int((ends - now).total_seconds()) + 1)
    return TooManyAttempts(
        params={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
    )


async def _count_request(
    session: AsyncSession,
    contact: Contact,
    client: str,
    altcha: str | None,
    challenge_key: str,
    settings: Settings,
    now: datetime,
) -> None:
    bucket = throttle.client_bucket(client)
    pair = throttle.key("otp:send", contact.channel, contact.match, bucket)
    count, ends = await throttle.bump(session, pair, now, settings.otp_ttl_seconds)
    if count > settings.otp_sends_per_contact_per_client:
        raise _too_many(ends, now)
    if altcha is not None:
        await challenges.spend(session, altcha, challenge_key, now)
    elif settings.otp_requests_per_client_per_hour > 0:
        count, ends = await throttle.bump(session, throttle.key("otp:client", bucket), now, 3600)
        if count > settings.otp_requests_per_client_per_hour:
            raise _too_many(ends, now)


async def send_code(
    session: AsyncSession,
    contact: Contact,
    *,
    client: str,
    altcha: str | None,
    challenge_key: str,
    language: Language,
    settings: Settings,
    now: datetime,
) -> None:
    """Write a new code and queue it to the contact, whoever the contact is: the answer and
    the work are the same for a contact no request bears (one may be about to file)."""
    await _count_request(session, contact, client, altcha, challenge_key, settings, now)
    contact_key = _contact_key(contact, settings)
    await repository.delete_expired(session, contact_key, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires_at = now + timedelta(seconds=settings.otp_ttl_seconds)
    session.add(
        VerificationCode(
            contact_key=contact_key,
            code_hash=_code_hash(contact_key, code, settings),
            expires_at=expires_at,
            created_at=now,
        )
    )
    # Past the contact's daily ceiling the code is stored but not sent: the same answer.
    if settings.otp_sends_per_contact_per_day > 0:
        daily = throttle.key("otp:contact", contact.channel, contact.match)
        sent, _ = await throttle.bump(session, daily, now, 86400)
        if sent > settings.otp_sends_per_contact_per_day:
            await session.flush()
            return
    notifications.one_time_code(
        session,
        channel=contact.channel,
        recipient=contact.address,
        code=code,
        language=language,
        now=now,
        expires_at=expires_at,
    )
    await session.flush()


def _attempts(contact: Contact, client: str, settings: Settings) -> throttle.Attempts:
    return throttle.Attempts(
        kind="otp",
        subject=f"{contact.channel}:{contact.match}",
        client=client,
        per_subject=settings.otp_failures_per_contact,
        per_client=settings.otp_failures_per_client,
        slowdown_after=settings.otp_slowdown_after,
        window_seconds=settings.otp_ttl_seconds,
        max_delay_seconds=settings.slowdown_max_delay_seconds,
    )


async def verify(
    session: AsyncSession,
    contact: Contact,
    code: str,
    *,
    client: str,
    settings: Settings,
    now: datetime,
) -> None:
    """Spend the contact's live codes if `code` is one of them; else count the failure and
    answer `code_invalid` (wrong, expired and spent codes alike)."""
    attempts = _attempts(contact, client, settings)
    await throttle.check_attempt(session, attempts, now)
    contact_key = _contact_key(contact, settings)
    given = _code_hash(contact_key, code.strip(), settings)
    live = await repository.live_codes(session, contact_key, now, MAX_LIVE_CODES)
    # Constant time per code, and every code compared: the time tells nothing.
    matched = [hmac.compare_digest(stored, given) for _, stored in live]
    if not any(matched):
        await throttle.record_failed_attempt(session, attempts, now)
        raise CodeInvalid()
    await repository.mark_used(session, [row_id for row_id, _ in live], now)
    await session.flush()


async def spend_for_filing(
    session: AsyncSession,
    email: str | None,
    phone: str | None,
    code: str,
    *,
    client: str,
    settings: Settings,
    now: datetime,
) -> str | None:
    """Which of the complainant's contacts (`email` or `phone`) `code` proves, spending that
    contact's live codes, or None. Tries are bounded as `verify` bounds them, with the same
    counters (a guesser cannot switch doors): 429 past the failures allowed to this `client`
    on a contact, and a failure counted for each contact given (the caller refuses the filing
    and keeps that count: `errors.VerificationFailed`).

    A concurrent filing with the same code finds the rows spent when it gets their lock, so a
    code serves once."""
    contacts = {
        name: contact_of(value if name == "email" else None, value if name == "phone" else None)
        for name, value in (("email", email), ("phone", phone))
        if value
    }
    keys = {name: _contact_key(contact, settings) for name, contact in contacts.items()}
    if not keys:
        return None
    attempts = [_attempts(contact, client, settings) for contact in contacts.values()]
    for each in attempts:
        await throttle.check_attempt(session, each, now)
    hashes = [_code_hash(key, code.strip(), settings) for key in keys.values()]
    proved = await repository.spend_matching(session, list(keys.values()), hashes, now)
    if proved is None:
        for each in attempts:
            await throttle.record_failed_attempt(session, each, now)
        return None
    return next(name for name, key in keys.items() if key == proved)
