"""Anonymous abuse has a ceiling shared by every API process: submissions per client address and
hour (429 past it, unless the person solves a proof-of-work challenge), acknowledgements per
recipient and day (past it the request is filed, only the acknowledgement is skipped)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from app.config import Settings
from app.models import OutboxMessage, Request, ThrottleCounter
from app.models.enums import Role
from app.services import api_keys, throttle, tracking_numbers
from tests.factories import complaint, filed_count, make_administration, make_staff, written_out

CEILING = 20  # the default of SUBMISSIONS_PER_CLIENT_PER_HOUR


@pytest.fixture
def small_work(settings: Settings) -> Settings:
    """The test settings with a proof of work quick to brute-force."""
    return settings.model_copy(update={"challenge_max_number": 2000})


@pytest.fixture
def client_settings(small_work: Settings) -> Settings:
    return small_work


def solve(challenge: dict[str, Any]) -> str:
    """Brute-force the number like the ALTCHA widget does; the `X-Altcha` header value."""
    assert challenge["algorithm"] == "SHA-256"
    for number in range(challenge["maxnumber"] + 1):
        digest = hashlib.sha256(f"{challenge['salt']}{number}".encode()).hexdigest()
        if digest == challenge["challenge"]:
            solution = {
                "algorithm": challenge["algorithm"],
                "challenge": challenge["challenge"],
                "number": number,
                "salt": challenge["salt"],
                "signature": challenge["signature"],
            }
            return base64.b64encode(json.dumps(solution).encode()).decode()
    raise AssertionError("no solution within maxnumber")


async def solved(client: httpx.AsyncClient) -> str:
    response = await client.get("/api/v1/challenges")
    assert response.status_code == 200, response.text
    return solve(response.json())


def body_for(admin_code: str, n: int, **contact: str) -> dict[str, Any]:
    return complaint(
        admin_code,
        complainant={"full_name": "Sara Alami", **(contact or {"email": f"c{n}@example.ma"})},
    )


async def _outbox(session, event: str, recipient: str | None = None) -> int:
    """How many messages of `event` (to `recipient`), the filings' written out first."""
    await written_out(session)
    stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.event == event)
    if recipient is not None:
        stmt = stmt.where(OutboxMessage.recipient == recipient)
    return int(await session.scalar(stmt) or 0)


async def test_one_address_files_up_to_the_ceiling_then_gets_429(
    client_at, session, settings, frozen_clock
):
    admin = await make_administration(session)
    await make_staff(session, settings, Role.supervisor, admin)
    here = client_at("127.0.0.2")
    for n in range(CEILING):
        response = await here.post("/api/v1/requests", json=body_for(admin.code, n))
        assert response.status_code == 201, (n, response.text)
    refused = await here.post("/api/v1/requests", json=body_for(admin.code, 99))
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "too_many_submissions"
    assert "X-Altcha" in refused.json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # Nothing of the refused one was kept: no request, no SMS, no email, no supervisor notice.
    assert await session.scalar(select(func.count()).select_from(Request)) >= CEILING
    assert await _outbox(session, "acknowledgement", "c99@example.ma") == 0
    assert await _outbox(session, "new_request") == CEILING
    # Another address is not concerned; the same one files again once the hour has passed.
    elsewhere = await client_at("127.0.0.3").post(
        "/api/v1/requests", json=body_for(admin.code, 100)
    )
    assert elsewhere.status_code == 201
    frozen_clock.advance(seconds=int(refused.headers["Retry-After"]))
    again = await here.post("/api/v1/requests", json=body_for(admin.code, 101))
    assert again.status_code == 201


async def _count(session, counter: str) -> int | None:
    return await session.scalar(select(ThrottleCounter.count).where(ThrottleCounter.key == counter))


def _client_key(address: str) -> str:
    return throttle.key("submit:client", throttle.client_bucket(address))


