"""Throttling with fixed-window counters in PostgreSQL, so every API process sees the same numbers.

Three uses:
* failed attempts at a secret (a staff password, a request's contact), counted per (subject,
  client) and per client, never per subject alone: a stranger can lock only themself out;
  past a higher threshold for the subject from every client together, each client that failed
  waits longer and longer before its next try (a slowdown, never a lock);
* anonymous submissions per client address (`429` past the ceiling);
* acknowledgements per recipient (past the ceiling, the message is skipped, the filing never).

Keys hash the subject: no email, phone or tracking number sits in the table, and any length fits.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import TooManyAttempts, TooManySubmissions
from app.repositories import throttle as repository
from app.repositories.driver import Direct
from app.repositories.throttle import Counter


def client_bucket(address: str) -> str:
    """The unit a client is counted in: its IPv4 address, or its IPv6 /64 (one subscriber's
    network, where a host picks any address it likes)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def key(kind: str, *parts: str) -> str:
    """A counter key: the kind in clear, the rest hashed."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]
    return f"{kind}:{digest}"


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


async def ensure_allowed(
    session: AsyncSession, limits: Sequence[tuple[str, int]], now: datetime
) -> None:
    """Refuse with 429 and `Retry-After` when any key has reached its limit in its window."""
    keys = [key for key, _ in limits]
    rows = await repository.live(session, keys, now)
    limit_of = dict(limits)
    blocked_until = [ends for key, count, ends in rows if count >= limit_of[key]]
    if blocked_until:
        retry_after = _retry_after(max(blocked_until), now)
        raise TooManyAttempts(
            params={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
        )


async def bump(
    session: AsyncSession, counter: str, now: datetime, window_seconds: int
) -> tuple[int, datetime]:
    """Count one against `counter` (a new window where the old one ended); the count and the
    window's end after it. The row stays locked until the transaction ends, so concurrent
    bumps of one key are counted one after the other."""
    ends = now + timedelta(seconds=window_seconds)
    return await repository.bump(session, counter, now, ends)


async def record_failure(
    session: AsyncSession, keys: Sequence[str], now: datetime, window_seconds: int
) -> None:
    """Count one failure against each key, starting a new window where the old one ended."""
    for counter in keys:
        await bump(session, counter, now, window_seconds)


async def _hold(session: AsyncSession, counter: str, until: datetime) -> None:
    """Refuse `counter` (a limit of one) until `until`, or longer if it is held already."""
    await repository.hold(session, counter, until)


# --- failed attempts at a secret


@dataclass(frozen=True)
class Attempts:
    """One client's tries at one subject's secret (an account's password, a request's contact)."""

    kind: str  # "login" or "track"
    subject: str
    client: str
    per_subject: int  # failures of this client on this subject, per window
    per_client: int  # failures of this client on any subject, per window
    slowdown_after: int  # failures on this subject from every client, before the slowdown
    window_seconds: int
    max_delay_seconds: int

    @property
    def pair_key(self) -> str:
        return key(f"{self.kind}:pair", self.subject, client_bucket(self.client))

    @property
    def client_key(self) -> str:
        return key(f"{self.kind}:client", client_bucket(self.client))

    @property
    def subject_key(self) -> str:
        return key(f"{self.kind}:subject", self.subject)

    @property
    def wait_key(self) -> str:
        return key(f"{self.kind}:wait", self.subject, client_bucket(self.client))


def login_attempts(settings: Settings, account: str, client: str) -> Attempts:
    return Attempts(
        kind="login",
        subject=account,
        client=client,
        per_subject=settings.login_failures_per_account,
        per_client=settings.login_failures_per_client,
        slowdown_after=settings.login_slowdown_after,
        window_seconds=settings.throttle_window_seconds,
        max_delay_seconds=settings.slowdown_max_delay_seconds,
    )


def tracking_attempts(settings: Settings, number: str, client: str) -> Attempts:
    return Attempts(
        kind="track",
        subject=number,
        client=client,
        per_subject=settings.tracking_failures_per_number,
        per_client=settings.tracking_failures_per_client,
        slowdown_after=settings.tracking_slowdown_after,
        window_seconds=settings.throttle_window_seconds,
        max_delay_seconds=settings.slowdown_max_delay_seconds,
    )


async def check_attempt(session: AsyncSession, attempts: Attempts, now: datetime) -> None:
    """429 with `Retry-After` when this client has failed too often, on this subject or in
    all, or must still wait after its last failure. A client that never failed on the
    subject is never refused because of others."""
    await ensure_allowed(
        session,
        [
            (attempts.pair_key, attempts.per_subject),
            (attempts.client_key, attempts.per_client),
            (attempts.wait_key, 1),
        ],
        now,
    )


async def record_failed_attempt(session: AsyncSession, attempts: Attempts, now: datetime) -> None:
    """Count the failure; past the subject's slowdown threshold, make this client wait a delay
    that doubles with each further failure on the subject (capped)."""
    await record_failure(
        session, [attempts.pair_key, attempts.client_key], now, attempts.window_seconds
    )
    failures, _ = await bump(session, attempts.subject_key, now, attempts.window_seconds)
    excess = failures - attempts.slowdown_after
    if excess >= 0:
        delay = min(2 ** min(excess, 30), attempts.max_delay_seconds)
        await _hold(session, attempts.wait_key, now + timedelta(seconds=delay))


# --- anonymous submissions and their acknowledgements


def submission_counter(client: str, settings: Settings, now: datetime) -> Counter | None:
    """The counter of an anonymous submission from `client` against its hourly ceiling, for
    the statement filing it (the request is filed only if it counts); None without a ceiling."""
    limit = settings.submissions_per_client_per_hour
    if limit <= 0:
        return None
    counter = key("submit:client", client_bucket(client))
    return Counter(counter, limit, now + timedelta(seconds=3600))


async def refuse_submission(on: AsyncSession | Direct, counter: Counter, now: datetime) -> NoReturn:
    """429 with `Retry-After` for a submission its client's counter did not count (full): the
    end of that counter's window, read afresh (a statement on refusals only)."""
    ends = await repository.window_ends(on, counter.key)
    retry_after = _retry_after(ends or now, now)
    raise TooManySubmissions(
        params={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
    )


def acknowledgement_counter(
    channel: str, recipient: str, settings: Settings, now: datetime
) -> Counter | None:
    """The counter of an acknowledgement to `recipient` against its daily ceiling, for the
    statement filing its request (the message is written only if it counts); None without a
    ceiling."""
    limit = settings.acknowledgements_per_recipient_per_day
    if limit <= 0:
        return None
    return Counter(key(f"ack:{channel}", recipient), limit, now + timedelta(seconds=86400))


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    """Drop the counters whose window has ended (periodic work)."""
    await repository.purge_expired(session, now)
