"""WAL checkpoints run on their own connection: the writer never checkpoints, the background task does."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.models import RoundKind
from bot.storage.sqlite import SqliteRepository
from tests.storage.tallies import HERE, T0, tally


def wal_size(path: Path) -> int:
    """The WAL file's size in bytes (0 when there is none)."""
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def write_answers(repo: SqliteRepository, count: int) -> None:
    rnd = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    for n in range(count):
        assert await repo.record_answer(tally(rnd.id, f"u:{n}"), count_now=False)


async def test_the_writer_leaves_checkpoints_to_the_background_connection(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await SqliteRepository.open(path, checkpoint_every=3600)  # the background task will not run here
    try:
        size = path.stat().st_size
        await write_answers(repo, 3000)  # well past SQLite's automatic checkpoint of 1,000 pages
        assert wal_size(path) > 4_000_000  # the writer copied nothing back
        assert path.stat().st_size == size
    finally:
        await repo.close()
    assert wal_size(path) == 0  # the last connection to close checkpoints and removes the WAL
    assert path.stat().st_size > size


async def test_the_background_checkpoint_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await SqliteRepository.open(path, checkpoint_every=0.05)
    try:
        size = path.stat().st_size
        await write_answers(repo, 300)
        for _ in range(200):  # within 10 s even on a loaded machine
            if path.stat().st_size > size:
                break
            await asyncio.sleep(0.05)
        assert path.stat().st_size > size
        assert len(await repo.answers(1)) == 300
    finally:
        await repo.close()
