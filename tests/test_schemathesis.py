"""Schemathesis over every operation of the served document, against a real uvicorn on a
database of its own: no server error, and every status, content type and body documented.

The budget is bounded and derandomized (same seed, deterministic generation), so a run is
repeatable and takes a couple of minutes. Authenticated operations get real tokens: a staff
account of the role each part of the back office needs, and a citizen's tracking token for a
request filed through the API (its tracking number fills the path, so citizen operations
reach the request rather than a 404)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.models.enums import Role
from app.services import api_keys, clock
from tests import documents
from tests.factories import complaint, make_administration, make_staff
from tests.processes import Api, app_environment, own_database

MAX_EXAMPLES = 40  # per operation and phase
SEED = 20261129
RUN_TIMEOUT = 900  # seconds: a bound, far above a run on a loaded machine
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "allow_header_conformance",
)


def _toml(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # TOML basic strings are JSON strings


async def _accounts(url: str) -> tuple[str, dict[str, str]]:
    """An administration of its own, one bearer token per staff role, and an Open311 key."""
    settings = Settings(secret_key="process-secret-key-that-is-long-enough-0123456789")  # type: ignore[arg-type]
    engine = create_async_engine(url, poolclass=NullPool)
    tokens: dict[str, str] = {}
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        admin = await make_administration(session, code="FUZZ")
        for role in (Role.agent, Role.supervisor, Role.operator, Role.national_admin):
            where = None if role in (Role.operator, Role.national_admin) else admin
            _user, headers = await make_staff(session, settings, role, where)
            tokens[role.value] = headers["Authorization"]
        key, _record = await api_keys.create(
            session, administration_code=admin.code, name="fuzz", now=clock.now()
        )
        tokens["api_key"] = key
        await session.commit()
    await engine.dispose()
    return admin.code, tokens


def _config(path: Path, number: str, attachment: int, citizen: str, staff: dict[str, str]) -> None:
    """Who calls what: the most specific rule first (schemathesis takes the first match)."""
    rules = [
        (r"^/api/v1/backoffice/(faq|outbox)", staff["national_admin"], {}),
        (r"^/api/v1/backoffice/requests/\{tracking_number\}/contact$", staff["operator"], {}),
        (r"^/api/v1/backoffice/requests/\{", staff["supervisor"], {"tracking_number": number}),
        (r"^/api/v1/(backoffice|auth/me)", staff["supervisor"], {}),
        (
            r"^/api/v1/requests/\{",
            citizen,
            {"tracking_number": number, "attachment_id": attachment},
        ),
    ]
    lines = [
        "[[operations]]",
        f"include-path-regex = {_toml('^/open311/v2/requests')}",
        f"parameters = {{ api_key = {_toml(staff['api_key'])} }}",
        "",
    ]
    for regex, token, parameters in rules:
        lines += ["[[operations]]", f"include-path-regex = {_toml(regex)}"]
        lines.append(f"headers = {{ Authorization = {_toml(token)} }}")
        if parameters:
            pairs = ", ".join(f"{name} = {_toml(value)}" for name, value in parameters.items())
            lines.append(f"parameters = {{ {pairs} }}")
        lines.append("")
    path.write_text("\n".join(lines))


@pytest.fixture
async def fuzz_url(server_url: str):
    async with own_database(server_url, "chikaya_fuzz") as url:
        yield url


async def test_every_operation_conforms_to_the_document(fuzz_url, tmp_path):
    code, staff = await _accounts(fuzz_url)
    api = Api(app_environment(fuzz_url, tmp_path), tmp_path / "api.log")
    try:
        await asyncio.to_thread(api.wait_ready)
        async with httpx.AsyncClient(base_url=api.url) as client:
            filed = await client.post("/api/v1/requests", json=complaint(code))
            assert filed.status_code == 201, filed.text
            number = filed.json()["tracking_number"]
            citizen = f"Bearer {filed.json()['access_token']}"
            uploaded = await client.post(
                f"/api/v1/requests/{number}/attachments",
                files=[("files", ("constat.pdf", documents.pdf(), "application/pdf"))],
                headers={"Authorization": citizen},
            )
            assert uploaded.status_code == 201, uploaded.text
        attachment = uploaded.json()[0]["id"]
        config = tmp_path / "schemathesis.toml"
        _config(config, number, attachment, citizen, staff)
        run = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(config),
                "run",
                f"{api.url}/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--generation-deterministic",
                # One worker: CPython 3.11's `ast.parse` is not safe across threads ("AST
                # constructor recursion depth mismatch" under threads), and hypothesis
                # parses lambdas' sources while schemathesis draws; two workers made it flaky.
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--no-color",
                "--suppress-health-check",
                "all",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    finally:
        api.stop()
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
