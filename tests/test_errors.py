"""Every error is RFC 9457 problem+json with a stable code; never a stack trace."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.main import create_app
from tests.factories import complaint, make_administration


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["title"]
    assert body["detail"]
    return body


async def test_unknown_path_and_wrong_method(client):
    _problem(await client.get("/nowhere"), 404, "not_found")
    _problem(await client.delete("/api/v1/lifecycle"), 405, "method_not_allowed")


async def test_oversized_bodies_are_refused(client):
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    _problem(
        await client.post(
            "/api/v1/requests", content=big, headers={"Content-Type": "application/json"}
        ),
        413,
        "payload_too_large",
    )

    async def chunks():
        for _ in range(20):
            yield b" " * 65536
        yield b"{}"

    _problem(
        await client.post(
            "/api/v1/requests", content=chunks(), headers={"Content-Type": "application/json"}
        ),
        413,
        "payload_too_large",
    )


async def test_an_unexpected_error_is_a_500_with_an_id_the_log_also_has(
    settings, sessionmaker, caplog
):
    app = create_app(settings=settings, sessionmaker=sessionmaker)

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with caplog.at_level(logging.ERROR, logger="app.errors"):
            response = await client.get("/boom", headers={"Accept-Language": "fr"})
    body = _problem(response, 500, "internal_error")
    assert body["error_id"] in caplog.text
    assert body["error_id"] in body["detail"]
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["title"] == "Erreur interne"


async def test_problem_types_are_documented(client):
    documented = await client.get("/problems/tracking_failed")
    assert documented.status_code == 200
    assert set(documented.json()["title"]) == {"ar", "fr", "en"}
    _problem(await client.get("/problems/no_such_code"), 404, "not_found")


async def test_health(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ok", "database": "ok"}


async def test_load_balancers_may_probe_with_head(client):
    assert (await client.head("/healthz")).status_code == 200
    assert (await client.head("/readyz")).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/administrations?q=ab%00c", None),
        ("GET", "/api/v1/faq?q=ab%00c", None),
        ("POST", "/api/v1/auth/token", {"username": "a\x00b", "password": "x"}),
    ],
)
async def test_a_nul_character_is_a_clear_problem_not_a_500(client, method, url, body):
    if method == "POST":
        response = await client.post(url, data=body)
    else:
        response = await client.get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_characters"


async def test_a_nul_character_in_a_submission_is_refused(client, session):
    admin = await make_administration(session)
    body = complaint(admin.code, description="Le sinistre\u0000 du 3 mars n'est pas réglé.")
    response = await client.post("/api/v1/requests", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_characters"


def test_processes_killed_outright_are_forgotten_by_the_embedded_server(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from app.db import forget_dead_handles

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([gone.pid, os.getpid()]))
    forget_dead_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]
