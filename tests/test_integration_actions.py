"""Administrations' systems answer (issue 10, deliverable 9): an integration key takes its
administration's agent-level actions through the one lifecycle, recorded as the integration,
and Open311 shows the result — a fixed label to anyone, the administration's words to its key."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from app.models.access_log import AccessLogEntry
from app.models.enums import Kind, Role, State
from app.models.request import Message, Request, RequestEvent
from app.services import api_keys, clock, lifecycle
from tests.factories import complaint, create_request, file, make_administration, make_staff

BACKOFFICE = "/api/v1/backoffice/requests"
OPEN311 = "/open311/v2"
ANSWER = "Votre contrat a été rétabli le 12 mars."


async def _key(session, administration, name="CRM ACAPS"):
    key, record = await api_keys.create(
        session, administration_code=administration.code, name=name, now=clock.now()
    )
    return {"X-API-Key": key}, record


async def _act(client, number, action, headers, **body):
    return await client.post(f"{BACKOFFICE}/{number}/actions/{action}", json=body, headers=headers)


async def _public_id(session, number):
    return await session.scalar(select(Request.public_id).where(Request.tracking_number == number))


async def _events(session, number):
    stmt = (
        select(RequestEvent)
        .join(Request, Request.id == RequestEvent.request_id)
        .where(Request.tracking_number == number)
        .order_by(RequestEvent.id)
    )
    return list((await session.scalars(stmt)).all())


async def test_a_key_starts_notes_and_answers_a_request_of_its_administration(
    client, session, settings
):
    admin = await make_administration(session)
    key, record = await _key(session, admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]

    started = await _act(client, number, "start", key)
    assert started.status_code == 200, started.text
    detail = started.json()
    assert detail["state"] == "in_progress"
    assert detail["assignee"] is None  # a system is no agent to assign it to
    assert started.headers["ETag"] == f'"v{detail["version"]}"'
    # An agent's actions, never a supervisor's.
    assert {"answer", "request_info", "note", "message"} <= set(detail["allowed_actions"])
    assert not {"assign", "transfer", "extend_deadline"} & set(detail["allowed_actions"])

    # If-Match as for staff: a stale tag is a 412, the current one passes.
    stale = await _act(client, number, "note", {**key, "If-Match": '"v1"'}, message="Vu.")
    assert stale.status_code == 412, stale.text
    assert stale.json()["code"] == "precondition_failed"
    noted = await _act(
        client,
        number,
        "note",
        {**key, "If-Match": started.headers["ETag"]},
        message="Dossier importé dans le CRM (réf. 8812).",
    )
    assert noted.status_code == 200, noted.text
    # The system sees the internal note it wrote.
    assert any(e["action"] == "note" and e["internal"] for e in noted.json()["history"])

    answered = await _act(client, number, "answer", key, message=ANSWER)
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"

    # The history records the integration and which key, on each of its events.
    events = [e for e in await _events(session, number) if e.action != "submit"]
    assert [e.action for e in events] == ["start", "note", "answer"]
    for event in events:
        assert event.actor_role == "integration"
        assert event.actor_id is None
        assert event.data["api_key_id"] == record.id
        assert event.data["api_key"] == "CRM ACAPS"
    assert events[-1].note == ANSWER

    # The messages it wrote are the integration's: the note internal, the answer public.
    messages = (
        await session.scalars(
            select(Message)
            .join(Request, Request.id == Message.request_id)
            .where(Request.tracking_number == number)
            .order_by(Message.id)
        )
    ).all()
    assert [(m.author_role, m.author_id, m.internal) for m in messages] == [
        ("integration", None, True),
        ("integration", None, False),
    ]
    assert messages[-1].body == ANSWER

    # The citizen reads the answer, from the administration's system, never the note.
    seen = await client.get(f"/api/v1/requests/{number}", headers=created["auth"])
    assert seen.status_code == 200, seen.text
    answer = [e for e in seen.json()["history"] if e["action"] == "answer"]
    assert answer[0]["actor"] == "integration"
    assert answer[0]["actor_name"] is None
    assert "CRM (réf" not in seen.text
    assert "note" not in [e["action"] for e in seen.json()["history"]]

    # Each answer carried the personal data: one integration read per action, by this key.
    reads = (
        await session.scalars(
            select(AccessLogEntry)
            .join(Request, Request.id == AccessLogEntry.request_id)
            .where(Request.tracking_number == number)
        )
    ).all()
    assert len(reads) == 3
    assert {(r.role, r.api_key_id, r.administration_id, r.user_id) for r in reads} == {
        ("integration", record.id, admin.id, None)
    }
    _user, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    log = await client.get(f"{BACKOFFICE}/{number}/access-log", headers=supervisor)
    assert log.status_code == 200, log.text
    assert {i["api_key"] for i in log.json()["items"]} == {"CRM ACAPS"}


async def test_an_open311_filing_names_its_key_in_the_history(client, session):
    admin = await make_administration(session)
    key, record = await _key(session, admin, name="Guichet ACAPS")
    filed = await client.post(
        f"{OPEN311}/requests.json",
        data={
            "api_key": key["X-API-Key"],
            "service_code": f"{admin.code}-general",
            "description": "Le guichet n'a pas remis le reçu du dossier 77.",
            "email": "karim@example.ma",
        },
    )
    assert filed.status_code == 201, filed.text
    [event] = await _events(session, filed.json()[0]["tracking_number"])
    assert (event.action, event.actor_role) == ("submit", "integration")
    assert event.data["channel"] == "integration"
    assert (event.data["api_key_id"], event.data["api_key"]) == (record.id, "Guichet ACAPS")


async def test_another_administrations_request_is_not_found(client, session):
    admin = await make_administration(session)
    other = await make_administration(session)
    key, _record = await _key(session, admin)
    theirs = await file(client, complaint(other.code))
    refused = await _act(client, theirs["tracking_number"], "start", key)
    assert refused.status_code == 404, refused.text
    assert refused.json()["code"] == "request_not_found"
    # Exactly what an unknown number answers, and nothing was changed or logged.
    unknown = await _act(client, "AAAA-BBBB-CCC", "start", key)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "request_not_found")
    events = await _events(session, theirs["tracking_number"])
    assert [e.action for e in events] == ["submit"]
    logged = await session.scalar(select(AccessLogEntry.id).limit(1))
    assert logged is None


async def test_supervisor_and_national_actions_are_refused(client, session, settings):
    admin = await make_administration(session)
    other = await make_administration(session)
    key, _record = await _key(session, admin)
    _agent, _headers = await make_staff(session, settings, Role.agent, admin)
    request = await create_request(session, administration=admin, state=State.in_progress)
    number = request.tracking_number

    for action, body in (
        ("assign", {"assignee": _agent.id}),
        ("transfer", {"administration": other.code, "reason": "Compétence"}),
        ("extend_deadline", {"days": 10, "reason": "Expertise"}),
    ):
        refused = await _act(client, number, action, key, **body)
        assert refused.status_code == 409, (action, refused.text)
        assert refused.json()["code"] == "action_not_for_role", action
        assert "assign" not in refused.json()["allowed_actions"]

    # A citizen's action is not a system's either.
    closed = await _act(client, number, "close", key)
    assert (closed.status_code, closed.json()["code"]) == (409, "action_not_for_role")

    # The national admins' decision on an appealed complaint stays theirs.
    appealed = await create_request(session, administration=admin, state=State.appealed)
    decided = await _act(
        client, appealed.tracking_number, "decide_appeal", key, decision="dismissed"
    )
    assert decided.status_code == 409, decided.text
    assert decided.json()["code"] == "action_not_for_role"

    await session.refresh(request)
    await session.refresh(appealed)
    assert (request.state, appealed.state) == ("in_progress", "appealed")


async def test_credentials_are_checked(client, session, settings):
    admin = await make_administration(session)
    key, record = await _key(session, admin)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]

    wrong = await _act(client, number, "start", {"X-API-Key": "ck_not-a-key"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_api_key")
    both = await _act(client, number, "start", {**key, **agent})
    assert (both.status_code, both.json()["code"]) == (400, "ambiguous_credentials")
    nothing = await _act(client, number, "start", {})
    assert nothing.status_code == 401
    # A citizen's token is still no staff token.
    citizen = await _act(client, number, "start", created["auth"])
    assert citizen.status_code == 403

    await api_keys.revoke(session, record.id, clock.now())
    revoked = await _act(client, number, "start", key)
    assert (revoked.status_code, revoked.json()["code"]) == (401, "invalid_api_key")
    # Staff act as before.
    assert (await _act(client, number, "start", agent)).status_code == 200


async def test_a_retried_action_with_the_same_idempotency_key_counts_once(client, session):
    admin = await make_administration(session)
    key, _record = await _key(session, admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    headers = {**key, "Idempotency-Key": "crm-8812-note-1"}

    first = await _act(client, number, "note", headers, message="Importé (réf. 8812).")
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = await _act(client, number, "note", headers, message="Importé (réf. 8812).")
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    notes = [e for e in await _events(session, number) if e.action == "note"]
    assert len(notes) == 1

    other = await _act(client, number, "note", headers, message="Un autre texte.")
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    # Keys are the key's own: the same value from another key acts anew.
    second_key, _ = await _key(session, admin, name="GED")
    fresh = await _act(
        client,
        number,
        "note",
        {**second_key, "Idempotency-Key": "crm-8812-note-1"},
        message="Importé (réf. 8812).",
    )
    assert fresh.status_code == 200, fresh.text
    assert "Idempotent-Replayed" not in fresh.headers
    assert len([e for e in await _events(session, number) if e.action == "note"]) == 2


def _xml_notes(response):
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    [request] = ElementTree.fromstring(response.content).findall("request")
    return request.findtext("status"), request.findtext("status_notes")


async def test_open311_shows_the_status_with_a_label_to_anyone_and_the_text_to_its_key(
    client, session
):
    admin = await make_administration(session)
    other = await make_administration(session)
    key, _record = await _key(session, admin)
    foreign = (
        await api_keys.create(
            session, administration_code=other.code, name="other", now=clock.now()
        )
    )[0]
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    public_id = await _public_id(session, number)
    url = f"{OPEN311}/requests/{public_id}"
    fr = {"Accept-Language": "fr"}
    ar = {"Accept-Language": "ar"}

    async def seen(fmt="json", headers=None, api_key=None):
        params = {"api_key": api_key} if api_key else {}
        response = await client.get(f"{url}.{fmt}", params=params, headers=headers or {})
        assert response.status_code == 200, response.text
        if fmt == "xml":
            return _xml_notes(response)
        [item] = response.json()
        return item["status"], item["status_notes"]

    # Filed: open, and the label of the state, even for the owner while nobody has replied.
    label = "Reçue ; en attente de prise en charge par l'administration."
    assert await seen(headers=fr) == ("open", label)
    assert await seen(headers=fr, api_key=key["X-API-Key"]) == ("open", label)

    assert (await _act(client, number, "start", key)).status_code == 200
    assert await seen(headers=fr) == ("open", "En cours de traitement par l'administration.")
    assert await seen("xml", ar) == ("open", "قيد المعالجة لدى الإدارة.")

    await _act(client, number, "note", key, message="Note interne du CRM.")
    await _act(client, number, "answer", key, message=ANSWER)

    # Anyone (another administration's key included): closed, and a fixed label.
    for fmt in ("json", "xml"):
        assert await seen(fmt, fr) == ("closed", "L'administration a répondu.")
        assert await seen(fmt, ar) == ("closed", "أجابت الإدارة عن الطلب.")
        assert await seen(fmt) == ("closed", "The administration has answered.")
        assert await seen(fmt, fr, api_key=foreign) == ("closed", "L'administration a répondu.")
        # The owning key: the administration's own words, never the internal note.
        assert await seen(fmt, fr, api_key=key["X-API-Key"]) == ("closed", ANSWER)

    # The list says the same.
    listed = await client.get(
        f"{OPEN311}/requests.json", params={"service_request_id": public_id}, headers=fr
    )
    assert [(i["status"], i["status_notes"]) for i in listed.json()] == [
        ("closed", "L'administration a répondu.")
    ]
    mine = await client.get(
        f"{OPEN311}/requests.xml",
        params={"service_request_id": public_id, "api_key": key["X-API-Key"]},
    )
    assert _xml_notes(mine) == ("closed", ANSWER)
    assert "interne" not in mine.text


async def test_the_owning_keys_list_reads_are_logged_anonymous_ones_are_not(client, session):
    admin = await make_administration(session)
    key, record = await _key(session, admin)
    created = await file(client, complaint(admin.code))
    theirs = await file(client, complaint((await make_administration(session)).code))
    ids = ",".join(
        [
            await _public_id(session, created["tracking_number"]),
            await _public_id(session, theirs["tracking_number"]),
        ]
    )
    query = {"service_request_id": ids}
    assert (await client.get(f"{OPEN311}/requests.json", params=query)).status_code == 200
    assert await session.scalar(select(AccessLogEntry.id).limit(1)) is None
    shown = await client.get(
        f"{OPEN311}/requests.json", params={**query, "api_key": key["X-API-Key"]}
    )
    assert shown.status_code == 200, shown.text
    assert len(shown.json()) == 2
    reads = (await session.scalars(select(AccessLogEntry))).all()
    assert [(r.role, r.api_key_id, r.what) for r in reads] == [
        ("integration", record.id, "detail")  # its own request only
    ]


@pytest.mark.parametrize("kind", list(Kind))
def test_an_integration_takes_exactly_an_agents_transitions(kind):
    for state in lifecycle.states_of(kind):
        as_agent = lifecycle.transitions_for(kind, state, Role.agent)
        assert lifecycle.transitions_for(kind, state, Role.integration) == as_agent
        for transition in lifecycle.transitions_for(kind, state, Role.supervisor):
            if transition not in as_agent:  # a supervisor's own: never the system's
                assert Role.integration not in transition.roles


async def test_the_document_lists_both_schemes_for_actions(client):
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/api/v1/backoffice/requests/{tracking_number}/actions/{action}"][
        "post"
    ]
    assert operation["security"] == [{"StaffOAuth2": []}, {"IntegrationKey": []}]
    scheme = document["components"]["securitySchemes"]["IntegrationKey"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": scheme["description"],
    }
    assert "Idempotency-Key" in {p["name"] for p in operation["parameters"]}


async def test_the_served_lifecycle_names_the_integration_where_an_agent_acts(client):
    served = (await client.get("/api/v1/lifecycle")).json()["complaint"]["transitions"]
    roles = {(t["action"], tuple(t["from_states"])): t["roles"] for t in served}
    assert roles[("start", ("submitted",))] == ["agent", "integration", "supervisor"]
    assigns = [r for (action, _), r in roles.items() if action == "assign"]
    assert assigns == [["supervisor"]]
    decides = [r for (action, _), r in roles.items() if action == "decide_appeal"]
    assert decides == [["national_admin"]]
