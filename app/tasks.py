"""Periodic work run inside every API process: closing expired answers, anonymizing requests
past their retention and purging old rows."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from app.config import Settings
from app.db import SessionMaker
from app.services import (
    attachments,
    challenges,
    clock,
    idempotency,
    notifications,
    privacy,
    throttle,
)
from app.services import requests as requests_service
from app.services.storage import get_storage

log = logging.getLogger("app.tasks")


async def run_due_work(sessionmaker: SessionMaker, settings: Settings) -> int:
    """One pass: auto-close answers past their window, remind before it closes, anonymize
    requests past their retention, purge rows."""
    now = clock.now()
    closed = 0
    while True:
        async with sessionmaker() as session:
            batch = await requests_service.auto_close_due(session, settings, now)
            await session.commit()
        closed += batch
        if batch == 0:
            break
    async with sessionmaker() as session:
        await notifications.remind_reopen_windows(session, settings, now)
        await session.commit()
    # Law 09-08: requests past their retention lose their personal data.
    anonymized = await privacy.purge(sessionmaker, settings, now)
    if anonymized:
        log.info("anonymized %d requests past their retention", anonymized)
    async with sessionmaker() as session:
        # Files written by a process that died before its commit; an hour is ample margin.
        await attachments.sweep_orphans(session, get_storage(settings), timedelta(hours=1), now)
    async with sessionmaker() as session:
        await idempotency.purge_expired(session, now)
        await throttle.purge_expired(session, now)
        await challenges.purge_expired(session, now)
        await session.commit()
    return closed


async def periodic(sessionmaker: SessionMaker, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.auto_close_interval_seconds)
        try:
            closed = await run_due_work(sessionmaker, settings)
            if closed:
                log.info("auto-closed %d answered requests", closed)
        except Exception:  # the loop must survive a failed pass; the next one retries
            log.exception("periodic work failed")
