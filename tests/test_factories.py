"""`create_request` builds what the API would have: a request in any state of its kind, with a
history that replays to that state, and counters the statistics read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models.enums import Kind, Role, State
from app.models.integration import RequestStats
from app.services import lifecycle
from tests.factories import (
    PATHS,
    citizen_auth,
    create_request,
    make_administration,
    make_staff,
)

KINDS = tuple(kind.value for kind in Kind)
CASES = [(kind, state) for kind in Kind for state in lifecycle.states_of(kind)]


@pytest.mark.parametrize(("kind", "state"), CASES, ids=lambda v: str(v))
async def test_a_request_in_any_state_reads_as_if_it_had_walked_there(
    client, session, settings, kind, state
):
    admin = await make_administration(session, kinds=KINDS)
    request = await create_request(
        session, administration=admin, kind=kind, state=state, settings=settings
    )
    _, staff = await make_staff(session, settings, Role.agent, admin)

    seen = (await client.get(f"/api/v1/requests/{request.tracking_number}", headers=staff)).json()
    assert (seen["kind"], seen["state"]) == (kind.value, state.value)
    steps = [event for event in seen["history"] if event["action"] != "submit"]
    assert seen["version"] == 1 + len(steps) == 1 + len(PATHS[kind].get(state, ()))
    replayed = lifecycle.INITIAL_STATE.value
    for event in seen["history"]:
        assert event["from_state"] == (None if event["action"] == "submit" else replayed)
        replayed = event["to_state"]
    assert replayed == state.value
    mine = await client.get(
        f"/api/v1/requests/{request.tracking_number}", headers=citizen_auth(request, settings)
    )
    assert mine.status_code == 200, mine.text


async def test_its_counters_are_those_of_the_walk(session, settings):
    admin = await make_administration(session)
    await create_request(session, administration=admin, state=State.answered, settings=settings)
    await create_request(session, administration=admin, state=State.in_progress)
    await create_request(session, administration=admin, state=State.rejected)
    rows = (
        await session.scalars(
            select(RequestStats).where(RequestStats.administration_id == admin.id)
        )
    ).all()
    assert [(row.received, row.processed) for row in rows] == [(3, 2)]


async def test_the_deadline_is_the_policys_and_an_agent_who_starts_is_the_assignee(
    session, settings, frozen_clock
):
    admin = await make_administration(session, answer_days=15)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    request = await create_request(
        session, administration=admin, state=State.in_progress, staff=agent, settings=settings
    )
    assert request.created_at == frozen_clock.moment
    assert request.due_at == frozen_clock.moment + timedelta(days=15)
    assert request.assignee_id == agent.id
