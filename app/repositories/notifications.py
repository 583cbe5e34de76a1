"""Statements of the notifications: the outbox messages of a change (with its supervisors and
webhooks, found by the same statement), the outbox message queued, the duplicates of an answered
request, and the answered complaints whose reopen window closes soon."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
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
    Select,
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
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by, array, insert
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
#
# A filing's go as one row of channel `fanout` (`fanout_insert`), its payload the three lists,
# written out by the dispatcher (`write_out`) with the same statement's parts, read from that
# payload: its supervisors and webhooks are those of that moment.
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
_MESSAGE_COLUMNS = (
    ("channel", String),
    ("event", String),
    ("recipient", String),
    ("payload", JSONB),
)
_FANOUT_COLUMNS = (("administration_id", Integer), ("event", String), ("payload", JSONB))
# The three lists of an `Outbox`: bound as `outbox_<name>`, or in a fan-out's payload.
_LISTS = ("messages", "to_supervisors", "to_webhooks")


def _item(document: Any, key: str) -> Any:
    """`document -> 'key'` (a subscript, `[key]`, would follow a cast: `$1::JSONB[…]` is read
    as an array type)."""
    return document.op("->", return_type=JSONB)(literal(key))


def _recordset(rows: Any, name: str, *columns: tuple[str, Any]) -> TableValuedAlias:
    """`jsonb_to_recordset(rows) AS <name>(column type, …)`: a JSON list's rows."""
    return (
        func.jsonb_to_recordset(rows)
        .table_valued(*(column(key, type_) for key, type_ in columns))
        .render_derived(name=name, with_types=True)
    )


@dataclass(frozen=True)
class _Sources:
    """Where an outbox statement reads its three lists (`_LISTS`), and what it writes for each
    row besides: its request (`request_id(source)`), when it was written (`created_at`), its
    place in its recipients' line (`place`, None: its own id), and the FROM the lists are read
    from (`joined`: a CTE whose row holds them, or none)."""

    lists: tuple[TableValuedAlias, TableValuedAlias, TableValuedAlias]
    request_id: Callable[[TableValuedAlias], ColumnElement[Any]]
    created_at: ColumnElement[Any]
    place: ColumnElement[Any] | None = None
    joined: FromClause | None = None


def _pending(
    channel: Any,
    event: Any,
    recipient: Any,
    payload: Any,
    request_id: Any,
    webhook_id: Any,
    now: ColumnElement[Any],
    created_at: ColumnElement[Any],
) -> tuple[ColumnElement[Any], ...]:
    """A new pending message's columns, labelled, in the order of `_OUTBOX_COLUMNS`: due at
    `now`, no attempt yet."""
    return (
        func.gen_random_uuid().label("message_id"),
        channel.label("channel"),
        event.label("event"),
        recipient.label("recipient"),
        payload.label("payload"),
        request_id.label("request_id"),
        webhook_id.label("webhook_id"),
        literal("pending").label("status"),
        literal(0).label("attempts"),
        now.label("next_attempt_at"),
        created_at.label("created_at"),
    )


def _parts(sources: _Sources, now: ColumnElement[Any]) -> Any:
    """The rows of the messages, supervisors and webhooks of `sources`, as one `UNION ALL`."""
    messages, supervisors, webhooks = sources.lists

    def row(
        source: Any, channel: Any, recipient: Any, webhook_id: Any
    ) -> tuple[ColumnElement[Any], ...]:
        columns = (channel, source.c.event, recipient, source.c.payload)
        request_id = sources.request_id(source)
        place = () if sources.place is None else (sources.place.label("place"),)
        return (*_pending(*columns, request_id, webhook_id, now, sources.created_at), *place)

    def read(source: FromClause) -> FromClause:
        """A list's rows, after the FROM they are read with (a JSON list of a CTE's row is
        read after that row: a function in FROM sees only the items before it)."""
        if sources.joined is None:
            return source
        return sources.joined.join(source, true())

    no_webhook = cast(null(), Integer)
    own = select(*row(messages, messages.c.channel, messages.c.recipient, no_webhook))
    parts = [
        own.select_from(read(messages)),
        select(*row(supervisors, literal("email"), User.email, no_webhook))
        .select_from(read(supervisors))
        .join(
            User,
            and_(
                User.administration_id == supervisors.c.administration_id,
                User.role == Role.supervisor.value,
                User.active,
            ),
        ),
        select(*row(webhooks, literal("webhook"), Webhook.url, Webhook.id))
        .select_from(read(webhooks))
        .join(
            Webhook,
            and_(
                Webhook.administration_id == webhooks.c.administration_id,
                Webhook.active,
                Webhook.events.contains(array([webhooks.c.event])),
            ),
        ),
    ]
    return union_all(*parts)


