"""Dependencies solved by plan (`app.solver`) answer exactly as FastAPI's own solver does.

While the app has a dependency override, every route is served by FastAPI's own handler
(`app.solver.planned_handler`): the same calls are made both ways and must get the same
answers, byte for byte (the request id aside), errors and their order included.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from app.config import Settings
from app.db import TransactionalRoute
from app.main import create_app
from app.models.enums import Role
from app.solver import _content_type, _parsed, planned_handler
from tests.factories import make_administration, make_staff

_COMPLAINT = {
    "kind": "complaint",
    "administration": "ACAPS",
    "subject": "Indemnisation refusée",
    "description": "Mon assureur refuse de m'indemniser depuis trois mois.",
    "channel": "web",
    "complainant": {"full_name": "Amina El Idrissi", "email": "amina@example.ma"},
}


def _unrelated() -> None:
    """A dependency no route has: overriding it switches every route to FastAPI's handler."""


@pytest.fixture
async def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> FastAPI:
    return create_app(settings=settings, sessionmaker=sessionmaker)


@pytest.fixture
async def both(app: FastAPI) -> AsyncIterator[Any]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def call(method: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
            app.dependency_overrides.clear()
            planned = await client.request(method, path, **kwargs)
            app.dependency_overrides[_unrelated] = _unrelated
            try:
                generic = await client.request(method, path, **kwargs)
            finally:
                app.dependency_overrides.clear()
            return _seen(planned), _seen(generic)

        yield call


def _seen(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in answer.headers.items() if k != "x-request-id"]
    return answer.status_code, headers, answer.content


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        ("{not json", {"Content-Type": "application/json"}),
        ('{"kind": "complaint"}', {"Content-Type": "application/json"}),
        ('{"kind": "complaint"}', {"Content-Type": "text/plain"}),
        ('{"kind": "complaint"}', {"Content-Type": "application/problem+json; charset=utf-8"}),
        ('{"kind": "complaint"}', {"Content-Type": "application"}),
        ('{"kind": "complaint"}', {}),
        ("", {"Content-Type": "application/json"}),
        ("[1, 2]", {"Content-Type": "application/json"}),
        (None, {"Content-Type": "application/json", "Idempotency-Key": "k" * 256}),
        (None, {"Content-Type": "application/json", "X-Altcha": "a" * 5000}),
        (None, {"Content-Type": "application/json", "Authorization": "Bearer not-a-token"}),
    ],
)
async def test_a_refused_submission_is_refused_alike(
    both: Any, content: str | None, headers: dict[str, str]
) -> None:
    body = json.dumps({**_COMPLAINT, "kind": "nonsense"}) if content is None else content
    planned, generic = await both("POST", "/api/v1/requests", content=body, headers=headers)
    assert planned[0] in (401, 400, 413, 415, 422)
    assert planned == generic


# Bodies a fast parser may read differently from `json`, or refuse where `json` does not: the
# planned reader parses with pydantic-core first and must answer every one as `json` does.
_PECULIAR_BODIES = [
    b'{"kind": NaN, "subject": Infinity}',
    b'{"kind": 123456789012345678901234567890}',
    b'{"kind": -9223372036854775809, "subject": 18446744073709551616}',
    b'{"kind": "nonsense", "subject": 9223372036854775807}',
    b'{"kind": -1e400, "subject": -Infinity, "channel": 1e-400}',
    b'{"kind": -0, "subject": -0.0, "channel": 1E5}',
    b'{"kind": "nonsense", "subject": "\\u00e9\\u0041\\ud83d\\ude00"}',
    b'{"kind": "\\ud800"}',
    b'{"kind": "complaint", "kind": "nonsense"}',
    b'{"subject": 1.0000000000000002, "kind": 0.1e-5, "channel": 12345678901234567}',
    '\ufeff{"kind": "nonsense"}'.encode(),
    '{"kind": "nonsense"}'.encode("utf-16"),
    b'{"kind": "\xff"}',
    b"[" * 5000 + b"]" * 5000,
    b"[" * 300 + b"]" * 300,
    b'{"kind": "nonsense"} x',
    b'{"kind": "a\tb"}',
    b'{"kind": "a\x01"}',
]


