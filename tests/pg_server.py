"""A throwaway PostgreSQL server for tests (initdb + pg_ctl in a temp dir, as `postgres` when run as root); fixtures."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.storage.postgres import PostgresRepository


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL bin dir with initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for found in candidates:
        if Path(found, "initdb").exists() and Path(found, "pg_ctl").exists():
            return Path(found)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server: its admin URL and a way to make fresh databases."""

    host: str
    port: int
    user: str
    data_dir: Path | None = None
    bin_dir: Path | None = None
    run_as: str | None = None
    counter: int = 0

    def url(self, database: str = "postgres") -> str:
        """A connection URL for a database of this server."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    async def fresh_database(self, template: str | None = None) -> str:
        """Create an empty (or template-copied) database and return its URL."""
        self.counter += 1
        name = f"quizbot_t{os.getpid()}_{self.counter}"
        conn = await asyncpg.connect(self.url())
        try:
            suffix = f" TEMPLATE {template}" if template else ""
            await conn.execute(f"CREATE DATABASE {name}{suffix}")
        finally:
            await conn.close()
        return self.url(name)

    def stop(self) -> None:
        """Stop a server this run started and remove its files."""
        if self.data_dir is None or self.bin_dir is None:
            return
        _as_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"], self.run_as)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _as_user(cmd: list[str], user: str | None, check: bool = False) -> subprocess.CompletedProcess[str]:
    full = ["runuser", "-u", user, "--", *cmd] if user else cmd
    return subprocess.run(full, capture_output=True, text=True, check=check, timeout=60)


def start_server() -> PgServer:
    """Start a private PostgreSQL server (root runs it as the unprivileged `postgres` user, as initdb demands)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL binaries (initdb, pg_ctl) not found")
    run_as = None
    if os.geteuid() == 0:
        run_as = "postgres" if _user_exists("postgres") else "nobody"
    base = Path(tempfile.mkdtemp(prefix="quizbot-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if run_as:
        shutil.chown(base, run_as)
        shutil.chown(sock, run_as)
    port = _free_port()
    _as_user(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "quizbot", "-A", "trust", "--locale=C", "-E", "UTF8"],
        run_as,
        check=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c full_page_writes=off"
    _as_user(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"],
        run_as,
        check=True,
    )
    return PgServer("127.0.0.1", port, "quizbot", data, bin_dir, run_as)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# ---- fixtures (registered by tests/conftest.py) ----

TEMPLATE = "quizbot_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server with a migrated template database, for the whole run."""
    given = os.environ.get("QUIZBOT_TEST_POSTGRES_URL")
    if given:
        parts = urlsplit(given)
        server = PgServer(parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres")
    elif find_bin_dir() is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    else:
        server = start_server()
    try:
        # A thread of its own: this fixture may first be requested from inside a running test loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _make_template(server)).result()
        yield server
    finally:
        server.stop()


async def _make_template(server: PgServer) -> None:
    conn = await asyncpg.connect(server.url())
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await conn.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await conn.close()
    repo = await PostgresRepository.open(server.url(TEMPLATE))
    await repo.close()


@pytest.fixture
async def pg_url(pg_server: PgServer) -> str:
    """A fresh, already migrated PostgreSQL database."""
    return await pg_server.fresh_database(TEMPLATE)


@pytest.fixture
async def empty_pg_url(pg_server: PgServer) -> str:
    """A fresh database with no tables at all."""
    return await pg_server.fresh_database()


async def open_test_postgres(request: pytest.FixtureRequest) -> PostgresRepository:
    """A PostgresRepository on a fresh migrated database of the run's server."""
    server: PgServer = request.getfixturevalue("pg_server")
    return await PostgresRepository.open(await server.fresh_database(TEMPLATE))