def outbox_insert() -> Insert:
    """The statement writing an `Outbox` (bound by `Outbox.params`)."""
    now = bindparam("outbox_now", type_=DateTime(timezone=True))
    messages, supervisors, webhooks = (
        _recordset(
            bindparam(f"outbox_{name}", type_=JSONB),
            name,
            ("request_id", BigInteger),
            *(_MESSAGE_COLUMNS if name == "messages" else _FANOUT_COLUMNS),
        )
        for name in _LISTS
    )
    sources = _Sources((messages, supervisors, webhooks), lambda source: source.c.request_id, now)
    # `priority` takes its server default (0), `expires_at` none: not one-time codes.
    return insert(_OUTBOX).from_select(
        _OUTBOX_COLUMNS, _parts(sources, now), include_defaults=False
    )


def fanout_insert(request: FromClause, gates: Sequence[FromClause] = ()) -> Insert:
    """The statement writing a filing's `Outbox` as one fan-out (bound by
    `Outbox.fanout_params`), when `request` (a CTE inserting the request, `id` its column)
    inserts a row. With `gates` (CTEs returning the `key` of each counter that counted,
    `throttle.counted_under_limit`), a message given a `gate` is kept in its payload only if
    the counter of that key counted it."""
    now = bindparam("outbox_now", type_=DateTime(timezone=True))
    payload: Any = bindparam("outbox_fanout", type_=JSONB)
    if gates:
        listed = (
            func.jsonb_array_elements(_item(payload, "messages"))
            .table_valued(column("value", JSONB), with_ordinality="position")
            .render_derived(name="listed")
        )
        opened = union_all(*(select(gate.c.key) for gate in gates))
        key = listed.c.value["gate"].astext
        kept = (
            select(
                func.coalesce(
                    func.jsonb_agg(aggregate_order_by(listed.c.value, listed.c.position)),
                    cast(literal("[]"), JSONB),
                )
            )
            .where(or_(key.is_(None), key.in_(opened)))
            .scalar_subquery()
        )
        payload = payload.op("||", return_type=JSONB)(func.jsonb_build_object("messages", kept))
    channel, event, recipient = literal("fanout"), literal("filing"), literal("")
    no_webhook = cast(null(), Integer)
    fanout = select(
        *_pending(channel, event, recipient, payload, request.c.id, no_webhook, now, now)
    ).select_from(request)
    return insert(_OUTBOX).from_select(_OUTBOX_COLUMNS, fanout, include_defaults=False)


def due_fanouts() -> Select[Any]:
    """The ids of up to `outbox_batch` due fan-outs, oldest first (`now` bound as
    `outbox_now`)."""
    return (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.channel == "fanout",
            _OUTBOX.c.status == "pending",
            _OUTBOX.c.next_attempt_at <= bindparam("outbox_now", type_=DateTime(timezone=True)),
        )
        .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
        .limit(bindparam("outbox_batch", type_=Integer))
    )


def write_out(one: bool = False) -> Insert:
    """The statement writing out up to `outbox_batch` due fan-outs (`fanout_insert`; `one`:
    the fan-out `fanout_id` only), oldest first, skipping those another dispatcher locks: each
    of their messages in a row of its own (its request the fan-out's, its place in line the
    fan-out's id, written when the fan-out was), the fan-outs marked sent by the same
    statement. `now` bound as `outbox_now`."""
    now = bindparam("outbox_now", type_=DateTime(timezone=True))
    chosen = due_fanouts().with_only_columns(
        _OUTBOX.c.id, _OUTBOX.c.request_id, _OUTBOX.c.payload, _OUTBOX.c.created_at
    )
    if one:
        chosen = chosen.where(_OUTBOX.c.id == bindparam("fanout_id", type_=BigInteger))
    due = (
        chosen.with_for_update(skip_locked=True)
        # Chosen once (see `repositories.dispatcher.claim_due`): what is marked is what is
        # written out.
        .cte("fanouts")
        .prefix_with("MATERIALIZED")
    )
    marked = (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(select(due.c.id)))
        .values(status="sent", sent_at=now, attempts=_OUTBOX.c.attempts + 1)
        .returning(_OUTBOX.c.id)
        .cte("written_out")
    )
    messages, supervisors, webhooks = (
        _recordset(
            _item(due.c.payload, name),
            name,
            *(_MESSAGE_COLUMNS if name == "messages" else _FANOUT_COLUMNS),
        )
        for name in _LISTS
    )
    sources = _Sources(
        (messages, supervisors, webhooks),
        lambda source: due.c.request_id,
        due.c.created_at,
        place=due.c.id,
        joined=due,
    )
    return (
        insert(_OUTBOX)
        .from_select((*_OUTBOX_COLUMNS, "place"), _parts(sources, now), include_defaults=False)
        .add_cte(marked)
    )


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

    def fanout_params(self, now: datetime) -> dict[str, Any]:
        """Its lists in one fan-out's payload (`fanout_insert`)."""
        lists = (self.messages, self.supervisors, self.webhooks)
        return {"outbox_fanout": dict(zip(_LISTS, lists, strict=True)), "outbox_now": now}


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
