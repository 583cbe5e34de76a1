"""The back office as staff use it: searching the queue, acting without ceremony."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.models.enums import Role, State
from app.schemas.common import Page
from app.schemas.requests import RequestSummary
from tests.factories import (
    act,
    citizen_auth,
    create_request,
    make_administration,
    make_staff,
)


@pytest.fixture
async def desk(session, settings):
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    created = await create_request(
        session,
        administration=admin,
        attributes={"policy_number": "POL-777", "branch": "auto"},
        full_name="Hind Chraibi",
        email="hind.chraibi@example.ma",
        phone="+212698765432",
    )
    other = await create_request(session, administration=admin)
    return admin, agent, supervisor, created, other


@pytest.mark.parametrize(
    "query",
    [
        "hind.chraibi@example.ma",
        "chraibi",
        "0698765432",
        "06 98 76 54 32",
        "+212698765432",
        "00212698765432",
        "POL-777",
    ],
)
async def test_the_queue_finds_a_request_by_contact_and_attribute(client, desk, query):
    _admin, agent, _sup, created, _other = desk
    response = await client.get("/api/v1/backoffice/requests", params={"q": query}, headers=agent)
    assert response.status_code == 200
    numbers = [item["tracking_number"] for item in response.json()["items"]]
    assert numbers == [created.tracking_number], query


async def test_an_action_needs_no_body_when_it_carries_nothing(client, desk):
    _admin, agent, _sup, created, _other = desk
    response = await client.post(
        f"/api/v1/backoffice/requests/{created.tracking_number}/actions/start", headers=agent
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "in_progress"


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('"v1"', 200), ("v1", 200), ('"v0", "v1"', 200), ("*", 200), ('"v2"', 412), ("v2", 412)],
)
async def test_if_match_takes_tags_with_or_without_quotes(client, desk, if_match, status):
    _admin, agent, _sup, created, _other = desk
    response = await client.post(
        f"/api/v1/backoffice/requests/{created.tracking_number}/actions/start",
        headers={**agent, "If-Match": if_match},
    )
    assert response.status_code == status, response.text


async def test_after_a_transfer_nothing_is_offered_to_the_old_administration(client, session, desk):
    _admin, _agent, supervisor, created, _other = desk
    target = await make_administration(session)
    response = await act(
        client,
        created.tracking_number,
        "transfer",
        supervisor,
        administration=target.code,
        reason="Relève de l'autre administration.",
    )
    assert response.status_code == 200, response.text
    assert response.json()["administration"]["code"] == target.code
    assert response.json()["allowed_actions"] == []


async def test_the_citizen_resumes_by_replying_not_by_a_button(client, session, settings, desk):
    admin, agent, _sup, _created, _other = desk
    awaiting = await create_request(session, administration=admin, state=State.awaiting_citizen)
    number = awaiting.tracking_number
    view = await client.get(f"/api/v1/requests/{number}", headers=citizen_auth(awaiting, settings))
    assert view.json()["state"] == "awaiting_citizen"
    assert "resume" not in view.json()["allowed_actions"]
    assert "message" in view.json()["allowed_actions"]
    staff_view = await client.get(f"/api/v1/requests/{number}", headers=agent)
    assert "resume" in staff_view.json()["allowed_actions"]


async def test_the_lifecycle_names_states_and_actions_in_three_languages(client):
    table = (await client.get("/api/v1/lifecycle")).json()["complaint"]
    assert set(table["state_labels"]) == set(table["states"])
    assert table["state_labels"]["awaiting_citizen"]["fr"] == "En attente de votre réponse"
    assert table["action_labels"]["reopen"] == {
        "ar": "إعادة الفتح",
        "fr": "Rouvrir",
        "en": "Reopen",
    }
    assert {t["action"] for t in table["transitions"]} == set(table["action_labels"])
    resume = next(t for t in table["transitions"] if t["action"] == "resume")
    assert resume["implicit_for"] == ["citizen"]


async def test_an_action_of_another_role_says_so(client, session, desk):
    admin, agent, _sup, _created, _other = desk
    number = (
        await create_request(session, administration=admin, state=State.in_progress)
    ).tracking_number
    response = await client.post(
        f"/api/v1/backoffice/requests/{number}/actions/transfer",
        json={"administration": "ACAPS", "reason": "Pas chez nous."},
        headers={**agent, "Accept-Language": "fr"},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "action_not_for_role"
    assert "« agent »" in body["detail"]
    assert "transfer" not in body["allowed_actions"]
    # Not possible in this state for anyone: the usual refusal.
    early = await act(client, number, "rate", agent)
    assert early.json()["code"] == "transition_not_allowed"


async def test_arabic_indic_digits_are_searched_as_digits(client, session, settings):
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    created = await create_request(
        session, administration=admin, attributes={"policy_number": "ع١٢٣٤٥", "branch": "auto"}
    )
    for query in ("12345", "١٢٣٤٥"):
        found = await client.get("/api/v1/backoffice/requests", params={"q": query}, headers=agent)
        assert [i["tracking_number"] for i in found.json()["items"]] == [created.tracking_number]


async def test_reindexing_rebuilds_the_search_text_of_older_requests(client, session, desk):
    from sqlalchemy import select, update

    from app.models.request import Request
    from app.services.search import reindex_batch

    _admin, agent, _sup, created, _other = desk
    number = created.tracking_number
    # As a request filed before search covered contacts would look.
    await session.execute(
        update(Request)
        .where(Request.tracking_number == number)
        .values(search_text="", search_vector="")
    )
    assert await _search(client, agent, "hind.chraibi@example.ma") == []
    last = 0
    while ids := await reindex_batch(session, last, size=50):
        last = ids[-1]
    assert await _search(client, agent, "hind.chraibi@example.ma") == [number]
    assert await session.scalar(
        select(Request.search_text).where(Request.tracking_number == number)
    )


async def _search(client, headers, query):
    found = await client.get("/api/v1/backoffice/requests", params={"q": query}, headers=headers)
    return [item["tracking_number"] for item in found.json()["items"]]


async def test_the_queue_is_written_as_its_schema_writes_it(client, session, settings):
    # The page is written from the rows, not through the schema: it must be the very bytes
    # the schema writes of what it holds (keys and their order, `Z` times, whole and
    # fractional seconds, text as it is, an assignee or none).
    admin = await make_administration(session)
    agent_user, agent = await make_staff(session, settings, Role.agent, admin)
    moment = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    subjects = ['Sinistre « auto » : "refus" \\ أجل', "Twice\tspaced\nline", "😀 </b>"]
    for n, subject in enumerate(subjects):
        await create_request(
            session,
            administration=admin,
            subject=subject,
            now=moment + timedelta(microseconds=120_000 * n),
            state=State.in_progress if n else State.submitted,
            staff=agent_user,
        )
    pages = [
        await client.get("/api/v1/backoffice/requests", headers=agent),
        await client.get("/api/v1/backoffice/requests?limit=2", headers=agent),
    ]
    cursor = pages[1].json()["next_cursor"]
    pages.append(
        await client.get(f"/api/v1/backoffice/requests?limit=2&cursor={cursor}", headers=agent)
    )
    for page in pages:
        assert page.status_code == 200, page.text
        assert page.headers["content-type"] == "application/json"
        schema = Page[RequestSummary].model_validate_json(page.content)
        assert schema.model_dump_json(by_alias=True).encode() == page.content
    items = pages[0].json()["items"]
    assert {item["subject"] for item in items} == set(subjects)
    assert any(item["assignee"] for item in items)
    assert any(item["assignee"] is None for item in items)
    assert any(item["created_at"].endswith(":00Z") for item in items)
