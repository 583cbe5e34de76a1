"""Emails and SMS are rendered when they are sent, from what the outbox keeps (template, language,
parameters), into exactly the messages that were rendered at filing before; rows written in
the older, rendered form are still sent as they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from app.config import Settings
from app.models.outbox import OutboxMessage
from app.services import clock, templates
from app.services.dispatcher import drain
from tests.factories import complaint
from tests.servers import HttpReceiver, SmtpServer

# What the code rendered at filing, before rendering moved to send time, for the same
# parameters (`{…}`: the request's own values, filled in by the test): the golden examples.
ACKNOWLEDGEMENT_FR = {
    "subject": "Accusé de réception — votre demande {number}",
    "text": "{administration} a bien reçu votre demande n° {number} le {date}. Une réponse est due"
    " avant le {due}. Gardez ce numéro pour suivre votre demande sur https://www.chikaya.ma.\n\n"
    "Portail national des réclamations — message automatique, merci de ne pas y répondre.",
    "html": '<!doctype html><html lang="fr" dir="ltr"><head><meta charset="utf-8"><title>Accusé'
    " de réception — votre demande {number}</title></head>"
    '<body style="font-family: Arial, sans-serif" dir="ltr"><p>{administration} a bien reçu'
    " votre demande n° {number} le {date}. Une réponse est due avant le {due}. Gardez ce numéro"
    " pour suivre votre demande sur https://www.chikaya.ma.</p><p>Portail national des"
    " réclamations — message automatique, merci de ne pas y répondre.</p></body></html>",
}
ACKNOWLEDGEMENT_SMS_FR = "Chikaya: demande {number} reçue. Réponse avant le {due}."
NEW_REQUEST_EN = {
    "subject": "New request {number}",
    "text": "A new request no. {number} ({kind}) reached {administration}; an answer is due by"
    " {due}.\n\nNational complaints portal — automatic message, please do not reply.",
    "html": '<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>New'
    " request {number}</title></head>"
    '<body style="font-family: Arial, sans-serif" dir="ltr"><p>A new request no. {number}'
    " ({kind}) reached {administration}; an answer is due by {due}.</p><p>National complaints"
    " portal — automatic message, please do not reply.</p></body></html>",
}
# Quoted words with markup, and Arabic-free French punctuation: escaped in the HTML part only.
QUOTED = 'Réponse : <b>"oui"</b> & l\'avis n° 5'
STATE_CHANGED_FR = {
    "subject": "Votre demande K7M-2QX-9TB a évolué",
    "text": "Votre demande n° K7M-2QX-9TB auprès de Autorité de contrôle des assurances (ACAPS)"
    ' est désormais : répondue.\n\nRéponse : <b>"oui"</b> & l\'avis n° 5\n\nPortail national'
    " des réclamations — message automatique, merci de ne pas y répondre.",
    "html": '<!doctype html><html lang="fr" dir="ltr"><head><meta charset="utf-8"><title>Votre'
    " demande K7M-2QX-9TB a évolué</title></head>"
    '<body style="font-family: Arial, sans-serif" dir="ltr"><p>Votre demande n° K7M-2QX-9TB'
    " auprès de Autorité de contrôle des assurances (ACAPS) est désormais : répondue.</p>"
    "<p>Réponse : &lt;b&gt;&quot;oui&quot;&lt;/b&gt; &amp; l&#x27;avis n° 5</p><p>Portail"
    " national des réclamations — message automatique, merci de ne pas y répondre.</p>"
    "</body></html>",
    "language": "fr",
}


def _filled(golden: dict[str, str], **values: str) -> dict[str, str]:
    filled = {}
    for key, text in golden.items():
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        filled[key] = text
    return filled


def _said(message: Message) -> dict[str, str]:
    """Subject, plain text and HTML of a received email, as its sender wrote them."""
    said = {"subject": str(make_header(decode_header(message["Subject"])))}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html"):
            content = part.get_payload(decode=True).decode(part.get_content_charset())
            # Lines end in CRLF on the wire, and `set_content` ends every part with one.
            content = content.replace("\r\n", "\n").removesuffix("\n")
            said["text" if kind == "text/plain" else "html"] = content
    return said


def _day(moment: str) -> str:
    return datetime.fromisoformat(moment).strftime("%d/%m/%Y")


def test_a_message_rendered_at_send_time_is_the_one_rendered_at_filing_before():
    params = {
        "number": "K7M-2QX-9TB",
        "administration": "Autorité de contrôle des assurances (ACAPS)",
        "state": "répondue",
    }
    kept = templates.message("email", "state_changed", "fr", QUOTED, **params)
    assert kept == {
        "template": "state_changed",
        "language": "fr",
        "params": params,
        "quoted": QUOTED,
    }
    assert templates.render("email", kept) == STATE_CHANGED_FR
    # An SMS quotes nobody, nor names the administration: neither is kept.
    sms = templates.message("sms", "state_changed", "fr", QUOTED, **params)
    assert sms == {
        "template": "state_changed",
        "language": "fr",
        "params": {"number": "K7M-2QX-9TB", "state": "répondue"},
    }
    assert templates.render("sms", sms) == {
        "text": "Chikaya: votre demande K7M-2QX-9TB est répondue.",
        "language": "fr",
    }


def _sending(settings: Settings, smtp: SmtpServer, receiver: HttpReceiver) -> Settings:
    """`settings` sending mail to `smtp` and SMS to `receiver`."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "sms_gateway_url": receiver.url + "/send",
            "sms_gateway_token": SecretStr("gw-token"),
        }
    )


