"""The read paths cost a bounded number of SQL statements, whatever the request holds.

Counted with a SQLAlchemy event listener on the test's connection (savepoints, which only the
tests' rolled-back transaction adds, are left out). No timing: a count either holds or not.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.deps import read_only
from app.models.enums import Role
from tests.factories import act, complaint, file, make_administration, make_staff
from tests.statements import recorded

_PLUMBING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def counted(connection: AsyncConnection) -> AbstractContextManager[list[str]]:
    """The SQL statements run on `connection` inside the block (plumbing left out)."""
    return recorded(
        connection.sync_connection,
        lambda statement: not statement.lstrip().upper().startswith(_PLUMBING),
    )


@pytest.fixture
async def desk(client, session, settings):
    """An administration with a complaint that has history of every kind (public events,
    an internal note, an assignment) and a message, and staff on both sides of the wall."""
    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    other_admin = await make_administration(session)
    _stranger, stranger = await make_staff(session, settings, Role.agent, other_admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    assert (await act(client, number, "start", agent)).status_code == 200
    assert (await act(client, number, "note", agent, message="Interne.")).status_code == 200
    answer = await act(client, number, "request_info", agent, message="Le constat, svp.")
    assert answer.status_code == 200
    for _ in range(3):
        await file(client, complaint(admin.code))
    return created, agent, supervisor, stranger


async def test_the_tracked_detail_view_is_one_statement(client, connection, desk):
    created, *_ = desk
    with counted(connection) as statements:
        answer = await client.get(
            f"/api/v1/requests/{created['tracking_number']}", headers=created["auth"]
        )
    assert answer.status_code == 200, answer.text
    assert len(statements) == 1, statements
    body = answer.json()
    # Everything the view shows came with it: the refs, the history, the actions.
    assert body["administration"]["code"]
    assert body["service"]["code"] == "svc"
    assert [event["action"] for event in body["history"]] == ["submit", "start", "request_info"]
    assert all(event["actor_name"] is None for event in body["history"])
    assert body["allowed_actions"] == ["close", "message", "attach"]
    assert answer.headers["ETag"] == f'"v{body["version"]}"'


async def test_staff_read_the_detail_in_three_statements_with_internal_history(
    client, connection, desk
):
    created, agent, _supervisor, _stranger = desk
    with counted(connection) as statements:
        answer = await client.get(f"/api/v1/requests/{created['tracking_number']}", headers=agent)
    assert answer.status_code == 200, answer.text
    # Who the token's bearer is, the view, then the access log's one INSERT (law 09-08).
    assert len(statements) == 3, statements
    assert statements[-1].startswith("INSERT INTO access_log")
    body = answer.json()
    actions = [event["action"] for event in body["history"]]
    assert actions == ["submit", "start", "note", "request_info"]
    assert body["history"][2]["internal"] is True
    assert body["history"][1]["actor_name"]  # staff see who acted
    assert body["assignee"] is not None


async def test_another_administration_gets_a_404_from_the_same_one_statement(
    client, connection, desk
):
    created, _agent, _supervisor, stranger = desk
    with counted(connection) as statements:
        answer = await client.get(
            f"/api/v1/requests/{created['tracking_number']}", headers=stranger
        )
    assert answer.status_code == 404
    assert len(statements) == 2, statements


async def test_a_tracking_token_opens_its_request_only(client, connection, session, desk):
    created, *_ = desk
    admin = await make_administration(session)
    someone_else = await file(client, complaint(admin.code))
    with counted(connection) as statements:
        answer = await client.get(
            f"/api/v1/requests/{someone_else['tracking_number']}", headers=created["auth"]
        )
    assert answer.status_code == 404
    assert len(statements) == 1, statements


@pytest.mark.parametrize(
    "query",
    ["", "?sort=-created_at", "?state=submitted&assignee=none", "?q=indemnisation&limit=2"],
)
async def test_a_queue_page_is_two_statements(client, connection, desk, query):
    _created, _agent, supervisor, _stranger = desk
    with counted(connection) as statements:
        answer = await client.get(f"/api/v1/backoffice/requests{query}", headers=supervisor)
    assert answer.status_code == 200, answer.text
    assert len(statements) == 2, statements  # who the token's bearer is, then the page
    assert answer.json()["items"]


async def test_the_next_queue_page_is_two_statements_too(client, connection, desk):
    _created, _agent, supervisor, _stranger = desk
    first = await client.get("/api/v1/backoffice/requests?limit=2", headers=supervisor)
    cursor = first.json()["next_cursor"]
    assert cursor
    with counted(connection) as statements:
        answer = await client.get(
            f"/api/v1/backoffice/requests?limit=2&cursor={cursor}", headers=supervisor
        )
    assert answer.status_code == 200
    assert len(statements) == 2, statements
    seen = {item["tracking_number"] for item in first.json()["items"]}
    assert seen.isdisjoint(item["tracking_number"] for item in answer.json()["items"])


async def test_open311_and_statistics_are_one_statement_each(client, connection, desk):
    for path in ("/open311/v2/requests.json", "/api/v1/statistics"):
        with counted(connection) as statements:
            answer = await client.get(path)
        assert answer.status_code == 200, answer.text
        assert len(statements) == 1, (path, statements)


async def _now_twice(session: AsyncSession) -> tuple[Any, Any]:
    # `now()` is the start of the transaction: equal twice inside one, different without.
    first = await session.scalar(text("SELECT now()"))
    await asyncio.sleep(0.01)
    second = await session.scalar(text("SELECT now()"))
    return first, second


async def test_a_read_only_session_sends_no_begin_and_the_pool_forgets_it(live):
    async with live.sessionmaker() as session:
        await read_only(session)
        first, second = await _now_twice(session)
        assert first != second  # no transaction around the statements: no BEGIN, no COMMIT
    # Every pooled connection is back in transactions afterwards (the pool has at most 10).
    sessions = [live.sessionmaker() for _ in range(10)]
    try:
        for session in sessions:
            first, second = await _now_twice(session)
            assert first == second
    finally:
        for session in sessions:
            await session.close()


async def test_the_read_routes_answer_on_a_real_engine(live):
    created = await file(live.client, complaint(live.administration.code))
    answer = await live.client.get(
        f"/api/v1/requests/{created['tracking_number']}", headers=created["auth"]
    )
    assert answer.status_code == 200
    assert answer.json()["tracking_number"] == created["tracking_number"]
    queue = await live.client.get("/api/v1/backoffice/requests", headers=live.staff)
    assert created["tracking_number"] in [i["tracking_number"] for i in queue.json()["items"]]
    for path in ("/api/v1/statistics", "/open311/v2/requests.json"):
        assert (await live.client.get(path)).status_code == 200
    missing = await live.client.get("/api/v1/requests/AAAA-AAAA-AAA", headers=created["auth"])
    assert missing.status_code == 404


async def test_a_read_refused_before_its_first_statement_takes_no_connection(live, engine):
    checkouts: list[object] = []

    def record(*args: Any) -> None:
        checkouts.append(args)

    event.listen(engine.sync_engine, "checkout", record)
    try:
        answer = await live.client.get("/api/v1/requests/AAAA-AAAA-AAA")  # no token
    finally:
        event.remove(engine.sync_engine, "checkout", record)
    assert answer.status_code == 401
    assert checkouts == []
