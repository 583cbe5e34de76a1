"""Uploads under attack, against a real uvicorn on loopback: stalled bodies hold no database
connection and no row lock, each client has a few uploads at a time, a client that stops sending
is cut off, and what is stored is named and typed by its content."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import select
import socket
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests import documents
from tests.factories import complaint, file
from tests.servers import ApiServer

BOUNDARY = "stalledboundary"
# Far above any test's answer time, far below "hangs for ever": a failure, not a flake.
PATIENCE = 20.0


@contextlib.asynccontextmanager
async def serving(settings: Settings, database_url: str, **update: Any) -> AsyncIterator[ApiServer]:
    """The app on a real uvicorn with its own engine (and its own pool) on the test database."""
    app = create_app(settings.model_copy(update={"database_url": database_url, **update}))
    server = await asyncio.to_thread(lambda: ApiServer(app).start())
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


def stall(server: ApiServer, number: str, token: str, source: str = "127.0.0.1") -> socket.socket:
    """Open an upload announcing 5 MB, send its headers and about a hundred bytes, then stop."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode() + b"%" * 60
    request = (
        f"POST /api/v1/requests/{number}/attachments HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        "Content-Length: 5000000\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), source_address=(source, 0))
    sock.sendall(request + head)
    return sock


def read_answer(sock: socket.socket, timeout: float = PATIENCE) -> bytes:
    """Everything the server sends until it closes the connection (or `timeout` passes)."""
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


@contextlib.contextmanager
def stalled(server: ApiServer, number: str, token: str, sources: list[str]) -> Iterator[None]:
    sockets = [stall(server, number, token, source) for source in sources]
    try:
        yield
    finally:
        for sock in sockets:
            sock.close()


def client_from(server: ApiServer, source: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url,
        transport=httpx.AsyncHTTPTransport(local_address=source),
        timeout=PATIENCE,
    )


def pdf_upload(name: str = "a.pdf", content: bytes | None = None) -> list[Any]:
    return [("files", (name, content or documents.pdf(), "application/pdf"))]


def spools(root: Path) -> list[Path]:
    incoming = root / ".incoming"
    return list(incoming.iterdir()) if incoming.is_dir() else []


async def spooling(root: Path, count: int) -> None:
    """Wait until `count` uploads are past their headers and receiving into spooled files."""
    deadline = time.monotonic() + PATIENCE
    while len(spools(root)) < count:
        assert time.monotonic() < deadline, "the stalled uploads never started"
        await asyncio.sleep(0.05)


async def test_stalled_uploads_leave_the_pool_and_the_row_to_everyone_else(
    live, settings, database_url, tmp_path
):
    """Audit row 1: with a pool of two connections, a dozen stalled uploads from anonymous
    citizens' tokens once left every database endpoint waiting, then answering 500."""
    created = await file(live.client, complaint(live.administration.code))
    number, token = created["tracking_number"], created["access_token"]
    sources = [f"127.0.0.{n}" for n in range(2, 8) for _ in range(2)]  # within the per-client cap
    async with serving(
        settings, database_url, db_pool_size=2, db_max_overflow=0, attachments_dir=tmp_path
    ) as server:
        with stalled(server, number, token, sources):
            # Today two of them could start (the pool's two connections); now all of them.
            await spooling(tmp_path, 2)
            async with client_from(server) as client:
                for _ in range(3):
                    catalogue = await client.get("/api/v1/administrations")
                    assert catalogue.status_code == 200, catalogue.text
                    assert (await client.get("/readyz")).status_code == 200
                    await asyncio.sleep(0.3)
                # The row of the request they stall on is free: staff act on it meanwhile.
                start = await client.post(
                    f"/api/v1/backoffice/requests/{number}/actions/start", headers=live.staff
                )
                assert start.status_code == 200, start.text
                # And the citizen's own complete upload goes through beside the stalled ones.
                done = await client.post(
                    f"/api/v1/requests/{number}/attachments",
                    files=pdf_upload(),
                    headers=created["auth"],
                )
                assert done.status_code == 201, done.text


async def test_one_stalled_upload_does_not_lock_the_request(live, settings, database_url, tmp_path):
    """Audit row 1: the row lock of the `attach` action was held while the body streamed."""
    created = await file(live.client, complaint(live.administration.code))
    number, token = created["tracking_number"], created["access_token"]
    async with serving(settings, database_url, attachments_dir=tmp_path) as server:
        with stalled(server, number, token, ["127.0.0.2"]):
            await spooling(tmp_path, 1)  # today, by then, the request's row was locked
            async with client_from(server) as client:
                start = await client.post(
                    f"/api/v1/backoffice/requests/{number}/actions/start", headers=live.staff
                )
                assert start.status_code == 200, start.text
                seen = await client.get(f"/api/v1/requests/{number}", headers=created["auth"])
                assert seen.json()["state"] == "in_progress"


