"""What uploads of 10 MB documents cost the server's memory (issue 8: one adds at most 2 MB).

Run: `python -m bench.upload_memory` (`make bench-upload`). Starts the project as `make run`
does (`python -m app serve`, one worker) on an embedded PostgreSQL, all fresh under
`.data/bench-upload` and stopped at the end; files complaints, warms the upload path with one
document, then sends `UPLOAD_ROUNDS` rounds (default 5) of `UPLOAD_CONCURRENCY` (default 3,
the per-client ceiling of uploads in progress) concurrent 10 MB uploads, each to its own
request, reading the server's resident memory (`VmRSS`, and the peak `VmHWM`, from
`/proc/<pid>/status`: Linux only) before and after. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

import httpx

from bench.http_load import prepare, servers

DATA = servers.ROOT / ".data" / "bench-upload"
ROUNDS = int(os.environ.get("UPLOAD_ROUNDS", "5"))
CONCURRENCY = int(os.environ.get("UPLOAD_CONCURRENCY", "3"))
SIZE = 10 * 1024 * 1024 - 4096  # just under the 10 MB limit, multipart framing included
MB = 1024 * 1024


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> None:
    """Starts `VmHWM` afresh from the current resident size (Linux 4.0+; best effort)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        print("(could not reset the peak: it includes the warm-up)")


def document() -> bytes:
    """A PDF by its content (the type is read from the bytes, never from the name)."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n"
    tail = b"\n%%EOF\n"
    return head + b"%" + os.urandom((SIZE - len(head) - len(tail) - 1) // 2).hex().encode() + tail


async def file_requests(client: httpx.AsyncClient, count: int) -> list[tuple[str, str]]:
    """`count` complaints to ACAPS `insurance`: (tracking number, "Bearer …") of each."""
    insurance = prepare.candidate_services()[0]
    filed = []
    for n in range(count):
        answer = await client.post(
            "/api/v1/requests",
            content=prepare.complaint(*insurance, n),
            headers={"Content-Type": "application/json"},
        )
        answer.raise_for_status()
        body = answer.json()
        filed.append((body["tracking_number"], f"Bearer {body['access_token']}"))
    return filed


async def upload(client: httpx.AsyncClient, number: str, token: str, body: bytes) -> None:
    answer = await client.post(
        f"/api/v1/requests/{number}/attachments",
        files={"files": ("evidence.pdf", body, "application/pdf")},
        headers={"Authorization": token},
    )
    if answer.status_code != 201:
        raise RuntimeError(f"upload: {answer.status_code} {answer.text[:300]}")


async def measure(server: servers.Process) -> None:
    body = document()
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        filed = await file_requests(client, 1 + ROUNDS * CONCURRENCY)
        cold = memory(server.pid)
        await upload(client, *filed[0], body)  # imports, pools and buffers of the first one
        await asyncio.sleep(1)
        warm = memory(server.pid)
        reset_peak(server.pid)
        before = memory(server.pid)
        started = time.perf_counter()
        for n in range(ROUNDS):
            batch = filed[1 + n * CONCURRENCY : 1 + (n + 1) * CONCURRENCY]
            await asyncio.gather(*(upload(client, *one, body) for one in batch))
        seconds = time.perf_counter() - started
        await asyncio.sleep(1)
        after = memory(server.pid)
    uploads = ROUNDS * CONCURRENCY
    grown = after["VmRSS"] - before["VmRSS"]
    print(
        f"{uploads} uploads of {len(body) / MB:.1f} MB ({ROUNDS} rounds of {CONCURRENCY} "
        f"at once) in {seconds:.1f} s, one worker"
    )
    print(
        f"resident cold    {cold['VmRSS'] / MB:8.1f} MB; after one warm-up upload "
        f"{warm['VmRSS'] / MB:.1f} MB (peak {warm['VmHWM'] / MB:.1f} MB)"
    )
    print(f"resident before  {before['VmRSS'] / MB:8.1f} MB (peak reset)")
    print(
        f"resident after   {after['VmRSS'] / MB:8.1f} MB "
        f"(peak during the rounds {after['VmHWM'] / MB:.1f} MB)"
    )
    print(
        f"grown            {grown / MB:8.1f} MB in all, {grown / MB / uploads:.2f} MB per upload; "
        f"peak above the start {(after['VmHWM'] - before['VmRSS']) / MB:.1f} MB "
        f"({(after['VmHWM'] - before['VmRSS']) / MB / CONCURRENCY:.2f} MB per upload in flight)"
    )


def main() -> None:
    if not Path("/proc/self/status").exists():
        sys.exit("bench.upload_memory reads /proc: Linux only")
    shutil.rmtree(DATA, ignore_errors=True)
    with servers.embedded_postgres(DATA / "postgres") as server_url:
        name = f"chikaya_upload_{secrets.token_hex(3)}"
        asyncio.run(servers.create_database(server_url, name))
        database = servers.database_url(server_url, name)
        project = servers.start_project(database, DATA, 1, secrets.token_urlsafe(48))
        try:
            asyncio.run(measure(project))
        finally:
            project.stop()


if __name__ == "__main__":
    main()
