"""The acknowledgement receipt: a PDF in Arabic, French and English, checkable by anyone."""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from tests.factories import (
    agent_and_stranger,
    complaint,
    file,
    file_complaint,
    make_administration,
)


async def _receipt(client, created, **params):
    response = await client.get(
        f"/api/v1/requests/{created['tracking_number']}/receipt",
        headers=created["auth"],
        params=params,
    )
    assert response.status_code == 200, response.text
    return response


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


async def test_the_receipt_is_a_one_page_pdf_with_what_the_citizen_needs(client, session):
    created = await file_complaint(
        client,
        session,
        complainant={
            "full_name": "Nadia Berrada",
            "email": "nadia@example.ma",
            "phone": "0661000000",
        },
    )
    response = await _receipt(client, created)
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _text(response.content)
    detail = (
        await client.get(f"/api/v1/requests/{created['tracking_number']}", headers=created["auth"])
    ).json()
    code = (
        await session.execute(
            __import__("sqlalchemy").text(
                "SELECT receipt_code FROM requests WHERE tracking_number = :n"
            ),
            {"n": created["tracking_number"]},
        )
    ).scalar_one()
    assert created["tracking_number"] in text
    assert code in text
    assert "Accusé de réception" in text
    assert detail["due_at"][8:10] + "/" + detail["due_at"][5:7] + "/" + detail["due_at"][:4] in text
    # Arabic is drawn shaped: the page holds joined presentation forms (U+FE70-U+FEFF), which
    # pypdf gives back in reading order; NFKC folds them to the letters we wrote.
    assert any("\ufe70" <= ch <= "\ufeff" for ch in text)
    folded = unicodedata.normalize("NFKC", text)
    assert "إيصال بالاستلام" in folded
    assert "البوابة الوطنية للشكايات" in folded
    for personal in ("nadia@example.ma", "Nadia", "+212661000000", "0661000000"):
        assert personal not in text


async def test_only_its_citizen_and_administration_get_the_receipt(client, session, settings):
    admin, staff, stranger = await agent_and_stranger(session, settings)
    mine = await file(client, complaint(admin.code))
    theirs = await file(client, complaint(admin.code))
    path = f"/api/v1/requests/{mine['tracking_number']}/receipt"
    assert (await client.get(path, headers=theirs["auth"])).status_code == 404
    assert (await client.get(path, headers=stranger)).status_code == 404
    assert (await client.get(path, headers=staff)).status_code == 200


async def test_anyone_can_check_a_receipt_without_learning_who_filed_it(client, session):
    from sqlalchemy import text

    admin = await make_administration(session)
    created = await file(client, complaint(admin.code))
    code = (
        await session.execute(
            text("SELECT receipt_code FROM requests WHERE tracking_number = :n"),
            {"n": created["tracking_number"]},
        )
    ).scalar_one()
    typed = code.lower().replace("-", "").replace("0", "o")
    response = await client.get(f"/api/v1/receipts/{typed}")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["receipt_code"] == code
    assert body["tracking_number"] == created["tracking_number"]
    assert body["administration"]["code"] == admin.code
    flat = response.text
    for personal in ("Fatima", "example.ma", "complainant", "email", "phone"):
        assert personal not in flat


async def test_forged_codes_are_refused_and_throttled(client, settings):
    for _ in range(settings.tracking_failures_per_client):
        response = await client.get("/api/v1/receipts/AAAA-BBBB-CCCC")
        assert response.status_code == 404
        assert response.json()["code"] == "receipt_not_found"
    blocked = await client.get("/api/v1/receipts/AAAA-BBBB-CCCC")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
