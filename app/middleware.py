"""Pure ASGI middleware: language negotiation, and the request body's size and read time limits."""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import BodyReadTimeout, BodyTooLarge, PayloadTooLarge, problem_response
from app.i18n import Language, current_language, negotiate, translate
from app.routers import open311
from app.schemas.open311 import ErrorItem


class LanguageMiddleware:
    """Sets the language of the response (problems, labels) from `Accept-Language`."""

    def __init__(self, app: ASGIApp, default: Language) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
            current_language.set(negotiate(header, self.default))
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """Refuses bodies over `limit` bytes with 413, by header or while streaming, never buffering;
    and cuts off with 408 a body whose next bytes take more than `read_timeout` seconds, so a
    client that stops sending holds nothing of ours for longer than that.

    Document uploads get `upload_limit` instead; their own parser also caps each file. Under
    `/open311/v2` the refusal is a GeoReport error list, like every other error there.
    """

    def __init__(
        self, app: ASGIApp, limit: int, upload_limit: int, read_timeout: float = 30.0
    ) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"].endswith("/attachments")
        limit = self.upload_limit if upload else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, limit)(scope, receive, send)
            return
        received = 0
        complete = False

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body only a disconnect comes, whenever it comes
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout)
            except TimeoutError:
                raise BodyReadTimeout() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)


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
