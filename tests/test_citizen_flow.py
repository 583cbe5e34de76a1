"""The whole life of a complaint, as the apps and the back office drive it through the API.
Where a test needs a request in some state and is not about how it got there, the request is
built in that state directly (`create_request`)."""

from __future__ import annotations

from datetime import timedelta

from app.models.enums import Kind, Role, State
from app.services import clock
from tests.factories import (
    AGENT_ON_SUBMITTED,
    act,
    agent_and_stranger,
    citizen_auth,
    complaint,
    create_request,
    file,
    make_administration,
    make_staff,
)


async def _detail(client, number, headers, lang="fr"):
    response = await client.get(
        f"/api/v1/requests/{number}", headers={**headers, "Accept-Language": lang}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_complaint_lives_from_submission_to_closing(client, session, settings):
    admin, staff, stranger = await agent_and_stranger(session, settings)

    created = await file(
        client,
        complaint(admin.code, complainant={"full_name": "Ahmed Benali", "phone": "0612345678"}),
        **{"Accept-Language": "ar"},
    )
    number, citizen = created["tracking_number"], created["auth"]
    assert created["state"] == "submitted"

    # Tracking by phone, in national form, gives a token for this request.
    tracked = await client.post(
        "/api/v1/tracking", json={"tracking_number": number, "phone": "06 12 34 56 78"}
    )
    assert tracked.status_code == 200
    citizen = {"Authorization": f"Bearer {tracked.json()['access_token']}"}
    view = await _detail(client, number, citizen, "ar")
    assert view["language"] == "ar"
    assert view["allowed_actions"] == ["close", "message", "attach"]

    # The wrong administration's agent sees nothing.
    assert (await client.get(f"/api/v1/requests/{number}", headers=stranger)).status_code == 404

    assert (await act(client, number, "start", staff)).json()["state"] == "in_progress"
    response = await act(client, number, "request_info", staff, message="Joignez le constat.")
    assert response.json()["state"] == "awaiting_citizen"
    assert response.json()["clock_paused"] is True
    due_before = response.json()["due_at"]

    # The citizen's reply resumes the request.
    reply = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "Voici le constat."}, headers=citizen
    )
    assert reply.status_code == 201, reply.text
    view = await _detail(client, number, citizen)
    assert view["state"] == "in_progress"
    assert view["clock_paused"] is False
    assert view["due_at"] >= due_before
    assert [e["action"] for e in view["history"]][-3:] == ["request_info", "message", "resume"]

    answer = await act(client, number, "answer", staff, message="Votre dossier est réglé.")
    assert answer.json()["state"] == "answered"
    view = await _detail(client, number, citizen)
    assert view["allowed_actions"] == ["close", "reopen", "rate", "attach"]
    assert view["reopen_until"] is not None

    rated = await client.put(
        f"/api/v1/requests/{number}/rating", json={"score": 2, "comment": "Lent"}, headers=citizen
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"]["score"] == 2
    again = await client.put(
        f"/api/v1/requests/{number}/rating",
        json={"score": 5},
        headers={**citizen, "Accept-Language": "fr"},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_rated"
    assert again.json()["title"] == "Déjà évaluée"

    reopened = await client.post(
        f"/api/v1/requests/{number}/reopen", json={"reason": "Rien n'a changé."}, headers=citizen
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["state"] == "in_progress"
    assert reopened.json()["reopen_count"] == 1

    await act(client, number, "answer", staff, message="Nous avons corrigé.")
    closed = await client.post(f"/api/v1/requests/{number}/close", json={}, headers=citizen)
    assert closed.json()["state"] == "closed"
    # Reopening is exhausted (one allowed by default): the national appeal remains (issue 10).
    assert closed.json()["allowed_actions"] == ["appeal"]

    messages = await client.get(f"/api/v1/requests/{number}/messages", headers=citizen)
    assert [m["body"] for m in messages.json()] == [
        "Joignez le constat.",
        "Voici le constat.",
        "Votre dossier est réglé.",
        "Nous avons corrigé.",
    ]
    history = (await _detail(client, number, citizen))["history"]
    assert [(e["action"], e["to_state"]) for e in history] == [
        ("submit", "submitted"),
        ("start", "in_progress"),
        ("request_info", "awaiting_citizen"),
        ("message", "awaiting_citizen"),
        ("resume", "in_progress"),
        ("answer", "answered"),
        ("rate", "answered"),
        ("reopen", "in_progress"),
        ("answer", "answered"),
        ("close", "closed"),
    ]


async def test_refused_action_lists_allowed_actions_in_arabic(client, session, settings):
    admin = await make_administration(session)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    number = (await create_request(session, administration=admin)).tracking_number
    response = await client.post(
        f"/api/v1/backoffice/requests/{number}/actions/answer",
        json={"message": "trop tôt"},
        headers={**staff, "Accept-Language": "ar"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["title"] == "إجراء غير مسموح به"
    assert body["allowed_actions"] == AGENT_ON_SUBMITTED


async def test_reopen_after_the_window_is_refused(client, session, settings):
    admin = await make_administration(session, reopen_window_days=10)
    answered = await create_request(
        session,
        administration=admin,
        state=State.answered,
        now=clock.now() - timedelta(days=11),
        settings=settings,
    )
    response = await client.post(
        f"/api/v1/requests/{answered.tracking_number}/reopen",
        json={"reason": "Pas d'accord"},
        headers=citizen_auth(answered, settings),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "reopen_window_expired"
    assert "reopen" not in response.json()["allowed_actions"]


async def test_reopen_is_capped(client, session, settings):
    admin = await make_administration(session, max_reopens=1)
    for reopened, expected in ((0, 200), (1, 409)):
        answered = await create_request(
            session, administration=admin, state=State.answered, reopen_count=reopened
        )
        response = await client.post(
            f"/api/v1/requests/{answered.tracking_number}/reopen",
            json={"reason": "Encore"},
            headers=citizen_auth(answered, settings),
        )
        assert response.status_code == expected
    assert response.json()["code"] == "reopen_limit_reached"


async def test_auto_close_closes_answers_past_their_window(client, session, sessionmaker, settings):
    from app.services.clockwork import auto_close_due

    admin = await make_administration(session, reopen_window_days=5)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    old, fresh = [
        (
            await create_request(
                session, administration=admin, state=State.answered, now=clock.now() - age
            )
        ).tracking_number
        for age in (timedelta(days=6), timedelta(days=1))
    ]
    assert await auto_close_due(sessionmaker, settings, clock.now()) == 1
    states = {}
    for number in (old, fresh):
        states[number] = (await client.get(f"/api/v1/requests/{number}", headers=staff)).json()
    assert states[old]["state"] == "closed"
    assert states[old]["history"][-1]["action"] == "auto_close"
    assert states[old]["history"][-1]["actor"] == "system"
    assert states[fresh]["state"] == "answered"


async def test_transfer_restarts_the_clock_at_the_receiving_administration(
    client, session, settings
):
    first = await make_administration(session, answer_days=60)
    second = await make_administration(session, answer_days=20)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, first)
    _agent, receiver = await make_staff(session, settings, Role.agent, second)
    number = (await create_request(session, administration=first)).tracking_number
    moved = await act(
        client,
        number,
        "transfer",
        supervisor,
        administration=second.code,
        reason="Pas notre domaine",
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["administration"]["code"] == second.code
    assert body["service"] is None
    assert body["state"] == "submitted"
    assert body["history"][-1]["data"]["to_administration"] == second.code
    # Moved out of the first queue, the first administration loses sight of it.
    assert (await client.get(f"/api/v1/requests/{number}", headers=supervisor)).status_code == 404
    seen = await client.get(f"/api/v1/requests/{number}", headers=receiver)
    assert seen.status_code == 200
    created_at, due = seen.json()["updated_at"], seen.json()["due_at"]
    from datetime import datetime

    delta = datetime.fromisoformat(due) - datetime.fromisoformat(created_at)
    assert delta == timedelta(days=20)


async def test_observation_is_acknowledged_then_closed(client, session, settings):
    admin = await make_administration(session)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    observation = await create_request(session, administration=admin, kind=Kind.observation)
    number = observation.tracking_number
    acknowledged = await act(client, number, "acknowledge", staff, message="Merci !")
    assert acknowledged.json()["state"] == "acknowledged"
    citizen_view = await _detail(client, number, citizen_auth(observation, settings))
    assert citizen_view["allowed_actions"] == ["close", "attach"]
    closed = await act(client, number, "close", staff)
    assert closed.json()["state"] == "closed"


async def test_lifecycle_is_served_as_data(client):
    response = await client.get("/api/v1/lifecycle")
    assert response.status_code == 200
    complaint_table = response.json()["complaint"]
    assert complaint_table["initial_state"] == "submitted"
    assert set(complaint_table["states"]) == {
        "appealed",
        "submitted",
        "in_progress",
        "awaiting_citizen",
        "answered",
        "closed",
        "rejected",
    }
    reopen = next(t for t in complaint_table["transitions"] if t["action"] == "reopen")
    assert reopen["from_states"] == ["answered"]
    assert reopen["to_state"] == "in_progress"
    assert reopen["roles"] == ["citizen"]
    assert reopen["requires"] == ["reason"]
    assert response.json()["suggestion"]["states"] == [
        "submitted",
        "acknowledged",
        "closed",
        "rejected",
    ]
