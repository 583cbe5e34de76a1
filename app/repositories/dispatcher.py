"""The dispatcher's statements on the outbox: expiring what is worthless, claiming a batch under
a lease (one message per recipient at a time, in order), the webhooks' secrets, and marking
what became of a claimed message."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, tuple_, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models.outbox import OutboxMessage, Webhook
from app.repositories import driver, notifications

_older = aliased(OutboxMessage)
_fanout = aliased(OutboxMessage)


def _place(message: type[OutboxMessage]) -> ColumnElement[int]:
    """A message's place in its recipient's line: its fan-out's id if it comes from one (see
    `OutboxMessage.place`), else its own."""
    return func.coalesce(message.place, message.id)


# Any older pending message to the same recipient — due, backing off, or leased by another
# dispatcher (even one whose lock hides it from SKIP LOCKED) — holds the newer ones back, and
# so does a fan-out of the same request not written out yet (another dispatcher writing it
# out, or committed after this pass wrote out the others): its messages come first.
# A backlog drains one message per recipient per pass; the dispatcher loops at once.
_WAITS_BEHIND = or_(
    exists().where(
        and_(
            _older.channel == OutboxMessage.channel,
            _older.recipient == OutboxMessage.recipient,
            _older.status == "pending",
            or_(
                _older.priority > OutboxMessage.priority,
                and_(
                    _older.priority == OutboxMessage.priority,
                    tuple_(_place(_older), _older.id)
                    < tuple_(_place(OutboxMessage), OutboxMessage.id),
                ),
            ),
        )
    ),
    exists().where(
        and_(
            _fanout.request_id == OutboxMessage.request_id,
            _fanout.channel == "fanout",
            _fanout.status == "pending",
            _fanout.id < _place(OutboxMessage),
        )
    ),
)


# One part per status: each condition proves its partial index's (`ix_outbox_due`,
# `ix_outbox_parked`), which `status IN ('pending', 'parked')` proves of neither: PostgreSQL
# read the whole outbox (mostly sent messages) at every scrape.
_BACKLOG = union_all(
    *(
        select(OutboxMessage.status, OutboxMessage.channel, func.count())
        .where(OutboxMessage.status == status)
        .group_by(OutboxMessage.status, OutboxMessage.channel)
        for status in ("pending", "parked")
    )
)
_OLDEST_PENDING = select(func.min(OutboxMessage.created_at)).where(
    OutboxMessage.status == "pending"
)


async def backlog(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(status, channel, count) of the pending and parked messages (the metrics' gauges)."""
    rows = await session.execute(_BACKLOG)
    return [(status, channel, int(count)) for status, channel, count in rows.all()]


async def oldest_pending(session: AsyncSession) -> datetime | None:
    """When the oldest pending message was written."""
    return await session.scalar(_OLDEST_PENDING)


async def expire_stale(session: AsyncSession, now: datetime) -> None:
    """Pending messages past their expiry (a one-time code) are never sent; payload dropped."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.expires_at <= now)
        .values(status="expired", payload={})
    )


_WRITE_OUT = {one: driver.Compiled(notifications.write_out(one)) for one in (False, True)}
_DUE_FANOUTS = notifications.due_fanouts().add_columns(OutboxMessage.attempts)


async def write_out(
    session: AsyncSession, now: datetime, batch: int, fanout_id: int | None = None
) -> None:
    """Write out up to `batch` due fan-outs (`notifications.write_out`; or the fan-out
    `fanout_id` only, if due), in the session's transaction: their messages are claimable in
    it."""
    params = {"outbox_now": now, "outbox_batch": batch, "fanout_id": fanout_id}
    await driver.execute_in(session, _WRITE_OUT[fanout_id is not None], params)


async def due_fanouts(session: AsyncSession, now: datetime, batch: int) -> list[tuple[int, int]]:
    """The ids and attempts of up to `batch` due fan-outs, oldest first."""
    found = await session.execute(_DUE_FANOUTS, {"outbox_now": now, "outbox_batch": batch})
    return [(fanout_id, attempts) for fanout_id, attempts in found]


async def claim_due(
    session: AsyncSession,
    *,
    channels: Collection[str],
    now: datetime,
    lease_until: datetime,
    batch: int,
) -> Sequence[OutboxMessage]:
    """Up to `batch` due pending messages on `channels`, none behind an older one to the same
    recipient, skipping those another dispatcher locks: their attempts counted and leased
    until `lease_until`, in one statement."""
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.channel.in_(channels),
            OutboxMessage.next_attempt_at <= now,
            ~_WAITS_BEHIND,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
        # Chosen once: as a subquery of the UPDATE, PostgreSQL may run it again for another
        # plan node, and with SKIP LOCKED each run can pick other rows: more than `batch`
        # claimed, a newer message ahead of an older one (seen under load).
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(due.c.id)))
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=lease_until)
        .returning(OutboxMessage)
    )
    return result.scalars().all()


async def webhook_secrets(session: AsyncSession, hook_ids: Collection[int]) -> dict[int, str]:
    found = await session.execute(
        select(Webhook.id, Webhook.secret).where(Webhook.id.in_(hook_ids))
    )
    return {hook_id: secret for hook_id, secret in found}


async def mark(
    session: AsyncSession,
    message_id: int,
    values: dict[str, object],
    *,
    attempts: int | None = None,
) -> None:
    """Set `values` on a message still pending (and, given `attempts`, still under that
    claim: after the lease another dispatcher may have claimed it)."""
    conditions = [OutboxMessage.id == message_id, OutboxMessage.status == "pending"]
    if attempts is not None:
        conditions.append(OutboxMessage.attempts == attempts)
    await session.execute(update(OutboxMessage).where(*conditions).values(**values))
