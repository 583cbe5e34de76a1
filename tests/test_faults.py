"""Faults, with real processes: the database stopped under load (a throwaway server of the
test's own, never the suite's), and several API processes and a worker on one database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.db import create_engine, create_sessionmaker
from app.errors import database_unavailable
from app.main import create_app
from app.models import OutboxMessage, Request
from tests.factories import complaint, make_administration
from tests.own_postgres import OwnPostgres
from tests.processes import (
    Api,
    app_environment,
    create_database,
    own_database,
    worker,
)
from tests.servers import SmtpServer, free_port

WRITERS = 8
CLIENT_TIMEOUT = 20.0  # seconds: a hang (SQLAlchemy's default 30-s pool wait) fails the test
PATIENCE = 180.0  # seconds: the bound of every wait below, far above what a loaded machine needs


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


async def _administration(url: str) -> str:
    engine = create_async_engine(url, poolclass=NullPool)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        admin = await make_administration(session, code="FAULT")
        await session.commit()
    await engine.dispose()
    return admin.code


@dataclass
class Outcome:
    phase: str
    status: int | None  # None: no answer at all (a dropped connection, a timeout)
    error: str | None = None
    code: str | None = None
    content_type: str | None = None
    retry_after: str | None = None
    tracking_number: str | None = None
    access_token: str | None = None


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres().init()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


async def test_a_database_outage_answers_503_and_loses_no_acknowledged_request(
    own_postgres, tmp_path
):
    url = await create_database(own_postgres.url, "chikaya_faults")
    code = await _administration(url)
    env = app_environment(
        url, tmp_path, DB_POOL_TIMEOUT_SECONDS="2", DB_CONNECT_TIMEOUT_SECONDS="2"
    )
    api = Api(env, tmp_path / "api.log")
    outcomes: list[Outcome] = []
    phase = "before"
    stop = asyncio.Event()

    async def writer() -> None:
        async with httpx.AsyncClient(base_url=api.url, timeout=CLIENT_TIMEOUT) as client:
            while not stop.is_set():
                started = phase
                try:
                    response = await client.post("/api/v1/requests", json=complaint(code))
                except httpx.HTTPError as exc:
                    outcomes.append(Outcome(started, None, error=type(exc).__name__))
                    await asyncio.sleep(0.05)
                    continue
                body = response.json()
                outcomes.append(
                    Outcome(
                        started,
                        response.status_code,
                        code=body.get("code"),
                        content_type=response.headers.get("content-type"),
                        retry_after=response.headers.get("retry-after"),
                        tracking_number=body.get("tracking_number"),
                        access_token=body.get("access_token"),
                    )
                )
                if response.status_code >= 400:
                    await asyncio.sleep(0.05)  # as a client told to come back would

    def count(phase: str, status: int | None) -> int:
        return sum(1 for o in outcomes if o.phase == phase and o.status == status)

    reads: dict[str, httpx.Response] = {}

    async def read(when: str) -> None:
        """The tracked read (its own pool of connections, on the driver) of a request filed
        before the outage."""
        filed = next(o for o in outcomes if o.phase == "before" and o.status == 201)
        async with httpx.AsyncClient(base_url=api.url, timeout=CLIENT_TIMEOUT) as client:
            reads[when] = await client.get(
                f"/api/v1/requests/{filed.tracking_number}",
                headers={"Authorization": f"Bearer {filed.access_token}"},
            )

    try:
        await asyncio.to_thread(api.wait_ready)
        writers = [asyncio.create_task(writer()) for _ in range(WRITERS)]
        try:
            await until(lambda: count("before", 201) >= 2 * WRITERS, "submissions before")
            await read("before")
            phase = "outage"
            await asyncio.to_thread(own_postgres.stop)
            await until(lambda: count("outage", 503) >= 2 * WRITERS, "503s during the outage")
            await read("outage")
            phase = "restarted"
            await asyncio.to_thread(own_postgres.start)
            await until(lambda: count("restarted", 201) >= WRITERS, "service resumed")
            await read("restarted")
        finally:
            stop.set()
            await asyncio.gather(*writers)
    finally:
        api.stop()

    # The reads' pool too: a 503 problem while the server is down, its connections renewed
    # once it is back.
    assert reads["before"].status_code == 200, reads["before"].text
    outage = reads["outage"]
    assert outage.status_code == 503, outage.text
    assert outage.headers["content-type"] == "application/problem+json"
    assert outage.headers["retry-after"].isdigit()
    assert reads["restarted"].status_code == 200, reads["restarted"].text
    assert reads["restarted"].json() == reads["before"].json()
    # Never a hang, never a dropped connection, never a 500: a 201 or a 503 problem.
    assert [o for o in outcomes if o.status is None] == []
    assert {o.status for o in outcomes} <= {201, 503}, api.output()[-5000:]
    for outage in (o for o in outcomes if o.status == 503):
        assert outage.content_type == "application/problem+json"
        assert outage.code == "service_unavailable"
        assert outage.retry_after is not None
        assert outage.retry_after.isdigit()
    # Every acknowledged submission is there.
    acknowledged = {o.tracking_number for o in outcomes if o.status == 201}
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        stored = set((await conn.execute(select(Request.tracking_number))).scalars())
    await engine.dispose()
    assert acknowledged <= stored
    assert len(acknowledged) >= 3 * WRITERS


@pytest.fixture
async def shared_url(server_url: str):
    async with own_database(server_url, "chikaya_processes") as url:
        yield url


async def test_two_api_processes_and_a_worker_keep_every_invariant(shared_url, tmp_path):
    code = await _administration(shared_url)
    smtp = SmtpServer(free_port()).start()
    env = app_environment(
        shared_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        OUTBOX_POLL_SECONDS="0.2",
        DISPATCHER_IN_API="true",  # three dispatchers compete for the same outbox
    )
    apis = [Api(env, tmp_path / f"api{i}.log") for i in range(2)]
    dispatcher = worker(env, tmp_path / "worker.log")
    try:
        for api in apis:
            await asyncio.to_thread(api.wait_ready)
        clients = [httpx.AsyncClient(base_url=api.url, timeout=CLIENT_TIMEOUT) for api in apis]
        try:
            # Each key is sent to both processes at once, several times: one request per key.
            keys = [f"5f0c7a0e-0000-4000-8000-{n:012d}" for n in range(12)]
            sends = [
                client.post(
                    "/api/v1/requests",
                    json=complaint(code, complainant={"full_name": "Nadia", "email": f"c{n}@x.ma"}),
                    headers={"Idempotency-Key": key},
                )
                for n, key in enumerate(keys)
                for client in clients * 2
            ]
            responses = await asyncio.gather(*sends)
            retry = [
                (n, key)
                for (n, key), response in zip(
                    [(n, key) for n, key in enumerate(keys) for _ in range(4)],
                    responses,
                    strict=True,
                )
                if response.status_code == 409
            ]
            refused = [(r.status_code, r.text[:300]) for r in responses]
            assert {r.status_code for r in responses} <= {201, 409}, refused
            # A 409 says "in progress, retry": once the first finished, a retry gets its answer.
            for n, key in retry:
                again = await clients[n % 2].post(
                    "/api/v1/requests",
                    json=complaint(code, complainant={"full_name": "Nadia", "email": f"c{n}@x.ma"}),
                    headers={"Idempotency-Key": key},
                )
                assert again.status_code == 201, again.text
                responses.append(again)
            numbers_by_key: dict[str, set[str]] = {}
            for key, response in zip(
                [key for key in keys for _ in range(4)] + [key for _n, key in retry],
                responses,
                strict=True,
            ):
                if response.status_code == 201:
                    numbers_by_key.setdefault(key, set()).add(response.json()["tracking_number"])
            assert all(len(numbers) == 1 for numbers in numbers_by_key.values())
            assert set(numbers_by_key) == set(keys)
        finally:
            for client in clients:
                await client.aclose()

        engine = create_async_engine(shared_url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                filed = (await conn.execute(text("SELECT count(*) FROM requests"))).scalar_one()
                assert filed == len(keys)

            async def outbox() -> list[OutboxMessage]:
                async with async_sessionmaker(engine)() as session:
                    return list((await session.scalars(select(OutboxMessage))).all())

            # Every message leaves, once, whichever of the three dispatchers sends it.
            deadline = time.monotonic() + PATIENCE
            while True:
                messages = await outbox()
                emails = [m for m in messages if m.channel == "email"]
                if emails and all(m.status == "sent" for m in emails):
                    break
                assert time.monotonic() < deadline, "the outbox never drained"
                await asyncio.sleep(0.2)
        finally:
            await engine.dispose()
        ids = [m["Message-ID"] for m in smtp.messages]
        assert len(ids) == len(set(ids)), "a message was sent twice"
        assert len(ids) == len(emails)
        assert all(m.attempts == 1 for m in emails)
    finally:
        for api in apis:
            api.stop()
        dispatcher.stop()
        smtp.stop()
    assert "Traceback" not in "".join(p.output() for p in [*apis, dispatcher])


async def test_a_pool_with_no_free_connection_answers_503_after_its_timeout(database_url, settings):
    crowded = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 0.5}
    )
    engine = create_engine(database_url, crowded)
    app = create_app(settings=crowded, sessionmaker=create_sessionmaker(engine))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with engine.connect() as held:  # the only connection, held (a stalled upload)
            await held.execute(text("SELECT 1"))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.get("/api/v1/administrations")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "service_unavailable"
        assert response.headers["Retry-After"].isdigit()
    finally:
        await engine.dispose()


async def test_a_statement_the_database_refuses_is_still_a_bug(session):
    with pytest.raises(DBAPIError) as caught:
        await session.execute(text("SELECT 1 / 0"))
    assert not database_unavailable(caught.value)
    await session.rollback()
    with pytest.raises(DBAPIError) as caught:
        await session.execute(text("SELECT * FROM no_such_table"))
    assert not database_unavailable(caught.value)
    await session.rollback()


def test_connection_failures_are_outages():
    assert database_unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert database_unavailable(TimeoutError())
    wrapped = RuntimeError("while connecting")
    wrapped.__cause__ = ConnectionResetError()
    assert database_unavailable(wrapped)
    assert not database_unavailable(ValueError("a bug"))
    assert not database_unavailable(FileNotFoundError("a missing file is not an outage"))


async def test_the_document_says_which_operations_may_answer_503(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    submit = paths["/api/v1/requests"]["post"]["responses"]["503"]
    assert "Retry-After" in submit["headers"]
    assert "application/problem+json" in submit["content"]
    assert "503" in paths["/open311/v2/requests.{fmt}"]["get"]["responses"]
    assert "503" not in paths["/healthz"]["get"]["responses"]  # never touches the database
