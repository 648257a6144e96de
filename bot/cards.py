"""Neutral view models the service returns; each front door renders them its own way."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

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
    note: str | None = None  # a line shown above the question, e.g. how many reviews are due


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
    streaks: list[tuple[str, int]] = Field(default_factory=list)  # (member, days in a row) shown with a reveal

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


class DomainProgress(Frozen):
    """A domain's exam weight, accuracy and status against the pass line."""

    id: str
    name: str
    weight: int
    answered: int
    correct: int
    status: str  # "meets", "needs improvement" or "not enough data"

    @property
    def percent(self) -> float | None:
        """Accuracy in percent, None before any answer."""
        return 100 * self.correct / self.answered if self.answered else None


class TrendWeek(Frozen):
    """One week of the trend (Monday first)."""

    start: date
    answered: int
    correct: int

    @property
    def percent(self) -> float | None:
        """Accuracy in percent, None in a week without answers."""
        return 100 * self.correct / self.answered if self.answered else None


class Progress(Frozen):
    """Where a member (or group) stands against the exam: an estimate, never AWS's own scaling."""

    readiness: int | None  # projected score on the 100-1000 scale; None before any answer
    pass_mark: int
    confident: bool  # every domain has enough answers for its accuracy to mean something
    min_answers: int
    domains: list[DomainProgress]
    trend: list[TrendWeek]
    streak: int
    best_streak: int
    weakest: list[Accuracy] = Field(default_factory=list)


class StatsCard(Frozen):
    """A member's accuracy by domain and by task."""

    user_name: str
    answered: int
    correct: int
    domains: list[Accuracy]
    tasks: list[Accuracy]
    progress: Progress | None = None
    group: bool = False
    rating: str | None = None  # the member's duel rating in this server, e.g. `1220 (provisional) · 1 W 0 L 0 D`


class ChartCard(Frozen):
    """A PNG chart: attached on Discord, uploaded on Slack, saved to a file on the console."""

    title: str
    filename: str
    png: bytes
    caption: str


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
    page: int = 1
    pages: int = 1
    you: ScoreLine | None = None  # the caller's own line when it is not on this page
    note: str | None = None


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


class ScheduleLine(Frozen):
    """One schedule of a channel as admins see it."""

    id: int
    kind: RoundKind
    rule: str  # e.g. `09:00 mon-fri Europe/Berlin`
    details: str  # questions, reveal, filters, mention
    paused: bool = False
    note: str | None = None  # why it is paused
    next_run: datetime | None = None


class ScheduleCard(Frozen):
    """The answer to a `schedule` command: what happened, the schedules, or the next run times."""

    message: str
    timezone: str = "UTC"
    schedules: list[ScheduleLine] = Field(default_factory=list)
    runs: list[datetime] = Field(default_factory=list)
