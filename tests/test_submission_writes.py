"""What a submission writes, written in as few round trips as its invariants allow."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select, text

from app.models import Request
from app.models.enums import Role
from app.models.outbox import OutboxMessage, Webhook
from app.services import clock, tracking_numbers
from tests.factories import (
    complaint,
    file,
    filed_count,
    make_administration,
    make_staff,
    written_out,
)
from tests.statements import recorded


async def test_a_tracking_number_already_taken_is_drawn_again(client, session, monkeypatch):
    admin = await make_administration(session)
    first = await file(client, complaint(admin.code))
    fresh = tracking_numbers.generate()
    draws = iter([first["tracking_number"], fresh])
    monkeypatch.setattr(tracking_numbers, "generate", lambda: next(draws))

    second = await file(client, complaint(admin.code))

    assert second["tracking_number"] == fresh
    numbers = await session.scalar(
        select(func.count()).select_from(Request).where(Request.administration_id == admin.id)
    )
    assert numbers == 2
    # The token answered opens the new request, not the one whose number was drawn first.
    mine = await client.get(f"/api/v1/requests/{second['tracking_number']}", headers=second["auth"])
    assert mine.status_code == 200
    other = await client.get(f"/api/v1/requests/{first['tracking_number']}", headers=second["auth"])
    assert other.status_code == 404


async def test_a_submission_reads_nothing_it_already_knows(client, session, engine):
    """No re-select of the id just inserted: one insert, whose RETURNING gives the id."""
    admin = await make_administration(session)
    await file(client, complaint(admin.code))  # the catalogue is read once, then kept
    with recorded(engine.sync_engine) as sent:
        await file(client, complaint(admin.code))
    text = "\n".join(sent)
    assert "SELECT requests.id" not in text
    inserts = [s for s in sent if "INSERT INTO requests " in s]
    assert len(inserts) == 1
    # The submission's event rides in the same statement, not in a round trip of its own.
    assert "INSERT INTO request_events " in inserts[0]
    assert not [s for s in sent if "INSERT INTO request_events " in s and s is not inserts[0]]


CONTACTS = {"full_name": "Amina B.", "email": "amina@example.ma", "phone": "0612345678"}


async def test_a_submission_writes_its_messages_in_its_own_insert(
    client, session, settings, engine
):
    """The acknowledgement, the supervisors' notice and the webhooks' deliveries are written by
    the request's insert itself, as one fan-out: no statement of their own writes them, and the
    supervisors and webhooks are not read at filing but found when the dispatcher writes the
    fan-out out, each message in a row of its own."""
    admin = await make_administration(session)
    supervisor, _ = await make_staff(session, settings, Role.supervisor, admin)
    gone, _ = await make_staff(session, settings, Role.supervisor, admin)
    gone.active = False
    await make_staff(session, settings, Role.agent, admin)
    other = await make_administration(session)
    await make_staff(session, settings, Role.supervisor, other)
    hooks = {
        "created": Webhook(administration_id=admin.id, events=["request.created"]),
        "changes_only": Webhook(administration_id=admin.id, events=["request.state_changed"]),
        "inactive": Webhook(administration_id=admin.id, events=["request.created"], active=False),
        "elsewhere": Webhook(administration_id=other.id, events=["request.created"]),
    }
    for name, hook in hooks.items():
        hook.url, hook.secret, hook.created_at = (
            f"https://{name}.example.ma/h",
            "s" * 32,
            clock.now(),
        )
        hook.active = hook.active is not False
        session.add(hook)
    await session.flush()
    await file(client, complaint(admin.code))  # the catalogue is read once, then kept
    with recorded(engine.sync_engine) as sent:
        created = await file(client, complaint(admin.code, complainant=CONTACTS))
    # The request, its event, its messages, its statistics slot and the anonymous ceilings'
    # counters (the submission's and each acknowledgement's) in one statement, besides the
    # catalogue cache's version check (the tests' settings check at every use); no
    # transaction of the app's (no savepoint inside the test's).
    own = [s for s in sent if "catalogue_changes" not in s]
    assert len(own) == 1, own
    assert "INSERT INTO request_stats" in own[0]
    assert own[0].count("INSERT INTO throttle_counters") == 3
    assert not [s for s in sent if "SAVEPOINT" in s]
    outbox = [s for s in sent if "INSERT INTO outbox" in s]
    assert len(outbox) == 1
    assert "INSERT INTO requests " in outbox[0]
    assert not [s for s in sent if "FROM users" in s or "FROM webhooks" in s]

    request_id = await session.scalar(
        select(Request.id).where(Request.tracking_number == created["tracking_number"])
    )
    await written_out(session)
    rows = (
        await session.execute(
            select(OutboxMessage.channel, OutboxMessage.event, OutboxMessage.recipient)
            .where(OutboxMessage.request_id == request_id)
            .order_by(OutboxMessage.id)
        )
    ).all()
    assert sorted(rows) == sorted(
        [
            ("fanout", "filing", ""),
            ("email", "acknowledgement", "amina@example.ma"),
            ("sms", "acknowledgement", "+212612345678"),
            ("email", "new_request", supervisor.email),
            ("webhook", "request.created", "https://created.example.ma/h"),
        ]
    )


async def test_the_compiled_insert_writes_what_its_statement_writes(
    client, session, settings, monkeypatch
):
    """The insert runs as SQL compiled once: every row it writes (the request, its event, its
    messages, its statistics) is what the statement run by SQLAlchemy writes with the same
    parameters (JSON's None included: 'null', not NULL)."""
    from sqlalchemy import text

    from app.repositories import driver
    from app.repositories import requests as repository

    admin = await make_administration(session)
    await make_staff(session, settings, Role.supervisor, admin)
    given: list[tuple[object, dict]] = []
    arguments = driver.Compiled.arguments
    shapes = {id(compiled): shape for shape, compiled in repository.INSERT_NEW.items()}

    def spy(self, params):
        if id(self) in shapes:
            given.append((shapes[id(self)], dict(params)))
        return arguments(self, params)

    monkeypatch.setattr(driver.Compiled, "arguments", spy)
    body = complaint(admin.code, complainant=CONTACTS, location={"lat": 33.5, "long": -7.6})
    compiled = await file(client, body)
    shape, params = given[0]
    twin = {
        **params,
        "tracking_number": tracking_numbers.generate(),
        "receipt_code": tracking_numbers.receipt_code(),
        "public_id": tracking_numbers.public_id(),
    }
    connection = await session.connection()
    statement = repository._insert_new(shape)
    twin_id = (await connection.execute(statement, twin)).scalar_one()
    compiled_id = await session.scalar(
        select(Request.id).where(Request.tracking_number == compiled["tracking_number"])
    )

    async def rows(table: str, key: str, request_id: int, leave_out: str) -> list[dict]:
        found = await connection.execute(
            text(f"SELECT to_jsonb(t) - ARRAY[{leave_out}] FROM {table} t WHERE {key} = :id"),
            {"id": request_id},
        )
        return sorted((row[0] for row in found), key=str)

    mine = "'id', 'tracking_number', 'receipt_code', 'public_id', 'search_text', 'search_vector'"
    other = "'id', 'request_id', 'message_id'"
    for table, key, leave_out in (
        ("requests", "id", mine),
        ("request_events", "request_id", other),
        ("outbox", "request_id", other),  # its fan-out, payload included
    ):
        assert await rows(table, key, compiled_id, leave_out) == await rows(
            table, key, twin_id, leave_out
        ), table
    payloads = text("SELECT channel, jsonb_typeof(payload) FROM outbox WHERE request_id = :id")
    assert (await connection.execute(payloads, {"id": compiled_id})).all() == [("fanout", "object")]
    nulls = text("SELECT rating_dimensions IS NULL, attributes FROM requests WHERE id = :id")
    assert (await connection.execute(nulls, {"id": compiled_id})).one() == (
        await connection.execute(nulls, {"id": twin_id})
    ).one()
    received = await session.scalar(
        text("SELECT sum(received) FROM request_stats WHERE administration_id = :a"),
        {"a": admin.id},
    )
    assert received == 2


async def _filed_watched(live, client, body, **headers):
    """File `body`, watching the app's engine: the answer, every statement sent while filing,
    and every transaction begun (`BEGIN`)."""
    engine = live.sessionmaker.kw["bind"].sync_engine
    began: list[str] = []

    def begin(*_: object) -> None:
        began.append("BEGIN")

    event.listen(engine, "begin", begin)
    try:
        with recorded(engine) as sent:
            created = await file(client, body, **headers)
    finally:
        event.remove(engine, "begin", begin)
    return created, sent, began


async def test_an_ordinary_submission_is_one_statement_in_no_transaction(live, settings):
    """With the anonymous ceilings on (their defaults), a citizen's submission with an email
    and a phone is one statement, run on its own: no BEGIN and no COMMIT round trip (one
    statement is atomic). The 201 leaves once it is committed: another connection reads it."""
    assert settings.submissions_per_client_per_hour > 0
    assert settings.acknowledgements_per_recipient_per_day > 0
    cached = settings.model_copy(update={"catalogue_refresh_seconds": 3600.0})
    async with live.client_for(cached) as client:
        await file(client, complaint(live.administration.code))  # the catalogue, then kept
        body = complaint(live.administration.code, complainant=CONTACTS)
        created, sent, began = await _filed_watched(live, client, body)
    assert len(sent) == 1, sent
    assert "INSERT INTO requests " in sent[0]
    assert "INSERT INTO throttle_counters" in sent[0]
    assert began == []
    async with live.sessionmaker() as session:
        number = created["tracking_number"]
        stored = await session.scalar(select(Request.id).where(Request.tracking_number == number))
        await written_out(session)
        messages = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.request_id == stored, OutboxMessage.channel != "fanout")
        )
    assert stored is not None
    assert messages == 3  # the email, the SMS, the supervisor's notice


