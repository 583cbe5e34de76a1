"""Tracking: number plus email or phone opens one request; guessing is slow and fruitless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from app.models.enums import Role
from tests.factories import PASSWORD, complaint, file, make_administration, make_staff, track


async def _filed(client, session):
    admin = await make_administration(session)
    return await file(
        client,
        complaint(
            admin.code,
            complainant={
                "full_name": "Hind Tazi",
                "email": "Hind@Example.ma",
                "phone": "0612345678",
            },
        ),
    )


async def test_number_and_email_or_phone_give_a_token(client, session):
    created = await _filed(client, session)
    number = created["tracking_number"]
    for proof in (
        {"email": "hind@example.ma"},
        {"email": "HIND@EXAMPLE.MA"},
        {"phone": "+212612345678"},
        {"phone": "06 12 34 56 78"},
    ):
        response = await client.post("/api/v1/tracking", json={"tracking_number": number, **proof})
        assert response.status_code == 200, proof
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 900
        seen = await client.get(
            f"/api/v1/requests/{number}",
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert seen.status_code == 200
    sloppy = number.lower().replace("-", "")
    assert (await track(client, sloppy, email="hind@example.ma")).status_code == 200


async def test_a_wrong_number_and_a_wrong_contact_look_the_same(client, session):
    created = await _filed(client, session)
    wrong_contact = await client.post(
        "/api/v1/tracking",
        json={"tracking_number": created["tracking_number"], "email": "other@example.ma"},
    )
    wrong_number = await track(client, "ZZZZ-ZZZZ-ZZZ", email="hind@example.ma")
    assert wrong_contact.status_code == wrong_number.status_code == 404
    strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(wrong_contact) == strip(wrong_number)
    assert wrong_contact.json()["code"] == "tracking_failed"


async def test_a_contact_is_required(client):
    response = await client.post("/api/v1/tracking", json={"tracking_number": "ZZZZ-ZZZZ-ZZZ"})
    assert response.status_code == 422


async def test_failures_are_throttled_per_number(client, session, settings):
    created = await _filed(client, session)
    number = created["tracking_number"]
    for _ in range(settings.tracking_failures_per_number):
        response = await track(client, number, email="x@y.ma")
        assert response.status_code == 404
    blocked = await track(client, number, email="hind@example.ma")
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert 0 < int(blocked.headers["Retry-After"]) <= settings.throttle_window_seconds


async def test_failures_are_throttled_per_client(client, settings):
    for i in range(settings.tracking_failures_per_client):
        await track(client, f"N{i}", email="x@y.ma")
    blocked = await track(client, "ZZZZ-ZZZZ-ZZZ", email="x@y.ma")
    assert blocked.status_code == 429


async def test_an_expired_token_is_refused(client, session, settings):
    created = await _filed(client, session)
    past = datetime.now(UTC) - timedelta(hours=1)
    token = jwt.encode(
        {
            "typ": "tracking",
            "sub": "1",
            "trk": created["tracking_number"],
            "iat": past,
            "exp": past + timedelta(minutes=15),
        },
        settings.signing_key(),
        algorithm="HS256",
    )
    response = await client.get(
        f"/api/v1/requests/{created['tracking_number']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_staff_log_in_with_the_password_flow(client, session, settings):
    admin = await make_administration(session)
    user, _headers = await make_staff(session, settings, Role.agent, admin)
    token = await client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}
    )
    assert token.status_code == 200
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.json()["email"] == user.email
    assert me.json()["administration"] == admin.code
    wrong = await client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    for _ in range(settings.login_failures_per_account):
        await client.post("/api/v1/auth/token", data={"username": user.email, "password": "nope"})
    blocked = await client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}
    )
    assert blocked.status_code == 429
