"""`python -m app serve` as operators run it — two uvicorn workers in processes of their own —
checked from outside: its log output is JSON lines free of personal data and tracking numbers,
and /metrics sums both workers' counters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import complaint
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
METRICS_TOKEN = "scrape-token-for-tests-0123456789"


@dataclass
class Served:
    url: str
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def served(database_url: str, settings, tmp_path_factory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "ENVIRONMENT": "test",
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "DEFAULT_LANGUAGE": "en",
        "DISPATCHER_IN_API": "false",
        "AUTO_CLOSE_INTERVAL_SECONDS": "0",
        "ATTACHMENTS_DIR": str(folder / "attachments"),
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    for name in ("PROMETHEUS_MULTIPROC_DIR", "FORWARDED_ALLOW_IPS", "CORS_ORIGINS"):
        env.pop(name, None)
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"],
            cwd=folder,  # no stray .env; the package is installed
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "serve did not start:\n" + log.read_text()
            time.sleep(0.2)
        yield Served(url, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_the_logs_of_a_whole_flow_hold_no_personal_data(served: Served, live) -> None:
    name, email, phone = "Zineb Ouazzani Chahdi", "zineb.ouazzani@example.ma", "0661234987"
    body = complaint(
        live.administration.code,
        complainant={"full_name": name, "email": email, "phone": phone},
    )
    staff_login = "agent.login.probe@staff.example.ma"
    with httpx.Client(base_url=served.url, timeout=30) as client:
        created = client.post("/api/v1/requests", json=body)
        assert created.status_code == 201, created.text
        number = created.json()["tracking_number"]
        tracked = client.post("/api/v1/tracking", json={"tracking_number": number, "email": email})
        assert tracked.status_code == 200
        citizen = {"Authorization": f"Bearer {tracked.json()['access_token']}"}
        assert client.get(f"/api/v1/requests/{number}", headers=citizen).status_code == 200
        message = client.post(
            f"/api/v1/requests/{number}/messages",
            json={"body": f"Je suis {name}, joignable au {phone}."},
            headers=citizen,
        )
        assert message.status_code == 201
        # A wrong contact, a wrong number, a failed staff login (its username is an email).
        assert (
            client.post(
                "/api/v1/tracking", json={"tracking_number": number, "email": "x@example.ma"}
            ).status_code
            == 404
        )
        assert client.get("/api/v1/requests/ABCD-EFGH-J2K", headers=citizen).status_code in (
            403,
            404,
        )
        login = client.post(
            "/api/v1/auth/token", data={"username": staff_login, "password": "not the one"}
        )
        assert login.status_code == 401
        # The back office works the request.
        queue = client.get("/api/v1/backoffice/requests", params={"q": name}, headers=live.staff)
        assert queue.status_code == 200
        assert client.get(f"/api/v1/requests/{number}", headers=live.staff).status_code == 200
        for action, payload in (("start", {}), ("answer", {"message": f"Bonjour {name}."})):
            acted = client.post(
                f"/api/v1/backoffice/requests/{number}/actions/{action}",
                json=payload,
                headers=live.staff,
            )
            assert acted.status_code == 200, acted.text
        request_id = acted.headers["x-request-id"]
    # The access line is written once the answer is sent: wait for the last one to land.
    deadline = time.monotonic() + 30
    while request_id not in served.log.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the last access line never came"
        time.sleep(0.1)

    lines = served.lines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [e for e in entries if e["logger"] == "app.access"]
    assert {e["route"] for e in access} >= {
        "/api/v1/requests",
        "/api/v1/tracking",
        "/api/v1/requests/{tracking_number}",
        "/api/v1/backoffice/requests/{tracking_number}/actions/{action}",
    }
    for entry in access:
        assert {"time", "level", "logger", "message", "request_id"} <= entry.keys()
        assert {"method", "route", "status", "duration_ms"} <= entry.keys()
    assert any(e.get("request_id") == request_id for e in access)
    text = "\n".join(lines)
    compact = number.replace("-", "")
    for secret in (name, "Zineb", "Ouazzani", email, phone, "+212661234987", "661234987",
                   number, compact, staff_login, "ABCD-EFGH-J2K"):  # fmt: skip
        assert secret.lower() not in text.lower(), secret
    # Kept out by construction, not caught by the formatter's last-resort blanking.
    assert "[redacted]" not in text


def test_metrics_sum_every_worker_and_require_the_token(served: Served) -> None:
    def count() -> float:
        response = httpx.get(
            f"{served.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert response.status_code == 200
        total = 0.0
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if (
                    sample.name == "chikaya_http_requests_total"
                    and sample.labels.get("route") == "/api/v1/lifecycle"
                ):
                    total += sample.value
        return total

    assert httpx.get(f"{served.url}/metrics").status_code == 401
    before = count()
    asked = 24
    for _ in range(asked):
        # A connection each, so that the kernel spreads them over both workers.
        with httpx.Client(base_url=served.url, headers={"Connection": "close"}) as client:
            assert client.get("/api/v1/lifecycle").status_code == 200
    # A request is counted just after its answer leaves: give the last one a moment.
    deadline = time.monotonic() + 30
    while count() - before < asked:
        assert time.monotonic() < deadline, "requests went uncounted"
        time.sleep(0.1)
    # Whichever worker answers each scrape, it reports both workers' counts.
    for _ in range(4):
        assert count() - before == asked
