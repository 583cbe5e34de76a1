"""Law 09-08 (issue 11): the retention purge and the privacy notice.

The purge runs on the real database and the real document storage, at instants moved by the
`frozen_clock` fixture (in-process) or given with `--at` (the command, a process of its own).
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
from sqlalchemy import func, select, text, update

from app.errors import AlreadyAnonymized, RetentionRunning
from app.main import create_app
from app.models.attachment import Attachment
from app.models.enums import Role
from app.models.outbox import OutboxMessage
from app.models.request import Message, Request, RequestEvent
from app.services import clock, privacy
from app.services.search import search_text
from app.tasks import run_due_work
from tests import documents
from tests.factories import (
    ATTRIBUTES,
    act,
    complaint,
    file,
    indexed_as_postgresql_parses,
    make_administration,
    make_staff,
    pdf,
    upload,
    written_out,
)
from tests.processes import assert_refuses_bad_instants, run_command

# The policy number is marked personal; the accused's national id is personal by its type.
PERSONAL_ATTRIBUTES = [{**ATTRIBUTES[0], "personal": True}, *ATTRIBUTES[1:]]
SECRETS = (
    "Fatima",
    "El Idrissi",
    "example.ma",
    "0612345678",
    "612345678",
    "AB123456",
    "POL-123",
    "Indemnisation",
    "assureur",
    "Mohammed V",
    "constat",
    "Lent",
    "Joignez",
)


async def _request(session, number: str) -> Request:
    stmt = select(Request).where(Request.tracking_number == number)
    return (await session.scalars(stmt.execution_options(populate_existing=True))).one()


async def _anonymize_events(session, request_id: int) -> int:
    stmt = select(func.count()).where(
        RequestEvent.request_id == request_id, RequestEvent.action == "anonymize"
    )
    return int((await session.scalar(stmt)) or 0)


async def _closed_case(client, session, settings, admin, staff, **overrides) -> dict:
    """A complaint with every kind of personal data, worked, answered, rated and closed."""
    body = complaint(
        admin.code,
        attributes={"policy_number": "POL-123", "branch": "auto", "accused_id": "AB123456"},
        complainant={
            "full_name": "Fatima Zahra El Idrissi",
            "email": "Fatima@Example.ma",
            "phone": "0612345678",
            "national_id": "AB123456",
        },
        location={"address": "Avenue Mohammed V, Rabat", "lat": 34.0209, "long": -6.8416},
        **overrides,
    )
    created = await file(client, body)
    number, citizen = created["tracking_number"], created["auth"]
    uploaded = await upload(client, number, citizen, pdf("constat-fatima.pdf"))
    assert uploaded.status_code == 201, uploaded.text
    assert (await act(client, number, "start", staff)).status_code == 200
    asked = await act(client, number, "request_info", staff, message="Joignez le constat.")
    assert asked.status_code == 200
    reply = await client.post(
        f"/api/v1/requests/{number}/messages", json={"body": "Voici le constat."}, headers=citizen
    )
    assert reply.status_code == 201, reply.text
    assert (await act(client, number, "note", staff, message="Fatima a appelé.")).status_code == 200
    answer = await act(client, number, "answer", staff, message="Votre dossier est réglé.")
    assert answer.status_code == 200
    rated = await client.put(
        f"/api/v1/requests/{number}/rating", json={"score": 4, "comment": "Lent"}, headers=citizen
    )
    assert rated.status_code == 200, rated.text
    closed = await client.post(f"/api/v1/requests/{number}/close", json={}, headers=citizen)
    assert closed.json()["state"] == "closed"
    return created


async def test_purge_removes_personal_data_past_retention_and_nothing_else(
    client, session, sessionmaker, settings, frozen_clock
):
    admin = await make_administration(session, attributes=PERSONAL_ATTRIBUTES)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    old = await _closed_case(client, session, settings, admin, staff)
    number = old["tracking_number"]
    # One acknowledgement went out; the others still wait: both kinds must lose the data.
    request = await _request(session, number)
    await written_out(session)  # the filing's messages, out of its fan-out (sent: a trace)
    first = await session.scalar(
        select(func.min(OutboxMessage.id)).where(
            OutboxMessage.request_id == request.id, OutboxMessage.channel != "fanout"
        )
    )
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == first).values(status="sent")
    )
    await session.flush()
    key = await session.scalar(
        select(Attachment.storage_key).where(Attachment.request_id == request.id)
    )
    document = settings.attachments_dir / key[:2] / key
    assert document.read_bytes() == documents.pdf()

    # Closed two days later: at the purge instant, one day short of its retention.
    frozen_clock.advance(days=2)
    recent = await _closed_case(client, session, settings, admin, staff)
    # Never closed: never touched, however old.
    open_one = await file(client, complaint(admin.code))

    code = await session.scalar(
        text("SELECT receipt_code FROM requests WHERE tracking_number = :n"), {"n": number}
    )
    stats_before = (await client.get(f"/api/v1/statistics?administration={admin.code}")).json()

    retention = settings.retention_days_after_close
    # Exactly at the end of the retention of the first one: not yet ("more than" the period).
    frozen_clock.moment = request.closed_at + timedelta(days=retention)
    assert await privacy.purge(sessionmaker, settings, clock.now()) == 0
    frozen_clock.advance(days=1)  # now past the first one's retention, not the second's
    at = clock.now()
    assert await privacy.purge(sessionmaker, settings, at) == 1

    gone = await _request(session, number)
    assert gone.anonymized_at == at
    assert (gone.full_name, gone.subject, gone.description) == ("", "", "")
    assert gone.email is gone.phone is gone.national_id is gone.organization_name is None
    assert gone.address is gone.latitude is gone.longitude is None
    assert gone.rating_comment is None
    assert gone.attributes == {"branch": "auto"}
    assert gone.search_text == search_text(gone)  # what a reindex would write
    await indexed_as_postgresql_parses(session, number)
    # The non-personal facts stay.
    assert (gone.state, gone.kind, gone.rating_score) == ("closed", "complaint", 4)
    assert gone.administration_id == admin.id
    assert gone.closed_at is not None
    bodies = (
        await session.scalars(select(Message.body).where(Message.request_id == gone.id))
    ).all()
    assert bodies
    assert set(bodies) == {""}
    events = (
        await session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == gone.id).order_by(RequestEvent.id)
        )
    ).all()
    assert all(e.note is None for e in events)
    assert events[-1].action == "anonymize"
    assert events[-1].actor_role == "system"
    assert events[-1].from_state == events[-1].to_state == "closed"
    assert events[-1].data["documents_deleted"] == 1
    outbox = (
        await session.scalars(select(OutboxMessage).where(OutboxMessage.request_id == gone.id))
    ).all()
    assert sorted((m.channel, m.status, m.payload, m.recipient) for m in outbox) == [
        ("email", "sent", {}, ""),
        ("fanout", "sent", {}, ""),
    ]
    assert (await session.scalar(select(func.count()).where(Attachment.request_id == gone.id))) == 0
    assert not document.exists()
    row = (
        (await session.execute(text("SELECT * FROM requests WHERE id = :i"), {"i": gone.id}))
        .mappings()
        .one()
    )
    flat = " ".join(str(v) for v in row.values())
    for secret in SECRETS:
        assert secret.lower() not in flat.lower(), secret

    # Statistics and the receipt check are untouched.
    assert (
        await client.get(f"/api/v1/statistics?administration={admin.code}")
    ).json() == stats_before
    check = await client.get(f"/api/v1/receipts/{code}")
    assert check.status_code == 200
    assert check.json()["valid"] is True
    assert check.json()["tracking_number"] == number

    # The other two are intact.
    kept = await _request(session, recent["tracking_number"])
    assert kept.anonymized_at is None
    assert kept.full_name == "Fatima Zahra El Idrissi"
    assert kept.attributes["policy_number"] == "POL-123"
    assert (await session.scalar(select(func.count()).where(Attachment.request_id == kept.id))) == 1
    untouched = await _request(session, open_one["tracking_number"])
    assert untouched.anonymized_at is None
    assert untouched.email == "Fatima@example.ma"

    # Idempotent: a second run, even much later for the first one, changes nothing.
    version = gone.version
    assert await privacy.purge(sessionmaker, settings, at) == 0
    again = await _request(session, number)
    assert again.version == version
    assert await _anonymize_events(session, gone.id) == 1
    # Staff still open it (what is left of it), with the event in its history; no 500.
    _agent, fresh = await make_staff(session, settings, Role.agent, admin)
    view = await client.get(
        f"/api/v1/requests/{number}", headers={**fresh, "Accept-Language": "fr"}
    )
    assert view.status_code == 200, view.text
    assert view.json()["history"][-1]["action"] == "anonymize"
    for secret in SECRETS:
        assert secret.lower() not in view.text.lower(), secret
    queue = await client.get("/api/v1/backoffice/requests?state=closed", headers=fresh)
    assert queue.status_code == 200, queue.text
    assert "anonymize" in (await client.get("/api/v1/lifecycle")).text


async def test_the_lifecycle_refuses_an_early_or_second_anonymization(
    client, session, settings, frozen_clock
):
    admin = await make_administration(session)
    _agent, _staff = await make_staff(session, settings, Role.agent, admin)
    created = await file(client, complaint(admin.code))
    closed = await client.post(
        f"/api/v1/requests/{created['tracking_number']}/close", json={}, headers=created["auth"]
    )
    assert closed.status_code == 200
    request = await _request(session, created["tracking_number"])
    with pytest.raises(RetentionRunning):
        await privacy.anonymize(session, request, settings, clock.now())
    later = frozen_clock.advance(days=settings.retention_days_after_close + 1)
    await privacy.anonymize(session, request, settings, later)
    with pytest.raises(AlreadyAnonymized):
        await privacy.anonymize(session, request, settings, later)


async def test_the_periodic_task_anonymizes_a_rejected_request_too(
    client, session, sessionmaker, settings, frozen_clock
):
    admin = await make_administration(session)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    rejected = await act(
        client, number, "reject", staff, reason_code="out_of_scope", message="Hors compétence."
    )
    assert rejected.status_code == 200, rejected.text
    frozen_clock.advance(days=settings.retention_days_after_close + 1)
    await run_due_work(sessionmaker, settings)  # the periodic task of every API process
    request = await _request(session, number)
    assert request.state == "rejected"
    assert request.rejection_reason == "out_of_scope"
    assert request.email is None
    assert request.anonymized_at is not None


# --- two workers at once, on committed data


async def test_two_workers_share_the_purge_without_doing_anything_twice(live, settings):
    numbers = []
    for _ in range(5):
        created = await file(live.client, complaint(live.administration.code))
        closed = await live.client.post(
            f"/api/v1/requests/{created['tracking_number']}/close", json={}, headers=created["auth"]
        )
        assert closed.status_code == 200
        numbers.append(created["tracking_number"])
    later = clock.now() + timedelta(days=settings.retention_days_after_close + 1)
    done = await asyncio.gather(
        privacy.purge(live.sessionmaker, settings, later, size=2),
        privacy.purge(live.sessionmaker, settings, later, size=2),
    )
    assert sum(done) >= 5  # other tests' leftovers may be purged too, never twice
    async with live.sessionmaker() as session:
        for number in numbers:
            request = await _request(session, number)
            assert request.anonymized_at is not None
            assert await _anonymize_events(session, request.id) == 1


# --- the command


def _cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command(database_url, "privacy", "purge", *args, **env)


async def test_the_command_purges_as_of_an_instant(live, database_url, settings):
    created = await file(live.client, complaint(live.administration.code))
    number = created["tracking_number"]
    closed = await live.client.post(
        f"/api/v1/requests/{number}/close", json={}, headers=created["auth"]
    )
    assert closed.status_code == 200
    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assert _cli(database_url, "--at", soon).returncode == 0
    async with live.sessionmaker() as session:
        assert (await _request(session, number)).anonymized_at is None
    years = datetime.now(UTC) + timedelta(days=settings.retention_days_after_close + 1)
    done = _cli(database_url, "--at", years.strftime("%Y-%m-%dT%H:%M:%S"))  # no offset: UTC
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("anonymized ")
    async with live.sessionmaker() as session:
        request = await _request(session, number)
        assert request.anonymized_at is not None
        assert request.full_name == ""
    assert _cli(database_url, "--at", years.isoformat()).stdout.strip() == "anonymized 0 requests"


def test_production_refuses_an_instant_in_the_future(database_url):
    future = (datetime.now(UTC) + timedelta(days=3650)).isoformat()
    assert_refuses_bad_instants(partial(_cli, database_url), future, "five years from now")


# --- the notice


@pytest.mark.parametrize(
    ("language", "word"),
    [("ar", "09.08"), ("fr", "Loi 09-08"), ("en", "Law 09-08")],
)
async def test_the_notice_in_each_language(client, settings, language, word):
    response = await client.get("/api/v1/privacy", headers={"Accept-Language": language})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert "accept-language" in response.headers["vary"].lower()
    assert response.headers["content-language"] == language
    body = response.json()
    assert body["language"] == language
    assert word in body["legal_basis"][0]["text"]
    assert [b["reference"] for b in body["legal_basis"]] == [
        "law 09-08",
        "decree 2-17-265",
        "law 31-13",
    ]
    assert body["retention"]["days_after_close"] == settings.retention_days_after_close
    assert str(settings.retention_days_after_close) in body["retention"]["text"]
    assert [r["right"] for r in body["rights"]] == ["access", "rectification", "objection"]
    assert "GET /api/v1/citizens/me/export" in body["rights"][0]["endpoints"]
    assert settings.privacy_contact_email in body["how_to_exercise"]
    assert len(body["recipients"]) == 3
    assert len(body["purposes"]) == 3
    assert body["controller"]["name"]


async def test_the_notice_follows_the_settings(sessionmaker, settings):
    custom = settings.model_copy(
        update={
            "retention_days_after_close": 3650,
            "cndp_declaration": "D-GC-123/2026",
            "privacy_controller": "Opérateur du portail",
            "privacy_postal_address": "BP 1000, Rabat",
        }
    )
    app = create_app(settings=custom, sessionmaker=sessionmaker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = (await client.get("/api/v1/privacy", headers={"Accept-Language": "fr"})).json()
    assert body["cndp_declaration"] == "D-GC-123/2026"
    assert body["controller"]["name"] == "Opérateur du portail"
    assert body["controller"]["postal_address"] == "BP 1000, Rabat"
    assert "BP 1000, Rabat" in body["how_to_exercise"]
    assert body["retention"]["days_after_close"] == 3650
    assert "3650" in body["retention"]["text"]


async def test_services_and_submissions_point_to_the_notice(client, session):
    admin = await make_administration(session, attributes=PERSONAL_ATTRIBUTES)
    services = (await client.get(f"/api/v1/administrations/{admin.code}/services")).json()
    assert {s["privacy_notice"] for s in services} == {"/api/v1/privacy"}
    [svc] = [s for s in services if s["code"] == "svc"]
    personal = {a["code"]: a["personal"] for a in svc["attributes"]}
    assert personal["policy_number"] is True
    assert personal["branch"] is False
    created = await file(client, complaint(admin.code))
    assert created["privacy_notice"] == "/api/v1/privacy"
    assert (await client.get(created["privacy_notice"])).status_code == 200


async def test_the_sample_catalogue_marks_personal_attributes(client):
    services = (await client.get("/api/v1/administrations/PMP/services")).json()
    marked = {a["code"] for s in services for a in s["attributes"] if a["personal"]}
    assert {"accused_full_name", "accused_national_id", "accused_address"} <= marked
    insurance = (await client.get("/api/v1/administrations/ACAPS/services")).json()
    flags = {a["code"]: a["personal"] for s in insurance for a in s["attributes"]}
    assert flags["policy_number"] is True
    assert flags["branch"] is False
