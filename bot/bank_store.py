"""What per-server banks, hidden questions and question reports need from storage (migration 0007)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class BankImport:
    """One uploaded file that added questions to a server's bank."""

    id: int
    name: str
    format: str
    questions: int
    enabled: bool
    imported_by: str
    imported_at: datetime


@dataclass(frozen=True)
class QuestionReport:
    """A member's report about a question."""

    workspace: str
    question_id: str
    user_key: str
    reason: str
    comment: str
    reported_at: datetime


@dataclass(frozen=True)
class AnswerRow:
    """One recorded answer, as question health reads it."""

    question_id: str
    user_key: str
    choice: str
    correct: bool


class BankRepository(Protocol):
    """Storage of server banks, hidden questions and reports; each write is one idempotent transaction."""

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
        """Store an import and its (question id, JSON) questions at once: (import id, True), or for a file with
        the same digest already imported on that server, (its import id, False) and nothing written."""

    async def bank_imports(self, workspace: str) -> list[BankImport]:
        """A server's imports, oldest first."""

    async def set_import_enabled(self, workspace: str, import_id: int, enabled: bool) -> bool:
        """Enable or disable a server's import; False when the server has no such import."""

    async def server_questions(self, workspace: str) -> list[str]:
        """The JSON of every question of a server's enabled imports."""

    async def server_question_ids(self, workspace: str) -> set[str]:
        """Ids of every question a server ever imported (enabled or not), so new imports never reuse one."""

    async def set_hidden(self, workspace: str, question_id: str, by: str, at: datetime, hidden: bool) -> bool:
        """Hide or unhide a question on a server; False when nothing changed."""

    async def hidden_questions(self, workspace: str) -> set[str]:
        """Question ids hidden on a server."""

    async def add_report(self, report: QuestionReport) -> bool:
        """Store a report (replacing the member's earlier one on that question); True when it is new."""

    async def question_reports(self, workspace: str | None = None) -> list[QuestionReport]:
        """Reports of one server (or every server), oldest first."""

    async def answer_rows(self, workspace: str | None = None) -> list[AnswerRow]:
        """Every recorded answer of one server's rounds (or all rounds), for question health."""
