"""Free text is safe to show to staff: no invisible names, no bidi overrides that spoof a queue;
and an email with an internationalized domain is delivered, in its IDNA form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models.outbox import OutboxMessage
from app.schemas.text import BIDI_CONTROLS, shows_something, without_bidi_controls
from app.services.dispatcher import drain
from tests.factories import complaint, file, make_administration


def fields(response) -> dict[str, str]:
    return {e["field"]: e["code"] for e in response.json().get("errors", [])}


@pytest.mark.parametrize(
    "name",
    [
        "\u200b\u200b\u200b",  # zero-width spaces
        "\u200c\u200d\u2060\ufeff",  # joiners, word joiner, BOM
        "\u3164\u3164",  # Hangul fillers
        "\u2800\u2800",  # braille blanks
        "\u200f\u200e\u061c",  # direction marks alone
        "\u0651\u064e",  # Arabic diacritics with no letter
    ],
)
async def test_a_name_made_only_of_invisible_characters_is_refused(client, session, name):
    admin = await make_administration(session)
    body = complaint(admin.code)
    body["complainant"]["full_name"] = name
    response = await client.post("/api/v1/requests", json=body)
    assert response.status_code == 422
    assert fields(response) == {"complainant.full_name": "invisible_text"}
    assert response.json()["errors"][0]["message"] == "Must contain visible characters."


async def test_a_name_of_bidi_controls_only_is_refused(client, session):
    admin = await make_administration(session)
    body = complaint(admin.code)
    body["complainant"]["full_name"] = "\u202e\u202e\u2067"
    response = await client.post("/api/v1/requests", json=body)
    assert response.status_code == 422
    assert "complainant.full_name" in fields(response)


async def test_bidi_overrides_never_reach_staff_and_arabic_stays_intact(client, session, settings):
    from app.models.enums import Role
    from tests.factories import make_staff

    admin = await make_administration(session)
    _agent, agent = await make_staff(session, settings, Role.agent, admin)
    arabic = "فاطمة الزهراء\u200f العلوي"  # an RLM, as Arabic keyboards type it
    body = complaint(
        admin.code,
        subject="\u202eTNEGRU\u202c Indemnisation",
        description="Mon assureur \u2066refuse\u2069 d'indemniser le sinistre du 3 mars.",
    )
    body["complainant"] = {
        "full_name": f"\u202b{arabic}\u202c",
        "organization_name": "\u2067شركة التأمين\u2069 SA",
        "email": "fatima@example.ma",
    }
    created = await file(client, body)
    number = created["tracking_number"]
    reply = await client.post(
        f"/api/v1/requests/{number}/messages",
        json={"body": "Voici \u202dle constat\u202c."},
        headers=created["auth"],
    )
    assert reply.status_code == 201, reply.text

    detail = (await client.get(f"/api/v1/requests/{number}", headers=agent)).json()
    assert detail["complainant"]["full_name"] == arabic
    assert detail["complainant"]["organization_name"] == "شركة التأمين SA"
    assert detail["subject"] == "TNEGRU Indemnisation"
    assert detail["description"] == "Mon assureur refuse d'indemniser le sinistre du 3 mars."
    queue = (await client.get("/api/v1/backoffice/requests", headers=agent)).json()
    [row] = [r for r in queue["items"] if r["tracking_number"] == number]
    assert row["subject"] == "TNEGRU Indemnisation"
    messages = (await client.get(f"/api/v1/requests/{number}/messages", headers=agent)).json()
    assert [m["body"] for m in messages] == ["Voici le constat."]
    for text in (str(detail), str(queue), str(messages)):
        assert not any(
            ch in text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        )


def test_what_shows_something():
    assert shows_something("محمد")
    assert shows_something("Ö")
    assert shows_something("1")
    assert not shows_something("\u200b \u00a0\u3000")


async def test_an_internationalized_domain_is_sent_in_its_idna_form(live, settings, smtp):
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Youssef Alami", "email": "youssef@exämple.ma"}
    created = await file(live.client, body)
    await drain(live.sessionmaker, mail)
    [received] = [m for m in smtp.messages if m["To"].endswith("xn--exmple-cua.ma")]
    assert received["To"] == "youssef@xn--exmple-cua.ma"
    assert created["tracking_number"] in received.get_payload()[0].get_payload(decode=True).decode()
    async with live.sessionmaker() as session:
        acknowledgement = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.event == "acknowledgement")
        )
    assert acknowledgement is not None
    assert (acknowledgement.status, acknowledgement.last_error) == ("sent", None)


def test_bidi_controls_and_nothing_else_are_removed_from_any_text():
    """Every character of the Basic Multilingual Plane, in Latin and Arabic text and alone:
    the bidi controls go, everything else stays where it was."""
    removed = dict.fromkeys(map(ord, BIDI_CONTROLS))
    for code in range(0x10000):
        for text in (chr(code), f"réf {chr(code)} x", f"شكاية{chr(code)}\U0001f600"):
            assert without_bidi_controls(text) == text.translate(removed), hex(code)
