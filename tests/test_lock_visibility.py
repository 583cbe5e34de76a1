"""Visibility is checked again once the row is locked: a request transferred while an agent
waited on its lock is out of that agent's reach (two real concurrent transactions)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text

from app.domain.actors import Actor
from app.models import Request
from app.models.enums import Role
from app.schemas.requests import ActionIn
from app.services import clock
from app.services import requests as service
from tests.factories import complaint

POLL_LIMIT = 6000  # 0.01 s each: a bound, never reached unless the lock wait never starts


async def _wait_until_blocked_on_a_lock(engine, request_id: int) -> None:
    """Until some backend waits for a row lock of `requests` (the agent's action)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    for _ in range(POLL_LIMIT):
        async with engine.connect() as conn:
            if (await conn.execute(query)).scalar_one() > 0:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the action on request {request_id} never waited for the lock")


async def test_an_action_that_waited_for_a_transfer_is_refused(live, engine, settings):
    client, admin = live.client, live.administration
    created = await client.post("/api/v1/requests", json=complaint(admin.code))
    assert created.status_code == 201
    number = created.json()["tracking_number"]

    async with live.sessionmaker() as session:
        supervisor_id = (
            await session.execute(
                text("SELECT id FROM users WHERE role = 'supervisor' AND administration_id = :a"),
                {"a": admin.id},
            )
        ).scalar_one()
        supervisor = Actor(role=Role.supervisor, user_id=supervisor_id, administration_id=admin.id)
        request = await service.get_visible(session, number, supervisor)
        # The transfer's transaction holds the row lock until it commits.
        await service.staff_action(
            session,
            request,
            service.parse_action("transfer"),
            supervisor,
            ActionIn(administration="ACAPS", reason="Relève de l'ACAPS."),
            settings=settings,
            now=clock.now(),
            if_match=None,
        )
        # The agent of the old administration looks the request up (still theirs) and waits.
        agent_action = asyncio.create_task(
            client.post(
                f"/api/v1/backoffice/requests/{number}/actions/start",
                json={},
                headers=live.staff,
            )
        )
        await _wait_until_blocked_on_a_lock(engine, request.id)
        await session.commit()

    response = await agent_action
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "request_not_found"
    async with live.sessionmaker() as session:
        moved = (
            await session.scalars(select(Request).where(Request.tracking_number == number))
        ).one()
        assert moved.administration_id != admin.id
        assert moved.state == "submitted"  # the old administration's "start" never happened
