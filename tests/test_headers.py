"""Security headers, CORS, the request id and trusted proxies, through the HTTP API."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Request
from starlette.datastructures import MutableHeaders

from app.deps import ClientAddress
from app.headers import secure, secured
from app.main import create_app
from app.models.enums import Role
from tests.factories import complaint, make_administration, make_staff
from tests.servers import ApiServer


def _app_client(settings, sessionmaker, base_url="http://testserver", client=("127.0.0.1", 5000)):
    app = create_app(settings=settings, sessionmaker=sessionmaker)

    async def whoami(address: ClientAddress, request: Request) -> dict[str, str]:
        return {"address": address, "scheme": request.url.scheme}

    app.add_api_route("/test/whoami", whoami)

    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/test/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=client)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


def _no_store(response: httpx.Response) -> bool:
    directives = {d.strip() for d in response.headers.get("cache-control", "").split(",")}
    return "no-store" in directives


async def test_personal_data_and_tokens_are_never_stored_by_caches(client, session, settings):
    admin = await make_administration(session)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    _sup, supervisor = await make_staff(session, settings, Role.supervisor, admin)
    created_response = await client.post("/api/v1/requests", json=complaint(admin.code))
    assert created_response.status_code == 201
    created = created_response.json()
    number = created["tracking_number"]
    citizen = {"Authorization": f"Bearer {created['access_token']}"}
    tracked = await client.post(
        "/api/v1/tracking", json={"tracking_number": number, "email": "fatima@example.ma"}
    )
    login = await client.post(
        "/api/v1/auth/token", data={"username": "nobody@staff.example.ma", "password": "wrong"}
    )
    answers = {
        "submission (token)": created_response,
        "tracking (token)": tracked,
        "failed login": login,
        "request view": await client.get(f"/api/v1/requests/{number}", headers=citizen),
        "receipt": await client.get(f"/api/v1/requests/{number}/receipt", headers=citizen),
        "messages": await client.get(f"/api/v1/requests/{number}/messages", headers=citizen),
        "back-office queue": await client.get("/api/v1/backoffice/requests", headers=staff),
        "export": await client.get("/api/v1/backoffice/requests.csv", headers=supervisor),
        "me": await client.get("/api/v1/auth/me", headers=staff),
    }
    for name, response in answers.items():
        assert response.status_code < 500, (name, response.text)
        assert _no_store(response), (name, response.headers.get("cache-control"))
        assert response.headers["pragma"] == "no-cache", name
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["referrer-policy"] == "no-referrer", name
        assert "strict-transport-security" not in response.headers, name  # plain HTTP
    assert tracked.status_code == 200
    assert login.status_code == 401


async def test_public_data_stays_cacheable(client):
    statistics = await client.get("/api/v1/statistics")
    assert statistics.status_code == 200
    assert statistics.headers["cache-control"] == "public, max-age=60"
    assert "pragma" not in statistics.headers
    assert statistics.headers["x-content-type-options"] == "nosniff"


async def test_hsts_only_over_https_as_seen_after_trusted_proxies(settings, sessionmaker):
    async with _app_client(settings, sessionmaker, base_url="https://testserver") as https:
        response = await https.get("/healthz")
        assert response.headers["strict-transport-security"] == "max-age=31536000"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    async with _app_client(settings, sessionmaker) as untrusted:
        response = await untrusted.get("/test/whoami", headers=forwarded)
        assert response.json() == {"address": "127.0.0.1", "scheme": "http"}
        assert "strict-transport-security" not in response.headers
    proxied = settings.model_copy(update={"forwarded_allow_ips": "127.0.0.1"})
    async with _app_client(proxied, sessionmaker) as behind_proxy:
        response = await behind_proxy.get("/test/whoami", headers=forwarded)
        assert response.json() == {"address": "203.0.113.7", "scheme": "https"}
        assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(
    settings, sessionmaker
):
    spoof = {"X-Forwarded-For": "198.51.100.23"}
    # The proxy is 10.0.0.2; a client at 192.0.2.50 talking to us directly is not it.
    proxied = settings.model_copy(update={"forwarded_allow_ips": "10.0.0.2"})
    async with _app_client(proxied, sessionmaker, client=("192.0.2.50", 4000)) as direct:
        assert (await direct.get("/test/whoami", headers=spoof)).json()["address"] == "192.0.2.50"
    async with _app_client(proxied, sessionmaker, client=("10.0.0.2", 4000)) as via_proxy:
        assert (await via_proxy.get("/test/whoami", headers=spoof)).json()[
            "address"
        ] == "198.51.100.23"
    # Nobody is trusted by default, loopback included.
    async with _app_client(settings, sessionmaker) as loopback:
        assert (await loopback.get("/test/whoami", headers=spoof)).json()["address"] == "127.0.0.1"


def test_a_real_server_run_as_serve_runs_it_ignores_a_spoofed_forwarded_for(settings, sessionmaker):
    """uvicorn's own default trusts X-Forwarded-For from 127.0.0.1; `serve` turns that off and
    leaves it to FORWARDED_ALLOW_IPS (unset here)."""
    from app.__main__ import uvicorn_options

    app = create_app(settings=settings, sessionmaker=sessionmaker)

    async def whoami(address: ClientAddress) -> dict[str, str]:
        return {"address": address}

    app.add_api_route("/test/whoami", whoami)
    options = {**uvicorn_options(), "log_config": None}  # keep the test runner's logging
    server = ApiServer(app, **options).start()
    try:
        response = httpx.get(
            f"{server.url}/test/whoami", headers={"X-Forwarded-For": "198.51.100.23"}
        )
        assert response.json() == {"address": "127.0.0.1"}
    finally:
        server.stop()


async def test_cors_allows_only_the_configured_origins(settings, sessionmaker):
    preflight = {
        "Origin": "https://www.chikaya.ma",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key",
    }
    async with _app_client(settings, sessionmaker) as closed:
        response = await closed.options("/api/v1/requests", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        simple = await closed.get("/healthz", headers={"Origin": "https://www.chikaya.ma"})
        assert "access-control-allow-origin" not in simple.headers
    site = settings.model_copy(update={"cors_origins": ["https://www.chikaya.ma"]})
    async with _app_client(site, sessionmaker) as open_:
        response = await open_.options("/api/v1/requests", headers=preflight)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://www.chikaya.ma"
        assert "idempotency-key" in response.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in response.headers
        simple = await open_.get("/healthz", headers={"Origin": "https://www.chikaya.ma"})
        assert simple.headers["access-control-allow-origin"] == "https://www.chikaya.ma"
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        other = await open_.options(
            "/api/v1/requests", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers


async def test_a_body_refused_at_the_edge_keeps_cors_request_id_and_language(
    settings, sessionmaker
):
    """A body refused by its declared length never reaches the app, yet its 413 reads like any
    other answer: CORS (the browser may read it), the request id, the security headers and the
    caller's language."""
    site = settings.model_copy(update={"cors_origins": ["https://www.chikaya.ma"]})
    headers = {
        "Origin": "https://www.chikaya.ma",
        "Content-Type": "application/json",
        "Accept-Language": "fr",
        "X-Request-ID": "edge-413-abcdef",
    }
    async with _app_client(site, sessionmaker) as client:
        response = await client.post(
            "/api/v1/requests", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers=headers
        )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.headers["access-control-allow-origin"] == "https://www.chikaya.ma"
    assert response.headers["x-request-id"] == "edge-413-abcdef"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-language"] == "fr"


