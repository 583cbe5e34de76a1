"""The outbox dispatcher: claims due messages, sends them, marks them; retries, then parks.

Several dispatchers may run at once (API processes, `python -m app worker`): each claims rows
with `FOR UPDATE SKIP LOCKED` and leases them by pushing `next_attempt_at` forward, so a
dispatcher that dies between sending and marking lets the message be sent again after the
lease — with the same message id, so receivers drop the duplicate (at-least-once delivery).

Messages to one recipient leave in the order they were written ("in progress" before
"answered"): a message is claimed only when no older one to the same address is pending, so at
most one message per recipient is ever in flight, whatever the number of dispatchers. A
message of higher `priority` (a one-time code) goes ahead of its recipient's pending ones
instead of waiting behind a backlog or a failing delivery; a message past its `expires_at` is
never sent: it is marked `expired` and its payload dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib
import httpcore
import httpx
import idna
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import SessionMaker
from app.repositories import dispatcher as repository
from app.services import clock, netguard, templates

log = logging.getLogger("app.dispatcher")

SIGNATURE_HEADER = "Chikaya-Signature"
DELIVERY_HEADER = "Chikaya-Delivery"
EVENT_HEADER = "Chikaya-Event"


class SendError(Exception):
    """The receiver refused or could not be reached; the message will be retried."""


@dataclass(frozen=True)
class Claimed:
    id: int
    message_id: str
    channel: str
    event: str
    recipient: str
    payload: dict[str, object]
    attempts: int
    webhook_secret: str | None
    created_at: datetime
    expires_at: datetime | None = None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: receivers refuse stale timestamps."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def smtp_address(address: str) -> str:
    """The address as mail servers take it: an internationalized domain in its IDNA (punycode)
    form, which every server accepts, rather than UTF-8, which needs SMTPUTF8. A non-ASCII
    local part has no such form and is sent as it is."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return address


