"""All the work the clock does, as of one instant: the one function the periodic task of every
API process, `python -m app worker` and `python -m app lifecycle run-due [--at]` run.

Every change it makes to a request is a lifecycle action of the system (`alert_due_soon`,
`escalate`, `auto_close`, `anonymize`) taken through the same path as any other action
(`requests.perform`: `apply`, then notifications, then statistics), on rows picked
`FOR UPDATE SKIP LOCKED` in short batches, so that several processes share the work without
waiting on each other or doing anything twice.

Deadlines that bite (issue 10), while the administration holds a request (`submitted`,
`in_progress`; the clock is paused awaiting the citizen):

* `DUE_SOON_DAYS` before `due_at` the assignee and the administration's supervisors are
  warned, once per due date (`due_soon_alerted_at`; a new due date — extension, transfer,
  reopening, appeal — warns again);
* past `due_at` the request escalates to level 1 (its supervisors are told), and still
  unanswered `ESCALATION_DAYS` after it to level 2 (the national admins are told); a request
  found past both marks goes through both, two events.

The level stays on the request once it is answered, closed or rejected (staff see that it
was answered late); the `escalated` queue filter and the live count of the staff statistics
take open requests only. A new deadline (transfer, reopening, appeal, a decision sending it
back) sets the level back to 0; the history keeps every escalation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import SessionMaker
from app.domain.actors import SYSTEM
from app.errors import TransitionNotAllowed
from app.models.enums import Action
from app.models.request import Request
from app.repositories import clockwork as repository
from app.services import attachments, clock, idempotency, lifecycle, notifications, privacy, stats
from app.services import requests as requests_service
from app.services.lifecycle import ActionInput
from app.services.storage import get_storage

log = logging.getLogger("app.clock")

BATCH = 200


@dataclass(frozen=True)
class DueWork:
    """What one pass did."""

    alerted: int = 0  # due-soon warnings
    escalated: int = 0  # escalations, to level 1 or 2
    closed: int = 0  # answers closed once their window passed
    reminded: int = 0  # citizens reminded that their reopen window closes soon
    anonymized: int = 0  # requests past their retention

    def __str__(self) -> str:
        return (
            f"due-soon alerts {self.alerted}, escalations {self.escalated}, "
            f"auto-closed {self.closed}, reopen reminders {self.reminded}, "
            f"anonymized {self.anonymized}"
        )


async def _act_on_batch(
    session: AsyncSession,
    stmt: Select[Any],
    key: Any,
    after: tuple[Any, int] | None,
    action: Action,
    settings: Settings,
    now: datetime,
    batch: int,
) -> tuple[int, int, tuple[Any, int] | None]:
    """Take `action` as the system on the next `batch` rows of `stmt` (by `key`, then id,
    after `after`) that no other process holds. Returns (rows seen, actions taken, last key)."""
    rows = await repository.lock_batch(session, stmt, key, after, batch)
    done = 0
    last = after
    for request in rows:
        lifecycle.note_locked(session, request.id)  # read under its lock: `apply` reads no more
        last = (getattr(request, key.key), request.id)
        try:
            await requests_service.perform(
                session, request, action, SYSTEM, ActionInput(), settings=settings, now=now
            )
        except TransitionNotAllowed:
            # Its guard disagrees (a change committed since it was picked): the next pass.
            continue
        done += 1
    return len(rows), done, last


async def _in_batches(
    sessionmaker: SessionMaker,
    query: Callable[[], Select[Any]],
    key: Any,
    action: Action,
    settings: Settings,
    now: datetime,
    batch: int,
) -> int:
    """Every row of `query`, a batch per transaction, committed as it goes."""
    total = 0
    after: tuple[Any, int] | None = None
    while True:
        async with sessionmaker() as session:
            seen, done, after = await _act_on_batch(
                session, query(), key, after, action, settings, now, batch
            )
            await session.commit()
        total += done
        if seen < batch:
            return total


async def alert_due_soon(
    sessionmaker: SessionMaker, settings: Settings, now: datetime, batch: int = BATCH
) -> int:
    """Warn the assignee and the supervisors of requests due within `DUE_SOON_DAYS`."""
    return await _in_batches(
        sessionmaker,
        lambda: repository.due_soon(settings.due_soon_days, now),
        Request.due_at,
        Action.alert_due_soon,
        settings,
        now,
        batch,
    )


async def escalate_due(
    sessionmaker: SessionMaker, settings: Settings, now: datetime, batch: int = BATCH
) -> int:
    """Level 1 for requests past their due date, then level 2 for those `ESCALATION_DAYS`
    past it (a request past both goes through both in one pass)."""
    total = 0
    for level in (0, 1):
        total += await _in_batches(
            sessionmaker,
            partial(repository.escalation, level, settings.escalation_days, now),
            Request.due_at,
            Action.escalate,
            settings,
            now,
            batch,
        )
    return total


async def auto_close_due(
    sessionmaker: SessionMaker, settings: Settings, now: datetime, batch: int = BATCH
) -> int:
    """Close answered (or acknowledged) requests whose reopen window has passed."""
    return await _in_batches(
        sessionmaker,
        lambda: repository.answered_past_window(settings.reopen_window_days, now),
        Request.answered_at,
        Action.auto_close,
        settings,
        now,
        batch,
    )


async def _reminders(sessionmaker: SessionMaker, settings: Settings, now: datetime) -> int:
    total = 0
    while True:
        async with sessionmaker() as session:
            done = await notifications.remind_reopen_windows(session, settings, now, BATCH)
            await session.commit()
        total += done
        if done < BATCH:
            return total


async def _housekeeping(sessionmaker: SessionMaker, settings: Settings, now: datetime) -> None:
    """Transient rows and orphan files: never as of a moment later than the real one (a file
    uploaded this minute, its transaction not yet committed, is no orphan)."""
    now = min(now, clock.now())
    async with sessionmaker() as session:
        # Files written by a process that died before its commit; an hour is ample margin.
        await attachments.sweep_orphans(session, get_storage(settings), timedelta(hours=1), now)
    async with sessionmaker() as session:
        await idempotency.purge_expired(session, now)
        await repository.purge_transient(session, now)
        await session.commit()
    # The statistics counters written since the last pass, into their rollups.
    await stats.fold(sessionmaker)


async def run_due(
    sessionmaker: SessionMaker, settings: Settings, now: datetime | None = None
) -> DueWork:
    """All the clock's work as of `now` (the current time by default): warnings, escalations,
    auto-close, reopen reminders, the retention purge (law 09-08), then housekeeping."""
    now = now or clock.now()
    alerted = await alert_due_soon(sessionmaker, settings, now)
    escalated = await escalate_due(sessionmaker, settings, now)
    closed = await auto_close_due(sessionmaker, settings, now)
    reminded = await _reminders(sessionmaker, settings, now)
    anonymized = await privacy.purge(sessionmaker, settings, now)
    await _housekeeping(sessionmaker, settings, now)
    work = DueWork(alerted, escalated, closed, reminded, anonymized)
    if work != DueWork():
        log.info("clock work: %s", work)
    return work
