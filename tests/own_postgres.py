"""A throwaway PostgreSQL server of a test's own (never the suite's), from the binaries the
`pgserver` package ships, listening on a loopback TCP port, that the test may stop and start."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pgserver

from tests.servers import free_port

BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
COMMAND_TIMEOUT = 120  # seconds: a bound for initdb and pg_ctl on a loaded machine


class OwnPostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="chikaya-own-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: pgserver's own user
            from pgserver.utils import ensure_folder_permissions, ensure_user_exists

            self.user = "pgserver"
            ensure_user_exists(self.user)
            readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
            ensure_folder_permissions(BIN, readable)
            ensure_folder_permissions(BIN.parent / "lib", readable)
            shutil.chown(self.root, self.user, self.user)
            self.root.chmod(0o755)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=COMMAND_TIMEOUT,
        )

    def init(self) -> OwnPostgres:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, new connections refused."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