async def send_email(message: Claimed, settings: Settings) -> None:
    assert settings.smtp_host is not None
    content = templates.render("email", message.payload)
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = smtp_address(message.recipient)
    email["Subject"] = content["subject"]
    # When it was written, not when a retry sent it: mail clients sort by this date.
    email["Date"] = format_datetime(message.created_at.astimezone(UTC), usegmt=True)
    domain = parseaddr(settings.smtp_from)[1].partition("@")[2] or "chikaya.ma"
    # Stable across retries: mail systems and people can recognize a duplicate.
    email["Message-ID"] = f"<{message.message_id}@{domain}>"
    email.set_content(content["text"])
    email.add_alternative(content["html"], subtype="html")
    # After the content: set_content() drops any Content-* header set before it.
    email["Content-Language"] = content.get("language", "ar")
    try:
        await aiosmtplib.send(
            email,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=settings.smtp_timeout_seconds,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SendError(f"smtp: {type(exc).__name__}") from exc


async def send_sms(message: Claimed, settings: Settings, client: httpx.AsyncClient) -> None:
    """POST `{"to", "text", "sender", "reference"}`; `reference` is the stable message id."""
    assert settings.sms_gateway_url is not None
    headers = {}
    if settings.sms_gateway_token:
        headers["Authorization"] = f"Bearer {settings.sms_gateway_token.get_secret_value()}"
    body = {
        "to": message.recipient,
        "text": templates.render("sms", message.payload)["text"],
        "sender": settings.sms_sender,
        "reference": message.message_id,
    }
    try:
        response = await client.post(settings.sms_gateway_url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise SendError(f"sms: {type(exc).__name__}") from exc
    if not response.is_success:
        raise SendError(f"sms: gateway answered {response.status_code}")


async def send_webhook(
    message: Claimed, pools: dict[str, httpcore.AsyncConnectionPool], settings: Settings
) -> None:
    """POST the signed event. The pool's `GuardedBackend` connects only to checked public
    addresses; redirects are not followed (a 3xx is a failure) and the answer's body is never
    read, so a receiver cannot make the portal call elsewhere or fill its memory."""
    assert message.webhook_secret is not None
    policy = netguard.Policy(allow_loopback=settings.webhooks_allow_http_loopback)
    try:
        # Registered before addresses were checked, or edited in the database: checked again.
        target = netguard.parse(message.recipient, policy)
    except netguard.Refused as exc:
        raise SendError(f"webhook: {exc.code}") from exc
    body = json.dumps(
        {"delivery_id": message.message_id, **message.payload},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    headers = {
        "Host": target.url.netloc.decode("ascii"),
        "Content-Type": "application/json",
        "User-Agent": "Chikaya-Webhooks",
        SIGNATURE_HEADER: sign(message.webhook_secret, int(time.time()), body),
        DELIVERY_HEADER: message.message_id,
        EVENT_HEADER: message.event,
    }
    url = httpcore.URL(
        scheme=target.url.raw_scheme,
        host=target.host.encode("ascii"),
        port=target.port,
        target=target.url.raw_path,
    )
    timeout = settings.webhook_timeout_seconds
    extensions = {
        "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    }
    try:
        async with pools[target.url.scheme].stream(
            "POST", url, headers=list(headers.items()), content=body, extensions=extensions
        ) as response:
            status = response.status
    except netguard.Refused as exc:
        raise SendError(f"webhook: {exc.code}") from exc
    except (
        httpcore.TimeoutException,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.UnsupportedProtocol,
    ) as exc:
        raise SendError(f"webhook: {type(exc).__name__}") from exc
    if not 200 <= status < 300:
        raise SendError(f"webhook: receiver answered {status}")


def webhook_pool(
    settings: Settings,
    resolver: netguard.Resolver = netguard.resolve,
    *,
    loopback_only: bool = False,
) -> httpcore.AsyncConnectionPool:
    """Connections for one dispatch pass: to checked addresses only, no proxy from the
    environment (it would connect on our behalf to anywhere), certificates verified."""
    policy = netguard.Policy(
        allow_loopback=settings.webhooks_allow_http_loopback, loopback_only=loopback_only
    )
    return httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        network_backend=netguard.GuardedBackend(policy, resolver),
        max_connections=settings.outbox_batch_size,
    )


def enabled_channels(settings: Settings) -> list[str]:
    """Unconfigured channels keep their messages waiting in the outbox, never dropped."""
    channels = ["webhook"]
    if settings.smtp_host:
        channels.append("email")
    if settings.sms_gateway_url:
        channels.append("sms")
    return channels


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Exponential backoff with full jitter, capped at a day."""
    ceiling = min(settings.outbox_backoff_seconds * 2 ** (attempts - 1), 86400.0)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _failed(
    attempts: int, error: str, settings: Settings, now: datetime
) -> tuple[dict[str, object], bool]:
    """What a failed attempt (the `attempts`-th) sets on its message, and whether it parks it:
    the error, then a later attempt after the backoff, or parked after the last one allowed."""
    parked = attempts >= settings.outbox_max_attempts
    values: dict[str, object] = {"last_error": error[:500]}
    if parked:
        values["status"] = "parked"
    else:
        values["next_attempt_at"] = now + backoff(attempts, settings)
    return values, parked


def _cause(error: DBAPIError) -> str:
    """The driver's name for a failed statement's error (`CheckViolationError`, …)."""
    driver_error: BaseException | None = error.orig
    if driver_error is not None and driver_error.__cause__ is not None:
        driver_error = driver_error.__cause__
    return type(driver_error or error).__name__


async def _write_out(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """The filings' messages, written out of their fan-outs first: claimable with the others,
    in the claim's transaction. After a failed batch each fan-out is written out on its own;
    one that fails is retried later, as a message is (backoff, then parked for national
    admins to re-send: the `fanout` gauges), and holds back nothing but its own request's
    messages meanwhile."""
    batch = settings.outbox_batch_size
    try:
        async with session.begin_nested():
            await repository.write_out(session, now, batch)
        return
    except DBAPIError:
        log.exception("a batch of filings' messages could not be written out")
    for fanout_id, attempts in await repository.due_fanouts(session, now, batch):
        try:
            async with session.begin_nested():
                await repository.write_out(session, now, batch, fanout_id)
        except DBAPIError as exc:
            attempts += 1
            values, parked = _failed(attempts, f"write-out: {_cause(exc)}", settings, now)
            await repository.mark(session, fanout_id, {**values, "attempts": attempts})
            log.exception(
                "the messages of fan-out %s could not be written out, attempt %d%s",
                fanout_id,
                attempts,
                ", parked" if parked else "",
            )


async def claim(sessionmaker: SessionMaker, settings: Settings, now: datetime) -> list[Claimed]:
    channels = enabled_channels(settings)
    async with sessionmaker() as session:
        await _write_out(session, settings, now)
        # Worthless now (a one-time code past its expiry): never sent, its payload dropped.
        await repository.expire_stale(session, now)
        rows = await repository.claim_due(
            session,
            channels=channels,
            now=now,
            lease_until=now + timedelta(seconds=settings.outbox_lease_seconds),
            batch=settings.outbox_batch_size,
        )
        secrets: dict[int, str] = {}
        hook_ids = {row.webhook_id for row in rows if row.webhook_id}
        if hook_ids:
            secrets = await repository.webhook_secrets(session, hook_ids)
        await session.commit()
    return [
        Claimed(
            id=row.id,
            message_id=str(row.message_id),
            channel=row.channel,
            event=row.event,
            recipient=row.recipient,
            payload=row.payload,
            attempts=row.attempts,
            webhook_secret=secrets.get(row.webhook_id) if row.webhook_id else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )
        for row in rows
    ]


async def mark_sent(sessionmaker: SessionMaker, message: Claimed, now: datetime) -> None:
    values: dict[str, object] = {"status": "sent", "sent_at": now, "last_error": None}
    if message.expires_at is not None:
        values["payload"] = {}  # a one-time code is kept nowhere in clear once it has left
    async with sessionmaker() as session:
        await repository.mark(session, message.id, values)
        await session.commit()


async def mark_expired(sessionmaker: SessionMaker, message: Claimed) -> None:
    async with sessionmaker() as session:
        await repository.mark(session, message.id, {"status": "expired", "payload": {}})
        await session.commit()


async def mark_failed(
    sessionmaker: SessionMaker, message: Claimed, error: str, settings: Settings, now: datetime
) -> None:
    values, parked = _failed(message.attempts, error, settings, now)
    async with sessionmaker() as session:
        # Only while this dispatcher's claim stands: after the lease another one may have
        # claimed (and even sent) it, and a late failure must not park or delay it.
        await repository.mark(session, message.id, values, attempts=message.attempts)
        await session.commit()
    log.warning(
        "outbox message %s (%s) failed, attempt %d%s: %s",
        message.id,
        message.channel,
        message.attempts,
        ", parked" if parked else "",
        error,
    )


Sender = Callable[[Claimed], Awaitable[None]]


async def dispatch_once(
    sessionmaker: SessionMaker,
    settings: Settings,
    *,
    now: datetime | None = None,
    after_send: Callable[[Claimed], Awaitable[None]] | None = None,
    resolver: netguard.Resolver = netguard.resolve,
) -> int:
    """Claim one batch and deliver it. Returns how many messages were sent."""
    now = now or clock.now()
    batch = await claim(sessionmaker, settings, now)
    if not batch:
        return 0
    sent = 0
    async with (
        httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as client,
        webhook_pool(settings, resolver) as https_pool,
        # Plain HTTP (development only) reaches nothing but this machine.
        webhook_pool(settings, resolver, loopback_only=True) as http_pool,
    ):
        pools = {"https": https_pool, "http": http_pool}
        senders: dict[str, Sender] = {
            "email": lambda m: send_email(m, settings),
            "sms": lambda m: send_sms(m, settings, client),
            "webhook": lambda m: send_webhook(m, pools, settings),
        }

        async def deliver(message: Claimed) -> bool:
            if message.expires_at is not None and message.expires_at <= clock.now():
                await mark_expired(sessionmaker, message)  # expired while it was claimed
                return False
            try:
                await senders[message.channel](message)
            except SendError as exc:
                await mark_failed(sessionmaker, message, str(exc), settings, clock.now())
                return False
            except Exception as exc:  # a bad message must be retried and parked, not stuck
                log.exception("outbox message %s could not be sent", message.id)
                error = f"unexpected: {type(exc).__name__}"
                await mark_failed(sessionmaker, message, error, settings, clock.now())
                return False
            if after_send is not None:
                await after_send(message)  # tests use it to die between sending and marking
            await mark_sent(sessionmaker, message, clock.now())
            return True

        # One message per recipient at most (see `claim`): all can go at once. Every delivery
        # runs to its end before a failure (the database gone while marking) surfaces: none is
        # left sending behind a pass that has already ended.
        results = await asyncio.gather(*(deliver(m) for m in batch), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        sent = sum(result is True for result in results)
    return sent


async def drain(
    sessionmaker: SessionMaker,
    settings: Settings,
    *,
    now: datetime | None = None,
    resolver: netguard.Resolver = netguard.resolve,
) -> int:
    """Pass after pass until nothing is left to send now; how many were sent in all."""
    total = 0
    while sent := await dispatch_once(sessionmaker, settings, now=now, resolver=resolver):
        total += sent
    return total


async def run_forever(sessionmaker: SessionMaker, settings: Settings) -> None:
    """Poll the outbox until cancelled; a failed pass is logged and the next one retries."""
    while True:
        try:
            sent = await dispatch_once(sessionmaker, settings)
        except Exception:
            log.exception("dispatcher pass failed")
            sent = 0
        if sent == 0:
            await asyncio.sleep(settings.outbox_poll_seconds)
