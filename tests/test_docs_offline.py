"""Swagger UI and ReDoc work with no network beyond the API itself: every asset is same-origin.

The last test renders /docs in Debian's headless Chromium with every other host unreachable,
against a real uvicorn on loopback; it is skipped where chromium is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from urllib.parse import urljoin, urlsplit

import pytest

from app.main import create_app
from tests.servers import ApiServer

# src="…", href="…", url: '…' (Swagger UI's spec), spec-url="…" (ReDoc's).
_REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


def references(html: str) -> list[str]:
    return [a or b for a, b in _REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_reference_only_same_origin_assets_that_answer(client, page):
    response = await client.get(page)
    assert response.status_code == 200
    html = response.text
    found = references(html)
    assert found, html
    assert "cdn" not in html.lower()
    assert "googleapis" not in html.lower()
    for reference in found:
        absolute = urljoin(f"http://testserver{page}", reference)
        parts = urlsplit(absolute)
        assert (parts.scheme, parts.netloc) == ("http", "testserver"), reference
        asset = await client.get(parts.path)
        assert asset.status_code == 200, reference
        assert asset.content, reference
    scripts = [r for r in found if r.endswith(".js")]
    assert scripts, "the page must load its script from us"


async def test_swagger_ui_oauth2_redirect_is_served(client):
    response = await client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert "swaggerUIRedirectOauth2" in response.text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed here")
def test_docs_render_in_a_browser_with_the_network_cut(settings, database_url):
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.pool import NullPool

    # /docs and /openapi.json never touch the database; the engine is only there for the app.
    engine = create_async_engine(database_url, poolclass=NullPool)
    app = create_app(settings=settings, sessionmaker=async_sessionmaker(engine))
    server = ApiServer(app).start()
    try:
        with tempfile.TemporaryDirectory() as profile:
            command = [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                # Every host but loopback is unreachable: a CDN reference would fail to load.
                "--proxy-server=127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"{server.url}/docs",
            ]
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    dom = result.stdout
    assert "swagger-ui" in dom, result.stderr[-2000:]
    # Operations rendered from the spec, by their summaries and paths.
    assert "opblock" in dom, result.stderr[-2000:]
    assert "/api/v1/requests" in dom
    assert "/api/v1/tracking" in dom
