"""Contacts are never silently replaced: an operator attaches one only to a request that has
none; a supervisor of its administration may replace it, and the previous contact is told."""

from __future__ import annotations

from email.header import decode_header, make_header

from sqlalchemy import select

from app.models.enums import Role
from app.models.outbox import OutboxMessage
from app.services.dispatcher import drain
from app.services.templates import render
from tests.factories import (
    complaint,
    indexed_as_postgresql_parses,
    make_administration,
    make_staff,
)


async def staff(live, settings, role: Role, administration=None) -> dict[str, str]:
    async with live.sessionmaker() as session:
        _user, headers = await make_staff(session, settings, role, administration)
        await session.commit()
    return headers


async def paper(live, operator, language: str = "fr", **contact: str) -> str:
    body = complaint(live.administration.code, channel="mail", language=language)
    body["complainant"] = {"full_name": "Ahmed Benali", **contact}
    response = await live.client.post("/api/v1/requests", json=body, headers=operator)
    assert response.status_code == 201, response.text
    return str(response.json()["tracking_number"])


async def attach(live, number: str, headers: dict[str, str], **body: str):
    return await live.client.post(
        f"/api/v1/backoffice/requests/{number}/contact", json=body, headers=headers
    )


async def outbox(live, event: str) -> list[OutboxMessage]:
    async with live.sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.event == event).order_by(OutboxMessage.id)
        )
        return list(rows)


async def test_an_operator_attaches_a_first_contact_but_never_replaces_one(live, settings):
    operator = await staff(live, settings, Role.operator)
    number = await paper(live, operator)
    first = await attach(live, number, operator, email="ahmed@example.ma")
    assert first.status_code == 200, first.text
    assert first.json()["complainant"]["email"] == "ahmed@example.ma"
    async with live.sessionmaker() as session:  # staff find it by the contact attached
        await indexed_as_postgresql_parses(session, number, "ahmed", "example")

    other = await staff(live, settings, Role.operator)
    for body in ({"email": "intruder@example.ma"}, {"phone": "0611223344"}):
        refused = await attach(live, number, other, **body)
        assert refused.status_code == 409
        assert refused.json()["code"] == "contact_already_set"
    detail = await live.client.get(f"/api/v1/requests/{number}", headers=operator)
    assert detail.json()["complainant"]["email"] == "ahmed@example.ma"
    assert detail.json()["complainant"]["phone"] is None
    assert "attach_contact" not in detail.json()["allowed_actions"]
    assert await outbox(live, "contact_changed") == []


async def test_a_supervisor_replaces_it_with_a_reason_and_the_old_contact_is_told(live, settings):
    operator = await staff(live, settings, Role.operator)
    number = await paper(live, operator, email="ahmed@example.ma", phone="0612345678")
    missing = await attach(live, number, live.supervisor, email="new.address@gmail.com")
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["reason"]

    replaced = await attach(
        live,
        number,
        live.supervisor,
        email="new.address@gmail.com",
        reason="The citizen came to the office: old address lost.",
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["complainant"]["email"] == "new.address@gmail.com"
    history = await live.client.get(f"/api/v1/requests/{number}", headers=live.supervisor)
    [event] = [e for e in history.json()["history"] if e["action"] == "attach_contact"]
    assert event["note"] == "The citizen came to the office: old address lost."
    assert event["data"]["contact"] == "replaced"
    assert event["data"]["changed"] == ["email"]

    told = await outbox(live, "contact_changed")
    assert {(m.channel, m.recipient) for m in told} == {
        ("email", "ahmed@example.ma"),
        ("sms", "+212612345678"),
    }
    for message in told:
        text = render(message.channel, message.payload)["text"]
        assert "n***@g***.com" in text
        assert "new.address" not in text
        assert "gmail.com" not in text
        assert number in text
    assert "Les coordonnées de votre demande" in str(
        render("email", next(m for m in told if m.channel == "email").payload)["subject"]
    )


async def test_the_old_address_receives_the_notice_in_its_language(live, settings, smtp):
    operator = await staff(live, settings, Role.operator)
    number = await paper(live, operator, language="ar", email="amina@example.ma")
    replaced = await attach(
        live, number, live.supervisor, phone="0698765432", email="amina.new@example.ma", reason="x"
    )
    assert replaced.status_code == 200
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    await drain(live.sessionmaker, mail)
    [notice] = [
        m
        for m in smtp.messages
        if m["To"] == "amina@example.ma"
        and "وسيلة الاتصال" in str(make_header(decode_header(m["Subject"])))
    ]
    [body] = [
        part.get_payload(decode=True).decode(part.get_content_charset())
        for part in notice.walk()
        if part.get_content_type() == "text/plain"
    ]
    assert number in body
    assert "a***@e***.ma" in body
    assert "********32" in body
    assert "amina.new" not in body
    assert "0698765432" not in body


async def test_only_operators_and_the_requests_own_supervisors_may(live, settings):
    operator = await staff(live, settings, Role.operator)
    number = await paper(live, operator, email="ahmed@example.ma")
    async with live.sessionmaker() as session:
        elsewhere = await make_administration(session, code="ELSEWHERE9")
        await session.commit()
    try:
        stranger = await staff(live, settings, Role.supervisor, elsewhere)
        denied = await attach(live, number, stranger, email="x@example.ma", reason="r")
        assert denied.status_code == 404
    finally:
        from sqlalchemy import delete

        from app.models import Administration, Service, User

        async with live.sessionmaker() as session:
            await session.execute(delete(User).where(User.administration_id == elsewhere.id))
            await session.execute(delete(Service).where(Service.administration_id == elsewhere.id))
            await session.execute(delete(Administration).where(Administration.id == elsewhere.id))
            await session.commit()
    agent = await attach(live, number, live.staff, email="x@example.ma", reason="r")
    assert agent.status_code == 403
    national = await attach(live, number, live.national, email="x@example.ma", reason="r")
    assert national.status_code in (403, 404)