async def test_a_filing_keeps_parameters_and_sends_the_same_messages(
    live, settings, smtp, receiver
):
    sending = _sending(settings, smtp, receiver)
    body = complaint(live.administration.code, language="fr")
    body["complainant"] = {
        "full_name": "Citoyen Test",
        "email": "karim@example.ma",
        "phone": "0612345678",
    }
    response = await live.client.post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    number, due = created["tracking_number"], _day(created["due_at"])

    async with live.sessionmaker() as session:
        [fanout] = (await session.scalars(select(OutboxMessage))).all()
    # No body is stored at filing: what renders it, and nothing more (in the filing's one
    # fan-out, `OutboxMessage`).
    kept = fanout.payload["messages"] + fanout.payload["to_supervisors"]
    assert {m.get("channel", "email") for m in kept} == {"email", "sms"}
    for message in kept:
        assert set(message["payload"]) == {"template", "language", "params"}

    assert await drain(live.sessionmaker, sending) == 3
    by_recipient = {m["To"]: m for m in smtp.messages}
    administration = live.administration.name
    assert _said(by_recipient["karim@example.ma"]) == _filled(
        ACKNOWLEDGEMENT_FR,
        number=number,
        administration=administration["fr"],
        date=_day(created["created_at"]),
        due=due,
    )
    assert by_recipient["karim@example.ma"]["Content-Language"] == "fr"
    [supervisor] = [m for m in smtp.messages if m["To"] != "karim@example.ma"]
    assert _said(supervisor) == _filled(
        NEW_REQUEST_EN,
        number=number,
        administration=administration["en"],
        kind="complaint",
        due=due,
    )
    assert supervisor["Content-Language"] == "en"
    [sms] = receiver.received
    assert (
        sms.json()["text"]
        == _filled({"text": ACKNOWLEDGEMENT_SMS_FR}, number=number, due=due)["text"]
    )


async def test_a_message_written_rendered_is_still_sent_as_it_was(live, settings, smtp, receiver):
    """Rows written before rendering moved to send time hold the bodies themselves."""
    sending = _sending(settings, smtp, receiver)
    now = clock.now()
    old_sms = {"text": "Chikaya: votre demande K7M-2QX-9TB est répondue.", "language": "fr"}
    rows: list[dict[str, Any]] = [
        {"channel": "email", "recipient": "old.form@example.ma", "payload": STATE_CHANGED_FR},
        {"channel": "sms", "recipient": "+212612345678", "payload": old_sms},
    ]
    async with live.sessionmaker() as session:
        for row in rows:
            session.add(
                OutboxMessage(
                    message_id=uuid.uuid4(),
                    event="state_changed",
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    **row,
                )
            )
        await session.commit()
    assert await drain(live.sessionmaker, sending) == 2
    [mail] = smtp.messages
    assert _said(mail) == {k: v for k, v in STATE_CHANGED_FR.items() if k != "language"}
    assert mail["Content-Language"] == "fr"
    [sms] = receiver.received
    assert sms.json()["text"] == old_sms["text"]


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 3, 23, 59, tzinfo=UTC),
        datetime(2026, 12, 31, tzinfo=UTC),
        datetime(1999, 1, 9),
        datetime(987, 10, 1),
        datetime(5, 1, 1),
    ],
)
def test_a_day_is_written_as_strftime_writes_it(moment):
    assert templates.day(moment) == moment.strftime("%d/%m/%Y")