async def test_each_client_has_a_few_uploads_at_a_time(live, settings, database_url, tmp_path):
    created = await file(live.client, complaint(live.administration.code))
    number, token = created["tracking_number"], created["access_token"]
    path = f"/api/v1/requests/{number}/attachments"
    async with (
        serving(settings, database_url, attachments_dir=tmp_path) as server,
        client_from(server, "127.0.0.2") as same,
        client_from(server, "127.0.0.3") as other,
    ):
        # Four stalled uploads from one address: whichever comes last is refused at once, the
        # three others wait for their bytes.
        sockets = [stall(server, number, token, "127.0.0.2") for _ in range(4)]
        try:
            ready, _, _ = await asyncio.to_thread(select.select, sockets, [], [], PATIENCE)
            assert len(ready) == 1, "exactly one of the four uploads is answered at once"
            head, _, body = (await asyncio.to_thread(read_answer, ready[0])).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 429"), head
            headers = dict(
                line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line
            )
            assert headers[b"content-type"] == b"application/problem+json"
            assert int(headers[b"retry-after"]) >= 1
            assert json.loads(body)["code"] == "too_many_uploads"
            # Another client is not held back by the first one's stalled uploads.
            theirs = await other.post(path, files=pdf_upload(), headers=created["auth"])
            assert theirs.status_code == 201, theirs.text
        finally:
            for sock in sockets:
                sock.close()
        # Once its stalled connections are gone, the first client uploads again.
        deadline = time.monotonic() + PATIENCE
        again = await same.post(path, files=pdf_upload(), headers=created["auth"])
        while again.status_code == 429 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)  # the server notices the closed connections soon after
            again = await same.post(path, files=pdf_upload(), headers=created["auth"])
        assert again.status_code == 201, again.text


async def test_a_client_that_stops_sending_is_cut_off_and_its_spool_removed(
    live, settings, database_url, tmp_path
):
    created = await file(live.client, complaint(live.administration.code))
    number, token = created["tracking_number"], created["access_token"]
    async with serving(
        settings, database_url, attachments_dir=tmp_path, body_read_timeout_seconds=1
    ) as server:
        sock = await asyncio.to_thread(stall, server, number, token)
        try:
            answer = await asyncio.to_thread(read_answer, sock)
        finally:
            sock.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"application/problem+json" in head
        assert b"connection: close" in head.lower()
        assert json.loads(body)["code"] == "request_timeout"
        assert spools(tmp_path) == []

        # Any other body too: a JSON submission that stops half-way.
        sock = socket.create_connection(("127.0.0.1", server.port))
        try:
            sock.sendall(
                b"POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"kind": "compl'
            )
            answer = await asyncio.to_thread(read_answer, sock)
        finally:
            sock.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]

        # Under Open311, in its own error format.
        sock = socket.create_connection(("127.0.0.1", server.port))
        try:
            sock.sendall(
                b"POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000\r\n\r\napi_key=abc&descr"
            )
            answer = await asyncio.to_thread(read_answer, sock)
        finally:
            sock.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"connection: close" in head.lower()
        assert [error["code"] for error in json.loads(body)] == [408]


# --- Types and names, through the application itself ---------------------------------------


async def _upload(client, created, *parts):  # type: ignore[no-untyped-def]
    return await client.post(
        f"/api/v1/requests/{created['tracking_number']}/attachments",
        files=[("files", part) for part in parts],
        headers=created["auth"],
    )


@pytest.mark.parametrize(
    ("name", "content", "stored"),
    [
        ("invoice.hta", documents.pdf(), "invoice.pdf"),
        ("invoice.exe", documents.pdf(), "invoice.pdf"),
        ("invoice.html", documents.pdf(), "invoice.pdf"),
        ("invoice.PDF", documents.pdf(), "invoice.PDF"),
        ("scan", documents.png(), "scan.png"),
        ("photo.jpeg", documents.jpeg(), "photo.jpeg"),
        ("photo.png", documents.jpeg(), "photo.jpg"),
        ("lettre.pdf", documents.docx(), "lettre.docx"),
        ("وصل.svg", documents.odt(), "وصل.odt"),
    ],
)
async def test_the_stored_name_carries_the_extension_of_the_content(live, name, content, stored):
    created = await file(live.client, complaint(live.administration.code))
    response = await _upload(live.client, created, (name, content, "application/octet-stream"))
    assert response.status_code == 201, response.text
    [item] = response.json()
    assert item["name"] == stored
    down = await live.client.get(
        f"/api/v1/requests/{created['tracking_number']}/attachments/{item['id']}",
        headers=created["auth"],
    )
    assert down.status_code == 200
    fallback = stored if stored.isascii() else "document." + stored.rpartition(".")[2]
    assert f'filename="{fallback}"' in down.headers["content-disposition"]


