"""Periodic work run inside every API process (and `python -m app worker`): the clock's work
(`app.services.clockwork`), on the `AUTO_CLOSE_INTERVAL_SECONDS` schedule."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from app.config import Settings
from app.db import SessionMaker
from app.services import clockwork

log = logging.getLogger("app.tasks")


async def run_due_work(
    sessionmaker: SessionMaker, settings: Settings, now: datetime | None = None
) -> clockwork.DueWork:
    """One pass of all the clock's work as of `now` (the current time by default)."""
    return await clockwork.run_due(sessionmaker, settings, now)


async def periodic(sessionmaker: SessionMaker, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.auto_close_interval_seconds)
        try:
            await run_due_work(sessionmaker, settings)
        except Exception:  # the loop must survive a failed pass; the next one retries
            log.exception("periodic work failed")
