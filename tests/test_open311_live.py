"""Open311 over a real socket: a third-party GeoReport v2 client library, and integration keys
made and revoked with the command line, as an administrator deploys them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

from georeport import GeoReport
from sqlalchemy import select

from app.main import create_app
from app.models.request import Request
from tests.conftest import ROOT
from tests.factories import complaint, file
from tests.servers import ApiServer


def _as_list(value: Any) -> list[Any]:
    """xmltodict gives a lone repeated element as a dict, several as a list."""
    return value if isinstance(value, list) else [value]


def _cli(database_url: str, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


async def test_a_third_party_georeport_client_reads_json_and_xml(live, settings, database_url):
    code = f"{live.administration.code}-svc"
    created = await file(live.client, complaint(live.administration.code))
    async with live.sessionmaker() as session:
        public_id = await session.scalar(
            select(Request.public_id).where(Request.tracking_number == created["tracking_number"])
        )
    app = create_app(settings.model_copy(update={"database_url": database_url}))
    server = await asyncio.to_thread(lambda: ApiServer(app).start())

    def read(fmt: str) -> tuple[Any, Any, Any, Any]:
        client = GeoReport(f"{server.url}/open311/v2", jurisdiction="chikaya.ma", output_format=fmt)
        return (
            client.get_service_list(),
            client.get_service_definition(code),
            client.get_service_requests(service_code=code),
            client.get_service_request(public_id),
        )

    try:
        for fmt in ("json", "xml"):
            services, definition, requests, one = await asyncio.to_thread(read, fmt)
            ours = [s for s in _as_list(services) if s["service_code"] == code]
            assert len(ours) == 1, fmt
            assert ours[0]["group"] == live.administration.name["en"]
            assert str(ours[0]["metadata"]).lower() == "true"
            attributes = definition["attributes"]
            if fmt == "xml":
                attributes = _as_list(attributes["attribute"])
            assert [a["code"] for a in attributes][:2] == ["policy_number", "branch"]
            assert [r["service_request_id"] for r in _as_list(requests)] == [public_id]
            assert one["service_request_id"] == public_id
            assert one["status"] == "open"
            assert not one["description"]  # anonymous: complaints are private
    finally:
        await asyncio.to_thread(server.stop)


async def test_keys_are_created_and_revoked_from_the_command_line(live, database_url):
    code = live.administration.code
    lines = _cli(database_url, "api-keys", "create", "--administration", code, "--name", "GRC")
    key = lines[-1]
    assert key.startswith("ck_")
    assert len(key) > 40
    assert key not in " ".join(lines[:-1])
    key_id = lines[0].split()[2]
    form = {
        "api_key": key,
        "service_code": f"{code}-svc",
        "description": "Demande transmise par le système de l'administration.",
        "email": "citoyen@example.ma",
        "attribute[policy_number]": "P-1",
        "attribute[branch]": "health",
    }
    filed = await live.client.post("/open311/v2/requests.json", data=form)
    assert filed.status_code == 201, filed.text

    listed = _cli(database_url, "api-keys", "list", "--administration", code)
    assert listed == [f"{key_id}\t{code}\tGRC\tactive"]
    assert _cli(database_url, "api-keys", "revoke", "--id", key_id) == [f"revoked key {key_id}"]
    refused = await live.client.post("/open311/v2/requests.json", data=form)
    assert refused.status_code == 403
    assert _cli(database_url, "api-keys", "list", "--administration", code)[0].endswith("revoked")
