"""`python -m app users ...`, run as operators run it: a process of its own on the test database.

The API is the `live` one (every request commits): the commands change the same rows."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.models.outbox import OutboxMessage
from app.models.user import PasswordReset, User

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long passphrase for the cli"


def cli(database_url: str, *args: str, ok: bool = True) -> list[str]:
    """The command's output lines (stdout); asserts its exit status."""
    env = {**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "test"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "users", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode == 0) is ok, (done.stdout, done.stderr)
    return (done.stdout if ok else done.stderr).strip().splitlines()


@pytest.fixture
async def email(engine):
    """An address for the test's account; whatever the commands committed is removed after."""
    address = f"cli{secrets.token_hex(3)}@staff.example.ma"
    yield address
    async with async_sessionmaker(engine)() as session:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == address))
        await session.execute(delete(User).where(User.email == address))
        await session.commit()


async def account(engine, address: str) -> User:
    async with async_sessionmaker(engine)() as session:
        return (await session.scalars(select(User).where(User.email == address))).one()


async def login(client, address: str, password: str, secret: str | None = None):
    data = {"username": address, "password": password}
    if secret:
        data["otp"] = pyotp.TOTP(secret).now()
    return await client.post("/api/v1/auth/token", data=data)


def create(database_url: str, email: str, role: str, *more: str) -> list[str]:
    """`staff create` with the test password; the lines it printed."""
    return cli(
        database_url, "create", "--email", email, "--password", PASSWORD, "--role", role, *more
    )


async def test_a_supervisor_created_on_the_command_line_gets_a_second_factor(
    live, database_url, engine, email
):
    client = live.client
    lines = create(database_url, email, "supervisor", "--administration", "ACAPS")
    uri = lines[-1]
    assert uri.startswith("otpauth://totp/")
    parsed = pyotp.parse_uri(uri)
    assert parsed.name == email
    assert parsed.issuer == "Chikaya"
    stored = await account(engine, email)
    assert stored.totp_secret == parsed.secret
    assert stored.role == "supervisor"
    assert all(parsed.secret not in line for line in lines[:-1])

    assert (await login(client, email, PASSWORD)).json()["code"] == "otp_required"
    token = (await login(client, email, PASSWORD, parsed.secret)).json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == email

    # A lost phone: a new secret; the old one (and every token) stops working.
    enrolled = cli(database_url, "enroll-totp", "--email", email)
    renewed = pyotp.parse_uri(enrolled[-1])
    assert renewed.secret != parsed.secret
    assert (await account(engine, email)).totp_secret == renewed.secret
    gone = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


async def test_an_agent_needs_no_second_factor_and_prints_no_uri(live, database_url, engine, email):
    client = live.client
    lines = create(database_url, email, "agent", "--administration", "ACAPS")
    assert not any("otpauth://" in line for line in lines)
    assert (await account(engine, email)).totp_secret is None
    assert (await login(client, email, PASSWORD)).status_code == 200


async def test_deactivate_reactivate_and_reset_on_the_command_line(
    live, database_url, engine, email
):
    client = live.client
    create(database_url, email, "operator")
    token = (await login(client, email, PASSWORD)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    cli(database_url, "deactivate", "--email", email)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await login(client, email, PASSWORD)).status_code == 401
    refused = cli(database_url, "reset-password", "--email", email, ok=False)
    assert "deactivated" in refused[-1]

    cli(database_url, "reactivate", "--email", email)
    token = (await login(client, email, PASSWORD)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    # Without --password: a one-time link, emailed through the outbox.
    queued = cli(database_url, "reset-password", "--email", email)
    assert email in queued[-1]
    async with async_sessionmaker(engine)() as session:
        [message] = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email))
        ).all()
        user = await account(engine, email)
        [reset] = (
            await session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id))
        ).all()
    assert message.event == "password_reset"
    assert "/staff/password-reset#token=" in message.payload["text"]
    assert reset.used_at is None

    # With --password: set at once, every token revoked, the pending link voided.
    too_short = cli(
        database_url, "reset-password", "--email", email, "--password", "short", ok=False
    )
    assert "at least 12" in too_short[-1].lower()
    new = "another passphrase for the cli"
    cli(database_url, "reset-password", "--email", email, "--password", new)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await login(client, email, PASSWORD)).status_code == 401
    assert (await login(client, email, new)).status_code == 200

    unknown = cli(database_url, "deactivate", "--email", "nobody@nowhere.ma", ok=False)
    assert "no staff account" in unknown[-1]