@pytest.mark.parametrize("content", _PECULIAR_BODIES)
async def test_a_peculiar_json_body_is_read_as_json_reads_it(both: Any, content: bytes) -> None:
    planned, generic = await both(
        "POST", "/api/v1/requests", content=content, headers={"Content-Type": "application/json"}
    )
    assert planned[0] in (400, 422)
    assert planned == generic


@pytest.mark.parametrize("content", [c for c in _PECULIAR_BODIES if b"[" * 1000 not in c])
def test_the_parsed_body_is_json_s(content: bytes) -> None:
    """What the planned reader keeps on the request is what `json.loads` gives (NaN aside, not
    equal to itself: compared by its text), key order included."""
    request = Request({"type": "http", "headers": []})
    try:
        expected = json.loads(content)
    except (ValueError, RecursionError) as error:
        with pytest.raises(type(error)):
            _parsed(request, content)
        return
    parsed = _parsed(request, content)
    assert repr(parsed) == repr(expected)
    assert request._json is parsed


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/requests/" + "X" * 40,
        "/api/v1/requests/K7MD-Q2ZX-9PT",
        "/api/v1/backoffice/requests?limit=abc",
        "/api/v1/backoffice/requests?limit=100000&state=nonsense",
        "/api/v1/administrations/NOPE",
        "/open311/v2/requests.xml?page_size=0",
        "/open311/v2/requests.yaml",
        "/api/v1/statistics?from=yesterday",
        "/api/v1/administrations",
        "/api/v1/lifecycle",
        "/api/v1/statistics",
        "/open311/v2/services.json",
        "/api/v1/faq",
    ],
)
async def test_a_read_answers_alike(both: Any, path: str) -> None:
    planned, generic = await both("GET", path)
    assert planned == generic


async def test_a_staff_read_with_bad_parameters_answers_alike(
    both: Any, session: AsyncSession, settings: Settings
) -> None:
    """A sub-dependency's work (the staff token's account) and the route's own parameters."""
    administration = await make_administration(session)
    _, headers = await make_staff(session, settings, Role.agent, administration)
    for path in (
        "/api/v1/backoffice/requests?limit=abc&cursor=%%%",
        "/api/v1/backoffice/requests?state=submitted&limit=1",
    ):
        planned, generic = await both("GET", path, headers=headers)
        assert planned == generic


async def test_a_submission_answers_alike(both: Any) -> None:
    """The same answer but for what each filing draws afresh (its numbers, its token)."""
    planned, generic = await both(
        "POST", "/api/v1/requests", json=_COMPLAINT, headers={"Accept-Language": "fr"}
    )
    assert planned[0] == generic[0] == 201
    drawn = {"location", "content-length"}
    assert [h for h in planned[1] if h[0] not in drawn] == [
        h for h in generic[1] if h[0] not in drawn
    ]
    first, second = json.loads(planned[2]), json.loads(generic[2])
    assert first.keys() == second.keys()
    for key in ("tracking_number", "access_token", "created_at", "due_at"):
        first.pop(key), second.pop(key)
    assert first == second


def test_every_route_but_the_password_form_is_planned(app: FastAPI) -> None:
    """A route that falls back to FastAPI's solver does so silently: this says which do."""
    routes = [
        route
        for included in app.routes
        for route in getattr(getattr(included, "original_router", None), "routes", ())
        if isinstance(route, TransactionalRoute)
    ]
    fallen = [route.path for route in routes if planned_handler(route) is None]
    assert fallen == ["/api/v1/auth/token"], fallen
    assert len(routes) > 60


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "Application/JSON; charset=utf-8",
        "  application/problem+json ;x=y",
        "application",
        "application/json/extra",
        "text/plain",
        "",
        ";",
        "application/ json",
        "multipart/form-data; boundary=x",
    ],
)
def test_the_media_type_is_read_as_the_email_package_reads_it(value: str) -> None:
    message = email.message.Message()
    message["content-type"] = value
    assert _content_type(value) == message.get_content_type()
