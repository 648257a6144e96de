"""The seams of the core: what it needs from a chat platform, storage, a scheduler and a clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.bank_store import BankRepository
from bot.cards import ChartCard, QuestionCard, RevealCard
from bot.exam import ExamRepository
from bot.models import Answer, Round, RoundKind, Tally, Target
from bot.plans import PlanRepository
from bot.play_store import PlayRepository
from bot.review import CardState
from bot.schedules import ScheduleRepository


@runtime_checkable
class ChatPort(Protocol):
    """One per platform: how the core reaches a channel when no member's request is in flight (reveals, updates)."""

    platform: str

    async def update_question(self, target: Target, message_ref: str, card: QuestionCard) -> None:
        """Refresh a posted question card (answer count)."""

    async def reveal(self, target: Target, message_refs: Sequence[str], card: RevealCard) -> None:
        """Show the key, shares and explanations: edit the posted cards, or post anew when there are none."""

    async def post_question(self, target: Target, card: QuestionCard, slot: str, mention: str | None = None) -> str:
        """Post a question card to a channel unprompted (schedules, rounds) and return its message reference.

        `slot` (at most 25 characters) identifies the post; the platform carries it with the message so that a retry
        of the same slot never shows a second card. A lost channel or permission raises PostError(permanent=True).
        """

    async def find_post(self, target: Target, slot: str) -> str | None:
        """The reference of a message already posted for `slot`, asked before retrying a post whose fate is unknown;
        None when there is none (a platform that cannot tell answers as if it went out, so it is never doubled)."""

    async def post_notice(self, target: Target, text: str) -> None:
        """Tell a channel (its admins) something in one sentence; raises PostError when that is impossible."""

    async def post_chart(self, target: Target, chart: ChartCard) -> None:
        """Post a chart image with its caption in a channel (a scheduled recap); raises PostError on failure."""


class PostError(Exception):
    """A post the platform refused; `permanent` when retrying cannot help (channel gone, access lost)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class AnswersChanged(Exception):
    """A round got an answer after its closer read them: read the answers again and retry the close."""


class Clock(Protocol):
    """Where the time comes from; always aware UTC."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""


JobCall = Callable[[], Awaitable[None]]


class Scheduler(Protocol):
    """Runs a call at a time; jobs are rebuilt from the database at start, so they may live in memory."""

    def at(self, when: datetime, job_id: str, call: JobCall) -> None:
        """Run `call` at `when` (replacing a job with the same id)."""

    def cancel(self, job_id: str) -> None:
        """Forget a job if it exists."""


