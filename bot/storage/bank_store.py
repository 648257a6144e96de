"""SQLite side of per-server banks, hidden questions and question reports (migration 0007)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import aiosqlite

from bot.bank_store import AnswerRow, BankImport, QuestionReport


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime passed to storage")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _workspace_of(workspace_key: str) -> tuple[str, str]:
    """(platform, workspace) of a `ws:platform:id` key, as the rounds table stores them."""
    _, platform, workspace = workspace_key.split(":", 2)
    return platform, workspace


class BankStore:
    """Mixin for SqliteRepository: server banks, hidden questions, reports and the answers health reads."""

    _db: aiosqlite.Connection

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:  # pragma: no cover - overridden
        raise NotImplementedError

    async def add_bank_import(
        self,
        workspace: str,
        name: str,
        fmt: str,
        digest: str,
        by: str,
        at: datetime,
        questions: Sequence[tuple[str, str]],
    ) -> tuple[int, bool]:
        """Store an import and its questions at once; the same file (digest) again returns the first import."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT id FROM bank_imports WHERE workspace = ? AND digest = ?", (workspace, digest)
            ) as found:
                row = await found.fetchone()
            if row is not None:
                return int(row[0]), False
            cur = await db.execute(
                "INSERT INTO bank_imports (workspace, name, format, digest, questions, imported_by, imported_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (workspace, name, fmt, digest, len(questions), by, _ts(at)),
            )
            import_id = cur.lastrowid
            if import_id is None:  # pragma: no cover - SQLite always reports the new rowid
                raise RuntimeError("import id missing after insert")
            await db.executemany(
                "INSERT INTO server_questions (workspace, question_id, import_id, data) VALUES (?, ?, ?, ?)",
                [(workspace, qid, import_id, data) for qid, data in questions],
            )
            return import_id, True

    async def bank_imports(self, workspace: str) -> list[BankImport]:
        """A server's imports, oldest first."""
        async with self._db.execute(
            "SELECT id, name, format, questions, enabled, imported_by, imported_at FROM bank_imports "
            "WHERE workspace = ? ORDER BY id",
            (workspace,),
        ) as cur:
            rows = await cur.fetchall()
        return [BankImport(r[0], r[1], r[2], r[3], bool(r[4]), r[5], datetime.fromisoformat(r[6])) for r in rows]

    async def set_import_enabled(self, workspace: str, import_id: int, enabled: bool) -> bool:
        """Enable or disable a server's import; False when the server has no such import."""
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE bank_imports SET enabled = ? WHERE workspace = ? AND id = ?",
                (int(enabled), workspace, import_id),
            )
            return cur.rowcount == 1

    async def server_questions(self, workspace: str) -> list[str]:
        """The JSON of every question of a server's enabled imports."""
        async with self._db.execute(
            "SELECT q.data FROM server_questions q JOIN bank_imports i ON i.id = q.import_id "
            "WHERE q.workspace = ? AND i.enabled = 1 ORDER BY i.id, q.rowid",
            (workspace,),
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]

    async def server_question_ids(self, workspace: str) -> set[str]:
        """Ids of every question a server ever imported (enabled or not), so new imports never reuse one."""
        async with self._db.execute(
            "SELECT question_id FROM server_questions WHERE workspace = ?", (workspace,)
        ) as cur:
            return {str(r[0]) for r in await cur.fetchall()}

    async def set_hidden(self, workspace: str, question_id: str, by: str, at: datetime, hidden: bool) -> bool:
        """Hide or unhide a question on a server; False when nothing changed."""
        async with self._transaction() as db:
            if hidden:
                cur = await db.execute(
                    "INSERT INTO hidden_questions (workspace, question_id, hidden_by, hidden_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (workspace, question_id, by, _ts(at)),
                )
            else:
                cur = await db.execute(
                    "DELETE FROM hidden_questions WHERE workspace = ? AND question_id = ?", (workspace, question_id)
                )
            return cur.rowcount == 1

    async def hidden_questions(self, workspace: str) -> set[str]:
        """Question ids hidden on a server."""
        async with self._db.execute("SELECT question_id FROM hidden_questions WHERE workspace = ?", (workspace,)) as c:
            return {str(r[0]) for r in await c.fetchall()}

    async def add_report(self, report: QuestionReport) -> bool:
        """Store a report (replacing the member's earlier one on that question); True when it is new."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT 1 FROM question_reports WHERE workspace = ? AND question_id = ? AND user_key = ?",
                (report.workspace, report.question_id, report.user_key),
            ) as cur:
                existed = await cur.fetchone() is not None
            await db.execute(
                "INSERT INTO question_reports (workspace, question_id, user_key, reason, comment, reported_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, question_id, user_key) DO UPDATE SET "
                "reason = excluded.reason, comment = excluded.comment, reported_at = excluded.reported_at",
                (
                    report.workspace,
                    report.question_id,
                    report.user_key,
                    report.reason,
                    report.comment,
                    _ts(report.reported_at),
                ),
            )
            return not existed

    async def question_reports(self, workspace: str | None = None) -> list[QuestionReport]:
        """Reports of one server (or every server), oldest first."""
        sql = "SELECT workspace, question_id, user_key, reason, comment, reported_at FROM question_reports"
        params: tuple[str, ...] = ()
        if workspace is not None:
            sql += " WHERE workspace = ?"
            params = (workspace,)
        async with self._db.execute(sql + " ORDER BY reported_at, question_id, user_key", params) as cur:
            rows = await cur.fetchall()
        return [QuestionReport(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5])) for r in rows]

    async def answer_rows(self, workspace: str | None = None) -> list[AnswerRow]:
        """Every recorded answer of one server's rounds (or all rounds), for question health."""
        sql = "SELECT a.question_id, a.user_key, a.choice, a.correct FROM answers a"
        params: tuple[str, ...] = ()
        if workspace is not None:
            sql += " JOIN rounds r ON r.id = a.round_id WHERE r.platform = ? AND r.workspace = ?"
            params = _workspace_of(workspace)
        async with self._db.execute(sql, params) as cur:
            return [AnswerRow(r[0], r[1], r[2], bool(r[3])) for r in await cur.fetchall()]
