"""The catalogue as data: national admins create and edit administrations and services through
the API, supervisors their own services' texts and attributes; deadlines within the legal
maxima; a used service archived, never deleted; every change visible in every API process
within the catalogue's refresh."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from sqlalchemy import select

from app.models import Request, Service
from app.schemas.catalogue import AttributeDefinition
from app.services.catalogue_admin import attribute_errors, deadline_errors
from tests.factories import ATTRIBUTES, complaint, create_request, two_administrations
from tests.processes import FakeMonotonic, api_process

ADMINISTRATIONS = "/api/v1/backoffice/administrations"
SERVICES = "/api/v1/backoffice/services"
NAME = {"ar": "خدمة جديدة", "fr": "Nouveau service", "en": "New service"}
REFRESH = 5.0


def service_body(code: str = "permits", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": NAME,
        "description": {"ar": "وصف", "fr": "Description", "en": "Description"},
        "kinds": ["complaint", "observation"],
        "answer_days": 45,
        "required_documents": [{"ar": "نسخة", "fr": "Copie", "en": "Copy"}],
        "attributes": [ATTRIBUTES[0], ATTRIBUTES[1]],
    }
    body.update(overrides)
    return body


def administration_body(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": {"ar": "وكالة", "fr": "Agence", "en": "Agency"},
        "sector": "finance",
    }
    body.update(overrides)
    return body


def filing(administration: str, service: str, **overrides: Any) -> dict[str, Any]:
    return complaint(administration, service=service, **overrides)


def codes(response: httpx.Response) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json().get("errors") or []]


async def test_a_national_admin_builds_an_administration_and_a_service_used_at_once(
    client, session, settings
):
    _admin, _other, _agent, _sup, _osup, national = await two_administrations(session, settings)
    code = f"AG{secrets.token_hex(3).upper()}"
    created = await client.post(
        ADMINISTRATIONS, json=administration_body(code, answer_days=50), headers=national
    )
    assert created.status_code == 201, created.text
    assert created.json()["answer_days"] == 50
    assert created.json()["services"] == []

    service = await client.post(
        f"{ADMINISTRATIONS}/{code}/services", json=service_body(), headers=national
    )
    assert service.status_code == 201, service.text
    out = service.json()
    assert out["reference"] == f"{code}-permits"
    assert out["archived"] is False
    assert out["answer_days"] == 45
    assert out["kinds"] == ["complaint", "observation"]
    assert [a["code"] for a in out["attributes"]] == ["policy_number", "branch"]

    # The public catalogue shows it, in the same shape, and a citizen files to it at once.
    public = (await client.get(f"/api/v1/administrations/{code}")).json()
    assert public["is_sample"] is False
    assert [s["code"] for s in public["services"]] == ["permits"]
    assert public["services"][0]["attributes"] == out["attributes"]
    filed = await client.post("/api/v1/requests", json=filing(code, "permits"))
    assert filed.status_code == 201, filed.text
    missing = await client.post(
        "/api/v1/requests", json=filing(code, "permits", attributes={"branch": "auto"})
    )
    assert ("attributes.policy_number", "required") in codes(missing)
    # Found by search too.
    assert code in [
        a["code"] for a in (await client.get("/api/v1/administrations?q=agence")).json()
    ]


async def test_codes_are_unique_and_well_formed(client, session, settings):
    admin, *_, national = await two_administrations(session, settings)
    taken = await client.post(
        ADMINISTRATIONS, json=administration_body(admin.code), headers=national
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "administration_exists"
    lower = await client.post(
        ADMINISTRATIONS, json=administration_body("acaps x"), headers=national
    )
    assert lower.status_code == 422
    assert codes(lower)[0][0] == "code"

    url = f"{ADMINISTRATIONS}/{admin.code}/services"
    dup = await client.post(url, json=service_body("svc"), headers=national)
    assert dup.status_code == 409, dup.text
    assert dup.json()["code"] == "service_exists"
    assert codes(dup) == [("code", "code_taken")]
    bad = await client.post(url, json=service_body("Bad Code"), headers=national)
    assert bad.status_code == 422
    assert codes(bad)[0][0] == "code"
    unknown = await client.post(
        f"{ADMINISTRATIONS}/NOPE404/services", json=service_body(), headers=national
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "administration_not_found"


async def test_bodies_are_validated_every_error_at_once(client, session, settings):
    admin, *_, national = await two_administrations(session, settings)
    url = f"{ADMINISTRATIONS}/{admin.code}/services"
    incomplete = await client.post(
        url,
        json=service_body(name={"ar": "اسم", "fr": "Nom"}, kinds=["petition"]),
        headers=national,
    )
    assert incomplete.status_code == 422
    fields = dict(codes(incomplete))
    assert fields["name.en"] == "required"
    assert fields["kinds.0"] == "not_in_choices"
    blank = await client.post(url, json=service_body(name={**NAME, "fr": "   "}), headers=national)
    assert blank.status_code == 422
    assert codes(blank)[0][0] == "name.fr"

    # Attribute definitions: the catalogue's own shape, then what it cannot say.
    broken = {**ATTRIBUTES[1], "values": []}  # a list without values
    shape = await client.post(url, json=service_body(attributes=[broken]), headers=national)
    assert shape.status_code == 422
    assert codes(shape)[0][0].startswith("attributes.0")
    twice = {**ATTRIBUTES[1], "code": "policy_number", "order": 1}
    repeated_keys = {
        **ATTRIBUTES[1],
        "code": "branch2",
        "order": 7,
        "values": [ATTRIBUTES[1]["values"][0], ATTRIBUTES[1]["values"][0]],
    }
    bounds = {**ATTRIBUTES[3], "minimum": 10, "maximum": 1}
    many = await client.post(
        url,
        json=service_body(attributes=[ATTRIBUTES[0], twice, repeated_keys, bounds]),
        headers=national,
    )
    assert many.status_code == 422, many.text
    assert set(codes(many)) == {
        ("attributes.1.code", "duplicate"),
        ("attributes.1.order", "duplicate"),
        ("attributes.2.values.1.key", "duplicate"),
        ("attributes.3.minimum", "min_above_max"),
    }
    parent = await client.post(
        ADMINISTRATIONS, json=administration_body("NEWONE", parent="NOPE404"), headers=national
    )
    assert codes(parent) == [("parent", "unknown_administration")]


async def test_deadlines_never_exceed_the_legal_maxima(client, session, settings):
    admin, *_, national = await two_administrations(session, settings)
    url = f"{ADMINISTRATIONS}/{admin.code}/services"
    over = await client.post(url, json=service_body(answer_days=61), headers=national)
    assert over.status_code == 422
    assert over.json()["errors"][0] == {
        "field": "answer_days",
        "code": "over_legal_maximum",
        "message": "Beyond the legal maximum of 60 days.",
    }
    info = service_body("info", kinds=["information_request"], answer_days=21)
    assert codes(await client.post(url, json=info, headers=national)) == [
        ("answer_days", "over_legal_maximum")
    ]
    ok = await client.post(url, json={**info, "answer_days": 20}, headers=national)
    assert ok.status_code == 201, ok.text
    assert (
        await client.post(url, json=service_body(answer_days=60), headers=national)
    ).status_code == 201

    # Adding information requests to a 45-day service is refused, as is 61 on an administration.
    ref = f"{admin.code}-permits"
    await client.patch(f"{SERVICES}/{ref}", json={"answer_days": 45}, headers=national)
    widened = await client.patch(
        f"{SERVICES}/{ref}", json={"kinds": ["complaint", "information_request"]}, headers=national
    )
    assert codes(widened) == [("kinds", "over_legal_maximum")]
    admin_over = await client.patch(
        f"{ADMINISTRATIONS}/{admin.code}", json={"answer_days": 61}, headers=national
    )
    assert codes(admin_over) == [("answer_days", "over_legal_maximum")]
    # `null` gives the deadline back to the administration, then the portal.
    reset = await client.patch(f"{SERVICES}/{ref}", json={"answer_days": None}, headers=national)
    assert reset.status_code == 200
    assert reset.json()["answer_days"] == settings.answer_days
    set_admin = await client.patch(
        f"{ADMINISTRATIONS}/{admin.code}", json={"answer_days": 40}, headers=national
    )
    assert set_admin.status_code == 200, set_admin.text
    assert {s["reference"]: s["answer_days"] for s in set_admin.json()["services"]}[ref] == 40


async def test_supervisors_edit_their_own_texts_and_attributes_only(client, session, settings):
    admin, other, agent, supervisor, other_supervisor, _national = await two_administrations(
        session, settings
    )
    ref = f"{admin.code}-svc"
    new_attributes = [*ATTRIBUTES[:2], {**ATTRIBUTES[2], "required": True}]
    edited = await client.patch(
        f"{SERVICES}/{ref}",
        json={"name": NAME, "attributes": new_attributes},
        headers=supervisor,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["name"] == NAME
    # Submissions are validated against the new definitions at once.
    refused = await client.post("/api/v1/requests", json=complaint(admin.code))
    assert ("attributes.incident_date", "required") in codes(refused)

    deadline = await client.patch(
        f"{SERVICES}/{ref}", json={"answer_days": 30, "name": NAME}, headers=supervisor
    )
    assert deadline.status_code == 403
    assert deadline.json()["code"] == "national_admin_only"
    assert codes(deadline) == [("answer_days", "national_admin_only")]
    for body in ({"kinds": ["complaint"]}, {"archived": True}):
        refused_field = await client.patch(f"{SERVICES}/{ref}", json=body, headers=supervisor)
        assert refused_field.json()["code"] == "national_admin_only"

    elsewhere = await client.patch(
        f"{SERVICES}/{other.code}-svc", json={"name": NAME}, headers=supervisor
    )
    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "other_administration"
    assert (
        await client.patch(f"{SERVICES}/{ref}", json={"name": NAME}, headers=other_supervisor)
    ).json()["code"] == "other_administration"

    # Agents: nothing. Supervisors create nothing.
    for method, url, body in (
        ("PATCH", f"{SERVICES}/{ref}", {"name": NAME}),
        ("POST", f"{ADMINISTRATIONS}/{admin.code}/services", service_body()),
        ("POST", ADMINISTRATIONS, administration_body("AGENTX")),
        ("PATCH", f"{ADMINISTRATIONS}/{admin.code}", {"sector": "health"}),
        ("DELETE", f"{SERVICES}/{ref}", None),
    ):
        response = await client.request(method, url, json=body, headers=agent)
        assert response.status_code == 403, url
        assert response.json()["code"] == "forbidden", url
        response = await client.request(method, url, json=body, headers=supervisor)
        if method == "PATCH" and url.startswith(SERVICES):
            continue
        assert response.status_code == 403, (url, response.text)
        assert response.json()["code"] == "national_admin_only"
    assert (await client.patch(f"{SERVICES}/{ref}", json={"name": NAME})).status_code == 401
    # Supervisors read their own administration with archived services; not another one.
    own = await client.get(f"{ADMINISTRATIONS}/{admin.code}", headers=supervisor)
    assert own.status_code == 200
    assert {s["code"] for s in own.json()["services"]} == {
        "svc",
        "general",
    }
    theirs = await client.get(f"{ADMINISTRATIONS}/{other.code}", headers=supervisor)
    assert theirs.json()["code"] == "other_administration"


async def test_a_used_service_is_archived_never_deleted(client, session, settings):
    admin, *_, national = await two_administrations(session, settings)
    used = await client.post("/api/v1/requests", json=complaint(admin.code))
    assert used.status_code == 201
    number, token = used.json()["tracking_number"], used.json()["access_token"]

    removed = await client.delete(f"{SERVICES}/{admin.code}-svc", headers=national)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"reference": f"{admin.code}-svc", "outcome": "archived"}
    unused = await client.delete(f"{SERVICES}/{admin.code}-general", headers=national)
    assert unused.json()["outcome"] == "deleted"
    rows = (
        await session.scalars(select(Service.code).where(Service.administration_id == admin.id))
    ).all()
    assert rows == ["svc"]

    # Gone from the public catalogue and from filings, with a clear code...
    public = (await client.get(f"/api/v1/administrations/{admin.code}")).json()
    assert public["services"] == []
    refused = await client.post("/api/v1/requests", json=complaint(admin.code))
    assert refused.status_code == 422
    assert codes(refused) == [("service", "service_archived")]
    deleted = await client.post(
        "/api/v1/requests", json=filing(admin.code, "general", attributes={})
    )
    assert codes(deleted) == [("service", "unknown_service")]
    # ...while the request filed keeps showing it.
    detail = await client.get(
        f"/api/v1/requests/{number}", headers={"Authorization": f"Bearer {token}"}
    )
    assert detail.status_code == 200
    assert detail.json()["service"]["code"] == "svc"
    # The back office still sees it, archived, and may bring it back.
    managed = (await client.get(f"{ADMINISTRATIONS}/{admin.code}", headers=national)).json()
    assert [(s["code"], s["archived"]) for s in managed["services"]] == [("svc", True)]
    back = await client.patch(
        f"{SERVICES}/{admin.code}-svc", json={"archived": False}, headers=national
    )
    assert back.status_code == 200
    assert back.json()["archived"] is False
    assert (await client.post("/api/v1/requests", json=complaint(admin.code))).status_code == 201
    archived = await client.patch(
        f"{SERVICES}/{admin.code}-svc", json={"archived": True}, headers=national
    )
    assert archived.json()["archived"] is True
    assert codes(await client.post("/api/v1/requests", json=complaint(admin.code))) == [
        ("service", "service_archived")
    ]
    assert (await client.delete(f"{SERVICES}/{admin.code}-nothing", headers=national)).json()[
        "code"
    ] == "service_not_found"


async def test_administrations_are_edited_and_parents_never_loop(client, session, settings):
    admin, _other, *_, national = await two_administrations(session, settings)
    child = await client.post(
        ADMINISTRATIONS,
        json=administration_body(f"{admin.code}-CH", parent=admin.code),
        headers=national,
    )
    assert child.status_code == 201
    assert child.json()["parent"] == admin.code
    renamed = await client.patch(
        f"{ADMINISTRATIONS}/{admin.code}",
        json={
            "name": {"ar": "اسم", "fr": "Office des essais", "en": "Testing office"},
            "sector": "health",
        },
        headers=national,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["sector"] == "health"
    found = (await client.get("/api/v1/administrations?q=essais")).json()
    assert admin.code in [a["code"] for a in found]
    loop = await client.patch(
        f"{ADMINISTRATIONS}/{admin.code}", json={"parent": f"{admin.code}-CH"}, headers=national
    )
    assert codes(loop) == [("parent", "parent_cycle")]
    itself = await client.patch(
        f"{ADMINISTRATIONS}/{admin.code}", json={"parent": admin.code}, headers=national
    )
    assert codes(itself) == [("parent", "parent_cycle")]
    # A service of an administration whose code holds a `-` is named unambiguously.
    svc = await client.post(
        f"{ADMINISTRATIONS}/{admin.code}-CH/services",
        json=service_body("general"),
        headers=national,
    )
    assert svc.json()["reference"] == f"{admin.code}-CH-general"
    patched = await client.patch(
        f"{SERVICES}/{admin.code}-CH-general", json={"name": NAME}, headers=national
    )
    assert patched.json()["administration"] == f"{admin.code}-CH"
    nothing = await client.patch(f"{ADMINISTRATIONS}/NOPE404", json={}, headers=national)
    assert nothing.status_code == 404
    null_name = await client.patch(
        f"{ADMINISTRATIONS}/{admin.code}", json={"name": None}, headers=national
    )
    assert codes(null_name) == [("name", "required")]


async def test_existing_requests_keep_their_due_dates_when_deadlines_change(
    client, session, settings
):
    admin, *_, national = await two_administrations(session, settings)
    request = await create_request(session, settings=settings, administration=admin)
    due = request.due_at
    changed = await client.patch(
        f"{SERVICES}/{admin.code}-svc", json={"answer_days": 10}, headers=national
    )
    assert changed.status_code == 200
    row = await session.scalar(
        select(Request.due_at)
        .where(Request.id == request.id)
        .execution_options(populate_existing=True)
    )
    assert row == due


def test_the_pure_checks():
    assert deadline_errors(60, ["complaint"]) == []
    assert deadline_errors(21, ["complaint", "information_request"])[0].params == {"max": 20}
    assert deadline_errors(None, ["information_request"]) == []
    defs = [AttributeDefinition.model_validate(a) for a in ATTRIBUTES]
    assert attribute_errors(defs) == []


# --- two API processes on one database: a change shows in both within the refresh


def _process(live, settings, clock: FakeMonotonic) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """An API process of its own (its own app, its own cache) on the shared database."""
    return api_process(live, settings, clock, REFRESH)


async def test_every_change_shows_in_every_process_within_five_seconds(live, settings):
    admin = live.administration
    national = live.national
    clock = FakeMonotonic()
    async with _process(live, settings, clock) as first, _process(live, settings, clock) as second:
        # Both processes have filed already: their caches are warm.
        for process in (first, second):
            filed = await process.post("/api/v1/requests", json=complaint(admin.code))
            assert filed.status_code == 201, filed.text

        # A service created through one process is used at once through the other.
        created = await first.post(
            f"{ADMINISTRATIONS}/{admin.code}/services", json=service_body("fresh"), headers=national
        )
        assert created.status_code == 201, created.text
        now = await second.post("/api/v1/requests", json=filing(admin.code, "fresh"))
        assert now.status_code == 201, now.text
        # A supervisor's change of attributes and an archive, through the first process...
        required_date = [*ATTRIBUTES[:2], {**ATTRIBUTES[2], "required": True}]
        edited = await first.patch(
            f"{SERVICES}/{admin.code}-svc",
            json={"attributes": required_date},
            headers=live.supervisor,
        )
        assert edited.status_code == 200, edited.text
        archived = await first.delete(f"{SERVICES}/{admin.code}-fresh", headers=national)
        assert archived.json()["outcome"] == "archived"
        # ...shows in the second's public catalogue at once,
        services = (await second.get(f"/api/v1/administrations/{admin.code}")).json()["services"]
        assert "fresh" not in [s["code"] for s in services]
        # and in its filings once the refresh (5 s) has passed.
        clock.now += REFRESH
        for process in (first, second):
            refused = await process.post("/api/v1/requests", json=complaint(admin.code))
            assert ("attributes.incident_date", "required") in codes(refused), refused.text
            gone = await process.post("/api/v1/requests", json=filing(admin.code, "fresh"))
            assert codes(gone) == [("service", "service_archived")]


async def test_a_used_service_keeps_its_personal_fields_personal(client, session, settings):
    admin, *_, national = await two_administrations(session, settings)
    ref = f"{admin.code}-svc"
    as_text = {**ATTRIBUTES[4], "datatype": "string"}  # a national id, no longer typed as one
    # Unused, anything goes.
    free = await client.patch(
        f"{SERVICES}/{ref}", json={"attributes": [*ATTRIBUTES[:4], as_text]}, headers=national
    )
    assert free.status_code == 200, free.text
    await client.patch(f"{SERVICES}/{ref}", json={"attributes": ATTRIBUTES}, headers=national)
    assert (await client.post("/api/v1/requests", json=complaint(admin.code))).status_code == 201
    lost = await client.patch(
        f"{SERVICES}/{ref}", json={"attributes": [*ATTRIBUTES[:4], as_text]}, headers=national
    )
    assert lost.status_code == 422
    assert codes(lost) == [("attributes.4.personal", "personal_kept")]
    marked = {**as_text, "personal": True}
    kept = await client.patch(
        f"{SERVICES}/{ref}", json={"attributes": [*ATTRIBUTES[:4], marked]}, headers=national
    )
    assert kept.status_code == 200, kept.text
    # Dropping the field altogether is fine: values without a definition are removed too.
    dropped = await client.patch(
        f"{SERVICES}/{ref}", json={"attributes": ATTRIBUTES[:4]}, headers=national
    )
    assert dropped.status_code == 200


async def test_archived_services_leave_open311_and_refuse_transfers(client, session, settings):
    admin, other, _agent, supervisor, *_, national = await two_administrations(session, settings)
    request = await create_request(session, settings=settings, administration=admin)
    archived = await client.patch(
        f"{SERVICES}/{other.code}-svc", json={"archived": True}, headers=national
    )
    assert archived.status_code == 200
    listed = (await client.get("/open311/v2/services.json")).json()
    codes_listed = {s["service_code"] for s in listed}
    assert f"{other.code}-general" in codes_listed
    assert f"{other.code}-svc" not in codes_listed
    moved = await client.post(
        f"/api/v1/backoffice/requests/{request.tracking_number}/actions/transfer",
        json={"administration": other.code, "service": "svc", "reason": "Relève de l'autre."},
        headers=supervisor,
    )
    assert moved.status_code == 422, moved.text
    assert codes(moved) == [("service", "service_archived")]


async def test_a_service_deleted_while_another_process_still_holds_it_is_a_422(live, settings):
    """A service never used is deleted; a process that looked it up a moment ago (a filing
    refused for its attributes) still has it in memory until the refresh: filing to it then
    meets the foreign key, answered as an unknown service, never a 500."""
    admin, national = live.administration, live.national
    clock = FakeMonotonic()
    async with _process(live, settings, clock) as first, _process(live, settings, clock) as second:
        created = await first.post(
            f"{ADMINISTRATIONS}/{admin.code}/services", json=service_body("brief"), headers=national
        )
        assert created.status_code == 201, created.text
        incomplete = filing(admin.code, "brief", attributes={})
        assert (await second.post("/api/v1/requests", json=incomplete)).status_code == 422
        removed = await first.delete(f"{SERVICES}/{admin.code}-brief", headers=national)
        assert removed.json()["outcome"] == "deleted"
        stale = await second.post("/api/v1/requests", json=filing(admin.code, "brief"))
        assert stale.status_code == 422, stale.text
        assert codes(stale) == [("service", "unknown_service")]
