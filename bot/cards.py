"""Neutral view models the service returns; each front door renders them its own way."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bot.models import Frozen, RoundKind


class OptionView(Frozen):
    """An option as shown before the reveal."""

    letter: str
    text: str


class QuestionCard(Frozen):
    """A question to show: which round and number it is, its options, how many answered, when it closes."""

    round_id: int
    kind: RoundKind
    question_no: int
    total: int
    question_id: str
    domain: str
    task: str
    task_name: str
    stem: str
    options: list[OptionView]
    choose: int
    answered_count: int = 0
    closes_at: datetime | None = None
    timezone: str = "UTC"
    your_choice: str | None = None
    is_open: bool = True


class OptionReveal(Frozen):
    """An option after the reveal: whether it is a key, its explanation and who picked it."""

    letter: str
    text: str
    explanation: str
    correct: bool
    count: int = 0

    def share(self, total: int) -> float:
        """Share of answers that picked this option (0 when nobody answered)."""
        return self.count / total if total else 0.0


class RevealCard(Frozen):
    """A question with its key, every option's explanation and the answer shares."""

    round_id: int
    kind: RoundKind
    question_no: int
    question_id: str
    task: str
    stem: str
    options: list[OptionReveal]
    answers: int

    @property
    def key(self) -> str:
        """The correct letters, e.g. 'ac'."""
        return "".join(o.letter for o in self.options if o.correct)


class Accuracy(Frozen):
    """Answered and correct counts for a domain, task or quiz."""

    id: str
    name: str
    answered: int
    correct: int

    @property
    def percent(self) -> float | None:
        """Accuracy in percent, None before any answer."""
        return 100 * self.correct / self.answered if self.answered else None


class QuizSummary(Frozen):
    """The end of a solo quiz."""

    round_id: int
    total: int
    answered: int
    correct: int
    seconds: int
    by_domain: list[Accuracy]
    ended_early: bool = False


class Outcome(StrEnum):
    """What happened to an answer."""

    RECORDED = "recorded"
    FEEDBACK = "feedback"


class AnswerResult(Frozen):
    """The result of an answer: a private acknowledgement, feedback for quizzes, what comes next."""

    outcome: Outcome
    message: str
    choice: str
    correct: bool | None = None
    points: int = 0
    feedback: RevealCard | None = None
    next_card: QuestionCard | None = None
    summary: QuizSummary | None = None


class StatsCard(Frozen):
    """A member's accuracy by domain and by task."""

    user_name: str
    answered: int
    correct: int
    domains: list[Accuracy]
    tasks: list[Accuracy]


class ScoreLine(Frozen):
    """One leaderboard row."""

    rank: int
    name: str
    points: int
    answered: int
    correct: int
    user_key: str | None = None

    @property
    def percent(self) -> float | None:
        """Accuracy in percent."""
        return 100 * self.correct / self.answered if self.answered else None


class LeaderboardCard(Frozen):
    """A leaderboard for one scope and period."""

    title: str
    lines: list[ScoreLine]


class HelpLine(Frozen):
    """One command in the help."""

    usage: str
    summary: str
    admin: bool


class HelpCard(Frozen):
    """Every command with its arguments."""

    lines: list[HelpLine]


class SettingsCard(Frozen):
    """The settings in force for a channel."""

    timezone: str
    reveal: str
    changed: bool = False
