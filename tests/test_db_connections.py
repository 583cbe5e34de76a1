"""The app's own engine: no ping per checkout, yet a pooled connection that died while idle
(a database restart, a proxy's idle timeout) costs the client nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db import create_engine, create_sessionmaker, json_text
from app.main import create_app


def _complaint(email: str) -> dict[str, object]:
    """A web complaint to ACAPS from `email`, filed while the database connection is cut."""
    return {
        "kind": "complaint",
        "administration": "ACAPS",
        "subject": "Connexion coupée",
        "description": "Une réclamation déposée pendant une coupure de la base.",
        "channel": "web",
        "complainant": {"full_name": "Nadia Amrani", "email": email},
    }


async def _terminate(database_url: str, pid: int) -> None:
    killer = create_async_engine(database_url, poolclass=NullPool)
    async with killer.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await killer.dispose()


async def test_a_connection_killed_while_idle_is_replaced_without_an_error(
    database_url: str, settings: Settings
) -> None:
    one = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    engine = create_engine(database_url, one)
    assert not engine.pool._pre_ping  # type: ignore[attr-defined]
    app = create_app(settings=one, sessionmaker=create_sessionmaker(engine))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/api/v1/administrations")).status_code == 200
            async with engine.connect() as conn:  # the pool's one connection
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await _terminate(database_url, pid)

            answer = await client.get("/api/v1/administrations")
            assert answer.status_code == 200, answer.text
            assert answer.json()
            async with engine.connect() as conn:
                replaced = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert replaced != pid
    finally:
        await engine.dispose()


async def test_a_submission_on_a_killed_connection_is_filed_once(
    database_url: str, settings: Settings
) -> None:
    """The retry runs the request again only when nothing reached the server: one request."""
    one = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "submissions_per_client_per_hour": 0,
            "acknowledgements_per_recipient_per_day": 0,
        }
    )
    engine = create_engine(database_url, one)
    app = create_app(settings=one, sessionmaker=create_sessionmaker(engine))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    body = _complaint("nadia.retry@example.ma")
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/api/v1/administrations")).status_code == 200
            async with engine.connect() as conn:
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await _terminate(database_url, pid)

            answer = await client.post("/api/v1/requests", json=body)
            assert answer.status_code == 201, answer.text
            number = answer.json()["tracking_number"]
        async with engine.connect() as conn:
            filed = await conn.execute(
                text("SELECT count(*) FROM requests WHERE email = 'nadia.retry@example.ma'")
            )
            assert filed.scalar_one() == 1
            await conn.execute(
                text(
                    "DELETE FROM outbox WHERE request_id IN "
                    "(SELECT id FROM requests WHERE tracking_number = :n)"
                ),
                {"n": number},
            )
            await conn.execute(
                text(
                    "DELETE FROM request_events WHERE request_id IN "
                    "(SELECT id FROM requests WHERE tracking_number = :n)"
                ),
                {"n": number},
            )
            await conn.execute(
                text("DELETE FROM requests WHERE tracking_number = :n"), {"n": number}
            )
            await conn.execute(text("DELETE FROM request_stats"))  # as the `live` fixture does
            await conn.commit()
    finally:
        await engine.dispose()


async def test_a_submission_whose_insert_meets_a_killed_connection_is_filed_once(
    database_url: str, settings: Settings
) -> None:
    """An ordinary submission is one write on its own (on the driver, in autocommit), never
    run twice since it may have committed; but one the driver refused to start on a
    connection the server had ended never left, and runs once more on a fresh connection."""
    one = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "catalogue_refresh_seconds": 3600.0,  # the insert is the first statement
        }
    )
    engine = create_engine(database_url, one)
    app = create_app(settings=one, sessionmaker=create_sessionmaker(engine))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    email = "killed.insert@example.ma"
    body = _complaint(email)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            warm = {**body, "complainant": {"full_name": "N A", "email": "warm@example.ma"}}
            assert (await client.post("/api/v1/requests", json=warm)).status_code == 201
            async with engine.connect() as conn:
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await _terminate(database_url, pid)

            answer = await client.post("/api/v1/requests", json=body)
            assert answer.status_code == 201, answer.text
        async with engine.connect() as conn:
            filed = await conn.execute(
                text("SELECT count(*) FROM requests WHERE email = :e"), {"e": email}
            )
            assert filed.scalar_one() == 1
            await _forget(conn, email, "warm@example.ma")
    finally:
        await engine.dispose()


async def _forget(conn: Any, *emails: str) -> None:
    """Delete what the submissions from `emails` wrote (as the `live` fixture does)."""
    for email in emails:
        ids = "SELECT id FROM requests WHERE email = :e"
        for table in ("outbox", "request_events"):
            await conn.execute(
                text(f"DELETE FROM {table} WHERE request_id IN ({ids})"), {"e": email}
            )
        await conn.execute(text("DELETE FROM requests WHERE email = :e"), {"e": email})
    await conn.execute(text("DELETE FROM request_stats"))
    await conn.execute(text("DELETE FROM throttle_counters"))
    await conn.commit()


async def test_the_app_engine_writes_jsonb_as_json_would(
    database_url: str, settings: Settings
) -> None:
    """JSONB parameters are written by orjson, and what orjson refuses (integers past 64 bits,
    keys that are no strings) by `json`: the database holds the same values either way."""
    values = [
        {"text": 'Réclamation — شكاية\n\t"quoted" \\ \u2028', "n": [1, 2.5, -3e-7, None, True]},
        {"big": 2**70, "list": [2**65]},
        {1: "int key", "nested": {"k": [{"a": 1}]}},
        [],
        "plain",
    ]
    engine = create_engine(database_url, settings)
    try:
        async with engine.connect() as conn:
            for value in values:
                stored = await conn.scalar(
                    text("SELECT CAST(:v AS jsonb)::text").bindparams(bindparam("v", type_=JSONB)),
                    {"v": value},
                )
                expected = await conn.scalar(
                    text("SELECT CAST(CAST(:v AS text) AS jsonb)::text"),
                    {"v": json.dumps(value)},
                )
                assert stored == expected, value
                assert json.loads(json_text(value)) == json.loads(json.dumps(value))
    finally:
        await engine.dispose()


async def test_a_staff_action_on_a_killed_connection_is_taken_once(
    database_url: str, settings: Settings, live: Any
) -> None:
    """A staff action begins its transaction on the driver (its first statement, the lock,
    runs there): a pooled connection found dead at that `BEGIN` is retried like any other
    first statement, and the action is taken once."""
    filed = await live.client.post(
        "/api/v1/requests",
        json={**_complaint("killed.action@example.ma"), "administration": live.administration.code},
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["tracking_number"]
    one = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    engine = create_engine(database_url, one)
    app = create_app(settings=one, sessionmaker=create_sessionmaker(engine))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    base = f"/api/v1/backoffice/requests/{number}/actions"
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (
                await client.post(f"{base}/note", json={"message": "Vu."}, headers=live.staff)
            ).status_code == 200
            async with engine.connect() as conn:  # the pool's one connection
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await _terminate(database_url, pid)

            started = await client.post(f"{base}/start", headers=live.staff)
            assert started.status_code == 200, started.text
            assert started.json()["state"] == "in_progress"
        async with engine.connect() as conn:
            starts = await conn.execute(
                text(
                    "SELECT count(*) FROM request_events JOIN requests"
                    " ON requests.id = request_events.request_id"
                    " WHERE tracking_number = :n AND action = 'start'"
                ),
                {"n": number},
            )
            assert starts.scalar_one() == 1
    finally:
        await engine.dispose()
