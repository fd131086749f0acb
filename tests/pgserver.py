"""A throwaway PostgreSQL server on loopback for tests and benchmarks: initdb into a temporary folder,
start `postgres` on a free port (as the postgres user when run as root, which PostgreSQL refuses), stop
and delete it at the end. `BRIEFING_TEST_POSTGRES` (a URL of a server where databases may be created)
uses an existing server instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg


def binaries() -> Path | None:
    """The folder of initdb and postgres: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """`url` is the admin database's URL; `new_database()` makes an empty database and returns its URL."""

    def __init__(self, durable: bool = False) -> None:
        """`durable`: keep fsync on (benchmarks); tests turn it off, speed over durability."""
        self.process: subprocess.Popen[bytes] | None = None
        self.folder: Path | None = None
        existing = os.environ.get("BRIEFING_TEST_POSTGRES")
        if existing:
            self.url = existing
            return
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("initdb not found: install PostgreSQL (Debian: apt-get install postgresql)")
        self.folder = Path(tempfile.mkdtemp(prefix="briefing-pg-"))
        data = self.folder / "data"
        as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.folder.chmod(0o777)
            as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "briefing",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        port = _free_port()
        self.process = subprocess.Popen(
            [
                *as_user,
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
                *([] if durable else ["-c", "fsync=off", "-c", "synchronous_commit=off"]),
                *([] if durable else ["-c", "full_page_writes=off"]),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"postgresql://briefing@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the PostgreSQL server did not start") from None
                time.sleep(0.1)

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
