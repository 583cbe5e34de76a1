"""Security headers on every answer (added by the one edge middleware, `app.middleware`).

* `Cache-Control: no-store` (and `Pragma: no-cache`, RFC 6749 §5.1) on every answer that does
  not declare itself `public`: tokens, tracking, request views, exports, receipts and the back
  office never land in a shared or disk cache. Public data (statistics, the docs' assets) opts
  out by sending `Cache-Control: public, …` itself. Deny by default: a new route that forgets is
  safe, not leaky.
* `Strict-Transport-Security` when the request came over HTTPS (as seen after trusted proxy
  headers); never on plain HTTP, where browsers ignore it anyway.
* `X-Content-Type-Options: nosniff`; `Referrer-Policy: no-referrer` (paths hold tracking
  numbers: a link followed from a page must not carry one to another site);
  `X-Frame-Options: DENY` (nothing here is meant to be framed).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders

HSTS = "max-age=31536000"  # one year; subdomains are not ours to bind

RawHeaders = list[tuple[bytes, bytes]]
# What `secure` adds to an answer that sets none of them itself (most answers), and the
# request id after them, as raw pairs in the order `secure` appends them.
_ADDED = frozenset(
    {
        b"cache-control",
        b"pragma",
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"strict-transport-security",
        b"x-request-id",
    }
)
_PLAIN: RawHeaders = [
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_OVER_HTTPS: RawHeaders = [*_PLAIN, (b"strict-transport-security", HSTS.encode())]


def secured(raw: Iterable[tuple[bytes, bytes]], https: bool, request_id: str) -> RawHeaders:
    """An answer's raw headers with the security headers and `X-Request-ID` (by
    `app.middleware.EdgeMiddleware`): what `secure` and setting the id make of them, in one
    pass over the list when the answer sets none of them itself."""
    headers = list(raw)
    for key, _value in headers:
        if key in _ADDED:
            mutable = MutableHeaders(raw=headers)
            secure(mutable, https)
            mutable["X-Request-ID"] = request_id
            return mutable.raw
    headers += _OVER_HTTPS if https else _PLAIN
    headers.append((b"x-request-id", request_id.encode("latin-1")))
    return headers


def secure(headers: MutableHeaders, https: bool) -> None:
    """Adds the security headers to an answer's start (by `app.middleware.EdgeMiddleware`)."""
    cache = headers.get("cache-control", "")
    directives = {d.strip().split("=")[0].lower() for d in cache.split(",")}
    if "public" not in directives and "no-store" not in directives:
        headers["Cache-Control"] = f"{cache}, no-store" if cache else "no-store"
    if "public" not in directives:
        headers["Pragma"] = "no-cache"
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if https:
        headers["Strict-Transport-Security"] = HSTS
