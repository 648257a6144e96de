"""`quizbot migrate` and `quizbot db copy`: an embedded install moves to PostgreSQL without losing a row."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from adapters.main import main
from bot.models import Answer, RoundKind, Tally, Target
from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository, migrations
from tests.pg_server import PgServer

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
HERE = Target(platform="discord", workspace="g1", channel="c1")


async def _populate(path: Path) -> None:
    repo = await SqliteRepository.open(path)
    try:
        for n in range(3):
            rnd = await repo.create_round(RoundKind.QOTD, HERE, None, [f"q{n}"], T0, T0 + timedelta(hours=9), f"s:{n}")
            await repo.add_message_ref(rnd.id, f"m{n}")
            for user in ("u:1", "u:2", "u:3"):
                answer = Answer(
                    round_id=rnd.id,
                    question_no=1,
                    question_id=f"q{n}",
                    user_key=user,
                    choice="a",
                    correct=user != "u:3",
                    points=10 if user != "u:3" else 0,
                    answered_at=T0 + timedelta(minutes=n),
                    elapsed_ms=900 + n,
                )
                tally = Tally(answer=answer, task="1.2", scopes=["ch", "ws"], periods=["all"], day=date(2026, 11, 23))
                await repo.record_answer(tally)
            await repo.close_round(rnd.id, T0 + timedelta(hours=9))
        await repo.remember_member("u:1", "Ada")
        await repo.set_settings("ch:g1:c1", {"timezone": "Europe/Berlin", "reveal": "18:00"})
        await repo.save_installation("slack", "T1", "", '{"bot": "x"}', T0)
        await repo.claim_event("slack:Ev1", T0, timedelta(hours=1))
    finally:
        await repo.close()


def _sqlite_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as db:
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name <> 'schema_migrations'"
            )
        ]
        return {n: sorted(tuple(r) for r in db.execute(f'SELECT * FROM "{n}"')) for n in names}


def _sqlite_columns(path: Path, table: str) -> str:
    with sqlite3.connect(path) as db:
        return ", ".join(f'"{r[1]}"' for r in db.execute(f'PRAGMA table_info("{table}")'))


async def _pg_tables(url: str, columns: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(url)
    try:  # SQLite's columns only: PostgreSQL adds an explicit rowid where SQLite's implicit one is read
        return {n: sorted(tuple(r) for r in await conn.fetch(f'SELECT {c} FROM "{n}"')) for n, c in columns.items()}
    finally:
        await conn.close()


def test_db_copy_moves_every_row_and_ids_continue(tmp_path: Path, pg_server: PgServer, capsys: Any) -> None:
    source = tmp_path / "quizbot.sqlite3"
    asyncio.run(_populate(source))
    url = asyncio.run(pg_server.fresh_database())  # empty: the copy migrates it first

    assert main(["db", "copy", "--from", f"sqlite:{source}", "--to", url]) == 0
    assert "rounds: 3 row(s)" in capsys.readouterr().out

    before = _sqlite_tables(source)
    after = asyncio.run(_pg_tables(url, {n: _sqlite_columns(source, n) for n in before}))
    assert after == before
    assert len(before["answers"]) == 9 and before["scores"] and before["settings"]

    async def new_round_and_board() -> tuple[int, list[tuple[str, int, int, int]]]:
        repo = await PostgresRepository.open(url)
        try:
            rnd = await repo.create_round(RoundKind.QOTD, HERE, None, ["q9"], T0, None)
            return rnd.id, await repo.leaderboard("ch", "all", 10)
        finally:
            await repo.close()

    new_id, board = asyncio.run(new_round_and_board())
    assert new_id == 4  # the identity continues after the copied ids
    assert board == [("u:1", 30, 3, 3), ("u:2", 30, 3, 3), ("u:3", 0, 3, 0)]

    # A second copy into the now populated database is refused, and writes nothing.
    assert main(["db", "copy", "--from", f"sqlite:{source}", "--to", url]) == 1
    assert "already has rows" in capsys.readouterr().err
    answers = {"answers": _sqlite_columns(source, "answers")}
    assert asyncio.run(_pg_tables(url, answers))["answers"] == before["answers"]


def test_db_copy_refuses_bad_arguments(tmp_path: Path, capsys: Any) -> None:
    assert main(["db", "copy", "--from", str(tmp_path / "x"), "--to", "postgresql://h/db"]) == 2
    assert main(["db", "copy", "--from", f"sqlite:{tmp_path / 'missing'}", "--to", "postgresql://h/db"]) == 2
    assert "no SQLite file" in capsys.readouterr().err


def test_migrate_shows_then_applies_on_postgresql(
    pg_server: PgServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    url = asyncio.run(pg_server.fresh_database())
    monkeypatch.setenv("QUIZBOT_DATABASE_URL", url)
    newest = migrations()[-1][0]
    assert main(["migrate", "--show"]) == 0
    assert f"schema version 0 (newest {newest}); pending: 0001_initial.sql" in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert main(["migrate", "--show"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"schema version {newest} (newest {newest}); pending: none"


def test_migrate_on_the_embedded_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("QUIZBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("QUIZBOT_DATABASE_URL", raising=False)
    newest = migrations()[-1][0]
    assert main(["migrate", "--show"]) == 0
    assert capsys.readouterr().out.startswith(f"schema version 0 (newest {newest})")
    assert not (tmp_path / "quizbot.sqlite3").exists()  # --show changes nothing
    assert main(["migrate"]) == 0
    assert main(["migrate", "--show"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("pending: none")
