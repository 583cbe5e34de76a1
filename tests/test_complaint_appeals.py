"""Appeal for complaints: after a poor rating or exhausted reopening, within the window, the
citizen appeals; national admins dismiss it or send it back with days and instructions."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import OutboxMessage
from app.models.enums import Kind, Role, State
from app.services import clock
from app.services.templates import render
from tests.factories import act, citizen_auth, create_request, make_administration, make_staff


@pytest.fixture
async def desk(session, settings):
    admin = await make_administration(session, max_reopens=2)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _national, national = await make_staff(session, settings, Role.national_admin)
    return admin, agent, national


async def appeal(client, request, settings, reason="La réponse ne règle rien."):
    return await client.post(
        f"/api/v1/requests/{request.tracking_number}/appeal",
        json={"reason": reason},
        headers=citizen_auth(request, settings),
    )


async def test_a_poorly_rated_answer_can_be_appealed(client, session, settings, desk):
    admin, _agent, national = desk
    request = await create_request(
        session, administration=admin, state=State.answered, rating_score=2
    )
    request.rated_at = clock.now()
    response = await appeal(client, request, settings)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "appealed"
    view = await client.get(f"/api/v1/requests/{request.tracking_number}", headers=national)
    assert view.status_code == 200
    assert view.json()["allowed_actions"] == ["decide_appeal"]


async def test_exhausted_reopening_opens_the_appeal_from_closed(client, session, settings, desk):
    admin, _agent, _national = desk
    request = await create_request(
        session, administration=admin, state=State.closed, reopen_count=2
    )
    response = await appeal(client, request, settings)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("case", ["good_rating", "unrated", "window_passed"])
async def test_the_appeal_is_refused_otherwise(client, session, settings, desk, case):
    admin, _agent, _national = desk
    fields = {
        "good_rating": {"rating_score": 4},
        "unrated": {},
        "window_passed": {"rating_score": 1},
    }
    now = clock.now()
    if case == "window_passed":
        now -= timedelta(days=settings.appeal_window_days + 1)
    request = await create_request(
        session, administration=admin, state=State.answered, now=now, **fields[case]
    )
    response = await appeal(client, request, settings)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "appeal_not_open"


async def test_an_unanswered_complaint_cannot_be_appealed(client, session, settings, desk):
    admin, _agent, _national = desk
    request = await create_request(session, administration=admin, state=State.in_progress)
    response = await appeal(client, request, settings)
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"


async def appealed(session, admin):
    return await create_request(session, administration=admin, state=State.closed, reopen_count=2)


async def test_dismissed_closes_it(client, session, settings, desk):
    admin, _agent, national = desk
    request = await appealed(session, admin)
    assert (await appeal(client, request, settings)).status_code == 200
    response = await act(
        client, request.tracking_number, "decide_appeal", national, decision="dismissed"
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "closed"


async def test_sent_back_returns_it_with_a_due_date_and_instructions(
    client, session, settings, desk
):
    admin, agent, national = desk
    request = await appealed(session, admin)
    assert (await appeal(client, request, settings)).status_code == 200
    number = request.tracking_number
    response = await act(
        client,
        number,
        "decide_appeal",
        national,
        decision="sent_back",
        days=10,
        message="Vérifiez le remboursement.",
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "in_progress"
    messages = await client.get(f"/api/v1/requests/{number}/messages", headers=agent)
    assert "Vérifiez le remboursement." in messages.text
    view = await client.get(f"/api/v1/requests/{number}", headers=agent)
    assert "answer" in view.json()["allowed_actions"]
    mine = await client.get(f"/api/v1/requests/{number}", headers=citizen_auth(request, settings))
    assert "Vérifiez le remboursement." not in mine.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "sent_back", "message": "Revoir."}, "days"),
        ({"decision": "sent_back", "days": 10}, "message"),
        ({"decision": "sent_back", "days": 61, "message": "Revoir."}, "days"),
        ({}, "decision"),
    ],
)
async def test_a_decision_needs_what_it_carries(client, session, settings, desk, body, field):
    admin, _agent, national = desk
    request = await appealed(session, admin)
    assert (await appeal(client, request, settings)).status_code == 200
    response = await act(client, request.tracking_number, "decide_appeal", national, **body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_only_national_admins_decide(client, session, settings, desk):
    admin, _agent, _national = desk
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    request = await appealed(session, admin)
    assert (await appeal(client, request, settings)).status_code == 200
    response = await act(
        client, request.tracking_number, "decide_appeal", supervisor, decision="dismissed"
    )
    assert response.status_code == 409
    assert response.json()["code"] in ("action_not_for_role", "transition_not_allowed")


async def test_an_appeal_is_announced_to_the_national_admins_without_the_citizens_words(
    client, session, settings, desk
):
    admin, _agent, _national = desk
    active, _ = await make_staff(session, settings, Role.national_admin)
    inactive, _ = await make_staff(session, settings, Role.national_admin)
    inactive.active = False
    request = await create_request(
        session, administration=admin, state=State.answered, rating_score=1
    )
    reason = "Mon voisin Karim Bennani, 06 12 34 56 78, n'a rien reçu non plus."
    response = await appeal(client, request, settings, reason=reason)
    assert response.status_code == 200, response.text
    sent = (
        await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.request_id == request.id, OutboxMessage.event == "appeal_filed"
            )
        )
    ).all()
    recipients = {message.recipient for message in sent}
    assert active.email in recipients
    assert inactive.email not in recipients
    assert all(message.channel == "email" for message in sent)
    for message in sent:
        said = render(message.channel, message.payload)
        text = said["text"] + said["subject"]
        assert request.tracking_number in text
        assert "Karim" not in text
        assert "06 12" not in text


async def test_an_information_request_appeal_is_not_a_national_matter(
    client, session, settings, desk
):
    admin, _agent, _national = desk
    request = await create_request(
        session, administration=admin, kind=Kind.information_request, state=State.answered
    )
    await appeal(client, request, settings)
    sent = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.request_id == request.id, OutboxMessage.event == "appeal_filed")
    )
    assert sent == 0
