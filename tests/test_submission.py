"""Submitting: validation against the catalogue, contacts, clear localized errors, idempotency."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from app.models.catalogue import Service
from app.models.request import Request
from app.routers import plain_json_response
from app.schemas.requests import AdministrationRef, RequestCreated, ServiceRef
from app.services import submissions
from app.services.requests import Submitted
from tests.factories import attribute, complaint, file, file_complaint, make_administration


async def test_a_complaint_is_filed_with_what_the_citizen_needs(client, session):
    admin = await make_administration(session, answer_days=45)
    response = await client.post(
        "/api/v1/requests",
        json=complaint(
            admin.code,
            attributes={"policy_number": "P-1", "branch": "auto", "accused_id": "ab123456"},
            complainant={"full_name": "Omar Alaoui", "phone": "06 12 34 56 78", "country": "MA"},
        ),
    )
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}",
        body["tracking_number"],
    )
    assert response.headers["Location"] == f"/api/v1/requests/{body['tracking_number']}"
    assert body["state"] == "submitted"
    due = datetime.fromisoformat(body["due_at"]) - datetime.fromisoformat(body["created_at"])
    assert due == timedelta(days=45)
    view = await client.get(
        response.headers["Location"], headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert view.status_code == 200
    assert view.json()["complainant"]["phone"] == "+212612345678"
    assert view.json()["attributes"]["accused_id"] == "AB123456"


async def test_moroccans_abroad_file_with_a_foreign_number(client, session):
    created = await file_complaint(
        client,
        session,
        complainant={
            "full_name": "Samir Idrissi",
            "phone": "+33 6 12 34 56 78",
            "country": "FR",
        },
    )
    view = await client.get(
        f"/api/v1/requests/{created['tracking_number']}", headers=created["auth"]
    )
    assert view.json()["complainant"]["phone"] == "+33612345678"


def _fields(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["status"] == 422
    return {e["field"]: e["code"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"administration": "NOPE"}, "administration", "unknown_administration"),
        ({"service": "nope"}, "service", "unknown_service"),
        (
            {"attributes": {"policy_number": "P", "branch": "auto", "color": "red"}},
            "attributes.color",
            "unknown",
        ),
        ({"attributes": {"branch": "auto"}}, "attributes.policy_number", "required"),
        (
            {"attributes": {"policy_number": "P", "branch": "boat"}},
            "attributes.branch",
            "not_in_choices",
        ),
        (
            {"attributes": {"policy_number": "P", "branch": "auto", "amount": "cent"}},
            "attributes.amount",
            "not_a_number",
        ),
        (
            {"attributes": {"policy_number": "P", "branch": "auto", "incident_date": "hier"}},
            "attributes.incident_date",
            "not_a_date",
        ),
        (
            {"attributes": {"policy_number": "P" * 21, "branch": "auto"}},
            "attributes.policy_number",
            "too_long",
        ),
        ({"subject": "x" * 201}, "subject", "too_long"),
        ({"description": "court"}, "description", "too_short"),
        ({"complainant": {"full_name": "Sans Contact"}}, "complainant", "contact_required"),
        (
            {"complainant": {"full_name": "A B", "email": "pas-une-adresse"}},
            "complainant.email",
            "invalid_email",
        ),
        (
            {"complainant": {"full_name": "A B", "phone": "12345"}},
            "complainant.phone",
            "invalid_phone",
        ),
        ({"kind": "petition"}, "kind", "not_in_choices"),
        ({"colour": "blue"}, "colour", "unknown"),
        ({"received_at": "2026-01-01T00:00:00Z"}, "received_at", "operator_only"),
        ({"channel": "mail"}, "channel", "channel_not_allowed"),
        ({"location": {"lat": 33.5}}, "location", "location_incomplete"),
        (
            {"complainant": {"full_name": "A B", "email": "a@b.ma", "country": "xx"}},
            "complainant.country",
            "unknown_country",
        ),
        ({"location": {"address": "Rabat", "lat": 95, "long": 0}}, "location.lat", "too_large"),
    ],
)
async def test_bad_submissions_name_the_field(client, session, change, field, code):
    admin = await make_administration(session)
    body = {**complaint(admin.code), **change}
    response = await client.post("/api/v1/requests", json=body)
    assert _fields(response).get(field) == code


async def test_a_kind_the_service_does_not_take_is_refused(client, session):
    admin = await make_administration(session, kinds=("complaint",))
    response = await client.post("/api/v1/requests", json=complaint(admin.code, kind="suggestion"))
    assert _fields(response) == {"kind": "kind_not_accepted"}


async def test_every_fault_is_reported_at_once(client, session):
    admin = await make_administration(session)
    body = complaint(
        admin.code, subject="", description="x", complainant={"full_name": "A B", "email": "x"}
    )
    assert _fields(await client.post("/api/v1/requests", json=body)) == {
        "subject": "too_short",
        "description": "too_short",
        "complainant.email": "invalid_email",
    }
    # The checks against the catalogue report every field at once too.
    body = complaint(admin.code, attributes={"branch": "boat", "amount": "x", "zz": 1})
    assert _fields(await client.post("/api/v1/requests", json=body)) == {
        "attributes.zz": "unknown",
        "attributes.policy_number": "required",
        "attributes.branch": "not_in_choices",
        "attributes.amount": "not_a_number",
    }


async def test_invalid_json_is_a_problem_too(client):
    response = await client.post(
        "/api/v1/requests", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert _fields(response) == {"body": "invalid_json"}


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("fr", "Données invalides", "Ce champ est obligatoire."),
        ("ar", "معطيات غير صالحة", "هذا الحقل إلزامي."),
        ("en", "Invalid data", "This field is required."),
    ],
)
async def test_errors_speak_the_callers_language(client, session, language, title, message):
    admin = await make_administration(session)
    response = await client.post(
        "/api/v1/requests",
        json=complaint(admin.code, attributes={"branch": "auto"}),
        headers={"Accept-Language": f"{language};q=0.9, de;q=1.0"},
    )
    assert response.json()["title"] == title
    assert response.json()["errors"][0]["message"] == message
    assert response.headers["Content-Language"] == language


async def test_the_language_is_kept_for_later_messages(client, session):
    admin = await make_administration(session)
    given = await file(client, complaint(admin.code, language="fr"), **{"Accept-Language": "ar"})
    negotiated = await file(client, complaint(admin.code), **{"Accept-Language": "ar"})
    for created, expected in ((given, "fr"), (negotiated, "ar")):
        view = await client.get(
            f"/api/v1/requests/{created['tracking_number']}", headers=created["auth"]
        )
        assert view.json()["language"] == expected


async def test_a_retry_with_the_same_key_returns_the_first_answer(client, session):
    admin = await make_administration(session)
    headers = {"Idempotency-Key": "1b7f1c2e-6f55-4c58-9d1b-000000000001"}
    first = await client.post("/api/v1/requests", json=complaint(admin.code), headers=headers)
    again = await client.post("/api/v1/requests", json=complaint(admin.code), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    count = await session.scalar(
        select(func.count()).select_from(Request).where(Request.administration_id == admin.id)
    )
    assert count == 1
    other = await client.post(
        "/api/v1/requests", json=complaint(admin.code, subject="Autre sujet"), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    fresh = await client.post(
        "/api/v1/requests", json=complaint(admin.code), headers={"Idempotency-Key": "another"}
    )
    assert fresh.json()["tracking_number"] != first.json()["tracking_number"]


async def test_an_unknown_service_is_one_error_not_one_per_attribute(client, session):
    admin = await make_administration(session)
    response = await client.post("/api/v1/requests", json=complaint(admin.code, service="nope"))
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("service", "unknown_service")
    ]
    missing = await client.post("/api/v1/requests", json=complaint(admin.code, service=None))
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [
        ("service", "service_for_attributes")
    ]


async def test_choices_are_listed_without_pydantic_english(client, session):
    admin = await make_administration(session)
    response = await client.post(
        "/api/v1/requests",
        json=complaint(admin.code, kind="petition"),
        headers={"Accept-Language": "fr"},
    )
    [error] = response.json()["errors"]
    assert "complaint, observation, suggestion, information_request" in error["message"]
    assert " or " not in error["message"]
    assert "'complaint'" not in error["message"]


async def test_a_lower_case_country_and_a_location_are_kept(client, session):
    created = await file_complaint(
        client,
        session,
        complainant={"full_name": "Samir Idrissi", "email": "s@example.ma", "country": "fr"},
        location={"address": "Bureau d'ordre, Agdal", "lat": 34.0, "long": -6.85},
    )
    view = (
        await client.get(f"/api/v1/requests/{created['tracking_number']}", headers=created["auth"])
    ).json()
    assert view["complainant"]["country"] == "FR"
    assert view["location"] == {"address": "Bureau d'ordre, Agdal", "lat": 34.0, "long": -6.85}


async def test_a_number_attribute_keeps_within_its_bounds(client, session):
    children = {"ar": "عدد الأطفال", "fr": "Nombre d'enfants", "en": "Children"}
    attributes = [
        attribute("children", "number", 1, children, required=True, minimum=0, maximum=20)
    ]
    admin = await make_administration(session, attributes=attributes)

    async def submit(value):
        return await client.post(
            "/api/v1/requests",
            json=complaint(admin.code, attributes={"children": value}),
            headers={"Accept-Language": "en"},
        )

    assert (await submit(3)).status_code == 201
    negative = (await submit(-5)).json()["errors"]
    assert [(e["code"], e["message"]) for e in negative] == [("too_small", "Must be at least 0.")]
    assert (await submit(21)).json()["errors"][0]["code"] == "too_large"


async def test_a_lone_surrogate_in_an_attribute_is_a_problem_not_a_500(client, session):
    admin = await make_administration(session)
    body = complaint(admin.code, attributes={"policy_number": "12\ud83d", "branch": "auto"})
    response = await client.post(
        "/api/v1/requests",
        content=json.dumps(body),  # json.dumps escapes it as the client would send it
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_characters"


async def test_too_many_attributes_are_counted_as_items(client, session):
    admin = await make_administration(session)
    many = {f"a{i}": "x" for i in range(51)}
    response = await client.post("/api/v1/requests", json=complaint(admin.code, attributes=many))
    [error] = response.json()["errors"]
    assert (error["code"], error["message"]) == ("too_many", "At most 50 items.")


async def test_every_timestamp_of_the_answer_is_in_utc(client, session, settings):
    from app.models.enums import Role
    from tests.factories import make_staff

    admin = await make_administration(session, answer_days=60)
    _operator, operator = await make_staff(session, settings, Role.operator)
    received = datetime.now().astimezone(timezone(timedelta(hours=1))) - timedelta(days=2)
    body = complaint(admin.code, channel="mail", received_at=received.isoformat())
    created = await client.post("/api/v1/requests", json=body, headers=operator)
    assert created.status_code == 201, created.text
    assert created.json()["due_at"].endswith("Z")
    assert datetime.fromisoformat(created.json()["due_at"]) == received + timedelta(days=60)


async def test_coordinates_must_be_finite(client, session):
    admin = await make_administration(session)
    body = complaint(admin.code, location={"address": "Rabat", "lat": "nan", "long": 0})
    response = await client.post("/api/v1/requests", json=body)
    assert _fields(response).get("location.lat") == "not_a_number"


@pytest.mark.parametrize("with_service", [True, False])
async def test_the_written_out_answer_is_the_dump_of_its_model(client, session, with_service):
    """`_created` writes out the dump of `RequestCreated` (without its token) by hand: the two
    stay equal, key order included, and the answer is that dump with a token."""
    admin = await make_administration(
        session, name={"en": "Insurance", "ar": "التأمين", "fr": "Assurance"}
    )
    body = complaint(admin.code) if with_service else complaint(admin.code, service=None)
    if not with_service:
        body.pop("attributes")
    response = await client.post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.text
    answer = response.json()
    request = await session.scalar(
        select(Request).where(Request.tracking_number == answer["tracking_number"])
    )
    assert request is not None
    service = await session.get(Service, request.service_id) if request.service_id else None
    assert (service is not None) is with_service
    submitted = Submitted(request, admin, service)
    written = submissions._created(submitted).body
    modelled = RequestCreated(
        tracking_number=request.tracking_number,
        kind=request.kind,
        state=request.state,
        administration=AdministrationRef(code=admin.code, name=admin.name),
        service=ServiceRef(code=service.code, name=service.name) if service else None,
        created_at=request.created_at,
        due_at=request.due_at,
        access_token="",
        expires_in=0,
    ).model_dump(mode="json", exclude={"access_token", "expires_in"})
    assert json.dumps(written, ensure_ascii=False) == json.dumps(modelled, ensure_ascii=False)
    assert {k: v for k, v in answer.items() if k not in ("access_token", "expires_in")} == written
    assert list(answer) == [*written, "access_token", "expires_in"]
    # Serialized by orjson, as the standard library's JSONResponse serializes it.
    assert response.content == JSONResponse(answer).body
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "content",
    [
        {"a": '\x00\x1f\x7f\b\f\n\r\t"\\/', "b": [1, None, True, False, -5, 2**63 - 1]},
        {"name": {"ar": "التأمين", "fr": "Assurée\u2028", "en": "😀"}, "none": None},
        {"big": 2**64},  # past orjson: the standard library writes it
        {1: "a key that is no string"},
        [],
    ],
)
def test_plain_json_responses_are_the_bytes_of_json_response(content):
    answer = plain_json_response(content, status_code=201, headers={"Location": "/x"})
    expected = JSONResponse(content, status_code=201, headers={"Location": "/x"})
    assert (answer.body, answer.status_code) == (expected.body, expected.status_code)
    assert answer.headers.items() == expected.headers.items()


def test_a_lone_surrogate_fails_as_json_response_fails():
    with pytest.raises(UnicodeEncodeError):
        JSONResponse({"a": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        plain_json_response({"a": "\ud800"})
