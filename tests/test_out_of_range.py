"""Out-of-range input gets a 4xx problem, never a 500: dates at the ends of the calendar and
near timezone edges, integers past PostgreSQL's, non-ASCII digits, non-finite numbers."""

from __future__ import annotations

import base64
import json

import pytest

from app.models.enums import Role
from app.services import api_keys, clock
from tests.factories import act, complaint, file, make_administration, make_staff

HUGE = [2**31, 2**63, 10**30]  # past integer, past bigint, past both


@pytest.fixture
async def office(client, session, settings):
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    _op, operator = await make_staff(session, settings, Role.operator)
    _nat, national = await make_staff(session, settings, Role.national_admin)
    created = await file(client, complaint(admin.code))
    return {
        "admin": admin,
        "agent": agent,
        "supervisor": supervisor,
        "operator": operator,
        "national": national,
        "created": created,
    }


def assert_client_error(response, *statuses: int) -> None:
    assert response.status_code in (statuses or (400, 404, 422)), response.text
    assert response.headers["content-type"].startswith(
        ("application/problem+json", "application/json", "application/xml")
    )


@pytest.mark.parametrize("month", ["0000-01", "0000-12"])
async def test_a_month_of_year_zero_is_refused(client, office, month):
    for name in ("from", "to"):
        response = await client.get("/api/v1/statistics", params={name: month})
        assert_client_error(response, 422)
        assert response.json()["errors"][0]["field"] == name
        response = await client.get(
            "/api/v1/backoffice/statistics", params={name: month}, headers=office["supervisor"]
        )
        assert_client_error(response, 422)


@pytest.mark.parametrize("page", ["١", "²", "٣٠", "१"])
async def test_non_ascii_digits_in_open311_paging_are_refused(client, page):
    for name in ("page", "page_size"):
        response = await client.get("/open311/v2/requests.json", params={name: page})
        assert response.status_code == 400, response.text
        assert response.json()[0]["code"] == 400


@pytest.mark.parametrize("huge", HUGE)
async def test_huge_ids_in_paths_are_refused(client, office, huge):
    number = office["created"]["tracking_number"]
    citizen = office["created"]["auth"]
    calls = [
        ("GET", f"/api/v1/requests/{number}/attachments/{huge}", citizen, None),
        ("DELETE", f"/api/v1/backoffice/webhooks/{huge}", office["supervisor"], None),
        ("POST", f"/api/v1/backoffice/outbox/{huge}/resend", office["national"], None),
        ("DELETE", f"/api/v1/backoffice/faq/{huge}", office["national"], None),
        (
            "PUT",
            f"/api/v1/backoffice/faq/{huge}",
            office["national"],
            {
                "topic": "tracking",
                "question": {"ar": "سؤال", "fr": "Question ?", "en": "Question?"},
                "answer": {"ar": "جواب", "fr": "Réponse.", "en": "Answer."},
            },
        ),
    ]
    for method, url, headers, body in calls:
        response = await client.request(method, url, headers=headers, json=body)
        assert_client_error(response, 404, 422)


@pytest.mark.parametrize("huge", HUGE)
async def test_huge_ids_in_queries_and_bodies_are_refused(client, office, huge):
    number = office["created"]["tracking_number"]
    response = await client.get(
        "/api/v1/backoffice/outbox", params={"before": huge}, headers=office["national"]
    )
    # Outbox ids are bigint: 2**31 is a valid bound there, answered like any other.
    if huge > 2**63 - 1:
        assert_client_error(response, 422)
    else:
        assert response.status_code == 200, response.text
    response = await client.get(
        "/api/v1/backoffice/requests", params={"assignee": str(huge)}, headers=office["agent"]
    )
    assert_client_error(response, 422)
    response = await act(client, number, "assign", office["supervisor"], assignee=huge)
    assert_client_error(response, 422)


@pytest.mark.parametrize("huge", HUGE)
async def test_huge_open311_ids_are_not_found(client, huge):
    response = await client.get(f"/open311/v2/requests/{huge}.json")
    assert_client_error(response, 400, 404)
    response = await client.get(f"/open311/v2/tokens/{huge}.json")
    assert_client_error(response, 400, 404)
    response = await client.get("/open311/v2/requests.json", params={"service_request_id": huge})
    assert response.status_code in (200, 400), response.text


def cursor(*value) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(value)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        cursor("2026-01-01T00:00:00+00:00", float("inf")),
        cursor("2026-01-01T00:00:00+00:00", float("nan")),
        cursor("2026-01-01T00:00:00+00:00", 2**63),
        cursor("2026-01-01T00:00:00+00:00", 1.5),
        cursor("2026-01-01T00:00:00+00:00", True),
        cursor("0001-01-01T00:00:00+14:00", 1),
        cursor("9999-12-31T23:59:59-14:00", 1),
        cursor("2026-01-01T00:00:00", 1),
        cursor("2026-01-01T00:00:00+00:00"),
        cursor({"a": 1}, 1),
        base64.urlsafe_b64encode(b"[Infinity, 1]").decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", Infinity]').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
