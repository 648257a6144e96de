"""The embedded Repository: one aiosqlite connection in WAL mode, numbered migrations applied at open."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.metrics import METRICS
from bot.models import Answer, Round, RoundKind, Tally, Target
from bot.ports import AnswersChanged
from bot.storage.bank_store import BankStore
from bot.storage.checkpoint import EVERY as CHECKPOINT_EVERY
from bot.storage.checkpoint import WAL_SIZE_LIMIT, Checkpointer
from bot.storage.exam_store import ExamStore
from bot.storage.group_commit import GroupCommit
from bot.storage.plan_store import PlanStore
from bot.storage.play_store import PlayStore
from bot.storage.progress_store import ProgressStore, add_progress
from bot.storage.schedule_store import ScheduleStore
from bot.storage.write_gate import WriteGate

BUSY_TIMEOUT_MS = 10_000
WAL_ATTEMPTS = 40  # about 16 s of backing off in all
NAMES_REMEMBERED = 100_000


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, in order."""
    found = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit our open transaction first)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


async def _use_wal(db: aiosqlite.Connection) -> None:
    """Put the file in WAL mode (it stays so); retried, because SQLite answers BUSY at once, without waiting on the
    busy timeout, when another process is switching the same new file or migrating it."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            async with db.execute("PRAGMA journal_mode") as cur:
                row = await cur.fetchone()
            if row is not None and str(row[0]).lower() == "wal":
                return
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == WAL_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.02 * (attempt + 1))


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime passed to storage")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _round(row: Any) -> Round:
    return Round(
        id=row["id"],
        kind=RoundKind(row["kind"]),
        target=Target(platform=row["platform"], workspace=row["workspace"], channel=row["channel"]),
        owner=row["owner"],
        question_ids=json.loads(row["question_ids"]),
        opened_at=datetime.fromisoformat(row["opened_at"]),
        closes_at=_dt(row["closes_at"]),
        closed_at=_dt(row["closed_at"]),
        slot=row["slot"],
    )


# An answer is written only while its round is open, checked in the same statement: a round closed by another
# process (or a moment ago) takes no more answers, so its close counted every answer it will ever have.
INSERT_IF_OPEN = (
    "INSERT INTO answers (round_id, question_no, user_key, question_id, choice, correct, points, answered_at, "
    "elapsed_ms) SELECT id, CAST(? AS BIGINT), ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), ?, CAST(? AS BIGINT) "
    "FROM rounds WHERE id = ? AND closed_at IS NULL ON CONFLICT DO NOTHING"
)


def _answer_row(tally: Tally) -> tuple[Any, ...]:
    """An answer's values in INSERT_IF_OPEN's order (the round id last)."""
    a = tally.answer
    return (
        a.question_no,
        a.user_key,
        a.question_id,
        a.choice,
        int(a.correct),
        a.points,
        _ts(a.answered_at),
        a.elapsed_ms,
        a.round_id,
    )


def _answer(row: Any) -> Answer:
    return Answer(
        round_id=row["round_id"],
        question_id=row["question_id"],
        question_no=row["question_no"],
        user_key=row["user_key"],
        choice=row["choice"],
        correct=bool(row["correct"]),
        points=row["points"],
        answered_at=datetime.fromisoformat(row["answered_at"]),
        elapsed_ms=row["elapsed_ms"],
    )


class SqliteRepository(ProgressStore, ExamStore, ScheduleStore, BankStore, PlayStore, PlanStore):
    """Repository on a SQLite file; open with `await SqliteRepository.open(path)`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection serves every coroutine: a write transaction must not interleave with another's statements,
        # while single-statement writes may queue up together (bot.storage.write_gate).
        self._gate = WriteGate()
        self._group: GroupCommit | None = None  # opt-in batching of concurrent answers (bot.storage.group_commit)
        self._names: dict[str, str] = {}  # member names known to be stored as they are (every answer passes here)
        self._checkpointer: Checkpointer | None = None

    @classmethod
    async def open(
        cls,
        path: Path,
        synchronous: str = "NORMAL",
        *,
        group_commit_ms: float = 0,
        checkpoint_every: float = CHECKPOINT_EVERY,
    ) -> SqliteRepository:
        """Open (creating) the database file and bring its schema up to date; `group_commit_ms` > 0 batches answers."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        try:
            await db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await _use_wal(db)
            for pragma in (
                f"PRAGMA synchronous={'FULL' if synchronous.upper() == 'FULL' else 'NORMAL'}",
                "PRAGMA foreign_keys=ON",
            ):
                await db.execute(pragma)
            repo = cls(db)
            await repo.migrate()
            # Checkpoints run on a connection of their own, so no commit waits for one (bot.storage.checkpoint).
            await db.execute("PRAGMA wal_autocheckpoint=0")
            await db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            repo._checkpointer = await Checkpointer.start(path, BUSY_TIMEOUT_MS, checkpoint_every)
        except BaseException:
            await db.close()  # an unclosed aiosqlite connection keeps its worker thread, and the process, alive
            raise
        if group_commit_ms > 0:
            window = group_commit_ms / 1000
            repo._group = GroupCommit(
                repo._transaction,
                repo._single_write,
                repo._add_to_aggregates,
                repo._record_answer_alone,
                _answer_row,
                window,
            )
        return repo

    async def close(self) -> None:
        """Release the connection (answers still queued for a group commit are committed first)."""
        if self._group is not None:
            await self._group.close()
        await self._db.close()
        if self._checkpointer is not None:
            await self._checkpointer.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._gate.transaction():
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    @asynccontextmanager
    async def _single_write(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for one write statement, which SQLite runs as its own transaction (autocommit)."""
        async with self._gate.single():  # never inside another coroutine's open transaction on this connection
            yield self._db

    async def schema_version(self) -> int:
        """The newest migration applied."""
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL)"
        )
        async with self._db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction; safe when two processes start at once."""
        await self.schema_version()
        for version, name, sql in migrations():
            async with self._transaction() as db:
                async with db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)) as cur:
                    if await cur.fetchone():
                        continue
                for statement in split_statements(sql):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, _ts(datetime.now(UTC))),
                )
        return await self.schema_version()

    async def create_round(
        self,
        kind: RoundKind,
        target: Target,
        owner: str | None,
        question_ids: Sequence[str],
        opened_at: datetime,
        closes_at: datetime | None,
        slot: str | None = None,
    ) -> Round:
        """Create a round; with a `slot` already taken, return the round that holds it."""
        async with self._transaction() as db:
            cur = await db.execute(
                "INSERT INTO rounds (kind, platform, workspace, channel, owner, question_ids, opened_at, closes_at, "
                "slot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slot) DO NOTHING",
                (
                    kind.value,
                    target.platform,
                    target.workspace,
                    target.channel,
                    owner,
                    json.dumps(list(question_ids)),
                    _ts(opened_at),
                    _ts(closes_at),
                    slot,
                ),
            )
            inserted = cur.lastrowid if cur.rowcount == 1 else None
        if inserted is not None:
            found = await self.get_round(inserted)
        else:
            found = await self._one_round("SELECT * FROM rounds WHERE slot = ?", (slot,))
        if found is None:  # pragma: no cover - the row was just written or found by its unique slot
            raise RuntimeError("round vanished after insert")
        return found

    async def _one_round(self, sql: str, params: Sequence[Any]) -> Round | None:
        rows = list(await self._db.execute_fetchall(sql, params))  # one thread hop, not three (hot path)
        return _round(rows[0]) if rows else None

    async def get_round(self, round_id: int) -> Round | None:
        """A round by id."""
        return await self._one_round("SELECT * FROM rounds WHERE id = ?", (round_id,))

    async def open_rounds(self) -> list[Round]:
        """Every round not yet closed."""
        async with self._db.execute("SELECT * FROM rounds WHERE closed_at IS NULL ORDER BY id") as cur:
            return [_round(r) for r in await cur.fetchall()]

    async def latest_round(self, target: Target, kind: RoundKind, open_only: bool = True) -> Round | None:
        """The newest round of a kind in a channel."""
        sql = "SELECT * FROM rounds WHERE platform = ? AND workspace = ? AND channel = ? AND kind = ?"
        if open_only:
            sql += " AND closed_at IS NULL"
        return await self._one_round(
            sql + " ORDER BY id DESC LIMIT 1", (target.platform, target.workspace, target.channel, kind.value)
        )

    async def open_round_of(self, owner: str, kind: RoundKind) -> Round | None:
        """A member's open private round of a kind."""
        return await self._one_round(
            "SELECT * FROM rounds WHERE owner = ? AND kind = ? AND closed_at IS NULL ORDER BY id DESC LIMIT 1",
            (owner, kind.value),
        )

    async def close_round(
        self, round_id: int, at: datetime, tallies: Sequence[Tally] = (), *, covers_all: bool = False
    ) -> bool:
        """Close a round and add `tallies` to the aggregates, atomically; True only for the call that closed it.

        With `covers_all`, the tallies claim to be every answer of the round: if an answer arrived after the caller
        read them, nothing is written and `AnswersChanged` tells the caller to read again.
        """
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (_ts(at), round_id)
            )
            if cur.rowcount != 1:
                return False
            if covers_all:
                rows = list(await db.execute_fetchall("SELECT COUNT(*) FROM answers WHERE round_id = ?", (round_id,)))
                if int(rows[0][0]) != len(tallies):
                    raise AnswersChanged(round_id)
            await self._add_to_aggregates(db, tallies)
            return True

    async def add_message_ref(self, round_id: int, ref: str, question_no: int = 1) -> None:
        """Remember where a round's card (of one question) was posted."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO round_messages (round_id, ref, question_no) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (round_id, ref, question_no),
            )

    async def message_refs(self, round_id: int, question_no: int | None = None) -> list[str]:
        """Where a round's cards (or, with `question_no`, that question's cards) were posted."""
        sql, params = "SELECT ref FROM round_messages WHERE round_id = ?", [round_id]
        if question_no is not None:
            sql, params = sql + " AND question_no = ?", [round_id, question_no]
        return [r[0] for r in await self._db.execute_fetchall(sql + " ORDER BY ref", params)]

    async def record_answer(self, tally: Tally, count_now: bool = True) -> bool:
        """Insert an answer (and with `count_now` its aggregates) in one transaction; False if it was there already
        or its round is closed."""
        if self._group is not None:
            recorded = await self._group.submit(tally, count_now)
        else:
            recorded = await self._record_answer_alone(tally, count_now)
        if recorded:
            METRICS.answers_recorded.inc()
        return recorded

    async def _record_answer_alone(self, tally: Tally, count_now: bool) -> bool:
        if not count_now:
            # One statement is its own transaction: a single round trip on the hot path of a question of the day.
            async with self._single_write() as db:
                cur = await db.execute(INSERT_IF_OPEN, _answer_row(tally))
                return cur.rowcount == 1
        async with self._transaction() as db:
            cur = await db.execute(INSERT_IF_OPEN, _answer_row(tally))
            if cur.rowcount != 1:
                return False
            await self._add_to_aggregates(db, [tally])
            return True

    @staticmethod
    async def _add_to_aggregates(db: aiosqlite.Connection, tallies: Sequence[Tally]) -> None:
        """Add answers to every aggregate, one statement per table for the whole batch (caller's transaction)."""
        if not tallies:
            return
        await db.executemany(
            "INSERT INTO scores (scope, period, user_key, points, answered, correct) VALUES (?, ?, ?, ?, 1, ?) "
            "ON CONFLICT (scope, period, user_key) DO UPDATE SET points = points + excluded.points, "
            "answered = answered + 1, correct = correct + excluded.correct",
            [
                (scope, period, t.answer.user_key, t.answer.points, int(t.answer.correct))
                for t in tallies
                for scope in t.scopes
                for period in t.periods
            ],
        )
        await db.executemany(
            "INSERT INTO task_stats (user_key, task, answered, correct) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (user_key, task) DO UPDATE SET answered = answered + 1, correct = correct + excluded.correct",
            [(t.answer.user_key, t.task, int(t.answer.correct)) for t in tallies],
        )
        await add_progress(db, tallies)  # streaks, trends, group accuracy and review cards (bot.progress, bot.review)

    async def get_answer(self, round_id: int, question_no: int, user_key: str) -> Answer | None:
        """One member's answer to one question of a round."""
        found = await self.answers(round_id, question_no, user_key)
        return found[0] if found else None

    async def answers(self, round_id: int, question_no: int | None = None, user_key: str | None = None) -> list[Answer]:
        """A round's answers (read by primary-key prefix), optionally to one question and/or by one member."""
        sql = "SELECT * FROM answers WHERE round_id = ?"
        params: list[int | str] = [round_id]
        if question_no is not None:
            sql += " AND question_no = ?"
            params.append(question_no)
        if user_key is not None:
            sql += " AND user_key = ?"
            params.append(user_key)
        return [_answer(r) for r in await self._db.execute_fetchall(sql + " ORDER BY question_no, answered_at", params)]

    async def answer_count(self, round_id: int, question_no: int) -> int:
        """How many answered a question of a round."""
        rows = list(
            await self._db.execute_fetchall(
                "SELECT COUNT(*) FROM answers WHERE round_id = ? AND question_no = ?", (round_id, question_no)
            )
        )
        return int(rows[0][0]) if rows else 0

    async def used_question_ids(self, target: Target, kind: RoundKind) -> list[str]:
        """Questions already asked in a channel in rounds of a kind, newest round first."""
        async with self._db.execute(
            "SELECT question_ids FROM rounds WHERE platform = ? AND workspace = ? AND channel = ? AND kind = ? "
            "ORDER BY id DESC",
            (target.platform, target.workspace, target.channel, kind.value),
        ) as cur:
            return [qid for row in await cur.fetchall() for qid in json.loads(row[0])]

    async def task_stats(self, user_key: str) -> dict[str, tuple[int, int]]:
        """A member's (answered, correct) per task id."""
        rows = await self._db.execute_fetchall(
            "SELECT task, answered, correct FROM task_stats WHERE user_key = ?", (user_key,)
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    async def leaderboard(
        self, scope: str, period: str, limit: int, offset: int = 0
    ) -> list[tuple[str, int, int, int]]:
        """(user_key, points, answered, correct) rows of a scope and period, best first."""
        rows = await self._db.execute_fetchall(
            "SELECT user_key, points, answered, correct FROM scores WHERE scope = ? AND period = ? "
            "ORDER BY points DESC, correct DESC, answered ASC, user_key LIMIT ? OFFSET ?",
            (scope, period, limit, offset),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def remember_member(self, user_key: str, name: str) -> None:
        """Store a member's display name."""
        if self._names.get(user_key) == name:
            return
        if len(self._names) >= NAMES_REMEMBERED:
            self._names.clear()  # a bound, not an LRU: a miss costs one idempotent write
        # Noted before the write, so a member's simultaneous answers write their name once, not once each.
        self._names[user_key] = name
        try:
            async with self._single_write() as db:
                await db.execute(
                    "INSERT INTO members (user_key, name) VALUES (?, ?) "
                    "ON CONFLICT (user_key) DO UPDATE SET name = excluded.name WHERE name <> excluded.name",
                    (user_key, name),
                )
        except BaseException:
            self._names.pop(user_key, None)
            raise

    async def member_names(self, user_keys: Sequence[str]) -> Mapping[str, str]:
        """Display names of members."""
        if not user_keys:
            return {}
        marks = ",".join("?" * len(user_keys))
        async with self._db.execute(f"SELECT user_key, name FROM members WHERE user_key IN ({marks})", user_keys) as c:
            return {r[0]: r[1] for r in await c.fetchall()}

    async def get_settings(self, scope: str) -> dict[str, str]:
        """Settings stored for a scope."""
        rows = await self._db.execute_fetchall("SELECT key, value FROM settings WHERE scope = ?", (scope,))
        return {r[0]: r[1] for r in rows}

    async def set_settings(self, scope: str, values: Mapping[str, str]) -> None:
        """Store settings for a scope."""
        async with self._transaction() as db:
            await db.executemany(
                "INSERT INTO settings (scope, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
                [(scope, k, v) for k, v in values.items()],
            )

    async def save_installation(self, platform: str, workspace: str, user_id: str, data: str, at: datetime) -> None:
        """Store (replacing) a front door's installation record for a workspace; `user_id` "" is the workspace's own."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO installations (platform, workspace, user_id, data, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, workspace, user_id) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at",
                (platform, workspace, user_id, data, _ts(at)),
            )

    async def find_installation(self, platform: str, workspace: str, user_id: str = "") -> str | None:
        """A stored installation record, or None."""
        async with self._db.execute(
            "SELECT data FROM installations WHERE platform = ? AND workspace = ? AND user_id = ?",
            (platform, workspace, user_id),
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def delete_installations(self, platform: str, workspace: str, user_id: str | None = None) -> int:
        """Forget one member's installation record, or (user_id None) every record of a workspace."""
        sql = "DELETE FROM installations WHERE platform = ? AND workspace = ?"
        params: list[str] = [platform, workspace]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        async with self._transaction() as db:
            cur = await db.execute(sql, params)
            return cur.rowcount

    async def claim_event(self, event_key: str, at: datetime, keep: timedelta) -> bool:
        """True for the first delivery of an event id, False for a repeat; ids older than `keep` are forgotten."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM seen_events WHERE seen_at < ?", (_ts(at - keep),))
            cur = await db.execute(
                "INSERT INTO seen_events (event_key, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (event_key, _ts(at)),
            )
            return cur.rowcount == 1
