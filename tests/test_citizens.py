"""A citizen proves they hold an email or a phone with a one-time code, and finds every
request bearing it: through the API, with a real SMTP server receiving the code."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.models.outbox import OutboxMessage
from app.services import auth, clock
from app.services.dispatcher import drain
from app.services.templates import render
from tests.factories import act, complaint, file, indexed_as_postgresql_parses, pdf, upload
from tests.servers import SmtpServer
from tests.test_ceilings import solved

OTP = "/api/v1/citizens/otp"
SESSION = "/api/v1/citizens/session"
MINE = "/api/v1/citizens/me/requests"


@pytest.fixture
def mail(settings, smtp):
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})


@pytest.fixture
def client_sessionmaker(live):
    """`client_at` serves the live app: its commits are real, as the dispatcher needs."""
    return live.sessionmaker


def unique_email() -> str:
    return f"Citoyen.{secrets.token_hex(4)}@Example.ma"


def codes_to(smtp: SmtpServer, address: str) -> list[str]:
    """The codes the SMTP server received for `address`, oldest first."""
    found = []
    for message in smtp.messages:
        if message["To"].lower() != address.lower():
            continue
        match = re.search(r"code[^0-9]*([0-9]{6})", str(message["Subject"]))
        if match:
            found.append(match.group(1))
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ask_code(client: httpx.AsyncClient, live, mail, smtp, address: str) -> str:
    response = await client.post(OTP, json={"email": address}, headers={"Accept-Language": "en"})
    assert response.status_code == 202, response.text
    await drain(live.sessionmaker, mail)
    return codes_to(smtp, address)[-1]


async def test_a_code_opens_every_request_of_the_contact(live, mail, smtp):
    email = unique_email()
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Amina Test", "email": email}
    first = await file(live.client, body)
    second = await file(live.client, body)
    other = await file(live.client, complaint(live.administration.code))

    # The citizen types the address in another case: the same mailbox.
    code = await ask_code(live.client, live, mail, smtp, email.lower())
    response = await live.client.post(SESSION, json={"email": email.upper(), "code": code})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert auth.decode(token, mail)["typ"] == "citizen"
    assert response.headers["Cache-Control"] == "no-store"

    mine = await live.client.get(MINE, headers=bearer(token))
    assert mine.status_code == 200, mine.text
    items = mine.json()["items"]
    assert [i["tracking_number"] for i in items] == [
        second["tracking_number"],
        first["tracking_number"],
    ]
    assert items[0]["state"] == "submitted"
    assert items[0]["due_at"]
    assert items[0]["administration"]["code"] == live.administration.code

    # Keyset pages: one at a time, newest first, then nothing more.
    page = (await live.client.get(MINE, params={"limit": 1}, headers=bearer(token))).json()
    assert [i["tracking_number"] for i in page["items"]] == [second["tracking_number"]]
    rest = await live.client.get(
        MINE, params={"limit": 1, "cursor": page["next_cursor"]}, headers=bearer(token)
    )
    assert [i["tracking_number"] for i in rest.json()["items"]] == [first["tracking_number"]]
    assert rest.json()["next_cursor"] is None

    # The session opens each of them as a tracking token does, and acts on them.
    for created in (first, second):
        number = created["tracking_number"]
        assert (
            await live.client.get(f"/api/v1/requests/{number}", headers=bearer(token))
        ).status_code == 200
    closed = await live.client.post(
        f"/api/v1/requests/{first['tracking_number']}/close",
        json={"reason": "Réglé"},
        headers=bearer(token),
    )
    assert closed.status_code == 200, closed.text

    # Never someone else's request, never staff, and the code served once.
    stranger = await live.client.get(
        f"/api/v1/requests/{other['tracking_number']}", headers=bearer(token)
    )
    assert stranger.status_code == 404
    staff_only = await live.client.get("/api/v1/backoffice/requests", headers=bearer(token))
    assert staff_only.status_code == 403
    again = await live.client.post(SESSION, json={"email": email, "code": code})
    assert (again.status_code, again.json()["code"]) == (400, "code_invalid")

    # A tracking token (one request) is no session over the contact.
    assert (await live.client.get(MINE, headers=first["auth"])).status_code == 403


async def test_phone_session_sees_only_requests_with_that_phone(live, mail, smtp):
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Karim Test", "phone": "0612345678"}
    filed = await file(live.client, body)
    response = await live.client.post(OTP, json={"phone": "+212 6 12 34 56 78"})
    assert response.status_code == 202
    async with live.sessionmaker() as session:
        [message] = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.event == "one_time_code")
            )
        ).all()
    assert (message.channel, message.recipient, message.priority) == ("sms", "+212612345678", 1)
    code = re.search(r"([0-9]{6})", render(message.channel, message.payload)["text"]).group(1)
    token = (await live.client.post(SESSION, json={"phone": "0612345678", "code": code})).json()[
        "access_token"
    ]
    mine = (await live.client.get(MINE, headers=bearer(token))).json()["items"]
    assert [i["tracking_number"] for i in mine] == [filed["tracking_number"]]


async def test_the_code_goes_ahead_of_older_messages(live, mail, smtp):
    email = unique_email()
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Amina Test", "email": email}
    filed = await file(live.client, body)  # its acknowledgement waits (no SMTP yet)
    assert (await live.client.post(OTP, json={"email": email})).status_code == 202
    await drain(live.sessionmaker, mail)
    to_citizen = [m for m in smtp.messages if m["To"].lower() == email.lower()]
    assert len(to_citizen) == 2
    assert codes_to(smtp, email)  # the code, first, though written after the acknowledgement
    assert "code" in str(to_citizen[0]["Subject"])
    assert filed["tracking_number"] in str(to_citizen[1]["Subject"])


async def test_an_unsent_code_is_dropped_at_expiry(live, mail, smtp):
    email = unique_email()
    assert (await live.client.post(OTP, json={"email": email})).status_code == 202
    later = clock.now() + timedelta(seconds=mail.otp_ttl_seconds + 1)
    assert await drain(live.sessionmaker, mail, now=later) == 0
    assert codes_to(smtp, email) == []
    async with live.sessionmaker() as session:
        [message] = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.event == "one_time_code")
            )
        ).all()
    assert (message.status, message.payload) == ("expired", {})


async def test_an_expired_code_is_refused(live, mail, smtp, frozen_clock):
    email = unique_email()
    code = await ask_code(live.client, live, mail, smtp, email)
    frozen_clock.advance(seconds=mail.otp_ttl_seconds + 1)
    response = await live.client.post(SESSION, json={"email": email, "code": code})
    assert (response.status_code, response.json()["code"]) == (400, "code_invalid")


async def test_five_wrong_codes_lock_that_client_only(live, mail, smtp, client_at):
    email = unique_email()
    guesser, owner = client_at("127.0.0.5"), client_at("127.0.0.6")
    code = await ask_code(owner, live, mail, smtp, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(mail.otp_failures_per_contact):
        response = await guesser.post(SESSION, json={"email": email, "code": wrong})
        assert (response.status_code, response.json()["code"]) == (400, "code_invalid")
    refused = await guesser.post(SESSION, json={"email": email, "code": code})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # The owner, from another address, is not blocked by the stranger's guesses.
    response = await owner.post(SESSION, json={"email": email, "code": code})
    assert response.status_code == 200, response.text


async def test_asking_codes_is_limited_per_contact_and_client(live, mail, client_at):
    email = unique_email()
    pumper, owner = client_at("127.0.0.7"), client_at("127.0.0.8")
    for _ in range(mail.otp_sends_per_contact_per_client):
        assert (await pumper.post(OTP, json={"email": email})).status_code == 202
    refused = await pumper.post(OTP, json={"email": email})
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    # The victim still gets a code from their own address.
    assert (await owner.post(OTP, json={"email": email})).status_code == 202


async def test_unknown_contact_gets_the_same_answer(live):
    body = complaint(live.administration.code)
    known = unique_email()
    body["complainant"] = {"full_name": "Amina Test", "email": known}
    await file(live.client, body)
    answers: list[Any] = []
    for address in (known, unique_email()):
        response = await live.client.post(OTP, json={"email": address})
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 202


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "not an email"}, {"phone": "12"}, {"email": "a@b.ma", "phone": "0612345678"}],
)
async def test_bad_contacts_are_problems(client, payload):
    response = await client.post(OTP, json=payload)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")


async def test_a_forged_citizen_token_opens_nothing(client, settings):
    token = auth._encode({"typ": "citizen", "sub": "nonsense"}, 60, settings)
    assert (await client.get(MINE, headers=bearer(token))).status_code == 401
    assert (await client.get(MINE)).status_code == 401


async def test_export_and_correction_walk(live, mail, smtp):
    """Two requests filed with one email, a code received and used, both listed and exported,
    the contact corrected with a code sent to the new one, and the old one told."""
    email, new_email = unique_email(), unique_email()
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Amina Test", "email": email}
    first = await file(live.client, body)
    second = await file(live.client, body)
    number = first["tracking_number"]
    assert (await act(live.client, number, "start", live.staff)).status_code == 200
    await act(live.client, number, "note", live.staff, message="Note interne")
    await act(live.client, number, "answer", live.staff, message="Votre dossier est réglé.")
    uploaded = await upload(live.client, number, first["auth"], pdf())
    assert uploaded.status_code == 201, uploaded.text

    token = (
        await live.client.post(
            SESSION,
            json={"email": email, "code": await ask_code(live.client, live, mail, smtp, email)},
        )
    ).json()["access_token"]
    rated = await live.client.put(
        f"/api/v1/requests/{number}/rating", json={"score": 4}, headers=bearer(token)
    )
    assert rated.status_code == 200, rated.text

    export = await live.client.get("/api/v1/citizens/me/export", headers=bearer(token))
    assert export.status_code == 200, export.text
    assert export.headers["Cache-Control"] == "no-store"
    data = export.json()
    assert data["truncated"] is False
    assert data["note"] is None
    by_number = {r["request"]["tracking_number"]: r for r in data["requests"]}
    assert set(by_number) == {number, second["tracking_number"]}
    answered = by_number[number]
    assert answered["request"]["rating"]["score"] == 4
    assert answered["request"]["complainant"]["full_name"] == "Amina Test"
    history = [e["action"] for e in answered["request"]["history"]]
    assert "answer" in history
    assert "note" not in history  # internal events never leave
    assert [m["body"] for m in answered["messages"]] == ["Votre dossier est réglé."]
    [attachment] = answered["attachments"]
    assert attachment["content_type"] == "application/pdf"
    link = await live.client.get(attachment["download_url"], headers=bearer(token))
    assert link.status_code == 200

    # A new email needs the code sent to it; without one, a 422 on `code`.
    missing = await live.client.patch(
        "/api/v1/citizens/me", json={"email": new_email}, headers=bearer(token)
    )
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["code"]
    new_code = await ask_code(live.client, live, mail, smtp, new_email)
    wrong = f"{(int(new_code) + 1) % 1_000_000:06d}"
    refused = await live.client.patch(
        "/api/v1/citizens/me", json={"email": new_email, "code": wrong}, headers=bearer(token)
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "code_invalid")
    smtp.messages.clear()
    corrected = await live.client.patch(
        "/api/v1/citizens/me",
        json={"full_name": "Amina El Test", "email": new_email, "code": new_code},
        headers=bearer(token),
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["updated"] == 2
    new_token = corrected.json()["access_token"]

    # The old address is told, once per request, with the new one masked.
    await drain(live.sessionmaker, mail)
    told = [m for m in smtp.messages if m["To"].lower() == email.lower()]
    assert len(told) == 2
    assert all("changed" in str(m["Subject"]) for m in told)
    assert all(new_email not in str(m) for m in told)

    # The old session opens nothing more; the new one opens both, corrected, each recorded.
    assert (await live.client.get(MINE, headers=bearer(token))).json()["items"] == []
    view = await live.client.get(f"/api/v1/requests/{number}", headers=bearer(new_token))
    assert view.status_code == 200
    assert view.json()["complainant"]["full_name"] == "Amina El Test"
    assert view.json()["complainant"]["email"].lower() == new_email.lower()
    assert view.json()["history"][-1]["action"] == "rectify"
    assert "rectify" not in view.json()["allowed_actions"]
    mine = (await live.client.get(MINE, headers=bearer(new_token))).json()["items"]
    assert len(mine) == 2
    async with live.sessionmaker() as session:  # the corrected name is what staff search by
        await indexed_as_postgresql_parses(session, number, "amina", "test")


async def test_export_is_capped_with_a_note(live, mail, smtp):
    email = unique_email()
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Amina Test", "email": email}
    for _ in range(3):
        await file(live.client, body)
    capped = mail.model_copy(update={"citizen_export_max_requests": 2})
    async with live.client_for(capped) as client:
        code = await ask_code(client, live, mail, smtp, email)
        token = (await client.post(SESSION, json={"email": email, "code": code})).json()
        export = await client.get(
            "/api/v1/citizens/me/export", headers=bearer(token["access_token"])
        )
    data = export.json()
    assert len(data["requests"]) == 2
    assert data["truncated"] is True
    assert "2" in data["note"]


async def test_tracking_and_staff_tokens_cannot_correct(live):
    filed = await file(live.client, complaint(live.administration.code))
    for headers in (filed["auth"], live.staff):
        response = await live.client.patch(
            "/api/v1/citizens/me", json={"full_name": "Quelqu'un"}, headers=headers
        )
        assert response.status_code == 403


async def test_asking_codes_past_the_client_ceiling_takes_a_challenge(live, settings):
    ceiling = settings.model_copy(
        update={"otp_requests_per_client_per_hour": 1, "challenge_max_number": 2000}
    )
    async with live.client_for(ceiling) as client:
        assert (await client.post(OTP, json={"email": unique_email()})).status_code == 202
        refused = await client.post(OTP, json={"email": unique_email()})
        assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
        solution = await solved(client)
        passed = await client.post(
            OTP, json={"email": unique_email()}, headers={"X-Altcha": solution}
        )
        assert passed.status_code == 202
        reused = await client.post(
            OTP, json={"email": unique_email()}, headers={"X-Altcha": solution}
        )
        assert reused.json()["code"] == "challenge_used"
