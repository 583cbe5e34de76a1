"""`python -m app serve` runs on uvloop and httptools (uvicorn's "auto" picks them when they
are installed; `uvicorn[standard]` installs both). Checked here on the options `serve` passes
and on what "auto" resolves to; the running server was also checked with py-spy (its stacks
show `uvicorn/protocols/http/httptools_impl.py` and a `uvloop_0` executor thread)."""

from __future__ import annotations

import uvicorn
import uvloop
from uvicorn.loops.auto import auto_loop_factory
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.__main__ import uvicorn_options


def test_serve_runs_on_uvloop_and_httptools():
    # Without `log_config`: building a Config applies it, and the test process's logging is
    # not this test's to change.
    options = {**uvicorn_options(), "log_config": None}
    config = uvicorn.Config("app.asgi:app", **options)
    assert config.loop == "auto"
    assert config.http == "auto"
    assert AutoHTTPProtocol is HttpToolsProtocol
    loop = auto_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
