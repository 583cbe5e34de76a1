"""The document declares each operation's security truthfully, so generated clients ask for a
credential only where one is needed, and of the right kind."""

from __future__ import annotations

from app.models.enums import Role
from tests.factories import complaint, file, make_administration, make_staff


async def _security(client) -> dict[tuple[str, str], list[dict[str, list[str]]] | None]:
    document = (await client.get("/openapi.json")).json()
    return {
        (method.upper(), path): operation.get("security")
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


async def test_filing_needs_no_credential_and_staff_may_send_theirs(client):
    security = await _security(client)
    assert security[("POST", "/api/v1/requests")] == [{}, {"StaffOAuth2": []}]


async def test_citizen_operations_take_the_tracking_token_only(client):
    security = await _security(client)
    for path in ("close", "reopen", "appeal"):
        assert security[("POST", f"/api/v1/requests/{{tracking_number}}/{path}")] == [
            {"TrackingToken": []}
        ]
    assert security[("PUT", "/api/v1/requests/{tracking_number}/rating")] == [{"TrackingToken": []}]


async def test_back_office_operations_take_the_staff_token_only(client):
    security = await _security(client)
    # Actions also take an administration's integration key (tests/test_integration_actions).
    actions = ("POST", "/api/v1/backoffice/requests/{tracking_number}/actions/{action}")
    assert security.pop(actions) == [{"StaffOAuth2": []}, {"IntegrationKey": []}]
    staff_only = {key: value for key, value in security.items() if "/backoffice/" in key[1]}
    assert staff_only
    assert all(value == [{"StaffOAuth2": []}] for value in staff_only.values()), staff_only
    assert security[("GET", "/api/v1/auth/me")] == [{"StaffOAuth2": []}]


async def test_shared_operations_take_either_token(client):
    security = await _security(client)
    assert security[("GET", "/api/v1/requests/{tracking_number}")] == [
        {"StaffOAuth2": []},
        {"TrackingToken": []},
    ]


async def test_a_token_of_the_other_kind_is_refused_by_role(client, session, settings):
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    response = await client.get("/api/v1/backoffice/requests", headers=created["auth"])
    assert response.status_code == 403
    response = await client.post(f"/api/v1/requests/{number}/close", json={}, headers=agent)
    assert response.status_code == 403
    response = await client.post(f"/api/v1/requests/{number}/close", json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_wrong_method_lists_every_method_of_the_resource(client):
    response = await client.request("OPTIONS", "/api/v1/requests/ABCD-EFGH-JKL/messages")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.headers["content-type"] == "application/problem+json"
    response = await client.delete("/open311/v2/requests.json")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


async def test_a_body_that_is_not_utf8_is_a_documented_400(client):
    response = await client.post(
        "/api/v1/tracking",
        content=b'{"tracking_number": "\xff\xfe"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    document = (await client.get("/openapi.json")).json()
    assert "400" in document["paths"]["/api/v1/tracking"]["post"]["responses"]