async def test_a_submission_with_a_key_claims_and_records_it_in_its_one_statement(live, settings):
    """The apps send an `Idempotency-Key` with every submission: its lock, its record (the
    answer, known before the insert) and the filing are still one statement, no BEGIN; a
    retry with the key replays that record, another body with it is refused."""
    cached = settings.model_copy(update={"catalogue_refresh_seconds": 3600.0})
    key = {"Idempotency-Key": "7d1c1a52-0000-4000-8000-0000000000a1"}
    body = complaint(live.administration.code, complainant=CONTACTS)
    async with live.client_for(cached) as client:
        await file(client, complaint(live.administration.code))  # the catalogue, then kept
        created, sent, began = await _filed_watched(live, client, body, **key)
        assert len(sent) == 1, sent
        assert "INSERT INTO idempotency_records" in sent[0]
        assert "pg_try_advisory_xact_lock" in sent[0]
        assert began == []
        retry = await client.post("/api/v1/requests", json=body, headers=key)
        other = await client.post(
            "/api/v1/requests", json={**body, "subject": "Autre chose"}, headers=key
        )
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["tracking_number"] == created["tracking_number"]
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    filed = await filed_count(live.sessionmaker, live.administration.id)
    assert filed == 2  # the catalogue's warm-up and the keyed one


