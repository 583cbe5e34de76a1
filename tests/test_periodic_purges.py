"""The periodic work forgets throttle windows and spent challenges once they are over, and
keeps those still running."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models.support import ThrottleCounter, UsedChallenge
from app.services import clock
from app.tasks import run_due_work


async def test_ended_windows_and_expired_challenges_go_running_ones_stay(
    session, sessionmaker, settings
):
    now = clock.now()
    session.add_all(
        [
            ThrottleCounter(key="test:ended", count=3, window_ends_at=now - timedelta(seconds=1)),
            ThrottleCounter(key="test:running", count=3, window_ends_at=now + timedelta(hours=1)),
            UsedChallenge(challenge="ended" * 8, expires_at=now - timedelta(seconds=1)),
            UsedChallenge(challenge="running" * 8, expires_at=now + timedelta(hours=1)),
        ]
    )
    await session.commit()

    await run_due_work(sessionmaker, settings)

    keys = set(
        (
            await session.scalars(
                select(ThrottleCounter.key).where(ThrottleCounter.key.like("test:%"))
            )
        ).all()
    )
    ours = ["ended" * 8, "running" * 8]  # other tests' committed challenges may be there too
    challenges = set(
        (
            await session.scalars(
                select(UsedChallenge.challenge).where(UsedChallenge.challenge.in_(ours))
            )
        ).all()
    )
    assert keys == {"test:running"}
    assert challenges == {"running" * 8}
