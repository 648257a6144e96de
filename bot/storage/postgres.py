"""The Repository on PostgreSQL (asyncpg) for deployments with several processes or shards on several machines.

The SQL of every store is shared with SqliteRepository; the dialect differences are kept here and are small:
- placeholders: `?` becomes `$1, $2, …` (`to_postgres`);
- migrations: `id INTEGER PRIMARY KEY` becomes an identity column, INTEGER becomes BIGINT (SQLite integers are
  64-bit), REAL becomes DOUBLE PRECISION (SQLite reals are 8-byte), and a table whose queries order by SQLite's
  implicit `rowid` gets an explicit identity `rowid` column (`translate_migration`, `ROWID_TABLES`);
- upserts: bare columns read in `DO UPDATE SET` are qualified with the table (`qualify_upsert`);
- `cursor.lastrowid` / `rowcount` come from `INSERT … RETURNING *` and the command status;
- a write transaction takes one advisory transaction lock, so writers queue exactly as SQLite's
  `BEGIN IMMEDIATE` makes them queue: read-then-write sequences in the stores keep their meaning across processes.
Create the database with `--locale=C` (compose.yaml does) so text sorts byte-wise as in SQLite.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

import asyncpg

from bot.storage.sqlite import SqliteRepository, migrations, split_statements

# Advisory lock keys (one 64-bit namespace per database): writers, migrations, the schedule leader.
WRITE_LOCK = 0x5155_495A_0001
MIGRATE_LOCK = 0x5155_495A_0002
LEADER_LOCK = 0x5155_495A_0003

_PARAM = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)")
_ID_PK = re.compile(r"^(\s*id\s+)INTEGER(\s+)PRIMARY KEY", re.IGNORECASE | re.MULTILINE)


def is_postgres_url(url: str | None) -> bool:
    """True for a postgresql:// (or postgres://) database URL."""
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> tuple[str, tuple[str, ...]]:
    """Number the `?` (or `:name`) placeholders of a statement ($1, $2, …) and list the names in order."""
    names: list[str] = []
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        text, name = match.group(0), match.group(1)
        if name is not None:
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        if text != "?":
            return text
        count += 1
        return f"${count}"

    return qualify_upsert(_PARAM.sub(number, sql)), tuple(names)


def _args(names: tuple[str, ...], params: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any]:
    if isinstance(params, Mapping):
        return [params[name] for name in names]
    return params


_UPSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+).*?\bDO\s+UPDATE\s+SET\b", re.IGNORECASE | re.DOTALL)
_BARE = re.compile(r"'(?:[^']|'')*'|(?<![.\w$])([A-Za-z_]\w*)\b(?!\s*[.(])")
_KEYWORDS = "excluded and or not null is case when then else end in true false between like as distinct"
_NOT_COLUMNS = frozenset(_KEYWORDS.split(" "))


def _qualify(table: str, text: str) -> str:
    def one(match: re.Match[str]) -> str:
        word = match.group(1)
        if word is None or word.lower() in _NOT_COLUMNS:
            return match.group(0)
        return f"{table}.{word}"

    return _BARE.sub(one, text)


def qualify_upsert(sql: str) -> str:
    """Qualify the bare columns an upsert's DO UPDATE reads (`points + 1` → `scores.points + 1`).

    SQLite reads a bare column there as the existing row's; PostgreSQL calls it ambiguous with `excluded`.
    """
    head = _UPSERT.match(sql)
    if head is None:
        return sql
    table, tail = head.group(1), sql[head.end() :]
    sets, where = re.split(r"\bWHERE\b", tail, maxsplit=1, flags=re.IGNORECASE) + [""] * (
        0 if re.search(r"\bWHERE\b", tail, re.IGNORECASE) else 1
    )
    items = []
    for item in _top_level_commas(sets):
        target, _, expr = item.partition("=")
        items.append(f"{target}={_qualify(table, expr)}")
    out = sql[: head.end()] + ",".join(items)
    return out + (f"WHERE{_qualify(table, where)}" if where else "")


def _top_level_commas(text: str) -> list[str]:
    parts, depth, start, quoted = [], 0, 0, False
    for i, ch in enumerate(text):
        quoted ^= ch == "'"
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0 and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


# Tables whose SQL orders by SQLite's implicit `rowid` (insertion order): PostgreSQL gets an explicit identity column.
ROWID_TABLES = ("server_questions",)


def translate_migration(sql: str) -> str:
    """A numbered migration in PostgreSQL's dialect (identity ids, type widths, explicit rowid where one is read)."""
    sql = _ID_PK.sub(r"\1BIGINT GENERATED BY DEFAULT AS IDENTITY\2PRIMARY KEY", sql)
    for table in ROWID_TABLES:
        column = r"\1\n    rowid BIGINT GENERATED ALWAYS AS IDENTITY,"
        sql = re.sub(rf"(CREATE TABLE {table} \()", column, sql, flags=re.IGNORECASE)
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)


