"""Data both services need before the timed rounds: staff, requests, tokens, pools."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyotp

from bench.http_load.servers import ROOT

CATALOGUE = ROOT / "app" / "data" / "sample_catalogue.json"
STAFF_EMAIL = "bench.supervisor@example.ma"
STAFF_PASSWORD = "bench-password-long-enough"
SPREAD = 20  # services in the "no hot row" variant
CONCURRENCY = 16
PHONE = "06 12 34 56 78"


@dataclass
class Prepared:
    """What the timed rounds of the project use."""

    staff: str = ""  # "Bearer …" of a supervisor of ACAPS
    tracked: list[tuple[str, str]] = field(default_factory=list)  # (number, "Bearer …")
    services: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def complaint(administration: str, service: str, attributes: dict[str, Any], n: int) -> str:
    """A complaint with an email and a phone, as the issue measured it."""
    return json.dumps(
        {
            "kind": "complaint",
            "administration": administration,
            "service": service,
            "subject": f"Indemnisation refusée {n}",
            "description": "Mon assureur refuse d'indemniser le sinistre du 3 mars 2026.",
            "attributes": attributes,
            "complainant": {
                "full_name": "Fatima Zahra El Idrissi",
                "email": f"citizen{n}@example.ma",
                "phone": PHONE,
            },
        },
        ensure_ascii=False,
    )


def _value(definition: dict[str, Any]) -> Any:
    kind = definition["datatype"]
    if kind in ("singlevaluelist", "multivaluelist"):
        key = definition["values"][0]["key"]
        return key if kind == "singlevaluelist" else [key]
    return {"date": "2026-03-03", "number": 1, "boolean": True}.get(kind, "BENCH-1")


def candidate_services() -> list[tuple[str, str, dict[str, Any]]]:
    """Every sample service taking complaints, with its required attributes filled in;
    ACAPS `insurance` first (the single service of the plain submit path)."""
    found = []
    for administration in json.loads(CATALOGUE.read_text())["administrations"]:
        for service in administration.get("services", []):
            if "complaint" not in service.get("kinds", []):
                continue
            attributes = {
                a["code"]: _value(a) for a in service.get("attributes", []) if a.get("required")
            }
            found.append((administration["code"], service["code"], attributes))
    found.sort(key=lambda s: (s[0], s[1]) != ("ACAPS", "insurance"))
    return found


def create_staff(database: str, secret: str) -> str:
    """Creates the bench's supervisor; returns its second factor's `otpauth://` URI (the
    command's last line: supervisors log in with a TOTP code)."""
    created = subprocess.run(
        [
            *(sys.executable, "-m", "app", "users", "create", "--role", "supervisor"),
            *("--email", STAFF_EMAIL, "--password", STAFF_PASSWORD, "--administration", "ACAPS"),
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database, "SECRET_KEY": secret},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return created.stdout.strip().splitlines()[-1]


async def _submit(client: httpx.AsyncClient, body: str) -> httpx.Response:
    return await client.post(
        "/api/v1/requests", content=body, headers={"Content-Type": "application/json"}
    )


async def prepare_project(base_url: str, seed: int, tracked: int, otpauth: str) -> Prepared:
    """Logs the supervisor in, finds SPREAD services whose generated complaints are accepted,
    files `seed` complaints to ACAPS `insurance` and opens `tracked` of them by tracking."""
    prepared = Prepared()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        login = await client.post(
            "/api/v1/auth/token",
            data={
                "username": STAFF_EMAIL,
                "password": STAFF_PASSWORD,
                "otp": pyotp.parse_uri(otpauth).now(),
            },
        )
        login.raise_for_status()
        prepared.staff = "Bearer " + login.json()["access_token"]
        for administration, service, attributes in candidate_services():
            answer = await _submit(client, complaint(administration, service, attributes, 0))
            if answer.status_code == 201:
                prepared.services.append((administration, service, attributes))
            if len(prepared.services) == SPREAD:
                break
        if len(prepared.services) < SPREAD:
            raise RuntimeError(f"only {len(prepared.services)} sample services take complaints")
        gate = asyncio.Semaphore(CONCURRENCY)
        insurance = prepared.services[0]

        async def one(n: int) -> str:
            async with gate:
                answer = await _submit(client, complaint(*insurance, n))
                answer.raise_for_status()
                number: str = answer.json()["tracking_number"]
                return number

        numbers = await asyncio.gather(*(one(n) for n in range(1, seed + 1)))

        async def track(n: int, number: str) -> tuple[str, str]:
            async with gate:
                answer = await client.post(
                    "/api/v1/tracking",
                    json={"tracking_number": number, "email": f"citizen{n}@example.ma"},
                )
                answer.raise_for_status()
                return number, "Bearer " + answer.json()["access_token"]

        prepared.tracked = list(
            await asyncio.gather(*(track(n, numbers[n - 1]) for n in range(1, tracked + 1)))
        )
    return prepared


async def submitted_numbers(base_url: str, staff: str, limit: int) -> list[str]:
    """Tracking numbers of ACAPS's submitted requests, from the staff queue, oldest due first."""
    numbers: list[str] = []
    cursor = None
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        while len(numbers) < limit:
            params = {
                "state": "submitted",
                "limit": "100",
                **({"cursor": cursor} if cursor else {}),
            }
            page = await client.get(
                "/api/v1/backoffice/requests", params=params, headers={"Authorization": staff}
            )
            page.raise_for_status()
            numbers += [item["tracking_number"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
    return numbers[:limit]
