"""A service may require a verified contact: the filing carries the one-time code sent to the
complainant's email, the code serves once, and staff see which contact was proved."""

from __future__ import annotations

from sqlalchemy import update

from app.models.catalogue import Service
from tests.factories import complaint
from tests.test_citizens import (  # noqa: F401 (fixtures)
    ask_code,
    client_sessionmaker,
    mail,
    unique_email,
)

REQUESTS = "/api/v1/requests"


async def _require_verification(live) -> None:
    async with live.sessionmaker() as session:
        await session.execute(
            update(Service)
            .where(Service.administration_id == live.administration.id, Service.code == "svc")
            .values(requires_verified_contact=True)
        )
        await session.commit()


def _errors(response) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


async def test_a_service_requiring_a_verified_contact(live, mail, smtp):  # noqa: F811
    await _require_verification(live)
    catalogue = await live.client.get(f"/api/v1/administrations/{live.administration.code}")
    flags = {s["code"]: s["requires_verified_contact"] for s in catalogue.json()["services"]}
    assert flags == {"svc": True, "general": False}

    email = unique_email()
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Amina Test", "email": email}

    missing = await live.client.post(REQUESTS, json=body)
    assert missing.status_code == 422, missing.text
    assert ("complainant.verification_code", "verification_required") in _errors(missing)

    code = await ask_code(live.client, live, mail, smtp, email)
    wrong = "000000" if code != "000000" else "111111"
    body["complainant"]["verification_code"] = wrong
    refused = await live.client.post(REQUESTS, json=body)
    assert refused.status_code == 422, refused.text
    assert _errors(refused) == [("complainant.verification_code", "code_invalid")]

    # A code sent to someone else's address proves nothing about this one.
    other = unique_email()
    other_code = await ask_code(live.client, live, mail, smtp, other)
    body["complainant"]["verification_code"] = other_code
    assert (await live.client.post(REQUESTS, json=body)).status_code == 422

    body["complainant"]["verification_code"] = code
    filed = await live.client.post(REQUESTS, json=body)
    assert filed.status_code == 201, filed.text
    number = filed.json()["tracking_number"]

    staff_view = await live.client.get(f"{REQUESTS}/{number}", headers=live.staff)
    assert staff_view.status_code == 200, staff_view.text
    complainant = staff_view.json()["complainant"]
    assert complainant["contact_verified"] is True
    assert complainant["verified_contact"] == "email"

    # The code served once.
    again = await live.client.post(REQUESTS, json=body)
    assert again.status_code == 422
    assert _errors(again) == [("complainant.verification_code", "code_invalid")]


async def test_any_filing_may_carry_a_code_and_none_is_needed_elsewhere(
    live,
    mail,  # noqa: F811
    smtp,
):
    email = unique_email()
    body = complaint(live.administration.code, service="general", attributes={})
    body["complainant"] = {"full_name": "Amina Test", "email": email}
    plain = await live.client.post(REQUESTS, json=body)
    assert plain.status_code == 201, plain.text
    view = await live.client.get(
        f"{REQUESTS}/{plain.json()['tracking_number']}", headers=live.staff
    )
    assert view.json()["complainant"]["contact_verified"] is False
    assert view.json()["complainant"]["verified_contact"] is None

    body["complainant"]["verification_code"] = await ask_code(live.client, live, mail, smtp, email)
    proved = await live.client.post(REQUESTS, json=body)
    assert proved.status_code == 201, proved.text
    view = await live.client.get(
        f"{REQUESTS}/{proved.json()['tracking_number']}", headers=live.staff
    )
    assert view.json()["complainant"]["contact_verified"] is True


async def test_wrong_codes_through_filings_lock_that_client_only(
    live,
    mail,  # noqa: F811
    smtp,
    client_at,
):
    """Guessing a contact's code by filing again and again is bounded as signing in is: the
    same failures per (contact, client) count, whichever door they come through."""
    await _require_verification(live)
    email = unique_email()
    guesser, owner = client_at("127.0.0.7"), client_at("127.0.0.8")
    code = await ask_code(owner, live, mail, smtp, email)
    body = complaint(live.administration.code)
    body["complainant"] = {"full_name": "Amina Test", "email": email}
    body["complainant"]["verification_code"] = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(mail.otp_failures_per_contact):
        wrong = await guesser.post(REQUESTS, json=body)
        assert wrong.status_code == 422, wrong.text
        assert _errors(wrong) == [("complainant.verification_code", "code_invalid")]
    body["complainant"]["verification_code"] = code
    refused = await guesser.post(REQUESTS, json=body)
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
    assert int(refused.headers["Retry-After"]) > 0
    # Nor may the guesser try at the sign-in door instead.
    session = await guesser.post("/api/v1/citizens/session", json={"email": email, "code": code})
    assert session.status_code == 429
    # The owner, from another address, files with the code all the same.
    filed = await owner.post(REQUESTS, json=body)
    assert filed.status_code == 201, filed.text
