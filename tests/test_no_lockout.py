"""No stranger can lock someone else out: login and tracking failures count per (account or
number, client); past a higher threshold from every client together, the clients that failed
wait longer and longer (429 with a growing `Retry-After`), while a client that never failed on
the account or number always gets its try."""

from __future__ import annotations

import httpx

from app.models.enums import Role
from tests.factories import PASSWORD, complaint, file, make_administration, make_staff, otp, track


async def _login(
    client: httpx.AsyncClient, email: str, password: str, code: str | None = None
) -> httpx.Response:
    data = {"username": email, "password": password}
    if code is not None:
        data["otp"] = code
    return await client.post("/api/v1/auth/token", data=data)


async def test_the_right_password_from_a_new_client_works_after_a_strangers_failures(
    client_at, session, settings
):
    admin = await make_administration(session)
    user, _ = await make_staff(session, settings, Role.supervisor, admin)
    stranger = client_at("127.0.0.2")
    for _ in range(settings.login_failures_per_account):
        assert (await _login(stranger, user.email, "guess")).status_code == 401
    # The stranger is refused on this account, even with the right password...
    blocked = await _login(stranger, user.email, PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # ...but the staff member, from their own address, logs in.
    owner = await _login(client_at("127.0.0.3"), user.email, PASSWORD, otp(user))
    assert owner.status_code == 200, owner.text


async def test_the_citizen_tracks_after_a_strangers_wrong_contacts(client_at, session, settings):
    admin = await make_administration(session)
    created = await file(
        client_at("127.0.0.9"),
        complaint(admin.code, complainant={"full_name": "Hind Tazi", "email": "hind@example.ma"}),
    )
    number = created["tracking_number"]
    stranger = client_at("127.0.0.2")
    for _ in range(settings.tracking_failures_per_number):
        wrong = await track(stranger, number, email="x@example.ma")
        assert wrong.status_code == 404
    blocked = await track(stranger, number, email="hind@example.ma")
    assert blocked.status_code == 429
    citizen = await track(client_at("127.0.0.3"), number, email="hind@example.ma")
    assert citizen.status_code == 200, citizen.text


async def test_many_clients_failing_slow_down_the_failing_ones_never_the_owner(
    client_at, session, settings, frozen_clock
):
    """A crowd of addresses guessing one account: past the threshold each failing client waits
    a delay that grows with the failures (capped), and the owner still logs in."""
    slow = settings.model_copy(update={"login_slowdown_after": 3, "slowdown_max_delay_seconds": 60})
    admin = await make_administration(session)
    user, _ = await make_staff(session, settings, Role.agent, admin)
    crowd = [client_at(f"127.0.2.{n}", slow) for n in range(12)]
    for client in crowd[:3]:
        assert (await _login(client, user.email, "guess")).status_code == 401
    # The third failure reached the threshold: the client that made it must wait.
    waits = []
    for client in crowd[3:10]:
        assert (await _login(client, user.email, "guess")).status_code == 401
        again = await _login(client, user.email, "guess")
        assert again.status_code == 429
        assert again.json()["code"] == "too_many_attempts"
        waits.append(int(again.headers["Retry-After"]))
    assert waits == sorted(waits)
    assert waits[0] < waits[-1] == 60  # doubling, then capped
    # A client that failed before the slowdown is not refused for others' failures...
    assert (await _login(crowd[0], user.email, PASSWORD)).status_code == 200
    # ...and the owner, from an address of their own, is never slowed down.
    assert (await _login(client_at("127.0.3.1", slow), user.email, PASSWORD)).status_code == 200
    # A slowed client gets its try again once its wait is over.
    frozen_clock.advance(seconds=61)
    assert (await _login(crowd[9], user.email, PASSWORD)).status_code == 200


async def test_one_client_guessing_many_accounts_is_stopped(client_at, session, settings):
    here = client_at("127.0.0.4")
    for n in range(settings.login_failures_per_client):
        response = await _login(here, f"nobody{n}@example.ma", "guess")
        assert response.status_code == 401
    assert (await _login(here, "nobody@example.ma", "guess")).status_code == 429
    # Another address is not concerned.
    assert (await _login(client_at("127.0.0.5"), "nobody@example.ma", "guess")).status_code == 401


async def test_a_very_long_username_is_refused_without_error(client_at):
    response = await _login(client_at("127.0.0.6"), "a" * 300 + "@example.ma", "guess")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "username"
    assert response.json()["errors"][0]["code"] == "too_long"


async def test_a_crowd_guessing_a_tracking_number_never_locks_the_citizen_out(
    client_at, session, settings
):
    slow = settings.model_copy(update={"tracking_slowdown_after": 2})
    admin = await make_administration(session)
    created = await file(
        client_at("127.0.0.9", slow),
        complaint(admin.code, complainant={"full_name": "Hind Tazi", "phone": "0612345678"}),
    )
    number = created["tracking_number"]
    for n in range(6):
        stranger = client_at(f"127.0.4.{n}", slow)
        guess = {"tracking_number": number, "phone": f"06123456{n:02d}"}
        assert (await stranger.post("/api/v1/tracking", json=guess)).status_code == 404
        if n >= 1:  # past the threshold, the guesser waits before its next guess
            again = await stranger.post("/api/v1/tracking", json=guess)
            assert again.status_code == 429
    citizen = await track(client_at("127.0.0.3", slow), number, phone="+212612345678")
    assert citizen.status_code == 200, citizen.text
