"""Notifications leave through the outbox and reach real servers: SMTP, an SMS gateway, webhooks."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update

from app.models.outbox import OutboxMessage
from app.services import clock, dispatcher, notifications
from app.services.dispatcher import dispatch_once, drain
from tests.factories import act, complaint, file, written_out
from tests.servers import SmtpServer, free_port


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def parts(message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode(part.get_content_charset())
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }


async def pending(live, *, citizen_only: bool = False) -> list[OutboxMessage]:
    """The outbox's messages in line (a filing's in its fan-out's place, `OutboxMessage.place`),
    the filings' written out first, as a dispatcher's pass does; `citizen_only` leaves out the
    notices to the supervisor."""
    async with live.sessionmaker() as session:
        await written_out(session)
        await session.commit()
        in_line = (func.coalesce(OutboxMessage.place, OutboxMessage.id), OutboxMessage.id)
        rows = (await session.scalars(select(OutboxMessage).order_by(*in_line))).all()
    return [
        m for m in rows if m.channel != "fanout" and not (citizen_only and m.event == "new_request")
    ]


class Killed(Exception):
    """The dispatcher process dies."""


async def test_acknowledgement_reaches_the_citizen_in_arabic_and_french(live, settings, smtp):
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    numbers = {}
    for language, address in (("ar", "amina@example.ma"), ("fr", "karim@example.ma")):
        body = complaint(live.administration.code, language=language)
        body["complainant"] = {"full_name": "Citoyen Test", "email": address}
        response = await live.client.post("/api/v1/requests", json=body)
        assert response.status_code == 201
        numbers[language] = response.json()["tracking_number"]
    # Two acknowledgements, and two new-request notices to the administration's supervisor.
    assert await drain(live.sessionmaker, mail) == 4
    by_recipient = {m["To"]: m for m in smtp.messages}
    arabic, french = by_recipient["amina@example.ma"], by_recipient["karim@example.ma"]
    assert subject(arabic) == f"إيصال بالاستلام — طلبكم رقم {numbers['ar']}"
    assert subject(french) == f"Accusé de réception — votre demande {numbers['fr']}"
    assert 'dir="rtl"' in parts(arabic)["text/html"]
    assert 'dir="ltr"' in parts(french)["text/html"]
    assert numbers["ar"] in parts(arabic)["text/plain"]
    assert arabic["Content-Language"] == "ar"


async def test_unset_smtp_keeps_messages_waiting(live, settings):
    response = await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    assert response.status_code == 201
    assert await drain(live.sessionmaker, settings) == 0
    [message] = await pending(live, citizen_only=True)
    assert (message.channel, message.status, message.attempts) == ("email", "pending", 0)


async def test_mail_server_down_then_up_delivers_every_message_once(live, settings):
    port = free_port()
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    for _ in range(3):
        response = await live.client.post(
            "/api/v1/requests", json=complaint(live.administration.code)
        )
        assert response.status_code == 201
    # Nobody listens on the port: every attempt fails and is scheduled again.
    # (Three acknowledgements and three notices to the supervisor.)
    assert await drain(live.sessionmaker, mail) == 0
    waiting = await pending(live)
    # The oldest message to each recipient was tried and failed; the newer ones were not
    # tried (they never overtake it) and wait behind it.
    assert [(m.recipient, m.status, m.attempts) for m in waiting] == [
        (waiting[0].recipient, "pending", 1),
        (waiting[1].recipient, "pending", 1),
        *[(m.recipient, "pending", 0) for m in waiting[2:]],
    ]
    assert waiting[0].recipient != waiting[1].recipient
    assert all(m.next_attempt_at > clock.now() for m in waiting[:2])
    assert all(m.last_error and m.last_error.startswith("smtp") for m in waiting[:2])
    assert await drain(live.sessionmaker, mail) == 0  # still nobody listens
    assert [m.attempts for m in await pending(live)] == [1, 1, 0, 0, 0, 0]

    server = SmtpServer(port).start()
    try:
        later = clock.now() + timedelta(hours=2)
        assert await drain(live.sessionmaker, mail, now=later) == 6
        assert await drain(live.sessionmaker, mail, now=later + timedelta(hours=1)) == 0
        ids = [m["Message-ID"] for m in server.messages]
        assert len(ids) == 6
        assert len(set(ids)) == 6
        assert {m.status for m in await pending(live)} == {"sent"}
    finally:
        server.stop()


async def test_a_dispatcher_killed_between_send_and_mark_resends_with_the_same_id(
    live, settings, smtp
):
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    response = await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    assert response.status_code == 201

    async def die(_message):
        raise Killed()

    with pytest.raises(Killed):
        await dispatch_once(live.sessionmaker, mail, after_send=die)
    # The pass ends only once every message of its batch has been delivered (the supervisor's
    # notice may die first; the citizen's is not left running behind it).
    citizen = [m for m in smtp.messages if m["To"].lower() == "fatima@example.ma"]
    assert len(citizen) == 1
    # Within the lease nobody takes it again; after it, another dispatcher does.
    assert await drain(live.sessionmaker, mail) == 0
    after_lease = clock.now() + timedelta(seconds=settings.outbox_lease_seconds + 1)
    assert await drain(live.sessionmaker, mail, now=after_lease) == 2
    first, second = [m for m in smtp.messages if m["To"].lower() == "fatima@example.ma"]
    assert first["Message-ID"] == second["Message-ID"]
    [message] = await pending(live, citizen_only=True)
    assert message.status == "sent"
    assert first["Message-ID"] == f"<{message.message_id}@chikaya.ma>"


async def test_sms_gateway_receives_a_short_acknowledgement(live, settings, receiver):
    sms = settings.model_copy(
        update={
            "sms_gateway_url": receiver.url + "/send",
            "sms_gateway_token": SecretStr("gw-token"),
        }
    )
    for language in ("ar", "fr"):
        body = complaint(live.administration.code, language=language)
        body["complainant"] = {"full_name": "Citoyen Test", "phone": "0612345678"}
        assert (await live.client.post("/api/v1/requests", json=body)).status_code == 201
    assert await drain(live.sessionmaker, sms) == 2
    texts = {}
    for hit in receiver.received:
        assert hit.path == "/send"
        assert hit.headers["Authorization"] == "Bearer gw-token"
        payload = hit.json()
        assert payload["to"] == "+212612345678"
        assert payload["sender"] == "CHIKAYA"
        texts[payload["reference"]] = payload["text"]
    arabic = next(t for t in texts.values() if t.startswith("شكاية"))
    french = next(t for t in texts.values() if t.startswith("Chikaya"))
    assert len(arabic) <= 134  # two UCS-2 segments
    assert len(french) <= 306  # two GSM-7 segments
    refs = {str(m.message_id) for m in await pending(live) if m.channel == "sms"}
    assert set(texts) == refs


async def test_webhooks_are_signed_and_follow_the_request(live, settings, receiver):
    created = await live.client.post(
        "/api/v1/backoffice/webhooks",
        json={
            "url": receiver.url + "/hook",
            "events": ["request.created", "request.state_changed"],
        },
        headers=live.supervisor,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    response = await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    number = response.json()["tracking_number"]
    started = await live.client.post(
        f"/api/v1/backoffice/requests/{number}/actions/start", json={}, headers=live.staff
    )
    assert started.status_code == 200
    assert await drain(live.sessionmaker, settings) == 2
    events = []
    for hit in receiver.received:
        signature = dict(p.split("=", 1) for p in hit.headers["Chikaya-Signature"].split(","))
        expected = hmac.new(
            secret.encode(), f"{signature['t']}.".encode() + hit.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(signature["v1"], expected)
        payload = hit.json()
        assert payload["delivery_id"] == hit.headers["Chikaya-Delivery"]
        assert payload["request"]["tracking_number"] == number
        assert "email" not in hit.body.decode()
        events.append(payload["event"])
    assert sorted(events) == ["request.created", "request.state_changed"]


async def test_failing_receiver_is_retried_then_parked_and_can_be_resent(live, settings, receiver):
    receiver.status = 500
    strict = settings.model_copy(update={"outbox_max_attempts": 2})
    created = await live.client.post(
        "/api/v1/backoffice/webhooks",
        json={"url": receiver.url, "events": ["request.created"]},
        headers=live.supervisor,
    )
    assert created.status_code == 201
    await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    now = clock.now()
    assert await drain(live.sessionmaker, strict, now=now) == 0
    assert await drain(live.sessionmaker, strict, now=now + timedelta(days=1)) == 0
    hooks = [m for m in await pending(live) if m.channel == "webhook"]
    assert [(m.status, m.attempts) for m in hooks] == [("parked", 2)]
    assert len(receiver.received) == 2
    assert (
        receiver.received[0].headers["Chikaya-Delivery"]
        == receiver.received[1].headers["Chikaya-Delivery"]
    )

    parked = await live.client.get(
        "/api/v1/backoffice/outbox", params={"status": "parked"}, headers=live.national
    )
    assert parked.status_code == 200
    assert [m["id"] for m in parked.json()] == [hooks[0].id]
    assert "recipient" not in parked.json()[0]
    denied = await live.client.get("/api/v1/backoffice/outbox", headers=live.supervisor)
    assert denied.status_code == 403
    resent = await live.client.post(
        f"/api/v1/backoffice/outbox/{hooks[0].id}/resend", headers=live.national
    )
    assert resent.status_code == 204
    receiver.status = 200
    assert await drain(live.sessionmaker, strict) == 1
    assert len({r.headers["Chikaya-Delivery"] for r in receiver.received}) == 1


async def test_a_staff_answer_reaches_the_citizen(live, settings, smtp):
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    response = await live.client.post(
        "/api/v1/requests", json=complaint(live.administration.code, language="fr")
    )
    number = response.json()["tracking_number"]
    for action, body in (("start", {}), ("answer", {"message": "Votre remboursement est fait."})):
        done = await live.client.post(
            f"/api/v1/backoffice/requests/{number}/actions/{action}", json=body, headers=live.staff
        )
        assert done.status_code == 200
    # Acknowledgement, supervisor's notice, "in progress", "answered".
    assert await drain(live.sessionmaker, mail) == 4
    answer = next(m for m in smtp.messages if "répondue" in parts(m)["text/plain"])
    assert "Votre remboursement est fait." in parts(answer)["text/plain"]
    assert subject(answer) == f"Votre demande {number} a évolué"


async def test_each_recipient_gets_its_messages_in_the_order_they_were_written(live, settings):
    port = free_port()
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    created = await file(live.client, complaint(live.administration.code, language="fr"))
    number = created["tracking_number"]
    for action, body in (("start", {}), ("answer", {"message": "C'est réglé."})):
        done = await act(live.client, number, action, live.staff, **body)
        assert done.status_code == 200
    # A failed pass first: the oldest message never lets a newer one overtake it.
    assert await drain(live.sessionmaker, mail) == 0
    server = SmtpServer(port).start()
    try:
        later = clock.now() + timedelta(hours=1)
        assert await drain(live.sessionmaker, mail, now=later) == 4
        citizen = [m for m in server.messages if m["To"].lower() == "fatima@example.ma"]
    finally:
        server.stop()
    texts = [parts(m)["text/plain"] for m in citizen]
    assert len(texts) == 3
    assert number in texts[0]
    assert "répondue" not in texts[0]  # the acknowledgement
    assert "en cours de traitement" in texts[1]
    assert "répondue" in texts[2]
    # Dated when written, not when sent: the mail client's order is the same.
    rows = [m for m in await pending(live) if m.recipient.lower() == "fatima@example.ma"]
    assert [parsedate_to_datetime(m["Date"]) for m in citizen] == [
        r.created_at.replace(microsecond=0) for r in rows
    ]


async def test_internal_notes_and_citizen_actions_send_nothing_to_the_citizen(live, settings):
    response = await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    number, token = response.json()["tracking_number"], response.json()["access_token"]
    await live.client.post(
        f"/api/v1/requests/{number}/messages",
        json={"body": "note", "internal": True},
        headers=live.staff,
    )
    await live.client.post(
        f"/api/v1/requests/{number}/messages",
        json={"body": "Bonjour"},
        headers={"Authorization": f"Bearer {token}"},
    )
    citizen_mail = [m for m in await pending(live, citizen_only=True) if m.channel == "email"]
    assert [m.event for m in citizen_mail] == ["acknowledgement"]


async def test_refused_submission_writes_no_message(live):
    bad = complaint(live.administration.code, subject="")
    assert (await live.client.post("/api/v1/requests", json=bad)).status_code == 422
    async with live.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_supervisors_hear_of_new_requests(live, settings, smtp):
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    response = await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    number = response.json()["tracking_number"]
    await drain(live.sessionmaker, mail)
    notices = [m for m in smtp.messages if m["To"].startswith("supervisor")]
    assert len(notices) == 1
    assert number in subject(notices[0])


async def test_reminder_before_the_reopen_window_closes_is_sent_once(live, settings):
    response = await live.client.post("/api/v1/requests", json=complaint(live.administration.code))
    number = response.json()["tracking_number"]
    for action, body in (("start", {}), ("answer", {"message": "Réponse"})):
        await live.client.post(
            f"/api/v1/backoffice/requests/{number}/actions/{action}", json=body, headers=live.staff
        )
    from app.models.request import Request

    async with live.sessionmaker() as session:
        await session.execute(
            update(Request)
            .where(Request.tracking_number == number)
            .values(answered_at=clock.now() - timedelta(days=28))
        )
        await session.commit()
    async with live.sessionmaker() as session:
        assert await notifications.remind_reopen_windows(session, settings, clock.now()) == 1
        await session.commit()
    async with live.sessionmaker() as session:
        assert await notifications.remind_reopen_windows(session, settings, clock.now()) == 0
    reminders = [m for m in await pending(live) if m.event == "reopen_reminder"]
    assert len(reminders) == 1


def test_signature_format():
    assert dispatcher.sign("k", 1700000000, b"{}") == (
        "t=1700000000,v1=" + hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    )


async def test_webhooks_must_be_https(live, settings):
    strict = settings.model_copy(update={"webhooks_allow_http_loopback": False})
    async with live.client_for(strict) as client:
        response = await client.post(
            "/api/v1/backoffice/webhooks",
            json={"url": "http://127.0.0.1:9/x", "events": ["request.created"]},
            headers=live.supervisor,
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "https_required"
    agent = await live.client.post(
        "/api/v1/backoffice/webhooks",
        json={"url": "https://example.ma/x", "events": ["request.created"]},
        headers=live.staff,
    )
    assert agent.status_code == 403


async def test_a_newer_message_never_overtakes_one_another_dispatcher_holds(live, settings):
    mail = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "outbox_batch_size": 1}
    )
    created = await file(live.client, complaint(live.administration.code))
    await act(live.client, created["tracking_number"], "start", live.staff)
    citizen = [m for m in await pending(live) if m.recipient.lower() == "fatima@example.ma"]
    oldest, newer = citizen
    # Another dispatcher has locked the oldest row mid-claim: SKIP LOCKED hides it from us,
    # and the newer one must still wait behind it.
    async with live.sessionmaker() as holder:
        await holder.execute(
            select(OutboxMessage).where(OutboxMessage.id == oldest.id).with_for_update()
        )
        claimed = await dispatcher.claim(live.sessionmaker, mail, clock.now())
        await holder.rollback()
    assert newer.id not in [m.id for m in claimed]
    # Even with a batch of one, the oldest comes first once due.
    first = await dispatcher.claim(live.sessionmaker, mail, clock.now() + timedelta(days=1))
    assert [m.id for m in first] == [oldest.id]


async def test_an_unexpected_failure_is_retried_and_parked_not_stuck(live, settings, monkeypatch):
    mail = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "outbox_max_attempts": 2}
    )
    await file(live.client, complaint(live.administration.code))

    async def broken(message, settings):
        raise KeyError("subject")

    monkeypatch.setattr(dispatcher, "send_email", broken)
    assert await dispatch_once(live.sessionmaker, mail) == 0
    rows = await pending(live)
    assert {(m.status, m.attempts) for m in rows} == {("pending", 1)}
    assert all(m.last_error == "unexpected: KeyError" for m in rows)
    assert await dispatch_once(live.sessionmaker, mail, now=clock.now() + timedelta(days=1)) == 0
    assert {m.status for m in await pending(live)} == {"parked"}