def _zip(*entries: tuple[str, str], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for position, (name, text) in enumerate(entries):
            kind = zipfile.ZIP_STORED if stored_first and position == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), text, compress_type=kind)
    return out.getvalue()


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _content_types(content_type: str) -> str:
    return (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types"><Override PartName="/word/document.xml" ContentType="{content_type}"/>'
        "</Types>"
    )


def _odt(mimetype: str) -> bytes:
    """An OpenDocument-like ZIP: its `mimetype` entry first (stored), then a content."""
    return _zip(
        ("mimetype", mimetype), ("content.xml", "<office:document-content/>"), stored_first=True
    )


@pytest.mark.parametrize(
    "content",
    [
        # filetype's guess: a ZIP whose first entry starts with `word/` is "DOCX".
        pytest.param(_zip(("word/payload.exe", "MZ" + "\0" * 64)), id="word-entry-only"),
        pytest.param(
            _zip(("[Content_Types].xml", _content_types(WORD_MAIN)), ("word/x.exe", "MZ")),
            id="no-document-xml",
        ),
        pytest.param(
            _zip(
                ("[Content_Types].xml", _content_types("application/xml")),
                ("word/document.xml", "<w:document/>"),
            ),
            id="wrong-content-type",
        ),
        pytest.param(
            _zip(
                (
                    "[Content_Types].xml",
                    _content_types("application/vnd.ms-word.document.macroEnabled.main+xml"),
                ),
                ("word/document.xml", "<w:document/>"),
            ),
            id="macro-enabled",
        ),
        # filetype compares only a prefix of the `mimetype` entry: a template passes as ODT.
        pytest.param(_odt("application/vnd.oasis.opendocument.text-template"), id="odt-template"),
        pytest.param(_odt("application/vnd.oasis.opendocument.textual"), id="odt-longer-mimetype"),
        pytest.param(b"PK\x03\x04" + b"\0" * 200, id="broken-zip"),
    ],
)
async def test_office_documents_are_checked_by_their_structure(live, settings, content):
    created = await file(live.client, complaint(live.administration.code))
    before = spools(settings.attachments_dir)
    response = await _upload(live.client, created, ("lettre.docx", content, ""))
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "file_type_not_allowed"
    assert spools(settings.attachments_dir) == before


async def test_a_word_document_is_recognised_whatever_its_first_entry(live):
    """The structure decides, not the order of the entries filetype happens to read."""
    content = _zip(
        ("docProps/app.xml", "<Properties/>" + " " * 9000),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", "<w:document/>"),
        ("[Content_Types].xml", _content_types(WORD_MAIN)),
    )
    created = await file(live.client, complaint(live.administration.code))
    response = await _upload(live.client, created, ("lettre", content, ""))
    assert response.status_code == 201, response.text
    assert response.json()[0]["name"] == "lettre.docx"


# --- Open311 -----------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_an_open311_body_over_the_limit_is_a_georeport_error_list(client, fmt, declared):
    big = b"description=" + b"x" * (1024 * 1024 + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    response = await client.post(
        f"/open311/v2/requests.{fmt}",
        content=big if declared else chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        [error] = response.json()
        assert error["code"] == 413
        assert "1048576" in error["description"]
    else:
        assert response.headers["content-type"].startswith("text/xml")
        assert b"<errors><error><code>413</code>" in response.content


@pytest.mark.parametrize(
    ("name", "content_type", "named"),
    [
        ("invoice.hta", "application/pdf", "invoice.pdf"),
        ("invoice.pdf.exe", "application/pdf", "invoice.pdf"),
        ("pdf.exe", "application/pdf", "pdf.pdf"),
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("photo.heif", "image/heic", "photo.heif"),
        ("v1.2 report", "application/pdf", "v1.2 report.pdf"),
        ("document", "application/pdf", "document.pdf"),
        ("x" * 250 + ".exe", "application/pdf", "x" * 250 + ".pdf"),
        ("x" * 255, "application/pdf", "x" * 251 + ".pdf"),
        ("notes.exe", "text/plain", "notes.txt"),  # a type added by configuration
    ],
)
def test_names_take_the_extension_of_their_type(name, content_type, named):
    from app.services.file_types import named_for

    assert named_for(name, content_type) == named
