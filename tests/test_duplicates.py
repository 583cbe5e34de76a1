"""Duplicates: staff close a request as a repeat of another of their administration's, linked
both ways, and its citizen hears when the original is answered — never the original itself."""

import pytest
from sqlalchemy import select

from app.models import OutboxMessage
from app.models.enums import Role, State
from app.services.templates import render
from tests.factories import act, citizen_auth, create_request, make_administration, make_staff


@pytest.fixture
async def pair(session, settings):
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    original = await create_request(
        session,
        administration=admin,
        state=State.in_progress,
        full_name="Karim Bennani",
        email="karim.bennani@example.ma",
        subject="Route coupée à Tiznit",
    )
    duplicate = await create_request(
        session, administration=admin, email="salma@example.ma", language="ar"
    )
    return admin, agent, original, duplicate


async def mark_duplicate(client, agent, duplicate, original):  # type: ignore[no-untyped-def]
    return await act(
        client,
        duplicate.tracking_number,
        "mark_duplicate",
        agent,
        duplicate_of=original.tracking_number,
    )


async def test_mark_duplicate_rejects_and_links_both_ways(client, settings, pair):
    _admin, agent, original, duplicate = pair
    response = await mark_duplicate(client, agent, duplicate, original)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "rejected"
    assert body["rejection_reason"] == "duplicate"
    assert body["duplicate_of"] == original.tracking_number
    staff_view = await client.get(f"/api/v1/requests/{original.tracking_number}", headers=agent)
    assert staff_view.json()["duplicates"] == [duplicate.tracking_number]
    assert staff_view.json()["duplicate_of"] is None
    again = await client.get(f"/api/v1/requests/{duplicate.tracking_number}", headers=agent)
    assert again.json()["duplicate_of"] == original.tracking_number
    # The duplicate's citizen never learns the other request's number.
    mine = await client.get(
        f"/api/v1/requests/{duplicate.tracking_number}",
        headers=citizen_auth(duplicate, settings),
    )
    assert mine.status_code == 200
    assert mine.json()["duplicate_of"] is None
    assert original.tracking_number not in mine.text
    assert mine.json()["history"][-1]["action"] == "mark_duplicate"


async def test_the_duplicates_citizen_is_told_when_the_original_is_answered(client, session, pair):
    _admin, agent, original, duplicate = pair
    marked = await mark_duplicate(client, agent, duplicate, original)
    assert marked.status_code == 200
    answer_text = "La route sera rouverte lundi, Monsieur Bennani."
    answered = await act(client, original.tracking_number, "answer", agent, message=answer_text)
    assert answered.status_code == 200, answered.text
    told = (
        await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient == "salma@example.ma",
                OutboxMessage.event == "duplicate_answered",
            )
        )
    ).all()
    assert len(told) == 1
    payload = str(render(told[0].channel, told[0].payload))
    assert duplicate.tracking_number in payload
    for secret in (original.tracking_number, answer_text, "Bennani", "Tiznit", "karim"):
        assert secret not in payload


@pytest.mark.parametrize("target", ["other_admin", "unknown", "itself"])
async def test_mark_duplicate_refuses_an_original_out_of_reach(
    client, session, settings, pair, target
):
    _admin, agent, _original, duplicate = pair
    other_admin = await make_administration(session)
    elsewhere = await create_request(session, administration=other_admin)
    number = {
        "other_admin": elsewhere.tracking_number,
        "unknown": "AAAA-BBBB-CCC",
        "itself": duplicate.tracking_number,
    }[target]
    response = await act(
        client, duplicate.tracking_number, "mark_duplicate", agent, duplicate_of=number
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["duplicate_of"]
    expected = "same_request" if target == "itself" else "not_a_request_here"
    assert errors[0]["code"] == expected


async def test_mark_duplicate_needs_an_original(client, pair):
    _admin, agent, _original, duplicate = pair
    response = await act(client, duplicate.tracking_number, "mark_duplicate", agent)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "duplicate_of"


async def test_mark_duplicate_is_refused_once_answered_and_for_citizens(
    client, session, settings, pair
):
    admin, agent, original, _duplicate = pair
    answered = await create_request(session, administration=admin, state=State.answered)
    response = await act(
        client,
        answered.tracking_number,
        "mark_duplicate",
        agent,
        duplicate_of=original.tracking_number,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    view = await client.get(f"/api/v1/requests/{original.tracking_number}", headers=agent)
    assert "mark_duplicate" in view.json()["allowed_actions"]
