"""The storage contract runs on every backend: each `repo` test runs on SQLite and on a real PostgreSQL server.

PostgreSQL is the server named by QUIZBOT_TEST_POSTGRES_URL, or one this run starts (initdb + pg_ctl in a temp dir);
its tests skip only when the PostgreSQL binaries are missing (.ci/run installs them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.sqlite import SqliteRepository
from tests.pg_server import open_test_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    """The repository under contract, once per backend."""
    repository: SqliteRepository
    if request.param == "sqlite":
        repository = await SqliteRepository.open(tmp_path / "quizbot.sqlite3")
    else:
        repository = await open_test_postgres(request)
    yield repository
    await repository.close()
