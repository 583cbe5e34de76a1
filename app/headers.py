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

from starlette.datastructures import MutableHeaders

HSTS = "max-age=31536000"  # one year; subdomains are not ours to bind


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