def test_cors_origins_read_from_a_comma_separated_variable(monkeypatch):
    from app.config import Settings

    monkeypatch.setenv("CORS_ORIGINS", "https://www.chikaya.ma, https://chikaya.ma")
    assert Settings().cors_origins == ["https://www.chikaya.ma", "https://chikaya.ma"]
    monkeypatch.delenv("CORS_ORIGINS")
    assert Settings().cors_origins == []


async def test_every_answer_carries_a_request_id(settings, sessionmaker):
    async with _app_client(settings, sessionmaker) as client:
        generated = await client.get("/healthz")
        assert len(generated.headers["x-request-id"]) == 32
        other = await client.get("/healthz")
        assert other.headers["x-request-id"] != generated.headers["x-request-id"]
        kept = await client.get("/healthz", headers={"X-Request-ID": "edge-7f3a9c21-01"})
        assert kept.headers["x-request-id"] == "edge-7f3a9c21-01"
        for bad in ("0612345678", "has spaces in it", "x" * 200, "ABCD-EFGH-J2K", "short"):
            replaced = await client.get("/healthz", headers={"X-Request-ID": bad})
            assert replaced.headers["x-request-id"] != bad
        missing = await client.get("/nowhere")
        assert missing.status_code == 404
        assert missing.headers["x-request-id"]
        crash = await client.get("/test/boom", headers={"X-Request-ID": "crash-0001-abcd"})
        assert crash.status_code == 500
        assert crash.headers["x-request-id"] == "crash-0001-abcd"
        assert crash.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/lifecycle"])
async def test_security_headers_on_public_answers(client, path):
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("https", [False, True])
@pytest.mark.parametrize(
    "raw",
    [
        [],
        [(b"content-type", b"application/json"), (b"etag", b'"v1"')],
        [(b"cache-control", b"public, max-age=60"), (b"content-length", b"2")],
        [(b"cache-control", b"private"), (b"pragma", b"x")],
        [(b"cache-control", b"no-store")],
        [(b"x-frame-options", b"SAMEORIGIN"), (b"x-request-id", b"theirs")],
        [(b"referrer-policy", b"origin"), (b"strict-transport-security", b"max-age=1")],
    ],
)
def test_the_security_headers_are_what_setting_them_one_by_one_gives(raw, https):
    """`secured` (one pass over the raw list) adds exactly what `secure` and the request id
    set through `MutableHeaders` do, in the same order, whatever the answer set itself."""
    expected = MutableHeaders(raw=list(raw))
    secure(expected, https)
    expected["X-Request-ID"] = "req-0001-abcd"
    given = list(raw)
    assert secured(given, https, "req-0001-abcd") == expected.raw
    assert given == raw  # the answer's own list is left as it was
