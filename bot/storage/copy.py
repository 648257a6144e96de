"""Move an embedded install to PostgreSQL: every table of the SQLite file copied row for row in one transaction."""

from __future__ import annotations

from typing import Any

from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository


class CopyError(Exception):
    """The copy cannot run (for example: the target already holds data); the message says why."""


async def _tables(source: SqliteRepository) -> list[str]:
    """User tables of the SQLite file, parents before the tables that reference them."""
    rows = await source._db.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'schema_migrations' ORDER BY name"
    )
    names = [str(r[0]) for r in rows]
    parents: dict[str, set[str]] = {}
    for name in names:
        refs = await source._db.execute_fetchall(f'PRAGMA foreign_key_list("{name}")')
        parents[name] = {str(r[2]) for r in refs if str(r[2]) != name}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:  # pragma: no cover - a reference cycle; copy the rest in name order
            ready = [n for n in names if n not in ordered]
        ordered += ready
    return ordered


async def copy_database(source: SqliteRepository, target: PostgresRepository) -> dict[str, int]:
    """Copy every row of `source` into the empty, migrated `target`; returns rows copied per table."""
    if await source.schema_version() != await target.schema_version():
        raise CopyError("The two databases are at different schema versions; run `quizbot migrate` on both first.")
    copied: dict[str, int] = {}
    async with target.pool.acquire() as conn, conn.transaction():
        for table in await _tables(source):
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                raise CopyError(f"The target database already has rows in {table}; copy into an empty database.")
            # rowid order: insertion order, which PostgreSQL's explicit rowid columns (bot.storage.postgres) keep.
            cursor = await source._db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
            columns = [d[0] for d in cursor.description]
            rows: list[tuple[Any, ...]] = [tuple(r) for r in await cursor.fetchall()]
            await cursor.close()
            if rows:
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join(f"${i + 1}" for i in range(len(columns)))
                await conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
                if "id" in columns:  # identity columns continue after the copied ids
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
                    )
            copied[table] = len(rows)
    return copied
