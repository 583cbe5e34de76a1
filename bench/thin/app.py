"""What a hand-written FastAPI + asyncpg service does for the benchmark's six paths.

Run by the benchmark: `uvicorn bench.thin.app:app` with THIN_DATABASE_URL and THIN_SECRET.
Tokens are an HMAC of what they open (a tracking number, or `staff:<administration>`), the
cheapest check a real service would make. Each handler is one round trip, or one transaction
of two statements for a staff action.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, EmailStr

SECRET = os.environ.get("THIN_SECRET", "thin").encode()
PAGE = 20

INSERT = """
INSERT INTO requests (tracking_number, kind, administration, service, subject, description,
                      attributes, full_name, email, phone)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING tracking_number, state, created_at, due_at
"""
READ = """
SELECT tracking_number, kind, state, version, administration, service, subject, description,
       attributes, full_name, email, phone, created_at, updated_at, due_at
FROM requests WHERE tracking_number = $1
"""
SUMMARY = "id, tracking_number, kind, state, administration, service, subject, created_at, due_at"
FIRST_PAGE = f"""
SELECT {SUMMARY} FROM requests WHERE administration = $1 ORDER BY due_at, id LIMIT $2
"""
NEXT_PAGE = f"""
SELECT {SUMMARY} FROM requests
WHERE administration = $1 AND (due_at, id) > ($3, $4) ORDER BY due_at, id LIMIT $2
"""
ACT = """
UPDATE requests
SET state = CASE WHEN $2 = 'start' THEN 'in_progress' ELSE state END,
    version = version + 1, updated_at = now()
WHERE tracking_number = $1
RETURNING id, tracking_number, state, version, updated_at
"""
EVENT = "INSERT INTO events (request_id, action, note) VALUES ($1, $2, $3)"
STATISTICS = """
SELECT coalesce(sum(received), 0)::bigint AS received,
       coalesce(sum(processed), 0)::bigint AS processed,
       coalesce(sum(processing_seconds), 0)::bigint AS processing_seconds
FROM request_stats
"""
OPEN311 = """
SELECT id, service, state, created_at, updated_at FROM requests
WHERE created_at >= now() - interval '90 days'
ORDER BY created_at DESC, id DESC LIMIT $1
"""


def token(subject: str) -> str:
    return hmac.new(SECRET, subject.encode(), hashlib.sha256).hexdigest()


def _check(authorization: str | None, subject: str) -> None:
    given = (authorization or "").removeprefix("Bearer ")
    if not hmac.compare_digest(given, token(subject)):
        raise HTTPException(401)


class Complainant(BaseModel):
    full_name: str
    email: EmailStr | None = None
    phone: str | None = None


class RequestIn(BaseModel):
    kind: str
    administration: str
    service: str | None = None
    subject: str
    description: str
    attributes: dict[str, Any] = {}
    complainant: Complainant


class ActionIn(BaseModel):
    message: str | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The project's pool: 10 connections, 10 more on demand.
    async with asyncpg.create_pool(
        os.environ["THIN_DATABASE_URL"], min_size=10, max_size=20
    ) as pool:
        app.state.pool = pool
        yield


app = FastAPI(lifespan=lifespan)


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


@app.post("/api/v1/requests", status_code=201)
async def submit(body: RequestIn, request: Request) -> dict[str, Any]:
    number = secrets.token_hex(6).upper()
    row = await _pool(request).fetchrow(
        INSERT,
        number,
        body.kind,
        body.administration,
        body.service,
        body.subject,
        body.description,
        json.dumps(body.attributes),
        body.complainant.full_name,
        body.complainant.email,
        body.complainant.phone,
    )
    return {**dict(row), "access_token": token(number)}


@app.get("/api/v1/requests/{number}")
async def read(number: str, request: Request, authorization: str | None = Header(None)) -> Any:
    _check(authorization, number)
    row = await _pool(request).fetchrow(READ, number)
    if row is None:
        raise HTTPException(404)
    return {**dict(row), "attributes": json.loads(row["attributes"])}


@app.get("/api/v1/backoffice/requests")
async def queue(
    request: Request, authorization: str | None = Header(None), cursor: str | None = None
) -> Any:
    _check(authorization, "staff:ACAPS")
    pool = _pool(request)
    if cursor:
        due, after = json.loads(cursor)
        rows = await pool.fetch(NEXT_PAGE, "ACAPS", PAGE + 1, datetime.fromisoformat(due), after)
    else:
        rows = await pool.fetch(FIRST_PAGE, "ACAPS", PAGE + 1)
    items = [dict(r) for r in rows[:PAGE]]
    last = items[-1] if len(rows) > PAGE else None
    following = json.dumps([last["due_at"].isoformat(), last["id"]]) if last else None
    return {"items": items, "next_cursor": following}


@app.post("/api/v1/backoffice/requests/{number}/actions/{action}")
async def act(
    number: str,
    action: str,
    request: Request,
    body: ActionIn | None = None,
    authorization: str | None = Header(None),
) -> Any:
    _check(authorization, "staff:ACAPS")
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await conn.fetchrow(ACT, number, action)
        if row is None:
            raise HTTPException(404)
        await conn.execute(EVENT, row["id"], action, body.message if body else None)
    return dict(row)


@app.get("/api/v1/statistics")
async def statistics(request: Request) -> JSONResponse:
    row = await _pool(request).fetchrow(STATISTICS)
    return JSONResponse(dict(row))


@app.get("/open311/v2/requests.json")
async def open311_requests(request: Request, page_size: int = 50) -> Any:
    rows = await _pool(request).fetch(OPEN311, min(page_size, 1000))
    return [dict(r) for r in rows]
