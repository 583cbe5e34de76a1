"""Races, on committed data with real concurrent connections (not the per-test transaction)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models import (
    Request,
    RequestEvent,
)
from app.services import idempotency
from tests.factories import complaint


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(Request))).scalar_one())


async def test_retry_while_the_first_is_running_answers_409(live, engine):
    client, admin = live.client, live.administration
    key = "5f0c7a0e-0000-4000-8000-000000000001"
    lock = idempotency._lock_id("public:POST /api/v1/requests", key)
    async with engine.connect() as holder:
        # Another process is working on this key: it holds the key's lock.
        await holder.execute(text("SELECT pg_advisory_lock(:id)"), {"id": lock})
        busy = await client.post(
            "/api/v1/requests", json=complaint(admin.code), headers={"Idempotency-Key": key}
        )
        await holder.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock})
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_in_progress"
    assert busy.headers["Retry-After"] == "1"
    done = await client.post(
        "/api/v1/requests", json=complaint(admin.code), headers={"Idempotency-Key": key}
    )
    assert done.status_code == 201
    assert await _count(engine) == 1


async def test_simultaneous_retries_file_one_request(live, engine):
    client, admin = live.client, live.administration
    headers = {"Idempotency-Key": "5f0c7a0e-0000-4000-8000-000000000002"}
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/requests", json=complaint(admin.code), headers=headers)
            for _ in range(8)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    numbers = {r.json()["tracking_number"] for r in responses if r.status_code == 201}
    assert len(numbers) == 1
    assert await _count(engine) == 1


async def test_two_agents_answering_at_once_answer_once(live, engine):
    client, admin, staff, staff2 = live.client, live.administration, live.staff, live.staff2
    created = await client.post("/api/v1/requests", json=complaint(admin.code))
    number = created.json()["tracking_number"]
    started = await client.post(
        f"/api/v1/backoffice/requests/{number}/actions/start", json={}, headers=staff
    )
    assert started.status_code == 200
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/backoffice/requests/{number}/actions/answer",
                json={"message": f"Réponse {i}"},
                headers=who,
            )
            for i, who in enumerate((staff, staff2, staff, staff2))
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    async with engine.connect() as conn:
        answers = await conn.execute(
            select(func.count()).select_from(RequestEvent).where(RequestEvent.action == "answer")
        )
        assert answers.scalar_one() == 1
        version = await conn.execute(
            select(Request.version).where(Request.tracking_number == number)
        )
        assert version.scalar_one() == 3