class Repository(ExamRepository, ScheduleRepository, BankRepository, PlayRepository, PlanRepository, Protocol):
    """Storage as whole operations; each write is one transaction and idempotent where a retry may repeat it."""

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

    async def get_round(self, round_id: int) -> Round | None:
        """A round by id."""

    async def open_rounds(self) -> list[Round]:
        """Every round not yet closed."""

    async def latest_round(self, target: Target, kind: RoundKind, open_only: bool = True) -> Round | None:
        """The newest round of a kind in a channel."""

    async def open_round_of(self, owner: str, kind: RoundKind) -> Round | None:
        """A member's open private round of a kind."""

    async def close_round(
        self, round_id: int, at: datetime, tallies: Sequence[Tally] = (), *, covers_all: bool = False
    ) -> bool:
        """Close a round and add `tallies` to the aggregates, atomically; True only for the call that closed it.

        With `covers_all`, raise AnswersChanged (writing nothing) when the round has answers the tallies miss.
        """

    async def add_message_ref(self, round_id: int, ref: str, question_no: int = 1) -> None:
        """Remember where a round's card (of one question) was posted."""

    async def message_refs(self, round_id: int, question_no: int | None = None) -> list[str]:
        """Where a round's cards (or, with `question_no`, that question's cards) were posted."""

    async def record_answer(self, tally: Tally, count_now: bool = True) -> bool:
        """Insert an answer (and with `count_now` its aggregates) in one transaction.

        False when nothing was written: the member had answered already, or the round is closed (or unknown).
        """

    async def get_answer(self, round_id: int, question_no: int, user_key: str) -> Answer | None:
        """One member's answer to one question of a round."""

    async def answers(self, round_id: int, question_no: int | None = None, user_key: str | None = None) -> list[Answer]:
        """A round's answers, optionally to one question and/or by one member."""

    async def answer_count(self, round_id: int, question_no: int) -> int:
        """How many answered a question of a round."""

    async def used_question_ids(self, target: Target, kind: RoundKind) -> list[str]:
        """Questions already asked in a channel in rounds of a kind, newest round first."""

    async def task_stats(self, user_key: str) -> dict[str, tuple[int, int]]:
        """A member's (answered, correct) per task id."""

    async def leaderboard(
        self, scope: str, period: str, limit: int, offset: int = 0
    ) -> list[tuple[str, int, int, int]]:
        """(user_key, points, answered, correct) rows of a scope and period, best first."""

    async def remember_member(self, user_key: str, name: str) -> None:
        """Store a member's display name."""

    async def member_names(self, user_keys: Sequence[str]) -> Mapping[str, str]:
        """Display names of members."""

    async def get_settings(self, scope: str) -> dict[str, str]:
        """Settings stored for a scope."""

    async def set_settings(self, scope: str, values: Mapping[str, str]) -> None:
        """Store settings for a scope."""

    async def save_installation(self, platform: str, workspace: str, user_id: str, data: str, at: datetime) -> None:
        """Store (replacing) a front door's installation record for a workspace; `user_id` "" is the workspace's own."""

    async def find_installation(self, platform: str, workspace: str, user_id: str = "") -> str | None:
        """A stored installation record, or None."""

    async def delete_installations(self, platform: str, workspace: str, user_id: str | None = None) -> int:
        """Forget one member's installation record, or (user_id None) every record of a workspace."""

    async def claim_event(self, event_key: str, at: datetime, keep: timedelta) -> bool:
        """True for the first delivery of an event id, False for a repeat; ids older than `keep` are forgotten."""

    # ---- learning progress (bot.progress, bot.review): aggregates only -------------------------------------------

    async def daily_stats(self, subject: str, since: date) -> dict[date, dict[str, tuple[int, int]]]:
        """{day: {domain: (answered, correct)}} of a member or scope from `since` on."""

    async def active_days(self, subject: str) -> list[date]:
        """Every local day a member or scope answered anything, oldest first."""

    async def group_task_stats(self, scope: str) -> dict[str, tuple[int, int]]:
        """A channel's or workspace's (answered, correct) per task id."""

    async def due_cards(self, user_key: str, until: datetime, limit: int) -> list[str]:
        """Question ids of a member's review cards due by `until`, most overdue first."""

    async def due_count(self, user_key: str, until: datetime) -> int:
        """How many of a member's review cards are due by `until`."""

    async def review_card(self, user_key: str, question_id: str) -> CardState | None:
        """A member's review card for one question."""

    async def carded_questions(self, user_key: str) -> set[str]:
        """Question ids a member already has a review card for."""

    async def board(
        self, scope: str, period: str, limit: int, offset: int = 0
    ) -> tuple[list[tuple[str, int, int, int]], int]:
        """A leaderboard page of (user_key, points, answered, correct) and the number of ranked members."""

    async def rank_of(self, scope: str, period: str, user_key: str) -> tuple[int, tuple[str, int, int, int]] | None:
        """A member's rank and row on a board, or None when they are not on it."""

    async def opted_in(self, user_key: str) -> bool:
        """Whether a member shows on the global leaderboard."""

    async def set_opt_in(self, user_key: str, opted_in: bool, at: datetime) -> None:
        """Opt a member in to (or out of) the global leaderboard."""

    async def close(self) -> None:
        """Release the connection."""
