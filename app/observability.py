"""The outermost layer of every HTTP request: trusted proxy headers, the request id, the access
log line and the request metrics. Pure ASGI (no BaseHTTPMiddleware: no buffering, no task
juggling, streaming answers stay streams).

It wraps even Starlette's `ServerErrorMiddleware` (see `app.main.ChikayaAPI`), so 500 answers
carry `X-Request-ID` and are counted like any other.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any, cast

from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import logging as app_logging
from app import metrics

access_log = logging.getLogger("app.access")

# A proxy's or client's id is kept when it is a plain token (a UUID, a hex or base64url id);
# it must hold a letter, so that no phone number or other bare number gets into the logs.
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def valid_request_id(value: str) -> bool:
    return (
        _VALID_ID.fullmatch(value) is not None
        and any(c.isalpha() for c in value)
        and app_logging.redact(value) == value  # not shaped like a tracking number
    )


def route_template(scope: Scope, original: Scope, routes: Sequence[BaseRoute]) -> str:
    """The template of the route that served the request (`/api/v1/requests/{number}`), never
    the path: paths hold tracking numbers, and one label per path would be unbounded.

    FastAPI records its own routes in `scope["route"]`; plain routes and mounts (the docs)
    are found again by matching the request as it came in."""
    route = scope.get("route")
    if route is None:
        partial = None
        for candidate in routes:
            match, _ = candidate.matches(original)
            if match is Match.FULL:
                route = candidate
                break
            if match is Match.PARTIAL and partial is None:
                partial = candidate
        route = route or partial
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    if isinstance(route, Mount) and not template.endswith("/{path}"):
        return template.rstrip("/") + "/{path}"
    return template


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and valid_request_id(incoming) else uuid.uuid4().hex
        token = app_logging.request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        original = dict(scope)  # routing rewrites the scope (mounts change its root_path)
        status = 500  # unless the app sends a start of its own
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope, original, self.routes)
            metrics.observe_request(method, route, status, duration)
            access_log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
            app_logging.request_id.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def trust_proxies(app: ASGIApp, forwarded_allow_ips: str) -> ASGIApp:
    """Client address and scheme from `X-Forwarded-For`/`-Proto` only when the peer is one of
    `FORWARDED_ALLOW_IPS` (addresses or networks, comma-separated; `*` trusts every peer). Unset:
    trust nobody, whatever the server in front was started with."""
    if not forwarded_allow_ips.strip():
        return app
    hosts = [h.strip() for h in forwarded_allow_ips.split(",") if h.strip()]
    # uvicorn types its middleware with its own (stricter, equivalent) ASGI aliases.
    wrapped: Any = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=hosts)
    return cast(ASGIApp, wrapped)