class PgCursor:
    """The part of an aiosqlite cursor the stores use: rows, rowcount and lastrowid."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self.rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    async def fetchone(self) -> Any:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    async def fetchall(self) -> list[Any]:
        """Every row."""
        return self.rows


class _Pending:
    """A statement that can be awaited or used with `async with`, as aiosqlite allows."""

    def __init__(self, run: Callable[[], Awaitable[PgCursor]]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _run(conn: Any, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> PgCursor:
    text, names = to_postgres(sql)
    is_insert = text.lstrip()[:6].upper() == "INSERT"
    if is_insert and "RETURNING" not in text.upper():
        text += " RETURNING *"  # the new row's id stands in for sqlite's lastrowid
    stmt = await conn.prepare(text)
    rows = list(await stmt.fetch(*_args(names, params)))
    status = stmt.get_statusmsg() or ""
    last = status.rsplit(" ", 1)[-1]
    rowcount = len(rows) if is_insert else int(last) if last.isdigit() else -1
    lastrowid = rows[0]["id"] if is_insert and rows and "id" in rows[0] else None
    return PgCursor(rows, rowcount, lastrowid)


class PgConnection:
    """One asyncpg connection (inside a transaction) behind the aiosqlite calls the stores make."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> _Pending:
        """Run one statement."""
        return _Pending(lambda: _run(self.conn, sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement per parameter row."""
        text, names = to_postgres(sql)
        batch = [tuple(_args(names, r)) for r in rows]
        if batch:
            await self.conn.executemany(text, batch)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        """Run a query and return its rows."""
        return (await _run(self.conn, sql, params)).rows


class PgPool:
    """Reads outside a transaction: each statement borrows a pooled connection."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def _on_pool(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> PgCursor:
        async with self.pool.acquire() as conn:
            return await _run(conn, sql, params)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> _Pending:
        """Run one statement (autocommit)."""
        return _Pending(lambda: self._on_pool(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement per parameter row (autocommit)."""
        async with self.pool.acquire() as conn:
            await PgConnection(conn).executemany(sql, rows)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        """Run a query and return its rows."""
        return (await self._on_pool(sql, params)).rows


class PostgresRepository(SqliteRepository):
    """Repository on PostgreSQL; open with `await PostgresRepository.open(url)`."""

    def __init__(self, pool: Any, url: str | None = None) -> None:
        super().__init__(cast(Any, PgPool(pool)))  # the stores' SQL runs unchanged through the shim above
        self.pool = pool
        self._url = url
        self._leader: Any = None  # the dedicated connection that holds the schedule leader lock
        self._leading = False

    @classmethod
    async def open(  # type: ignore[override]
        cls, url: str, *, apply_migrations: bool = True, min_size: int = 1, max_size: int = 10
    ) -> PostgresRepository:
        """Connect a pool to `url` and (unless told not to) bring the schema up to date."""
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
        repo = cls(pool, url)
        try:
            if apply_migrations:
                await repo.migrate()
        except BaseException:
            await pool.close()
            raise
        return repo

    async def close(self) -> None:
        """Close every pooled connection (and give up the leader lock)."""
        if self._leader is not None:
            await self._leader.close()
        await self.pool.close()

    async def try_lead(self) -> bool:
        """Take (or keep) the schedule leader lock on a connection of its own; False while another process holds it."""
        try:
            if self._leader is None or self._leader.is_closed():
                self._leading = False
                self._leader = await asyncpg.connect(self._url, timeout=5)
            if self._leading:
                await self._leader.fetchval("SELECT 1", timeout=5)  # still connected, so still holding the lock
            else:
                self._leading = bool(await self._leader.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            if self._leader is not None:
                self._leader.terminate()
            self._leader, self._leading = None, False
        return self._leading

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Any]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield PgConnection(conn)

    @asynccontextmanager
    async def _single_write(self) -> AsyncIterator[Any]:
        """One write statement, still under the writers' lock, so it queues behind a round's close as on SQLite."""
        async with self._transaction() as db:
            yield db

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT 1") == 1)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False

    async def schema_version(self) -> int:
        """The newest migration applied (0 on an empty database)."""
        async with self.pool.acquire() as conn:
            if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
                return 0
            return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction, under a lock so processes may start together."""
        for version, name, sql in migrations():
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                    "applied_at TEXT NOT NULL)"
                )
                if await conn.fetchval("SELECT 1 FROM schema_migrations WHERE version = $1", version):
                    continue
                for statement in split_statements(translate_migration(sql)):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    version,
                    name,
                    datetime.now(UTC).isoformat(timespec="microseconds"),
                )
        return await self.schema_version()
