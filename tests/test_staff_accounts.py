"""Staff accounts a security officer accepts: deactivation, revocation of every token, one-time
password-reset links, and a TOTP second factor for supervisors and national admins."""

from __future__ import annotations

import asyncio
import base64
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.models.enums import Role
from app.models.outbox import OutboxMessage
from app.models.user import PasswordReset, User
from app.services import totp
from app.services.dispatcher import drain
from tests.factories import PASSWORD, make_administration, make_staff, otp

NEW_PASSWORD = "plum violin orbit seventeen"


async def login(client, email: str, password: str = PASSWORD, **extra: str):
    return await client.post(
        "/api/v1/auth/token", data={"username": email, "password": password, **extra}
    )


def wrong_codes(user: User, moment: datetime) -> list[str]:
    """Codes that are none of the three the server accepts around `moment`."""
    window = {totp.code_at(user.totp_secret, moment + timedelta(seconds=d)) for d in (-30, 0, 30)}
    return [code for code in (f"{n:06d}" for n in range(20)) if code not in window]


def bearer(response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def reset_emails(session, address: str) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(
        OutboxMessage.event == "password_reset", OutboxMessage.recipient == address
    )
    return list((await session.scalars(stmt.order_by(OutboxMessage.id))).all())


def token_of(message: OutboxMessage, settings) -> str:
    text = message.payload["text"]
    found = re.search(re.escape(settings.portal_url) + r"/staff/password-reset#token=(\S+)", text)
    assert found, text
    return found.group(1)


async def ask_reset(client, session, settings, address: str) -> str:
    response = await client.post("/api/v1/auth/password-reset", json={"email": address})
    assert response.status_code == 202, response.text
    return token_of((await reset_emails(session, address))[-1], settings)


# --- deactivation and revocation


async def test_a_deactivated_accounts_token_is_refused_at_once_and_stays_dead(
    client, session, settings
):
    admin = await make_administration(session)
    agent, agent_headers = await make_staff(session, settings, Role.agent, admin)
    _nat, national = await make_staff(session, settings, Role.national_admin)
    assert (await client.get("/api/v1/auth/me", headers=agent_headers)).status_code == 200

    done = await client.post(f"/api/v1/backoffice/users/{agent.id}/deactivate", headers=national)
    assert done.status_code == 200, done.text
    assert done.json()["active"] is False
    refused = await client.get("/api/v1/auth/me", headers=agent_headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    assert (await login(client, agent.email)).json()["code"] == "invalid_credentials"

    back = await client.post(f"/api/v1/backoffice/users/{agent.id}/reactivate", headers=national)
    assert back.json()["active"] is True
    # Reactivation does not revive the tokens revoked at deactivation: log in again.
    assert (await client.get("/api/v1/auth/me", headers=agent_headers)).status_code == 401
    fresh = bearer(await login(client, agent.email))
    assert (await client.get("/api/v1/auth/me", headers=fresh)).status_code == 200


async def test_nobody_deactivates_their_own_account(client, session, settings):
    national_user, national = await make_staff(session, settings, Role.national_admin)
    response = await client.post(
        f"/api/v1/backoffice/users/{national_user.id}/deactivate", headers=national
    )
    assert response.status_code == 409
    assert response.json()["code"] == "own_account"


async def test_a_new_password_revokes_every_older_token(client, session, settings):
    admin = await make_administration(session)
    agent, factory_headers = await make_staff(session, settings, Role.agent, admin)
    logged_in = bearer(await login(client, agent.email))
    token = await ask_reset(client, session, settings, agent.email)

    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 204, response.text
    for old in (factory_headers, logged_in):
        refused = await client.get("/api/v1/auth/me", headers=old)
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_token"
    assert (await login(client, agent.email)).status_code == 401
    fresh = bearer(await login(client, agent.email, NEW_PASSWORD))
    assert (await client.get("/api/v1/auth/me", headers=fresh)).status_code == 200


async def test_changing_ones_password_revokes_every_other_token(client, session, settings):
    admin = await make_administration(session)
    agent, factory_headers = await make_staff(session, settings, Role.agent, admin)
    logged_in = bearer(await login(client, agent.email))
    changed = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=logged_in,
    )
    fresh = bearer(changed)
    for old in (factory_headers, logged_in):
        assert (await client.get("/api/v1/auth/me", headers=old)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=fresh)).status_code == 200
    assert (await login(client, agent.email, NEW_PASSWORD)).status_code == 200


