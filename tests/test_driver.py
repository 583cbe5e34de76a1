"""The hot reads on the driver (`app.repositories.driver`): statements compiled once, run
without a session, on the serving process's own asyncpg pool."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import bindparam, select, text

from app.main import create_app
from app.models.request import Request
from app.repositories import driver
from tests.factories import complaint, file
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
            async with engine.connect() as connection:
                ended = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name AND datname = current_database()"
                    ),
                    {"name": driver.APPLICATION_NAME},
                )
            assert ended == 1
            again = await http.get(f"/api/v1/requests/{number}", headers=created["auth"])
            assert again.status_code == 200, again.text
            assert again.json() == first.json()
            assert again.headers["ETag"] == first.headers["ETag"]
    finally:
        await asyncio.to_thread(server.stop)