async def test_a_refused_submission_is_not_counted_nor_are_its_acknowledgements(
    client_at, session, settings
):
    """The client's counter counts a submission only under its ceiling, and the request is
    filed only if it counted; a refused one writes nothing: neither its request nor its
    acknowledgements' counters, so the victim of a refused filing still gets their own."""
    admin = await make_administration(session)
    tight = settings.model_copy(
        update={"submissions_per_client_per_hour": 1, "acknowledgements_per_recipient_per_day": 1}
    )
    here = client_at("127.0.0.21", tight)
    assert (await here.post("/api/v1/requests", json=body_for(admin.code, 1))).status_code == 201
    for _ in range(3):
        refused = await here.post(
            "/api/v1/requests", json=body_for(admin.code, 2, email="victim@example.ma")
        )
        assert refused.status_code == 429
        assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
    assert await _count(session, _client_key("127.0.0.21")) == 1
    victim = throttle.key("ack:email", "victim@example.ma")
    assert await _count(session, victim) is None
    elsewhere = client_at("127.0.0.22", tight)
    filed = await elsewhere.post(
        "/api/v1/requests", json=body_for(admin.code, 3, email="victim@example.ma")
    )
    assert filed.status_code == 201
    assert await _outbox(session, "acknowledgement", "victim@example.ma") == 1


async def test_a_tracking_number_drawn_again_counts_the_submission_once(
    client_at, session, settings, monkeypatch
):
    """A tracking number already taken files nothing and is drawn again: the client's counter,
    which counted the first draw, is not counted again (else the last submission under the
    ceiling would be refused), nor is the acknowledgement's, counted only with a request."""
    admin = await make_administration(session)
    two = settings.model_copy(update={"submissions_per_client_per_hour": 2})
    here = client_at("127.0.0.23", two)
    first = await here.post("/api/v1/requests", json=body_for(admin.code, 1))
    assert first.status_code == 201
    fresh = tracking_numbers.generate()
    draws = iter([first.json()["tracking_number"], fresh])
    monkeypatch.setattr(tracking_numbers, "generate", lambda: next(draws))
    second = await here.post("/api/v1/requests", json=body_for(admin.code, 2))
    monkeypatch.undo()
    assert second.status_code == 201, second.text
    assert second.json()["tracking_number"] == fresh
    assert await _count(session, _client_key("127.0.0.23")) == 2
    assert await _count(session, throttle.key("ack:email", "c2@example.ma")) == 1
    assert await _outbox(session, "acknowledgement", "c2@example.ma") == 1
    third = await here.post("/api/v1/requests", json=body_for(admin.code, 3))
    assert third.status_code == 429


