"""What the outermost layer of every HTTP request (`app.middleware.EdgeMiddleware`) records:
the request id, the access log line and the request metrics; and the trusted proxy headers
applied before it.

That layer wraps even Starlette's `ServerErrorMiddleware` (see `app.main.ChikayaAPI`), so 500
answers carry `X-Request-ID` and are counted like any other.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from typing import Any, cast

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Scope
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


def new_request_id(incoming: str | None) -> str:
    """The caller's (or proxy's) id when it is a plain token, else a fresh one."""
    if incoming and valid_request_id(incoming):
        return incoming
    # 32 random hex digits, as `uuid4().hex` wrote them, without building a UUID to print.
    return os.urandom(16).hex()


def record(method: str, route: str, status: int, duration: float) -> None:
    """The request's metrics and its access log line (route template, never the path)."""
    method = method if method in _METHODS else "OTHER"
    metrics.observe_request(method, route, status, duration)
    duration_ms = round(duration * 1000, 1)
    # Served as configured (`app.logging.install`), the line goes to one JSON handler: it is
    # formatted straight into its text, without a `LogRecord` nor the caller's frame looked
    # up (a tenth of a light request's CPU). Any other configuration gets the record.
    handler = app_logging.sole_json_handler(access_log, logging.INFO)
    if handler is not None:
        line = app_logging.access_line(
            method, route, status, duration_ms, app_logging.request_id.get(), time.time()
        )
        try:
            handler.write_line(line)
            return
        except Exception:  # a broken stream: logging's own error handling, as before
            pass
    access_log.info(
        "%s %s %d",
        method,
        route,
        status,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
        },
    )


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
