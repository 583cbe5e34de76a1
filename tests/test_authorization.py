"""An administration's staff never read, list or act on another's requests: 404 on every path."""

from __future__ import annotations

import pytest

from app.models.enums import Role
from app.models.user import User
from tests.factories import complaint, file, make_administration, make_staff, pdf, upload

STAFF_ACTIONS = [
    ("start", {}),
    ("assign", {"assignee": 1}),
    ("transfer", {"administration": "ACAPS", "reason": "x"}),
    ("request_info", {"message": "x"}),
    ("resume", {}),
    ("answer", {"message": "x"}),
    ("reject", {"reason_code": "duplicate", "message": "x"}),
    ("acknowledge", {}),
    ("close", {}),
    ("extend_deadline", {"days": 3, "reason": "x"}),
    ("message", {"message": "x"}),
    ("note", {"message": "x"}),
]


@pytest.fixture
async def world(client, session, settings):
    """Administration A with a complaint and an attachment; staff of administration B."""
    a = await make_administration(session)
    b = await make_administration(session)
    _agent, a_agent = await make_staff(session, settings, Role.agent, a)
    _b_agent, b_agent = await make_staff(session, settings, Role.agent, b)
    _b_sup, b_supervisor = await make_staff(session, settings, Role.supervisor, b)
    created = await file(client, complaint(a.code))
    number = created["tracking_number"]
    attachment = await upload(client, number, created["auth"], pdf("a.pdf"))
    return {
        "a": a,
        "b": b,
        "number": number,
        "citizen": created["auth"],
        "a_agent": a_agent,
        "strangers": (b_agent, b_supervisor),
        "attachment": attachment.json()[0]["id"],
    }


def _paths(world):
    n = world["number"]
    return [
        ("GET", f"/api/v1/requests/{n}", None),
        ("GET", f"/api/v1/requests/{n}/messages", None),
        ("POST", f"/api/v1/requests/{n}/messages", {"body": "x"}),
        ("POST", f"/api/v1/requests/{n}/messages", {"body": "x", "internal": True}),
        ("GET", f"/api/v1/requests/{n}/attachments", None),
        ("GET", f"/api/v1/requests/{n}/attachments/{world['attachment']}", None),
        ("GET", f"/api/v1/requests/{n}/receipt", None),
        *[
            ("POST", f"/api/v1/backoffice/requests/{n}/actions/{action}", body)
            for action, body in STAFF_ACTIONS
        ],
    ]


async def _version(client, world) -> tuple[int, str]:
    seen = await client.get(f"/api/v1/requests/{world['number']}", headers=world["a_agent"])
    return seen.json()["version"], seen.json()["state"]


async def test_every_path_is_a_404_for_another_administrations_staff(client, world):
    before = await _version(client, world)
    for headers in world["strangers"]:
        for method, path, body in _paths(world):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "request_not_found", path
        uploaded = await upload(client, world["number"], headers, pdf("b.pdf"))
        assert uploaded.status_code == 404
    assert await _version(client, world) == before


async def test_the_queue_and_colleagues_are_per_administration(client, world, session, settings):
    b_agent, _b_supervisor = world["strangers"]
    theirs = await client.get("/api/v1/backoffice/requests", headers=b_agent)
    assert world["number"] not in [r["tracking_number"] for r in theirs.json()["items"]]
    found = await client.get(
        "/api/v1/backoffice/requests", params={"q": world["number"]}, headers=b_agent
    )
    assert found.json()["items"] == []
    ours = await client.get("/api/v1/backoffice/requests", headers=world["a_agent"])
    assert world["number"] in [r["tracking_number"] for r in ours.json()["items"]]
    colleagues = await client.get("/api/v1/backoffice/staff", headers=b_agent)
    assert {c["administration"] for c in colleagues.json()} == {world["b"].code}
    assert len(colleagues.json()) == 2  # B's agent and supervisor, nobody of A


async def test_a_tracking_token_opens_one_request_only(client, world, session):
    other = await file(client, complaint(world["a"].code))
    response = await client.get(f"/api/v1/requests/{world['number']}", headers=other["auth"])
    assert response.status_code == 404
    assert response.json()["code"] == "request_not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/backoffice/requests"),
        ("GET", "/api/v1/backoffice/staff"),
        ("GET", "/api/v1/backoffice/statistics"),
        ("GET", "/api/v1/backoffice/requests.csv"),
        ("GET", "/api/v1/backoffice/webhooks"),
        ("GET", "/api/v1/backoffice/outbox"),
    ],
)
async def test_citizens_and_strangers_are_kept_out_of_the_back_office(client, world, method, path):
    citizen = await client.request(method, path, headers=world["citizen"])
    assert citizen.status_code == 403
    assert citizen.json()["code"] == "forbidden"
    anonymous = await client.request(method, path)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    garbage = await client.request(method, path, headers={"Authorization": "Bearer not.a.token"})
    assert garbage.status_code == 401
    assert garbage.json()["code"] == "invalid_token"


async def test_citizens_cannot_take_staff_actions(client, world):
    response = await client.post(
        f"/api/v1/backoffice/requests/{world['number']}/actions/start",
        json={},
        headers=world["citizen"],
    )
    assert response.status_code == 403


async def test_operators_see_paper_and_phone_requests_only(client, world, session, settings):
    _op, operator = await make_staff(session, settings, Role.operator)
    web = await client.get(f"/api/v1/requests/{world['number']}", headers=operator)
    assert web.status_code == 404
    body = complaint(world["a"].code, channel="mail")
    body["complainant"] = {"full_name": "Lettre reçue"}
    filed = await client.post("/api/v1/requests", json=body, headers=operator)
    assert filed.status_code == 201, filed.text
    seen = await client.get(f"/api/v1/requests/{filed.json()['tracking_number']}", headers=operator)
    assert seen.status_code == 200
    assert seen.json()["channel"] == "mail"
    assert seen.json()["operator"]["role"] == "operator"


async def test_national_admins_read_any_request(client, world, session, settings):
    # Issue 10, national oversight: any request of any administration, and the queue of all.
    _n, national = await make_staff(session, settings, Role.national_admin)
    assert (
        await client.get(f"/api/v1/requests/{world['number']}", headers=national)
    ).status_code == 200
    queue = await client.get("/api/v1/backoffice/requests", headers=national)
    assert queue.status_code == 200
    assert world["number"] in [item["tracking_number"] for item in queue.json()["items"]]


async def test_a_transfer_hands_the_request_over(client, world, session, settings):
    _sup, a_supervisor = await make_staff(session, settings, Role.supervisor, world["a"])
    b = await make_administration(session)
    _b, b_agent = await make_staff(session, settings, Role.agent, b)
    moved = await client.post(
        f"/api/v1/backoffice/requests/{world['number']}/actions/transfer",
        json={"administration": b.code, "reason": "Compétence"},
        headers=a_supervisor,
    )
    assert moved.status_code == 200
    assert (
        await client.get(f"/api/v1/requests/{world['number']}", headers=world["a_agent"])
    ).status_code == 404
    queue = await client.get("/api/v1/backoffice/requests", headers=b_agent)
    assert world["number"] in [r["tracking_number"] for r in queue.json()["items"]]


async def test_a_deactivated_account_is_refused(client, world, session, settings):
    user, headers = await make_staff(session, settings, Role.agent, world["a"])
    assert (await client.get("/api/v1/backoffice/requests", headers=headers)).status_code == 200
    await session.execute(User.__table__.update().where(User.id == user.id).values(active=False))
    refused = await client.get("/api/v1/backoffice/requests", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
