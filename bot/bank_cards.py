"""Cards for bringing your own questions: import reports, bank listings, exports, reports and question health."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from bot.models import Frozen


class NoticeCard(Frozen):
    """One sentence that confirms an action (a report stored, a question hidden, the bank in use changed)."""

    text: str


class ImportCard(Frozen):
    """The validation report of an uploaded bank file, in `quizbot validate`'s `file:line: id: message` shape."""

    file: str
    format: str
    ok: bool
    imported: int
    import_id: int | None = None
    repeated: bool = False
    lines: list[str] = Field(default_factory=list)


class BankImportLine(Frozen):
    """One uploaded file of a server's bank."""

    id: int
    name: str
    format: str
    questions: int
    enabled: bool
    imported_at: datetime


class BankListCard(Frozen):
    """Which bank a server quizzes from, the shipped count, its own imports and how many questions it hides."""

    mode: str
    shipped: int
    own: int
    imports: list[BankImportLine]
    hidden: list[str]


class ExportCard(Frozen):
    """A file to hand over: its name and text."""

    filename: str
    text: str
    count: int


class HealthLine(Frozen):
    """Item analysis of one question, with the reasons it is flagged (empty when it looks fine)."""

    question_id: str
    stem: str
    answered: int
    p_value: float
    discrimination: float | None
    shares: dict[str, float]
    keys: str
    flags: list[str] = Field(default_factory=list)


class ReportGroup(Frozen):
    """Every report on one question of a server."""

    question_id: str
    stem: str
    count: int
    reasons: dict[str, int]
    comments: list[str]
    hidden: bool


class ReportsCard(Frozen):
    """The review queue of a server: reports grouped by question, and questions flagged by their answers."""

    groups: list[ReportGroup]
    flagged: list[HealthLine]
    hidden: list[str]
