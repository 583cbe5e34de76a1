"""Submissions to one service never wait on one another (no hot counter row), and the
statistics summed over the counters' slots stay exact."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from app.models import RequestStats
from app.schemas.requests import RequestIn
from app.services import clock
from app.services import requests as requests_service
from tests.factories import complaint

# Only a guard against hanging forever: before the counters had slots, the second
# submission waited on the first one's counter row until that transaction ended.
GUARD_SECONDS = 60


def _by(administration: str, who: str) -> dict[str, object]:
    """Two different citizens (one citizen's acknowledgements share a counter, on purpose)."""
    return complaint(
        administration, complainant={"full_name": "Salma Idrissi", "email": f"{who}@example.ma"}
    )


async def test_a_submission_does_not_wait_for_another_one_to_the_same_service(live, settings):
    admin = live.administration
    async with live.sessionmaker() as held:
        # A first submission to `svc`, in a transaction that stays open (its counter row locked).
        await requests_service.submit(
            held,
            RequestIn.model_validate(_by(admin.code, "first")),
            None,
            language="fr",
            settings=settings,
            now=clock.now(),
        )
        # A second one to the same service commits meanwhile.
        second = asyncio.create_task(
            live.client.post("/api/v1/requests", json=_by(admin.code, "second"))
        )
        done, _ = await asyncio.wait({second}, timeout=GUARD_SECONDS)
        waited = not done
        await held.commit()  # releases the second one if it was waiting
        assert (await second).status_code == 201
        assert not waited, "the second submission waited for the first one's transaction"

    statistics = await live.client.get("/api/v1/statistics", params={"administration": admin.code})
    assert statistics.status_code == 200
    assert statistics.json()["indicators"]["received"] == 2
    async with live.sessionmaker() as session:
        slots = await session.scalar(
            select(func.count())
            .select_from(RequestStats)
            .where(RequestStats.administration_id == admin.id)
        )
    assert slots == 2  # each writer had a slot of its own


async def test_sequential_submissions_reuse_their_sessions_slots(live, settings):
    """Slots grow with the database sessions that wrote (one slot each, its server process:
    at most the driver's pool), not with the requests."""
    admin = live.administration
    filings = 2 * settings.db_read_pool_size
    assert filings <= settings.submissions_per_client_per_hour
    for _ in range(filings):
        created = await live.client.post("/api/v1/requests", json=complaint(admin.code))
        assert created.status_code == 201
    async with live.sessionmaker() as session:
        slots = (
            await session.scalars(
                select(RequestStats.slot).where(RequestStats.administration_id == admin.id)
            )
        ).all()
        backends = set((await session.scalars(text("SELECT pid FROM pg_stat_activity"))).all())
    assert 1 <= len(slots) <= settings.db_read_pool_size
    assert set(slots) <= backends  # each the process id of a session still open in the pool
    statistics = await live.client.get("/api/v1/statistics", params={"administration": admin.code})
    assert statistics.json()["indicators"]["received"] == filings
