"""The one pure ASGI middleware around the application (no BaseHTTPMiddleware: no buffering, no
task juggling, streaming answers stay streams): request id, access log and metrics, security
headers, language negotiation, and the request body's size and read time limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logging as app_logging
from app import observability
from app.errors import BodyReadTimeout, BodyTooLarge, PayloadTooLarge, problem_response
from app.headers import secured
from app.i18n import Language, current_language, negotiate, translate
from app.routers import open311
from app.schemas.open311 import ErrorItem


class EdgeMiddleware:
    """The one layer around the whole application (outside Starlette's error middleware, so a
    500 gets it too), in a single pass over the request's headers and a single wrapper of
    `send`:

    * the request id (`X-Request-ID`: the caller's when it is a plain token, else a fresh one)
      in the logs' context and on the answer; the request's metrics and access log line;
    * the security headers (`app.headers`) on every answer;
    * the language of the answer from `Accept-Language`;
    * bodies over `limit` bytes refused with 413, by header or while streaming, never
      buffering; a body whose next bytes take more than `read_timeout` seconds cut off with
      408, so a client that stops sending holds nothing of ours for longer than that. Document
      uploads get `upload_limit` instead; their own parser also caps each file. Under
      `/open311/v2` the refusal is a GeoReport error list, like every other error there.

    `inner` is what the application runs under it (CORS, when configured, then the app);
    `refuse` answers a body refused by its header, through the same CORS layer.
    """

    def __init__(
        self,
        inner: ASGIApp,
        refuse: ASGIApp,
        *,
        routes: Sequence[BaseRoute],
        default_language: Language,
        limit: int,
        upload_limit: int,
        read_timeout: float = 30.0,
    ) -> None:
        self.app = inner
        self.refuse = refuse
        self.routes = routes
        self.default_language = default_language
        self.limit = limit
        self.upload_limit = upload_limit
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = language = declared = None
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                incoming = incoming or value.decode("latin-1")
            elif key == b"accept-language":
                language = value.decode("latin-1")
            elif key == b"content-length":
                declared = value
        rid = observability.new_request_id(incoming)
        token = app_logging.request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        current_language.set(negotiate(language or "", self.default_language))
        original = dict(scope)  # routing rewrites the scope (mounts change its root_path)
        https = scope.get("scheme") == "https"  # as seen after trusted proxy headers
        status = 500  # unless the app sends a start of its own
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = secured(message.get("headers", ()), https, rid)
            await send(message)

        upload = scope["method"] == "POST" and scope["path"].endswith("/attachments")
        limit = self.upload_limit if upload else self.limit
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                scope[_REFUSED] = limit
                await self.refuse(scope, receive, send_with_headers)
            else:
                await self.app(scope, self._limited(receive, limit), send_with_headers)
        finally:
            route = observability.route_template(scope, original, self.routes)
            observability.record(scope["method"], route, status, time.perf_counter() - started)
            app_logging.request_id.reset(token)

    def _limited(self, receive: Receive, limit: int) -> Receive:
        received = 0
        complete = False

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body only a disconnect comes, whenever it comes
                return await receive()
            try:  # `timeout`, not `wait_for`: no task of its own for every read
                async with asyncio.timeout(self.read_timeout):
                    message = await receive()
            except TimeoutError:
                raise BodyReadTimeout() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                complete = not message.get("more_body", False)
            return message

        return limited_receive


_REFUSED = "chikaya.refused_limit"


async def refuse_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app answering a body refused by its declared length (see `EdgeMiddleware`)."""
    await _too_large(scope, scope[_REFUSED])(scope, receive, send)


def _too_large(scope: Scope, limit: int) -> Response:
    """The 413 answered before the application runs: in the words of the path's API."""
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    if path.startswith(open311.PREFIX + "/"):
        fmt = "xml" if path.endswith(".xml") else "json"
        item = ErrorItem(code=413, description=translate("payload_too_large.detail", limit=limit))
        response = open311.render(fmt, "errors", [item], 413)
        response.headers["Content-Language"] = current_language.get()
        return response
    return problem_response(
        413, PayloadTooLarge.code, instance=scope["path"], params={"limit": limit}
    )
