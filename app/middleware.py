"""Pure ASGI middleware: language negotiation and the request-body size limit."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import BodyTooLarge, PayloadTooLarge, problem_response
from app.i18n import Language, current_language, negotiate


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
    """Refuses bodies over `limit` bytes with 413, by header or while streaming, never buffering.

    Document uploads get `upload_limit` instead; their own parser also caps each file.
    """

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"].endswith("/attachments")
        limit = self.upload_limit if upload else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem_response(
                413, PayloadTooLarge.code, instance=scope["path"], params={"limit": limit}
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
