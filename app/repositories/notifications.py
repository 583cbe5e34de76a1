"""Statements of the notifications: the outbox messages of a change (with its supervisors and
webhooks, found by the same statement), the outbox message queued, the duplicates of an answered
request, and the answered complaints whose reopen window closes soon."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    FromClause,
    Insert,
    Integer,
    Row,
    String,
    Table,
    TableValuedAlias,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, Service
from app.models.enums import Kind, Role, State
from app.models.outbox import OutboxMessage, Webhook
from app.models.request import Request
from app.models.user import User
from app.repositories import driver

# --- the outbox of one change, in one statement

# A change's messages go to the outbox in one `INSERT … SELECT`: its own messages (citizens',
# staff's), and the fan-outs whose recipients the database knows (the administration's active
# supervisors, its active webhooks taking the event), joined there rather than read first: no
# look-up round trip, and a webhook registered before the change is told about it.
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_OUTBOX_COLUMNS = (
    "message_id",
    "channel",
    "event",
    "recipient",
    "payload",
    "request_id",
    "webhook_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def _recordset(name: str, *columns: tuple[str, Any]) -> TableValuedAlias:
    """`jsonb_to_recordset(:outbox_<name>) AS <name>(column type, …)`: rows bound as one list."""
    return (
        func.jsonb_to_recordset(bindparam(f"outbox_{name}", type_=JSONB))
        .table_valued(*(column(key, type_) for key, type_ in columns))
        .render_derived(name=name, with_types=True)
    )


def outbox_insert(request: FromClause | None = None, gates: Sequence[FromClause] = ()) -> Insert:
    """The statement writing an `Outbox` (bound by `Outbox.params`). With `request` (a CTE
    inserting a request, `id` its column), every message belongs to that request and none is
    written when it inserts nothing. With `gates` (CTEs returning the `key` of each counter
    that counted, `throttle.counted_under_limit`), a message given a `gate` is written only
    if the counter of that key counted it."""
    now = bindparam("outbox_now", type_=DateTime(timezone=True))
    messages = _recordset(
        "messages",
        ("request_id", BigInteger),
        ("channel", String),
        ("event", String),
        ("recipient", String),
        ("payload", JSONB),
        ("gate", String),
    )
    fanouts = {
        name: _recordset(
            name,
            ("request_id", BigInteger),
            ("administration_id", Integer),
            ("event", String),
            ("payload", JSONB),
        )
        for name in ("to_supervisors", "to_webhooks")
    }

    def row(
        source: Any, channel: Any, recipient: Any, webhook_id: Any
    ) -> tuple[ColumnElement[Any], ...]:
        request_id = request.c.id if request is not None else source.c.request_id
        return (
            func.gen_random_uuid().label("message_id"),
            channel.label("channel"),
            source.c.event.label("event"),
            recipient.label("recipient"),
            source.c.payload.label("payload"),
            request_id.label("request_id"),
            webhook_id.label("webhook_id"),
            literal("pending").label("status"),
            literal(0).label("attempts"),
            now.label("next_attempt_at"),
            now.label("created_at"),
        )

    no_webhook = cast(null(), Integer)
    supervisors, webhooks = fanouts["to_supervisors"], fanouts["to_webhooks"]
    own = select(*row(messages, messages.c.channel, messages.c.recipient, no_webhook))
    if gates:
        opened = union_all(*(select(gate.c.key) for gate in gates))
        own = own.where(or_(messages.c.gate.is_(None), messages.c.gate.in_(opened)))
    parts = [
        own.select_from(messages),
        select(*row(supervisors, literal("email"), User.email, no_webhook))
        .select_from(supervisors)
        .join(
            User,
            and_(
                User.administration_id == supervisors.c.administration_id,
                User.role == Role.supervisor.value,
                User.active,
            ),
        ),
        select(*row(webhooks, literal("webhook"), Webhook.url, Webhook.id))
        .select_from(webhooks)
        .join(
            Webhook,
            and_(
                Webhook.administration_id == webhooks.c.administration_id,
                Webhook.active,
                Webhook.events.contains(array([webhooks.c.event])),
            ),
        ),
    ]
    if request is not None:
        parts = [part.join(request, true()) for part in parts]
    # `priority` takes its server default (0), `expires_at` none: not one-time codes.
    return insert(_OUTBOX).from_select(_OUTBOX_COLUMNS, union_all(*parts), include_defaults=False)


# Compiled once, at import: run in the session's transaction without a cache key computed
# over its union of parts at every change.
_WRITE_OUTBOX = driver.Compiled(outbox_insert())


@dataclass
class Outbox:
    """The messages of one change, gathered, then written in one statement (`write`, or in
    the statement of the change itself). `supervisors` and `webhooks` are fan-outs: one message
    per active supervisor (by email) or active webhook taking the event, of the administration."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    supervisors: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)

    def message(
        self,
        *,
        channel: str,
        event: str,
        recipient: str,
        payload: dict[str, Any],
        request_id: int | None,
        gate: str | None = None,
    ) -> None:
        """`gate`: the key of a counter that must count this message for it to be written
        (in a statement whose outbox has that counter's gate, `outbox_insert`)."""
        message = {
            "request_id": request_id,
            "channel": channel,
            "event": event,
            "recipient": recipient,
            "payload": payload,
        }
        if gate is not None:
            message["gate"] = gate
        self.messages.append(message)

    def fanout(
        self,
        to: str,
        *,
        administration_id: int,
        event: str,
        payload: dict[str, Any],
        request_id: int | None,
    ) -> None:
        """`to`: "supervisors" or "webhooks"."""
        rows = self.supervisors if to == "supervisors" else self.webhooks
        rows.append(
            {
                "request_id": request_id,
                "administration_id": administration_id,
                "event": event,
                "payload": payload,
            }
        )

    def __bool__(self) -> bool:
        return bool(self.messages or self.supervisors or self.webhooks)

    def params(self, now: datetime) -> dict[str, Any]:
        return {
            "outbox_messages": self.messages,
            "outbox_to_supervisors": self.supervisors,
            "outbox_to_webhooks": self.webhooks,
            "outbox_now": now,
        }


