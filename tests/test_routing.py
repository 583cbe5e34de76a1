"""Routers turn away the paths none of their routes can match (`app.routers._Router`)
without changing what any path matches: its route, another method's 405, or a 404."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from app.routers import make_router


def _app() -> tuple[FastAPI, Any]:
    first = make_router(prefix="/things")

    @first.get("/{thing}")
    async def get_thing(thing: str) -> dict[str, str]:
        return {"thing": thing}

    @first.post("")
    async def add_thing() -> dict[str, str]:
        return {"added": "yes"}

    bare = make_router()

    @bare.get("/things-elsewhere/{n}")
    async def elsewhere(n: int) -> dict[str, int]:
        return {"n": n}

    app = FastAPI()
    app.state.sessionmaker = None  # these routes open no session
    app.include_router(first)
    app.include_router(bare)
    return app, bare


async def test_each_path_matches_what_it_matched():
    app, bare = _app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/things/a")).json() == {"thing": "a"}
        assert (await client.post("/things")).json() == {"added": "yes"}
        assert (await client.get("/things-elsewhere/3")).json() == {"n": 3}
        assert (await client.delete("/things/a")).status_code == 405
        assert (await client.get("/things")).status_code == 405
        assert (await client.get("/thing")).status_code == 404
        assert (await client.get("/nothing/a")).status_code == 404

        @bare.get("/later")
        async def later() -> dict[str, str]:
            return {"later": "found"}

        assert (await client.get("/later")).json() == {"later": "found"}
