"""The storage contract runs on every backend: each `repo` test runs on SQLite and on a real PostgreSQL server.

PostgreSQL is the server named by QUIZBOT_TEST_POSTGRES_URL, or one this run starts (initdb + pg_ctl in a temp dir);
its tests skip only when the PostgreSQL binaries are missing (.ci/run installs them).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository
from tests.pg_server import PgServer, find_bin_dir, start_server

TEMPLATE = "quizbot_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server with a migrated template database, for the whole run."""
    given = os.environ.get("QUIZBOT_TEST_POSTGRES_URL")
    if given:
        from urllib.parse import urlsplit

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
    import asyncpg

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


@pytest.fixture(params=["sqlite", "postgresql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    """The repository under contract, once per backend."""
    repository: SqliteRepository
    if request.param == "sqlite":
        repository = await SqliteRepository.open(tmp_path / "quizbot.sqlite3")
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        repository = await PostgresRepository.open(await server.fresh_database(TEMPLATE))
    yield repository
    await repository.close()