async def write(session: AsyncSession, outbox: Outbox, now: datetime) -> None:
    """Write the gathered messages (pending, due now) in the current transaction: one
    statement, none when there is nothing to write."""
    if outbox:
        await driver.execute_in(session, _WRITE_OUTBOX, outbox.params(now))


# Staff told of a request (deadline alerts, a declined transfer, an appeal): the assignee, the
# administration's supervisors, or the national admins
# (the flags and ids left NULL match nothing); an address once even when it plays two parts.
_STAFF_EMAILS = (
    select(User.email)
    .where(
        User.active,
        or_(
            User.id == bindparam("assignee_id"),
            and_(
                bindparam("supervisors", type_=Boolean),
                User.role == Role.supervisor.value,
                User.administration_id == bindparam("administration_id"),
            ),
            and_(bindparam("national", type_=Boolean), User.role == Role.national_admin.value),
        ),
    )
    .distinct()
    .order_by(User.email)
)


async def staff_emails(
    session: AsyncSession,
    administration_id: int,
    *,
    assignee_id: int | None = None,
    supervisors: bool = False,
    national: bool = False,
) -> list[str]:
    """The active staff's addresses among the request's assignee, its administration's
    supervisors and the national admins: one statement."""
    connection = await session.connection()
    rows = await connection.execute(
        _STAFF_EMAILS,
        {
            "assignee_id": assignee_id,
            "administration_id": administration_id,
            "supervisors": supervisors,
            "national": national,
        },
    )
    return [address for (address,) in rows]


def add_outbox(
    session: AsyncSession,
    *,
    channel: str,
    event: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    request_id: int | None = None,
    webhook_id: int | None = None,
    priority: int = 0,
    expires_at: datetime | None = None,
) -> None:
    """Queue one message in the outbox (pending, due now), in the current transaction."""
    session.add(
        OutboxMessage(
            message_id=uuid.uuid4(),
            channel=channel,
            event=event,
            recipient=recipient,
            payload=payload,
            request_id=request_id,
            webhook_id=webhook_id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            priority=priority,
            expires_at=expires_at,
        )
    )


async def administration(session: AsyncSession, administration_id: int) -> Administration:
    return await session.get_one(Administration, administration_id)


async def service(session: AsyncSession, service_id: int) -> Service | None:
    return await session.get(Service, service_id)


_DUPLICATES_OF = (
    select(Request).where(Request.duplicate_of_id == bindparam("request_id")).order_by(Request.id)
)


async def duplicates_of(session: AsyncSession, request_id: int) -> list[Request]:
    """The requests marked duplicates of this one, by id."""
    return list((await session.scalars(_DUPLICATES_OF, {"request_id": request_id})).all())


async def reopen_reminders_due(
    session: AsyncSession,
    *,
    now: datetime,
    default_window_days: int,
    reminder_days: int,
    batch: int,
) -> list[Row[Request, Administration]]:
    """Answered complaints not yet reminded whose reopen window (the service's, else the
    administration's, else the default) closes within `reminder_days`, with their
    administration; at most `batch`, locked, skipping those another worker holds."""
    window = func.coalesce(
        Service.reopen_window_days, Administration.reopen_window_days, default_window_days
    )
    closes = Request.answered_at + func.make_interval(0, 0, 0, window)
    stmt = (
        select(Request, Administration)
        .join(Administration, Administration.id == Request.administration_id)
        .outerjoin(Service, Service.id == Request.service_id)
        .where(
            Request.state == State.answered.value,
            Request.kind == Kind.complaint.value,
            Request.reopen_reminder_sent_at.is_(None),
            closes > now,
            closes <= now + timedelta(days=reminder_days),
        )
        .limit(batch)
        .with_for_update(of=Request, skip_locked=True)
    )
    return list((await session.execute(stmt)).all())
