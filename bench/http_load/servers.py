"""The servers under test: one embedded PostgreSQL, the project and the thin service."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 180
STOP_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def database_url(server: str, name: str) -> str:
    """`server`'s URL (pgserver's, over a Unix socket) naming another database."""
    return make_url(server).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """The project's embedded PostgreSQL (pgserver) in `data_dir`, stopped on the way out."""
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir.resolve()), cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


async def create_database(server: str, name: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


class Process:
    """A server process in its own process group, its output in a log file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path, port: int) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("ab")
        self._process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        """The server's process (with one worker, the one that serves)."""
        return self._process.pid

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of the server and its direct children (uvicorn's workers)
        so far, from `/proc`; None where there is no `/proc`."""
        try:
            return sum(_cpu(pid) for pid in (self.pid, *_children(self.pid)))
        except OSError:
            return None

    def wait_ready(self, path: str) -> None:
        """Returns once `path` answers 200; stops the server and raises if it never does."""
        try:
            self._poll(path)
        except BaseException:
            self.stop()
            raise

    def _poll(self, path: str) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"server exited ({self._process.returncode}); see {self._log.name}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"server not ready in {READY_SECONDS} s; see {self._log.name}")

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful stop), then SIGKILL to this server's group if it lingers."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(STOP_SECONDS)
        self._log.close()


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str]:
    # The fields after the command name (which may hold spaces and parentheses).
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def postgres_cpu_seconds(data_dir: Path) -> float | None:
    """CPU time (user + system) PostgreSQL has spent so far: its postmaster's own, that of
    the children it has reaped (backends that ended), and that of its live children (the
    backends serving, the writer, the checkpointer, ...), from `/proc`; None where there is
    no `/proc` or no server in `data_dir`."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        fields = _stat(pid)
        own = sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
        return own / _TICKS + sum(_cpu(child) for child in _children(pid))
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def start_project(database: str, data_dir: Path, workers: int, secret: str) -> Process:
    """`python -m app serve` on a free port: migrates, loads the sample catalogue, serves."""
    port = free_port()
    env = {
        "DATABASE_URL": database,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "SECRET_KEY": secret,
        "ATTACHMENTS_DIR": str(data_dir / "attachments"),
        # Sending is not part of a request: the outbox is filled in the request's transaction
        # (measured) and left idle, as with a separate `python -m app worker`.
        "DISPATCHER_IN_API": "false",
        "AUTO_CLOSE_INTERVAL_SECONDS": "0",
        # The run outlasts the default token lifetimes.
        "STAFF_TOKEN_TTL_SECONDS": "86400",
        "TRACKING_TOKEN_TTL_SECONDS": "86400",
        # Anonymous ceilings lifted (0 = none); the statistics answered afresh every time.
        "SUBMISSIONS_PER_CLIENT_PER_HOUR": "0",
        "ACKNOWLEDGEMENTS_PER_RECIPIENT_PER_DAY": "0",
        "STATISTICS_CACHE_SECONDS": "0",
    }
    process = Process(
        [sys.executable, "-m", "app", "serve"], env, data_dir / f"project-{workers}w.log", port
    )
    process.wait_ready("/readyz")
    return process


def start_thin(database: str, data_dir: Path) -> Process:
    """The thin service under uvicorn's defaults, as the project's `serve` runs them."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.thin.app:app", "--host", "127.0.0.1"]
    env = {"THIN_DATABASE_URL": database}
    process = Process([*command, "--port", str(port)], env, data_dir / "thin.log", port)
    process.wait_ready("/api/v1/statistics")
    return process