async def test_the_ceiling_holds_in_a_transaction_too(client_at, session, settings):
    """A filing with an `Idempotency-Key` (claimed in the filing's transaction) passes the
    same ceiling, in the same statement."""
    admin = await make_administration(session)
    here = client_at(
        "127.0.0.24", settings.model_copy(update={"submissions_per_client_per_hour": 1})
    )
    for n, expected in ((1, 201), (2, 429)):
        response = await here.post(
            "/api/v1/requests",
            json=body_for(admin.code, n),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == expected, response.text
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert await _count(session, _client_key("127.0.0.24")) == 1
    assert await _outbox(session, "acknowledgement", "c2@example.ma") == 0


async def test_staff_operators_and_integration_keys_are_exempt(client_at, session, settings):
    admin = await make_administration(session)
    _operator, operator = await make_staff(session, settings, Role.operator)
    ceiling_one = settings.model_copy(update={"submissions_per_client_per_hour": 1})
    here = client_at("127.0.0.4", ceiling_one)
    assert (await here.post("/api/v1/requests", json=body_for(admin.code, 1))).status_code == 201
    assert (await here.post("/api/v1/requests", json=body_for(admin.code, 2))).status_code == 429
    for n in range(3):
        phoned = complaint(admin.code, channel="call_center", complainant={"full_name": "A B"})
        response = await here.post("/api/v1/requests", json=phoned, headers=operator)
        assert response.status_code == 201, (n, response.text)
    secret, _key = await api_keys.create(
        session, administration_code=admin.code, name="crm", now=datetime.now(UTC)
    )
    for n in range(3):
        posted = await here.post(
            "/open311/v2/requests.json",
            data={
                "api_key": secret,
                "service_code": f"{admin.code}-general",
                "description": f"Dossier en attente depuis trois mois, numéro {n}.",
                "email": "z@example.ma",
            },
        )
        assert posted.status_code == 201, posted.text
    # Open311 never files without a key: there is no anonymous path around the ceiling.
    anonymous = await here.post(
        "/open311/v2/requests.json",
        data={"service_code": f"{admin.code}-general", "description": "x" * 20},
    )
    assert anonymous.status_code == 403


async def test_a_retry_of_a_filed_request_is_replayed_not_refused(client_at, session, settings):
    admin = await make_administration(session)
    here = client_at(
        "127.0.0.5", settings.model_copy(update={"submissions_per_client_per_hour": 1})
    )
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = body_for(admin.code, 1)
    first = await here.post("/api/v1/requests", json=body, headers=key)
    retry = await here.post("/api/v1/requests", json=body, headers=key)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["tracking_number"] == first.json()["tracking_number"]


async def test_the_ceiling_is_shared_by_every_api_process(live, settings):
    """Two apps (two processes' worth of state) on one database, 30 concurrent submissions
    from one address: exactly the ceiling is filed, the rest is refused."""
    ceiling = settings.model_copy(update={"submissions_per_client_per_hour": 7})
    async with live.client_for(ceiling) as one, live.client_for(ceiling) as two:
        responses = await asyncio.gather(
            *(
                (one if n % 2 else two).post(
                    "/api/v1/requests", json=body_for(live.administration.code, n)
                )
                for n in range(30)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 7 + [429] * 23, [r.text for r in responses if r.status_code >= 500]
    filed = await filed_count(live.sessionmaker, live.administration.id)
    assert filed == 7


async def test_acknowledgements_per_recipient_are_capped_but_filing_never_is(
    client_at, session, settings
):
    admin = await make_administration(session)
    limit = settings.acknowledgements_per_recipient_per_day
    numbers = []
    # A stranger files, from several addresses, in the name of one person (email and phone,
    # with the case and a +tag changed to look like other addresses).
    for n in range(limit + 3):
        contact = {"email": f"Victim+{n}@Example.MA" if n % 2 else "victim@example.ma"}
        contact["phone"] = "+212612345678"
        response = await client_at(f"127.0.1.{n}").post(
            "/api/v1/requests", json=body_for(admin.code, n, **contact)
        )
        assert response.status_code == 201, response.text
        numbers.append(response.json()["tracking_number"])
    await written_out(session)
    acknowledgements = (
        await session.scalars(select(OutboxMessage).where(OutboxMessage.event == "acknowledgement"))
    ).all()
    emails = [m for m in acknowledgements if m.channel == "email"]
    sms = [m for m in acknowledgements if m.channel == "sms"]
    assert len(emails) == limit
    assert len(sms) == limit
    # Every request is filed and can be followed (the answer carried its token).
    assert len(set(numbers)) == limit + 3
    # An operator filing a phone request for that person still acknowledges it.
    _operator, operator = await make_staff(session, settings, Role.operator)
    phoned = complaint(
        admin.code,
        channel="call_center",
        complainant={"full_name": "Victim", "phone": "+212612345678"},
    )
    response = await client_at("127.0.0.9").post("/api/v1/requests", json=phoned, headers=operator)
    assert response.status_code == 201
    assert await _outbox(session, "acknowledgement", "+212612345678") == limit + 1


async def test_no_ceiling_when_set_to_zero(client_at, session, settings):
    admin = await make_administration(session)
    unbounded = settings.model_copy(
        update={"submissions_per_client_per_hour": 0, "acknowledgements_per_recipient_per_day": 0}
    )
    here = client_at("127.0.0.6", unbounded)
    for n in range(8):
        body = body_for(admin.code, n, email="same@example.ma")
        assert (await here.post("/api/v1/requests", json=body)).status_code == 201
    assert await _outbox(session, "acknowledgement", "same@example.ma") == 8


# --- the proof of work


async def test_a_solved_challenge_files_past_the_ceiling_once(client_at, session, small_work):
    admin = await make_administration(session)
    here = client_at(
        "127.0.0.7", small_work.model_copy(update={"submissions_per_client_per_hour": 1})
    )
    assert (await here.post("/api/v1/requests", json=body_for(admin.code, 1))).status_code == 201
    assert (await here.post("/api/v1/requests", json=body_for(admin.code, 2))).status_code == 429

    challenge = await here.get("/api/v1/challenges")
    assert challenge.headers["Cache-Control"] == "no-store"
    assert set(challenge.json()) == {"algorithm", "challenge", "salt", "signature", "maxnumber"}
    assert challenge.json()["maxnumber"] == 2000
    assert "expires=" in challenge.json()["salt"]
    solution = solve(challenge.json())

    # A refused body does not spend the solution (its transaction never commits).
    bad = body_for(admin.code, 3)
    bad["kind"] = "nonsense"
    invalid = await here.post("/api/v1/requests", json=bad, headers={"X-Altcha": solution})
    assert invalid.status_code == 422

    passed = await here.post(
        "/api/v1/requests", json=body_for(admin.code, 4), headers={"X-Altcha": solution}
    )
    assert passed.status_code == 201, passed.text
    reused = await here.post(
        "/api/v1/requests", json=body_for(admin.code, 5), headers={"X-Altcha": solution}
    )
    assert reused.status_code == 409
    assert reused.json()["code"] == "challenge_used"
    # A fresh solution passes again, from any address.
    other = await client_at("127.0.0.8").post(
        "/api/v1/requests", json=body_for(admin.code, 6), headers={"X-Altcha": await solved(here)}
    )
    assert other.status_code == 201


def _reencoded(header: str, **changes: Any) -> str:
    payload = json.loads(base64.b64decode(header))
    payload.update(changes)
    return base64.b64encode(json.dumps(payload).encode()).decode()


async def test_a_wrong_solution_is_a_clear_400(client_at, session):
    admin = await make_administration(session)
    here = client_at("127.0.0.10")
    solution = await solved(here)
    number = json.loads(base64.b64decode(solution))["number"]
    forged_salt = json.loads(base64.b64decode(solution))["salt"].replace("expires=", "expires=9")
    for header in (
        "not base64 at all!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b"42").decode(),
        base64.b64encode(json.dumps({"number": 1}).encode()).decode(),
        _reencoded(solution, number=number + 1),
        _reencoded(solution, number=str(number)),
        _reencoded(solution, number=True),
        _reencoded(solution, algorithm="SHA-1"),
        _reencoded(solution, signature="0" * 64),
        _reencoded(solution, salt=forged_salt),
        "A" * 5000,
        base64.b64encode(b"[" * 1530).decode(),  # deeper than the JSON parser's recursion
        b"w6k=\xe9",  # not ASCII (read as Latin-1)
    ):
        response = await here.post(
            "/api/v1/requests", json=body_for(admin.code, 1), headers={"X-Altcha": header}
        )
        assert response.status_code in (400, 422), (header, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] in ("challenge_invalid", "validation_failed")
    # The genuine solution is still unspent.
    ok = await here.post(
        "/api/v1/requests", json=body_for(admin.code, 2), headers={"X-Altcha": solution}
    )
    assert ok.status_code == 201


async def test_an_expired_solution_is_refused(client_at, session, small_work, frozen_clock):
    admin = await make_administration(session)
    here = client_at("127.0.0.11")
    solution = await solved(here)
    frozen_clock.advance(seconds=small_work.challenge_ttl_seconds + 1)
    response = await here.post(
        "/api/v1/requests", json=body_for(admin.code, 1), headers={"X-Altcha": solution}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "challenge_expired"


async def test_a_challenge_from_another_secret_is_refused(client_at, session, small_work):
    admin = await make_administration(session)
    other = small_work.model_copy(
        update={"secret_key": SecretStr("another-secret-that-is-long-enough-42")}
    )
    solution = await solved(client_at("127.0.0.12", other))
    response = await client_at("127.0.0.12").post(
        "/api/v1/requests", json=body_for(admin.code, 1), headers={"X-Altcha": solution}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "challenge_invalid"


async def test_one_solution_sent_twice_at_once_files_once(live, settings):
    ceiling_zero_room = settings.model_copy(
        update={"submissions_per_client_per_hour": 1, "challenge_max_number": 2000}
    )
    async with live.client_for(ceiling_zero_room) as one, live.client_for(ceiling_zero_room) as two:
        solution = await solved(one)
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/requests",
                    json=body_for(live.administration.code, n),
                    headers={"X-Altcha": solution},
                )
                for n, client in enumerate((one, two, one, two))
            )
        )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]


def test_ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4():
    assert throttle.client_bucket("2001:db8:1:2::1") == throttle.client_bucket(
        "2001:db8:1:2:ffff:ffff:ffff:ffff"
    )
    assert throttle.client_bucket("2001:db8:1:2::1") != throttle.client_bucket("2001:db8:1:3::1")
    assert throttle.client_bucket("::ffff:192.0.2.7") == "192.0.2.7"
    assert throttle.client_bucket("192.0.2.7") == "192.0.2.7"
    assert throttle.client_bucket("unknown") == "unknown"