async def test_a_forged_cursor_is_refused(client, office, raw):
    for sort in ("-created_at", "created_at", "due_at"):
        response = await client.get(
            "/api/v1/backoffice/requests",
            params={"cursor": raw, "sort": sort},
            headers=office["agent"],
        )
        assert_client_error(response, 422)
        assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00",
    ],
)
async def test_queue_dates_at_the_ends_of_the_calendar_are_answered(client, office, moment):
    for name in ("created_from", "created_to"):
        response = await client.get(
            "/api/v1/backoffice/requests", params={name: moment}, headers=office["agent"]
        )
        assert response.status_code in (200, 422), response.text
        if response.status_code == 422:
            assert response.json()["errors"][0]["field"] == name


async def test_a_300_character_username_is_refused_without_a_server_error(client):
    response = await client.post(
        "/api/v1/auth/token", data={"username": "a" * 300 + "@x.ma", "password": "whatever"}
    )
    assert_client_error(response, 401, 422)
    response = await client.post(
        "/api/v1/auth/token", data={"username": "agent@x.ma", "password": "p" * 100_000}
    )
    assert_client_error(response, 401, 422)


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T23:59:59-14:00",
        "0001-01-02T00:00:00+00:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59+14:00",
    ],
)
async def test_received_at_far_from_today_is_refused(client, office, moment):
    body = complaint(office["admin"].code, channel="mail", received_at=moment)
    response = await client.post("/api/v1/requests", json=body, headers=office["operator"])
    assert_client_error(response, 422)
    fields = [error["field"] for error in response.json()["errors"]]
    assert "received_at" in fields


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("start_date", "0001-01-01T00:00:00+14:00"),
        ("start_date", "0001-01-01T00:00:00Z"),
        ("end_date", "0001-01-01T00:00:00Z"),
        ("end_date", "9999-12-31T23:59:59-14:00"),
        ("end_date", "9999-12-31T23:59:59Z"),
        ("start_date", "9999-12-31T23:59:59Z"),
    ],
)
async def test_open311_dates_at_the_ends_of_the_calendar_are_answered(client, name, value):
    response = await client.get("/open311/v2/requests.json", params={name: value})
    assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        # Non-finite and huge numbers.
        *(("amount", v) for v in ["1e309", "-1e309", "NaN", "Infinity", "1" * 5000]),
        # Dates at the ends of the calendar, and one that does not exist.
        *(("incident_date", v) for v in ["0001-01-01", "9999-12-31", "0000-01-01", "2026-02-30"]),
    ],
)
async def test_extreme_attribute_values_are_answered(client, office, attribute, value):
    body = complaint(
        office["admin"].code,
        attributes={"policy_number": "POL-1", "branch": "auto", attribute: value},
    )
    response = await client.post("/api/v1/requests", json=body)
    assert response.status_code in (201, 422), response.text


async def test_huge_extension_days_and_faq_positions_are_refused(client, office):
    number = office["created"]["tracking_number"]
    response = await act(client, number, "extend_deadline", office["supervisor"], days=2**63)
    assert_client_error(response, 409, 422)
    response = await client.post(
        "/api/v1/backoffice/faq",
        json={
            "topic": "tracking",
            "question": {"ar": "سؤال", "fr": "Question ?", "en": "Question?"},
            "answer": {"ar": "جواب", "fr": "Réponse.", "en": "Answer."},
            "position": 2**63,
        },
        headers=office["national"],
    )
    assert_client_error(response, 422)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lat", "nan"),
        ("lat", "1e309"),
        ("long", "-Infinity"),
        ("lat", "9" * 5000),
        ("attribute[amount]", "1" * 5000),
        ("attribute[amount]", "-1e309"),
        ("attribute[incident_date]", "0000-01-01"),
    ],
)
async def test_open311_filing_with_out_of_range_numbers_is_refused(
    client, session, office, field, value
):
    key, _record = await api_keys.create(
        session, administration_code=office["admin"].code, name="integration", now=clock.now()
    )
    form = {
        "api_key": key,
        "service_code": f"{office['admin'].code}-svc",
        "description": "Le guichet est fermé depuis trois semaines sans explication.",
        "email": "citizen@example.ma",
        "attribute[policy_number]": "POL-1",
        "attribute[branch]": "auto",
        "address_string": "Avenue Mohammed V, Rabat",
        field: value,
    }
    response = await client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 400, response.text
