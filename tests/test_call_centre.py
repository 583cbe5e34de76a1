"""Call-centre assistance: an operator proves a caller's contact and acts for them, on the
record, on any request, with no staff power; their failures are counted per operator."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt

from app.models.enums import Role
from tests.factories import act, complaint, file, make_administration, make_staff, track

CALL_CENTRE = {"channel": "call_center", "on_behalf_of": "citizen"}


async def _web_request(client, session):
    admin = await make_administration(session)
    created = await file(
        client,
        complaint(
            admin.code,
            complainant={"full_name": "Hind Tazi", "email": "hind@example.ma"},
        ),
    )
    return admin, created["tracking_number"]


async def _assisted(client, operator, number, **proof):
    response = await track(client, number, headers=operator, **proof)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_an_operator_helps_a_caller_with_a_web_request(client, session, settings):
    admin, number = await _web_request(client, session)
    user, operator = await make_staff(session, settings, Role.operator)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    # A web request is none of the operator's own business...
    assert (await client.get(f"/api/v1/requests/{number}", headers=operator)).status_code == 404
    # ...until the caller proves it is theirs.
    helped = await _assisted(client, operator, number, email="HIND@example.ma")
    assert (await client.get(f"/api/v1/requests/{number}", headers=helped)).status_code == 200

    message = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "Le client appelle."}, headers=helped
    )
    assert message.status_code == 201, message.text
    await act(client, number, "start", staff)
    await act(client, number, "answer", staff, message="Réglé.")
    rated = await client.put(f"/api/v1/requests/{number}/rating", json={"score": 4}, headers=helped)
    assert rated.status_code == 200, rated.text
    reopened = await client.post(
        f"/api/v1/requests/{number}/reopen", json={"reason": "Toujours rien."}, headers=helped
    )
    assert reopened.status_code == 200, reopened.text
    await act(client, number, "answer", staff, message="Corrigé.")
    closed = await client.post(f"/api/v1/requests/{number}/close", json={}, headers=helped)
    assert closed.status_code == 200, closed.text

    history = (await client.get(f"/api/v1/requests/{number}", headers=staff)).json()["history"]
    assisted = [e for e in history if e["data"].get("channel") == "call_center"]
    assert [e["action"] for e in assisted] == ["message", "rate", "reopen", "close"]
    for event in assisted:
        assert event["actor"] == "citizen"
        assert event["actor_name"] == user.full_name
        assert event["data"]["operator_id"] == user.id
        assert {k: event["data"][k] for k in CALL_CENTRE} == CALL_CENTRE
    # The submission and the agent's own actions are not the operator's.
    assert history[0]["data"]["channel"] == "web"
    assert all("operator_id" not in e["data"] for e in history if e["actor"] == "agent")


async def test_an_assisted_token_carries_no_staff_power(client, session, settings):
    _admin, number = await _web_request(client, session)
    _other, other_number = await _web_request(client, session)
    _user, operator = await make_staff(session, settings, Role.operator)
    helped = await _assisted(client, operator, number, email="hind@example.ma")
    assert (await client.get("/api/v1/backoffice/requests", headers=helped)).status_code == 403
    assert (await client.get(f"/api/v1/requests/{other_number}", headers=helped)).status_code == 404


async def test_an_assisted_token_ends_with_the_staff_token(client, session, settings, monkeypatch):
    _admin, number = await _web_request(client, session)
    _user, operator = await make_staff(session, settings, Role.operator)
    staff_exp = jwt.decode(
        operator["Authorization"].split()[1], options={"verify_signature": False}
    )["exp"]
    # A tracking lifetime longer than the staff token's: the staff token still bounds it.
    monkeypatch.setattr(
        settings, "tracking_token_ttl_seconds", settings.staff_token_ttl_seconds * 10
    )
    helped = await _assisted(client, operator, number, email="hind@example.ma")
    claims = jwt.decode(helped["Authorization"].split()[1], options={"verify_signature": False})
    assert claims["exp"] <= staff_exp
    assert claims["exp"] <= datetime.now(UTC).timestamp() + settings.staff_token_ttl_seconds


async def test_a_deactivated_operator_s_assisted_token_dies(client, session, settings):
    _admin, number = await _web_request(client, session)
    user, operator = await make_staff(session, settings, Role.operator)
    helped = await _assisted(client, operator, number, email="hind@example.ma")
    user.token_version += 1
    await session.flush()
    response = await client.get(f"/api/v1/requests/{number}", headers=helped)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_a_wrong_contact_fails_as_for_a_citizen(client, session, settings):
    _admin, number = await _web_request(client, session)
    _user, operator = await make_staff(session, settings, Role.operator)
    by_operator = await track(client, number, headers=operator, email="other@example.ma")
    by_citizen = await track(client, number, email="other@example.ma")
    assert by_operator.status_code == by_citizen.status_code == 404
    strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(by_operator) == strip(by_citizen)


async def test_other_staff_are_refused(client, session, settings):
    admin, number = await _web_request(client, session)
    for role in (Role.agent, Role.supervisor):
        _user, headers = await make_staff(session, settings, role, admin)
        response = await track(client, number, headers=headers, email="hind@example.ma")
        assert response.status_code == 403, role
        assert response.json()["code"] == "forbidden"


async def test_failures_are_throttled_per_operator_not_per_address(client, session, settings):
    _admin, number = await _web_request(client, session)
    _one, first = await make_staff(session, settings, Role.operator)
    _two, second = await make_staff(session, settings, Role.operator)
    for i in range(settings.tracking_failures_per_client):
        await track(client, f"N{i}", headers=first, email="x@y.ma")
    blocked = await track(client, number, headers=first, email="hind@example.ma")
    assert blocked.status_code == 429
    # The colleague at the next desk (same address) is not blocked, nor is a citizen there.
    await _assisted(client, second, number, email="hind@example.ma")
    citizen = await track(client, number, email="hind@example.ma")
    assert citizen.status_code == 200
