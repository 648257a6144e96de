"""Members report a question (wrong key, unclear, outdated, typo + a comment); admins review and hide questions."""

from __future__ import annotations

import csv
import io
from collections import Counter

from bot import health
from bot.bank_cards import NoticeCard, ReportGroup, ReportsCard
from bot.bank_store import QuestionReport
from bot.commands import Command, CommandError
from bot.models import Target, UserRef
from bot.ports import Clock, Repository
from bot.server_banks import BankRefused, ServerBanks

REASONS = ("wrong-key", "unclear", "outdated", "typo")
REASON_LABELS = {"wrong-key": "Wrong key", "unclear": "Unclear", "outdated": "Outdated", "typo": "Typo"}
MAX_COMMENT = 1000


def reason_of(text: str) -> str:
    """The reason a member typed or picked (`wrong key`, `wrong_key`, `key` …), checked."""
    key = text.strip().lower().replace("_", "-").replace(" ", "-")
    key = {"key": "wrong-key", "wrong": "wrong-key", "wrongkey": "wrong-key", "old": "outdated"}.get(key, key)
    if key not in REASONS:
        raise CommandError(f"Unknown reason `{text}`; use one of: {', '.join(REASONS)}.")
    return key


class QuestionReports:
    """Reports, the per-server review queue, and hiding a question on a server."""

    def __init__(self, banks: ServerBanks, repo: Repository, clock: Clock) -> None:
        self._banks = banks
        self._repo = repo
        self._clock = clock

    async def report(self, user: UserRef, target: Target, question_id: str, reason: str, comment: str) -> NoticeCard:
        """Store a member's report on a question this server knows (a second report replaces the first)."""
        qid = question_id.strip().lower()
        await self._banks.ensure(target)
        if self._banks.find(target, qid) is None:
            raise BankRefused(f"There is no question `{question_id}` here; the id is at the foot of each card.")
        text = " ".join(comment.split())
        if len(text) > MAX_COMMENT:
            raise CommandError(f"Keep the comment under {MAX_COMMENT} characters (it has {len(text)}).")
        stored = QuestionReport(target.workspace_key, qid, user.key, reason_of(reason), text, self._clock.now())
        new = await self._repo.add_report(stored)
        await self._repo.remember_member(user.key, user.name)
        said = "Thanks, your report" if new else "Thanks, your updated report"
        return NoticeCard(text=f"{said} on {qid} ({REASON_LABELS[stored.reason].lower()}) is with the admins.")

    async def command(self, user: UserRef, target: Target, command: Command) -> NoticeCard:
        """`report QUESTION-ID reason:R [comment:TEXT]`."""
        if not command.args:
            raise CommandError('Type `report QUESTION-ID reason:wrong-key|unclear|outdated|typo comment:"…"`.')
        if "reason" not in command.options:
            raise CommandError(f"Say why with reason: (one of {', '.join(REASONS)}).")
        return await self.report(
            user, target, command.args[0], command.options["reason"], command.options.get("comment", "")
        )

    async def queue(self, user: UserRef, target: Target) -> ReportsCard:
        """Admin: this server's reports grouped by question (most first) and the questions flagged by health."""
        _require_admin(user, "see the reports")
        await self._banks.ensure(target)
        hidden = await self._repo.hidden_questions(target.workspace_key)
        grouped: dict[str, list[QuestionReport]] = {}
        for report in await self._repo.question_reports(target.workspace_key):
            grouped.setdefault(report.question_id, []).append(report)
        groups = [
            ReportGroup(
                question_id=qid,
                stem=_stem(self._banks, target, qid),
                count=len(items),
                reasons=dict(Counter(r.reason for r in items).most_common()),
                comments=[r.comment for r in items if r.comment],
                hidden=qid in hidden,
            )
            for qid, items in grouped.items()
        ]
        groups.sort(key=lambda g: (-g.count, g.question_id))
        view = {**self._banks.shipped.questions, **await self._banks.own(target)}
        rows = await self._repo.answer_rows(target.workspace_key)
        return ReportsCard(groups=groups, flagged=health.flagged(health.analyse(rows, view)), hidden=sorted(hidden))

    async def hide(self, user: UserRef, target: Target, question_id: str | None, hidden: bool) -> NoticeCard:
        """Admin: hide a question on this server until it is fixed (or show it again)."""
        verb = "hide" if hidden else "unhide"
        _require_admin(user, f"{verb} questions")
        if not question_id:
            raise CommandError(f"Type `{verb} QUESTION-ID`.")
        qid = question_id.strip().lower()
        await self._banks.ensure(target)
        if self._banks.find(target, qid) is None:
            raise BankRefused(f"There is no question `{question_id}` here.")
        changed = await self._repo.set_hidden(target.workspace_key, qid, user.key, self._clock.now(), hidden)
        if hidden:
            state = "is now hidden on this server" if changed else "was already hidden"
        else:
            state = "is back in this server's quizzes" if changed else "was not hidden"
        return NoticeCard(text=f"{qid} {state}.")


def _stem(banks: ServerBanks, target: Target, qid: str) -> str:
    question = banks.find(target, qid)
    return question.stem if question else "(no longer in the bank)"


def _require_admin(user: UserRef, action: str) -> None:
    if not user.is_admin:
        raise BankRefused(f"Sorry, only an admin can {action}.")


def export_csv(reports: list[QuestionReport]) -> str:
    """Every report for maintainers, one row each (no member ids), grouped by question."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["question_id", "reports_on_question", "workspace", "reason", "comment", "reported_at"])
    counts = Counter(r.question_id for r in reports)
    for r in sorted(reports, key=lambda r: (-counts[r.question_id], r.question_id, r.reported_at)):
        writer.writerow(
            [r.question_id, counts[r.question_id], r.workspace, r.reason, r.comment, r.reported_at.isoformat()]
        )
    return out.getvalue()