async def test_a_stolen_token_cannot_guess_the_current_password(client, session, settings):
    admin = await make_administration(session)
    _agent, headers = await make_staff(session, settings, Role.agent, admin)
    weak = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "abababababab"},
        headers=headers,
    )
    assert weak.status_code == 422
    assert [(e["field"], e["code"]) for e in weak.json()["errors"]] == [
        ("new_password", "password_too_weak")
    ]
    for n in range(settings.login_failures_per_account):
        wrong = await client.post(
            "/api/v1/auth/password",
            json={"current_password": f"guess number {n}", "new_password": NEW_PASSWORD},
            headers=headers,
        )
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "wrong_current_password"
    blocked = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert blocked.status_code == 429
    # Nothing changed: the token and the password still work.
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200


# --- password-reset links


async def test_the_reset_answer_is_the_same_whether_or_not_the_account_exists(
    client, session, settings
):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    known = await client.post("/api/v1/auth/password-reset", json={"email": agent.email})
    unknown = await client.post(
        "/api/v1/auth/password-reset", json={"email": "nobody@staff.example.ma"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content == b""
    assert known.headers.get("content-type") == unknown.headers.get("content-type")
    assert len(await reset_emails(session, agent.email)) == 1
    assert await reset_emails(session, "nobody@staff.example.ma") == []
    # Only the token's hash is stored.
    token = token_of((await reset_emails(session, agent.email))[0], settings)
    stored = (await session.scalars(select(PasswordReset.token_hash))).all()
    assert token not in stored
    assert all(len(value) == 64 for value in stored)


async def test_a_reset_link_works_once(client, session, settings):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    token = await ask_reset(client, session, settings, agent.email)
    body = {"token": token, "password": NEW_PASSWORD}
    assert (await client.post("/api/v1/auth/password-reset/confirm", json=body)).status_code == 204
    again = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "another long passphrase here"},
    )
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_reset_token"
    # The second attempt changed nothing.
    assert (await login(client, agent.email, NEW_PASSWORD)).status_code == 200


async def test_a_reset_link_expires(client, session, settings, frozen_clock):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    token = await ask_reset(client, session, settings, agent.email)
    frozen_clock.advance(minutes=settings.password_reset_ttl_minutes, seconds=1)
    late = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert late.status_code == 400
    assert late.json()["code"] == "invalid_reset_token"
    assert (await login(client, agent.email)).status_code == 200


async def test_an_unknown_token_is_refused(client):
    response = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": "x" * 43, "password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_reset_token"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short one", "too_short"),
        ("a" * 129, "too_long"),
        ("abababababababab", "password_too_weak"),
        ("Password2026!!", "password_too_weak"),
    ],
)
async def test_a_refused_password_gets_a_field_error_and_the_link_keeps_working(
    client, session, settings, password, code
):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    token = await ask_reset(client, session, settings, agent.email)
    refused = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": password},
        headers={"Accept-Language": "fr"},
    )
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("password", code)
    assert error["message"]
    assert error["message"] != f"field.{code}"
    ok = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert ok.status_code == 204


async def test_the_email_of_an_account_is_not_part_of_its_password(client, session, settings):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    token = await ask_reset(client, session, settings, agent.email)
    local = agent.email.split("@")[0]
    refused = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": f"{local} is my password"},
    )
    assert refused.json()["errors"][0]["code"] == "password_too_weak"


async def test_a_stranger_cannot_flood_a_staff_mailbox(client, session, settings, frozen_clock):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    for _ in range(settings.password_resets_per_account_per_hour + 3):
        response = await client.post("/api/v1/auth/password-reset", json={"email": agent.email})
        assert response.status_code == 202
    assert len(await reset_emails(session, agent.email)) == (
        settings.password_resets_per_account_per_hour
    )
    frozen_clock.advance(hours=1, seconds=1)
    await client.post("/api/v1/auth/password-reset", json={"email": agent.email})
    assert len(await reset_emails(session, agent.email)) == (
        settings.password_resets_per_account_per_hour + 1
    )


async def test_a_deactivated_account_gets_no_link_and_its_links_die(client, session, settings):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    _nat, national = await make_staff(session, settings, Role.national_admin)
    token = await ask_reset(client, session, settings, agent.email)
    await client.post(f"/api/v1/backoffice/users/{agent.id}/deactivate", headers=national)
    used = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert used.json()["code"] == "invalid_reset_token"
    await client.post("/api/v1/auth/password-reset", json={"email": agent.email})
    assert len(await reset_emails(session, agent.email)) == 1
    sent = await client.post(
        f"/api/v1/backoffice/users/{agent.id}/password-reset", headers=national
    )
    assert sent.status_code == 409
    assert sent.json()["code"] == "account_inactive"


