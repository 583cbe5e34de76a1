"""Information requests under law 31-13: 20 days, one extension, 3 days when urgent, appeals."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from app.models.enums import Kind, Role, State
from app.models.request import Request
from app.services import clock
from tests.factories import (
    REFUSE,
    START,
    act,
    citizen_auth,
    complaint,
    create_request,
    file,
    make_administration,
    make_staff,
)

KINDS = ("complaint", "information_request")


def information(code: str, **overrides):
    return complaint(
        code,
        kind="information_request",
        service="general",
        attributes={},
        subject="Budget de la commune 2025",
        description="Je demande le budget voté de la commune pour l'année 2025.",
        **overrides,
    )


async def _setup(session, settings):
    admin = await make_administration(session, kinds=KINDS)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    return admin, agent, supervisor


def _days(start: str, end: str) -> timedelta:
    return datetime.fromisoformat(end) - datetime.fromisoformat(start)


async def test_answer_is_due_in_20_days_or_3_when_urgent(client, session, settings):
    admin, _agent, _sup = await _setup(session, settings)
    normal = await file(client, information(admin.code))
    urgent = await file(client, information(admin.code, urgent=True))
    assert _days(normal["created_at"], normal["due_at"]) == timedelta(days=20)
    assert _days(urgent["created_at"], urgent["due_at"]) == timedelta(days=3)


async def test_urgency_is_only_for_information_requests(client, session, settings):
    admin, _agent, _sup = await _setup(session, settings)
    response = await client.post("/api/v1/requests", json=complaint(admin.code, urgent=True))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "urgent"


async def _information(session, admin, state=State.submitted, **fields) -> Request:
    return await create_request(
        session, administration=admin, kind=Kind.information_request, state=state, **fields
    )


async def test_a_refusal_states_its_legal_ground(client, session, settings):
    admin, agent, _sup = await _setup(session, settings)
    number = (await _information(session, admin, State.in_progress)).tracking_number
    missing = await act(client, number, "answer", agent, message="Refusé", outcome="refused")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {
            "field": "legal_ground",
            "code": "legal_ground_required",
            "message": "A refusal, even partial, states its legal ground.",
        }
    ]
    no_outcome = await act(client, number, "answer", agent, message="Voici")
    assert no_outcome.json()["errors"][0]["field"] == "outcome"
    done = await act(
        client,
        number,
        "answer",
        agent,
        message="Refusé",
        outcome="refused",
        legal_ground="Article 7: données personnelles de tiers",
    )
    assert done.status_code == 200
    assert done.json()["outcome"] == "refused"
    assert done.json()["legal_ground"] == "Article 7: données personnelles de tiers"


async def test_the_deadline_is_extended_once_by_at_most_20_days(client, session, settings):
    admin, _agent, supervisor = await _setup(session, settings)
    created = await _information(session, admin)
    number, due = created.tracking_number, created.due_at
    too_long = await act(client, number, "extend_deadline", supervisor, days=21, reason="Volume")
    assert too_long.status_code == 422
    extended = await act(client, number, "extend_deadline", supervisor, days=20, reason="Volume")
    assert extended.status_code == 200
    assert datetime.fromisoformat(extended.json()["due_at"]) - due == timedelta(days=20)
    assert extended.json()["extension_count"] == 1
    again = await act(client, number, "extend_deadline", supervisor, days=5, reason="Encore")
    assert again.status_code == 409
    assert again.json()["code"] == "extension_already_used"


async def test_appeal_of_a_refusal_goes_to_the_head_who_decides(client, session, settings):
    admin, _agent, supervisor = await _setup(session, settings)
    refused = await _information(session, admin, State.answered, via=(START, REFUSE))
    number, citizen = refused.tracking_number, citizen_auth(refused, settings)
    view = await client.get(f"/api/v1/requests/{number}", headers=citizen)
    assert "appeal" in view.json()["allowed_actions"]
    appealed = await client.post(
        f"/api/v1/requests/{number}/appeal",
        json={"reason": "Ce budget est public."},
        headers=citizen,
    )
    assert appealed.status_code == 200, appealed.text
    assert appealed.json()["state"] == "appealed"
    decided = await act(
        client, number, "decide_appeal", supervisor, message="Accordé", outcome="granted"
    )
    assert decided.json()["state"] == "answered"
    assert decided.json()["outcome"] == "granted"
    # Granted: nothing left to appeal.
    again = await client.post(
        f"/api/v1/requests/{number}/appeal", json={"reason": "Encore"}, headers=citizen
    )
    assert again.status_code == 409
    assert again.json()["code"] == "appeal_not_open"


async def test_silence_past_the_deadline_opens_an_appeal_for_20_days(client, session, settings):
    admin, _agent, _sup = await _setup(session, settings)
    created = await _information(session, admin)
    number, citizen = created.tracking_number, citizen_auth(created, settings)

    async def appeal():
        return await client.post(
            f"/api/v1/requests/{number}/appeal", json={"reason": "Pas de réponse"}, headers=citizen
        )

    assert (await appeal()).status_code == 409  # the administration still has time

    async def due_in(days: int) -> None:
        await session.execute(
            update(Request)
            .where(Request.tracking_number == number)
            .values(due_at=clock.now() + timedelta(days=days))
        )

    await due_in(-21)
    assert (await appeal()).json()["code"] == "appeal_not_open"  # the window has closed
    await due_in(-1)
    response = await appeal()
    assert response.status_code == 200
    assert response.json()["state"] == "appealed"


async def test_information_lifecycle_is_served(client):
    table = (await client.get("/api/v1/lifecycle")).json()["information_request"]
    assert "appealed" in table["states"]
    answer = next(t for t in table["transitions"] if t["action"] == "answer")
    assert answer["requires"] == ["message", "outcome", "legal_ground"]


async def test_the_law_31_13_clocks_on_a_controlled_clock(client, session, settings, frozen_clock):
    admin, agent, supervisor = await _setup(session, settings)
    t0 = frozen_clock.moment

    def at(value: str) -> datetime:
        return datetime.fromisoformat(value)

    created = await file(client, information(admin.code))
    number, citizen = created["tracking_number"], created["auth"]
    assert at(created["due_at"]) == t0 + timedelta(days=20)
    urgent = await file(client, information(admin.code, urgent=True))
    assert at(urgent["due_at"]) == t0 + timedelta(days=3)

    # The clock stops while the applicant is asked to clarify: five days away, five days more.
    frozen_clock.advance(days=1)
    await act(client, number, "start", agent)
    frozen_clock.advance(days=1)
    await act(client, number, "request_info", agent, message="Quelle année exactement ?")
    frozen_clock.advance(days=5)
    reply = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "L'année 2025."}, headers=citizen
    )
    assert reply.status_code == 201
    view = (await client.get(f"/api/v1/requests/{number}", headers=citizen)).json()
    assert view["state"] == "in_progress"
    assert at(view["due_at"]) == t0 + timedelta(days=25)

    # One extension of at most 20 days, with its reason.
    extended = await act(client, number, "extend_deadline", supervisor, days=20, reason="Archives")
    assert at(extended.json()["due_at"]) == t0 + timedelta(days=45)

    async def appeal(which: str) -> int:
        response = await client.post(
            f"/api/v1/requests/{which}/appeal",
            json={"reason": "Aucune réponse"},
            headers=citizen if which == number else urgent["auth"],
        )
        return response.status_code

    # Silence: no appeal while the body still has time, nor once the 20 days after it passed.
    frozen_clock.moment = t0 + timedelta(days=45)
    assert await appeal(number) == 409
    frozen_clock.moment = t0 + timedelta(days=65, seconds=1)
    assert await appeal(number) == 409
    # The urgent one, a second past its 3 days, may be appealed; the head has 3 days again.
    frozen_clock.moment = t0 + timedelta(days=3, seconds=1)
    assert await appeal(urgent["tracking_number"]) == 200
    view = (
        await client.get(f"/api/v1/requests/{urgent['tracking_number']}", headers=urgent["auth"])
    ).json()
    assert view["state"] == "appealed"
    assert at(view["due_at"]) == frozen_clock.moment + timedelta(days=3)


async def test_an_urgent_request_takes_no_extension(client, session, settings):
    # Law 31-13: the 3 days of an urgent request are not stretched by the 20-day extension.
    admin, _agent, supervisor = await _setup(session, settings)
    urgent = await _information(session, admin, State.in_progress, urgent=True)
    number, due = urgent.tracking_number, urgent.due_at
    view = await client.get(f"/api/v1/requests/{number}", headers=supervisor)
    assert "extend_deadline" not in view.json()["allowed_actions"]
    refused = await act(client, number, "extend_deadline", supervisor, days=5, reason="Volume")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "urgent_not_extensible"
    assert "extend_deadline" not in problem["allowed_actions"]
    french = await client.post(
        f"/api/v1/backoffice/requests/{number}/actions/extend_deadline",
        json={"days": 5, "reason": "Volume"},
        headers={**supervisor, "Accept-Language": "fr"},
    )
    assert french.json()["title"] == "Une demande urgente ne se proroge pas"
    after = await client.get(f"/api/v1/requests/{number}", headers=supervisor)
    assert datetime.fromisoformat(after.json()["due_at"]) == due
    assert after.json()["extension_count"] == 0
