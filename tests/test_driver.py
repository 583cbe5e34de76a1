"""The hot reads on the driver (`app.repositories.driver`): statements compiled once, run
without a session, on the serving process's own asyncpg pool."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import Float, Integer, bindparam, func, select, text

from app.db import create_engine, create_sessionmaker
from app.domain.actors import Actor
from app.main import create_app
from app.models.access_log import AccessLogEntry
from app.models.enums import Role
from app.models.request import Request
from app.repositories import driver
from app.services import clock, exports
from tests.factories import complaint, create_request, file
from tests.servers import ApiServer


def test_a_statement_whose_sql_changes_with_its_values_is_refused_at_import():
    expanding = select(Request.id).where(Request.state.in_(["submitted", "in_progress"]))
    with pytest.raises(ValueError, match="not compilable once"):
        driver.Compiled(expanding)
    literal = select(Request.id).where(
        Request.escalation_level == bindparam("level", 2, literal_execute=True)
    )
    with pytest.raises(ValueError, match="not compilable once"):
        driver.Compiled(literal)


def test_a_compiled_statement_binds_its_parameters_in_order_with_its_own_literals():
    compiled = driver.Compiled(
        select(Request.id).where(
            Request.tracking_number == bindparam("number"), Request.urgent.is_(True)
        )
    )
    assert "$1" in compiled.sql
    assert compiled.arguments({"number": "K7MD-Q2ZX-9PT"})[0] == "K7MD-Q2ZX-9PT"


async def _end_serving_connections(engine) -> int:
    """The server ends the serving pool's connections (to this database); how many it ended,
    once they are gone (`pg_terminate_backend` only signals: on a busy machine a backend still
    running would end under the next statement, a failure mid-statement that no driver may
    retry, instead of the dropped connection these tests mean)."""
    serving = (
        "SELECT pid FROM pg_stat_activity "
        "WHERE application_name = :name AND datname = current_database()"
    )
    async with engine.connect() as connection:
        pids = list(await connection.scalars(text(serving), {"name": driver.APPLICATION_NAME}))
        ended: int = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) "
                "FROM unnest(CAST(:pids AS integer[])) AS pid"
            ),
            {"pids": pids},
        )
        alive = text(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(CAST(:pids AS integer[]))"
        )
        for _ in range(200):  # 10 s at most
            await connection.rollback()  # the activity is read once per transaction
            if not await connection.scalar(alive, {"pids": pids}):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the ended connections are still there after 10 s")
    return ended


async def test_the_serving_pool_answers_the_hot_reads_and_outlives_a_dropped_connection(
    live, settings, database_url, engine
):
    created = await file(live.client, complaint(live.administration.code))
    number = created["tracking_number"]
    # One connection in the reads' pool: the one the server side is about to end.
    app = create_app(
        settings.model_copy(update={"database_url": database_url, "db_read_pool_size": 1})
    )
    server = await asyncio.to_thread(lambda: ApiServer(app).start())
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            first = await http.get(f"/api/v1/requests/{number}", headers=created["auth"])
            assert first.status_code == 200, first.text
            queue = await http.get("/api/v1/backoffice/requests", headers=live.staff)
            assert queue.status_code == 200, queue.text
            assert number in [item["tracking_number"] for item in queue.json()["items"]]
            # With a filter the statement is built per call: SQLAlchemy runs it, in autocommit.
            filtered = await http.get(
                "/api/v1/backoffice/requests",
                params={"state": "submitted", "q": number},
                headers=live.staff,
            )
            assert filtered.status_code == 200, filtered.text
            assert [item["tracking_number"] for item in filtered.json()["items"]] == [number]
            assert await _end_serving_connections(engine) == 1
            again = await http.get(f"/api/v1/requests/{number}", headers=created["auth"])
            assert again.status_code == 200, again.text
            assert again.json() == first.json()
            assert again.headers["ETag"] == first.headers["ETag"]
    finally:
        await asyncio.to_thread(server.stop)


async def test_a_submission_on_a_dropped_connection_of_the_pool_is_filed_once(
    live, settings, database_url, engine
):
    """A served submission is one write on the serving pool (the process's own asyncpg
    pool), committed when it answers; after the pool's only connection was ended by the
    server, the next one is filed once, without a 5xx (a connection known closed is replaced
    at checkout; a statement asyncpg refuses to start on it runs on a fresh one)."""
    app = create_app(
        settings.model_copy(
            update={
                "database_url": database_url,
                "db_read_pool_size": 1,
                "catalogue_refresh_seconds": 3600.0,  # the insert is the first statement
            }
        )
    )
    server = await asyncio.to_thread(lambda: ApiServer(app).start())
    email = "dropped.connection@example.ma"
    body = complaint(live.administration.code, complainant={"full_name": "N A", "email": email})
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            first = await http.post("/api/v1/requests", json=complaint(live.administration.code))
            assert first.status_code == 201, first.text
            assert await _end_serving_connections(engine) == 1
            filed = await http.post("/api/v1/requests", json=body)
            assert filed.status_code == 201, filed.text
    finally:
        await asyncio.to_thread(server.stop)
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(Request).where(Request.email == email)
        )
    assert count == 1


async def test_an_export_with_personal_data_holds_one_connection_of_the_sessions_pool(
    live, settings, database_url
):
    """A CSV export streams on its own session while each chunk's requests go to the access
    log before the chunk leaves. That write runs on the reads' pool: with one session
    connection and no overflow, the export still finishes (a second session would wait for
    the first, which waits on the stream)."""
    async with live.sessionmaker() as session:
        for _ in range(600):  # a few 64 KB chunks
            await create_request(
                session, administration=live.administration, full_name="Amina El Idrissi"
            )
        await session.commit()
    tight = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 3}
    )
    engine = create_engine(database_url, tight)
    direct = await driver.open_pool(
        engine, size=1, acquire_timeout=3, connect_timeout=5, recycle=60
    )
    reader = Actor(role=Role.supervisor, administration_id=live.administration.id, user_id=1)
    try:
        chunks = [
            chunk
            async for chunk in exports.rows(
                create_sessionmaker(engine),
                direct,
                administration_id=live.administration.id,
                personal=True,
                now=clock.now(),
                reader=reader,
            )
        ]
    finally:
        await direct.close()
        await engine.dispose()
    assert len(chunks) >= 2
    assert sum(chunk.count("Amina El Idrissi") for chunk in chunks) == 600
    async with live.sessionmaker() as session:
        logged = await session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .join(Request, Request.id == AccessLogEntry.request_id)
            .where(Request.administration_id == live.administration.id)
            .where(AccessLogEntry.what == "export")
        )
    assert logged == 600


_STARTED = driver.Compiled(
    select(func.clock_timestamp().label("at"), func.pg_sleep(bindparam("seconds", type_=Float)))
)


async def test_statements_waiting_for_the_pool_are_served_in_their_turn(settings, database_url):
    """With every pooled connection taken, the statement that has waited longest gets the
    next one. asyncpg's pool hands a freed connection to whichever task asks first, so a
    client coming back for its next statement could take it ahead of statements already
    waiting, again and again: with 32 clients on 10 connections an Open311 page's p99 grew
    to seven times its p50. Here 24 clients share three connections, each doing a little
    work between statements; PostgreSQL's clock says when each statement got its connection,
    and none may be overtaken by more than a round of the others."""
    engine = create_engine(database_url, settings)
    direct = await driver.open_pool(
        engine, size=3, acquire_timeout=30, connect_timeout=5, recycle=60
    )
    asked = 0
    started: list[tuple[Any, int]] = []

    async def client() -> None:
        nonlocal asked
        for _ in range(40):
            asked += 1
            turn = asked
            row = await driver.fetch_one(direct, _STARTED, {"seconds": 0.002})
            started.append((row.at, turn))
            busy = time.perf_counter() + 0.001  # the client's own work between statements
            while time.perf_counter() < busy:
                pass

    try:
        await asyncio.gather(*(client() for _ in range(24)))
    finally:
        await direct.close()
        await engine.dispose()
    order = [turn for _, turn in sorted(started)]
    overtaken = max(
        sum(1 for later in order[:position] if later > turn) for position, turn in enumerate(order)
    )
    # In turn, a statement is overtaken only by those started on the other connections at
    # the same moment (2 here, 1-2 measured); out of turn, by 20 to 90.
    assert overtaken <= 6, overtaken


def test_a_callers_value_of_a_statements_own_literal_is_taken():
    compiled = driver.Compiled(
        select(bindparam("limit", 5, type_=Integer).label("limit"), bindparam("n").label("n"))
    )
    assert compiled.arguments({"n": 1}) == (5, 1)
    assert compiled.arguments({"n": 1, "limit": 7}) == (7, 1)
    assert compiled.pool_arguments({"n": 1, "limit": 7}) == (7, 1)
    with pytest.raises(KeyError):
        compiled.arguments({"limit": 7})