async def test_the_reset_email_reaches_the_mail_server_with_a_link_to_the_portal(
    client, session, sessionmaker, settings, smtp
):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    await session.commit()
    response = await client.post(
        "/api/v1/auth/password-reset",
        json={"email": agent.email.upper()},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 202
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    assert await drain(sessionmaker, mail) == 1
    [message] = smtp.messages
    assert message["To"] == agent.email
    assert message["Content-Language"] == "fr"
    text = next(
        part.get_payload(decode=True).decode(part.get_content_charset())
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    found = re.search(r"https://www\.chikaya\.ma/staff/password-reset#token=(\S+)", text)
    assert found, text
    confirmed = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": found.group(1), "password": NEW_PASSWORD},
    )
    assert confirmed.status_code == 204


# --- the TOTP second factor


async def test_a_supervisor_logs_in_with_the_code_in_otp_or_in_client_secret(
    client, session, settings, frozen_clock
):
    admin = await make_administration(session)
    supervisor, _ = await make_staff(session, settings, Role.supervisor, admin)
    missing = await login(client, supervisor.email)
    assert missing.status_code == 401
    assert missing.json()["code"] == "otp_required"

    with_otp = bearer(await login(client, supervisor.email, otp=otp(supervisor)))
    me = await client.get("/api/v1/auth/me", headers=with_otp)
    assert me.json()["email"] == supervisor.email

    # Swagger UI's Authorize dialog sends the code as the client secret.
    frozen_clock.advance(seconds=30)
    swagger = await login(client, supervisor.email, client_id="", client_secret=otp(supervisor))
    assert (await client.get("/api/v1/auth/me", headers=bearer(swagger))).status_code == 200

    # Its default "client credentials location" is the Authorization header instead.
    for client_id in ("", "swagger"):
        frozen_clock.advance(seconds=30)
        basic = base64.b64encode(f"{client_id}:{otp(supervisor)}".encode()).decode()
        header = await client.post(
            "/api/v1/auth/token",
            data={"username": supervisor.email, "password": PASSWORD},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert (await client.get("/api/v1/auth/me", headers=bearer(header))).status_code == 200
    garbled = await client.post(
        "/api/v1/auth/token",
        data={"username": supervisor.email, "password": PASSWORD},
        headers={"Authorization": "Basic %%%not-base64"},
    )
    assert garbled.json()["code"] == "otp_required"


async def test_a_wrong_or_replayed_code_is_refused(client, session, settings, frozen_clock):
    national, _ = await make_staff(session, settings, Role.national_admin)
    code = otp(national)
    wrong = wrong_codes(national, frozen_clock.moment)[0]
    refused = await login(client, national.email, otp=wrong)
    assert refused.status_code == 401
    assert refused.json()["code"] == "otp_invalid"
    assert (await login(client, national.email, otp=code)).status_code == 200
    # The same code again within its window (someone who saw it): refused.
    replayed = await login(client, national.email, otp=code)
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "otp_invalid"
    # So is the previous step's code, older than the one used.
    older = totp.code_at(national.totp_secret, frozen_clock.moment - timedelta(seconds=30))
    assert (await login(client, national.email, otp=older)).json()["code"] == "otp_invalid"
    # The next step's code works.
    frozen_clock.advance(seconds=30)
    assert (await login(client, national.email, otp=otp(national))).status_code == 200


async def test_a_wrong_password_never_reaches_the_code(client, session, settings):
    admin = await make_administration(session)
    supervisor, _ = await make_staff(session, settings, Role.supervisor, admin)
    response = await login(client, supervisor.email, "wrong password", otp=otp(supervisor))
    assert response.json()["code"] == "invalid_credentials"


async def test_guessing_codes_is_throttled(client, session, settings, frozen_clock):
    admin = await make_administration(session)
    supervisor, _ = await make_staff(session, settings, Role.supervisor, admin)
    right = otp(supervisor)
    guesses = wrong_codes(supervisor, frozen_clock.moment)
    for guess in guesses[: settings.login_failures_per_account]:
        assert (await login(client, supervisor.email, otp=guess)).status_code == 401
    blocked = await login(client, supervisor.email, otp=right)
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0


async def test_a_role_that_needs_a_second_factor_cannot_log_in_without_one(
    client, session, settings
):
    national, _ = await make_staff(session, settings, Role.national_admin)
    national.totp_secret = None  # an account from before the second factor existed
    await session.flush()
    response = await login(client, national.email, otp="123456")
    assert response.status_code == 401
    assert response.json()["code"] == "otp_not_enrolled"


async def test_an_agent_who_enrolled_needs_the_code_too(client, session, settings, frozen_clock):
    admin = await make_administration(session)
    agent, _ = await make_staff(session, settings, Role.agent, admin)
    assert (await login(client, agent.email)).status_code == 200
    agent.totp_secret = totp.new_secret()
    await session.flush()
    assert (await login(client, agent.email)).json()["code"] == "otp_required"
    assert (await login(client, agent.email, otp=otp(agent))).status_code == 200


# --- who manages which account


async def test_a_supervisor_manages_only_the_accounts_of_their_administration(
    client, session, settings
):
    admin, other = await make_administration(session), await make_administration(session)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    mine, _ = await make_staff(session, settings, Role.agent, admin)
    theirs, theirs_headers = await make_staff(session, settings, Role.agent, other)
    national_user, _ = await make_staff(session, settings, Role.national_admin)
    operator, _ = await make_staff(session, settings, Role.operator)

    shown = await client.get(f"/api/v1/backoffice/users/{mine.id}", headers=supervisor)
    assert shown.status_code == 200
    assert shown.json()["administration"] == admin.code
    ok = await client.post(f"/api/v1/backoffice/users/{mine.id}/deactivate", headers=supervisor)
    assert ok.status_code == 200
    sent = await client.post(
        f"/api/v1/backoffice/users/{_sup.id}/password-reset", headers=supervisor
    )
    assert sent.status_code == 202
    assert sent.json()["sent_to"] == _sup.email
    # Other administrations' accounts, national admins, operators and unknown ids look alike.
    for user_id in (theirs.id, national_user.id, operator.id, 2**31 - 1):
        for action in ("deactivate", "reactivate", "password-reset"):
            response = await client.post(
                f"/api/v1/backoffice/users/{user_id}/{action}", headers=supervisor
            )
            assert response.status_code == 404, (user_id, action)
            assert response.json()["code"] == "user_not_found"
        shown = await client.get(f"/api/v1/backoffice/users/{user_id}", headers=supervisor)
        assert shown.status_code == 404
    assert (await client.get("/api/v1/auth/me", headers=theirs_headers)).status_code == 200


async def test_agents_and_operators_manage_no_account(client, session, settings):
    admin = await make_administration(session)
    _agent, agent_headers = await make_staff(session, settings, Role.agent, admin)
    _op, operator = await make_staff(session, settings, Role.operator)
    colleague, _ = await make_staff(session, settings, Role.agent, admin)
    for headers in (agent_headers, operator):
        response = await client.post(
            f"/api/v1/backoffice/users/{colleague.id}/deactivate", headers=headers
        )
        assert response.status_code == 403
    anonymous = await client.post(f"/api/v1/backoffice/users/{colleague.id}/deactivate")
    assert anonymous.status_code == 401


@pytest.mark.parametrize("user_id", ["0", "-1", str(2**31), "99999999999999999999", "abc"])
async def test_out_of_range_ids_are_field_errors(client, session, settings, user_id):
    _nat, national = await make_staff(session, settings, Role.national_admin)
    response = await client.post(f"/api/v1/backoffice/users/{user_id}/deactivate", headers=national)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


def test_a_code_is_accepted_within_one_step_of_drift_and_never_twice():
    secret = totp.new_secret()
    now = pyotp.TOTP(secret)
    moment = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
    step = now.timecode(moment)
    assert totp.matching_step(secret, totp.code_at(secret, moment), moment, None) == step
    earlier = totp.code_at(secret, moment - timedelta(seconds=30))
    assert totp.matching_step(secret, earlier, moment, None) == step - 1
    assert totp.matching_step(secret, earlier, moment, step - 1) is None
    far = totp.code_at(secret, moment - timedelta(seconds=90))
    assert totp.matching_step(secret, far, moment, None) is None
    for junk in ("", "12345", "1234567", "١٢٣٤٥٦", "abcdef"):
        assert totp.matching_step(secret, junk, moment, None) is None
    spaced = totp.code_at(secret, moment)
    assert totp.matching_step(secret, f"{spaced[:3]} {spaced[3:]}", moment, None) == step


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/password-reset", '{"email": "a\\ud83d@staff.example.ma"}'),
        ("/api/v1/auth/password-reset", '{"email": "a\\u0000@staff.example.ma"}'),
        ("/api/v1/auth/password-reset/confirm", '{"token": "\\ud83d", "password": "x"}'),
        (
            "/api/v1/auth/password-reset/confirm",
            '{"token": "abc", "password": "a long passphrase \\udc00 here"}',
        ),
    ],
)
async def test_unencodable_text_is_a_field_error_not_a_500(client, path, body):
    response = await client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "invalid"


async def test_two_logins_racing_with_one_code_let_one_in(live, settings, frozen_clock):
    async with live.sessionmaker() as session:
        supervisor, _ = await make_staff(session, settings, Role.supervisor, live.administration)
        await session.commit()
    code = otp(supervisor)
    answers = await asyncio.gather(
        *(login(live.client, supervisor.email, otp=code) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]
    assert {a.json().get("code") for a in answers if a.status_code == 401} == {"otp_invalid"}