@pytest.mark.parametrize("caller", ["anonymous", "operator"])
async def test_a_key_recorded_by_another_statement_meanwhile_undoes_the_filing(
    live, engine, settings, caller
):
    """Between the statement's snapshot (no record of the key) and its own record, another
    writer records the key (without its lock): the statement fails whole, its request with
    it, and the retry is answered from that record, as a replay. Anonymous, the statement
    runs on the driver on its own; an operator's runs in the session's transaction (opened by
    the look-up of the operator's account), which must outlive the failed statement."""
    from app.models.support import IdempotencyRecord
    from app.schemas.requests import RequestIn
    from app.services import clock, idempotency

    first = await file(live.client, complaint(live.administration.code))
    answer = {k: v for k, v in first.items() if k not in ("access_token", "expires_in", "auth")}
    key = f"7d1c1a52-0000-4000-8000-0000000000a{len(caller)}"
    body = complaint(live.administration.code)
    headers = {"Idempotency-Key": key}
    scope = "public"
    if caller == "operator":
        async with live.sessionmaker() as session:
            operator, authorization = await make_staff(session, settings, Role.operator)
            await session.commit()
        headers |= authorization
        scope = f"user:{operator.id}"
        body["channel"] = "call_center"
    parsed = RequestIn.model_validate(body)  # what the app hashes: the body as it reads it
    sent = live.client.post("/api/v1/requests", json=body, headers=headers)
    watching = engine.execution_options(isolation_level="AUTOCOMMIT")  # a fresh view each time
    async with engine.connect() as writer, watching.connect() as watcher:
        transaction = await writer.begin()
        await writer.execute(
            insert(IdempotencyRecord).values(
                scope=f"{scope}:POST /api/v1/requests",
                key=key,
                request_hash=idempotency.body_hash(parsed.model_dump(mode="json")),
                status_code=201,
                body=answer,
                headers={"Location": f"/api/v1/requests/{first['tracking_number']}"},
                expires_at=clock.now() + timedelta(hours=24),
                created_at=clock.now(),
            )
        )
        posted = asyncio.create_task(sent)
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE '%idempotency_records%'"
        )
        for _ in range(400):  # the statement waits on the uncommitted record
            if await watcher.scalar(waiting):
                break
            await asyncio.sleep(0.025)
        else:
            raise AssertionError("the submission never met the record")
        await transaction.commit()
        response = await posted
    assert response.status_code == 201, response.text
    assert response.headers["Idempotent-Replayed"] == "true"
    assert response.json()["tracking_number"] == first["tracking_number"]
    filed = await filed_count(live.sessionmaker, live.administration.id)
    assert filed == 1


async def test_a_tracking_number_drawn_again_records_the_new_one_for_the_key(
    client, session, monkeypatch
):
    """The key's record quotes the tracking number drawn: one already taken records nothing,
    and the retry replays the request filed under the number drawn next."""
    admin = await make_administration(session)
    first = await file(client, complaint(admin.code))
    fresh = tracking_numbers.generate()
    draws = iter([first["tracking_number"], fresh])
    monkeypatch.setattr(tracking_numbers, "generate", lambda: next(draws))
    key = {"Idempotency-Key": "7d1c1a52-0000-4000-8000-0000000000a3"}
    body = complaint(admin.code, subject="Deuxième")
    second = await file(client, body, **key)
    monkeypatch.undo()
    assert second["tracking_number"] == fresh
    retry = await client.post("/api/v1/requests", json=body, headers=key)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["tracking_number"] == fresh
