"""Documents go up streamed and typed by content, come back byte for byte, and never leak."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from app.main import create_app
from app.models.enums import Role
from tests import documents
from tests.factories import (
    agent_and_stranger,
    complaint,
    file,
    make_administration,
    make_staff,
    upload,
)
from tests.servers import free_port


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts]


PDF = ("a.pdf", documents.pdf(), "application/pdf")


async def filed(client, session):
    """A complaint filed through the API: its number and the citizen's Authorization header."""
    admin = await make_administration(session)
    created = await file(client, complaint(admin.code))
    return created["tracking_number"], created["auth"]


def client_with(custom, sessionmaker) -> httpx.AsyncClient:
    """A client of the app with other settings, on the test's transaction."""
    app = create_app(settings=custom, sessionmaker=sessionmaker)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize(
    ("name", "content", "declared", "detected"),
    [
        ("constat.pdf", documents.pdf(), "application/pdf", "application/pdf"),
        ("photo.png", documents.png(), "image/png", "image/png"),
        ("photo.jpg", documents.jpeg(), "image/jpeg", "image/jpeg"),
        (
            "lettre.docx",
            documents.docx(),
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("lettre.odt", documents.odt(), "", "application/vnd.oasis.opendocument.text"),
    ],
)
async def test_documents_go_up_and_come_back_byte_for_byte(
    client, session, name, content, declared, detected
):
    number, citizen = await filed(client, session)
    response = await upload(client, number, citizen, (name, content, declared))
    assert response.status_code == 201, response.text
    [item] = response.json()
    assert item["content_type"] == detected
    assert item["size"] == len(content)
    assert item["sha256"] == hashlib.sha256(content).hexdigest()
    assert item["uploaded_by"] == "citizen"
    down = await client.get(f"/api/v1/requests/{number}/attachments/{item['id']}", headers=citizen)
    assert down.status_code == 200
    assert down.content == content
    assert down.headers["content-type"].startswith(detected)
    assert down.headers["x-content-type-options"] == "nosniff"
    assert down.headers["content-disposition"].startswith("attachment;")
    listed = await client.get(f"/api/v1/requests/{number}/attachments", headers=citizen)
    assert [a["id"] for a in listed.json()] == [item["id"]]
    history = (await client.get(f"/api/v1/requests/{number}", headers=citizen)).json()["history"]
    assert history[-1]["action"] == "attach"


async def test_an_executable_renamed_pdf_is_refused(client, session, settings):
    number, citizen = await filed(client, session)
    before = stored_files(settings.attachments_dir)
    response = await upload(
        client, number, citizen, ("facture.pdf", documents.executable(), "application/pdf")
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "file_type_not_allowed"
    assert stored_files(settings.attachments_dir) == before
    assert list((settings.attachments_dir / ".incoming").iterdir()) == []


async def test_a_declared_type_that_lies_is_refused(client, session):
    number, citizen = await filed(client, session)
    response = await upload(client, number, citizen, ("x.png", documents.pdf(), "image/png"))
    assert response.status_code == 415


async def test_a_file_one_byte_over_the_limit_is_refused_early(session, sessionmaker, settings):
    small = settings.model_copy(update={"max_attachment_bytes": 1000})
    async with client_with(small, sessionmaker) as client:
        number, citizen = await filed(client, session)
        exact = documents.pdf() + b"%" * (1000 - len(documents.pdf()))
        assert (
            await upload(client, number, citizen, ("a.pdf", exact, "application/pdf"))
        ).status_code == 201
        over = await upload(client, number, citizen, ("b.pdf", exact + b"%", "application/pdf"))
        assert over.status_code == 413
        assert over.json()["code"] == "file_too_large"

        # A 5 MB body sent without Content-Length: the server stops reading early.
        boundary = "chikayaboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        sent = 0

        async def body():
            nonlocal sent
            yield head + documents.pdf()
            for _ in range(80):
                sent += 65536
                yield b"%" * 65536

        streamed = await client.post(
            f"/api/v1/requests/{number}/attachments",
            content=body(),
            headers={**citizen, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert streamed.status_code == 413
        assert sent <= 2 * 65536  # refused within the chunk that crossed the limit


async def test_file_names_lose_their_path_and_keep_their_arabic(client, session):
    number, citizen = await filed(client, session)
    pdf = documents.pdf()
    response = await upload(
        client,
        number,
        citizen,
        ("../../etc/passwd.pdf", pdf, "application/pdf"),
        ("C:\\Users\\x\\وصل التأمين.pdf", pdf, "application/pdf"),
    )
    assert response.status_code == 201
    names = [a["name"] for a in response.json()]
    assert names == ["passwd.pdf", "وصل التأمين.pdf"]
    arabic = response.json()[1]["id"]
    down = await client.get(f"/api/v1/requests/{number}/attachments/{arabic}", headers=citizen)
    disposition = down.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('وصل التأمين.pdf', safe='')}" in disposition
    assert 'filename="' in disposition


async def test_nobody_else_reads_the_documents(client, session, settings):
    admin, own_staff, stranger = await agent_and_stranger(session, settings)
    mine = await file(client, complaint(admin.code))
    theirs = await file(client, complaint(admin.code))
    item = (await upload(client, mine["tracking_number"], mine["auth"], PDF)).json()[0]
    path = f"/api/v1/requests/{mine['tracking_number']}/attachments/{item['id']}"
    assert (await client.get(path, headers=theirs["auth"])).status_code == 404
    assert (await client.get(path, headers=stranger)).status_code == 404
    assert (await client.get(path)).status_code == 401
    # Another request's path with this id does not reach it either.
    cross = f"/api/v1/requests/{theirs['tracking_number']}/attachments/{item['id']}"
    assert (await client.get(cross, headers=theirs["auth"])).status_code == 404
    assert (await client.get(path, headers=own_staff)).status_code == 200


async def test_staff_attach_documents_to_their_answer(client, session, settings):
    admin = await make_administration(session)
    _agent, staff = await make_staff(session, settings, Role.agent, admin)
    created = await file(client, complaint(admin.code))
    number = created["tracking_number"]
    response = await upload(client, number, staff, ("reponse.pdf", *PDF[1:]))
    assert response.status_code == 201
    assert response.json()[0]["uploaded_by"] == "agent"
    seen = await client.get(f"/api/v1/requests/{number}/attachments", headers=created["auth"])
    assert [a["name"] for a in seen.json()] == ["reponse.pdf"]


async def test_limits_on_files_per_request_and_closed_requests(session, sessionmaker, settings):
    few = settings.model_copy(update={"max_attachments_per_request": 2})
    async with client_with(few, sessionmaker) as client:
        number, citizen = await filed(client, session)
        assert (await upload(client, number, citizen, PDF, PDF)).status_code == 201
        refused = await upload(client, number, citizen, PDF)
        assert refused.status_code == 413
        assert refused.json()["code"] == "too_many_attachments"
        await client.post(f"/api/v1/requests/{number}/close", json={}, headers=citizen)
        closed = await upload(client, number, citizen, PDF)
        assert closed.status_code == 409
        assert closed.json()["code"] == "transition_not_allowed"


async def test_nothing_stays_orphaned_when_the_transaction_fails(
    client, session, settings, monkeypatch
):
    number, citizen = await filed(client, session)
    before = stored_files(settings.attachments_dir)

    from app.services import attachments

    real = attachments.Attachment

    def broken(**fields):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(attachments, "Attachment", broken)
    response = await upload(client, number, citizen, PDF)
    monkeypatch.setattr(attachments, "Attachment", real)
    assert response.status_code == 500
    assert stored_files(settings.attachments_dir) == before
    listed = await client.get(f"/api/v1/requests/{number}/attachments", headers=citizen)
    assert listed.json() == []


async def test_orphans_left_by_a_crash_are_swept(session, settings, tmp_path):
    from datetime import timedelta

    from app.services import attachments, clock
    from app.services.storage import LocalStorage

    storage = LocalStorage(tmp_path)
    spool = storage.spool()
    spool.write(b"left behind")
    spool.close()
    await storage.put("deadbeef" * 4, Path(spool.name))
    cut_off = storage.spool()  # an upload whose process died mid-body
    cut_off.write(b"half a file")
    cut_off.close()
    foreign = tmp_path / "de" / "not-ours.txt"  # a shared folder keeps what we did not write
    foreign.parent.mkdir(exist_ok=True)
    foreign.write_bytes(b"someone else's")
    later = clock.now() + timedelta(seconds=1)
    assert await attachments.sweep_orphans(session, storage, timedelta(0), later) == 1
    assert stored_files(tmp_path) == [foreign]
    assert not await asyncio.to_thread(Path(cut_off.name).exists)
    assert await asyncio.to_thread(foreign.read_bytes) == b"someone else's"


async def test_a_stored_file_a_row_points_to_is_never_swept(
    session, sessionmaker, settings, tmp_path
):
    from datetime import timedelta

    from app.services import attachments, clock
    from app.services.storage import LocalStorage

    own = settings.model_copy(update={"attachments_dir": tmp_path})
    async with client_with(own, sessionmaker) as client:
        response = await upload(client, *await filed(client, session), PDF)
    assert response.status_code == 201
    [kept] = stored_files(tmp_path)
    later = clock.now() + timedelta(seconds=1)
    assert (
        await attachments.sweep_orphans(session, LocalStorage(tmp_path), timedelta(0), later) == 0
    )
    assert stored_files(tmp_path) == [kept]


def s3_client(url: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )


@pytest.fixture
def s3_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    s3_client(url).create_bucket(Bucket="chikaya-test")
    yield url
    server.stop()


async def test_s3_backend_round_trip(session, sessionmaker, settings, s3_server):
    from pydantic import SecretStr

    s3 = settings.model_copy(
        update={
            "attachments_backend": "s3",
            "s3_endpoint_url": s3_server,
            "s3_bucket": "chikaya-test",
            "s3_access_key_id": "k",
            "s3_secret_access_key": SecretStr("s"),
        }
    )
    async with client_with(s3, sessionmaker) as client:
        number, citizen = await filed(client, session)
        content = documents.png(40, 40)
        item = (await upload(client, number, citizen, ("photo.png", content, "image/png"))).json()[
            0
        ]
        down = await client.get(
            f"/api/v1/requests/{number}/attachments/{item['id']}", headers=citizen
        )
        assert down.content == content
    bucket = s3_client(s3_server).list_objects_v2(Bucket="chikaya-test")
    keys = [o["Key"] for o in bucket.get("Contents", [])]
    assert len(keys) == 1
    assert keys[0] != "photo.png"  # a generated name, never the client's


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\scan.png", "scan.png"),
        ("....pdf", "document.pdf"),
        ("  rapport final .pdf", "rapport final.pdf"),
        ("évil\u202etxt.pdf", "éviltxt.pdf"),
        ("", "document"),
        ("...", "document"),
    ],
)
def test_display_names_are_harmless_and_keep_their_extension(raw, shown):
    from app.services.attachments import display_name

    assert display_name(raw) == shown


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("شكاية.pdf", "document.pdf"),
        ("Constat amiable.pdf", "Constat amiable.pdf"),
        ("Réclamation.docx", "Reclamation.docx"),
        ("شكاية", "document"),
    ],
)
def test_the_ascii_fallback_name_is_never_a_hidden_file(name, fallback):
    from app.services.attachments import content_disposition

    disposition = content_disposition(name)
    assert f'filename="{fallback}"' in disposition
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition


async def test_a_malformed_multipart_body_is_a_400_and_leaves_no_spool(client, session, settings):
    """Found by schemathesis: a part whose header line is not a header was a 500."""
    number, citizen = await filed(client, session)
    boundary = "972523d3f441c3266b41f0b91d913904"
    spools = settings.attachments_dir / ".incoming"
    before = set(spools.rglob("*")) if spools.exists() else set()
    response = await client.post(
        f"/api/v1/requests/{number}/attachments",
        headers={**citizen, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=f"--{boundary}\r\n2251799813685247--{boundary}--\r\n".encode(),
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "malformed_multipart"
    after = set(spools.rglob("*")) if spools.exists() else set()
    assert after == before
    listed = await client.get(f"/api/v1/requests/{number}/attachments", headers=citizen)
    assert listed.json() == []
