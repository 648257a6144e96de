"""Shared fixtures: a tiny bank, a real SQLite file, a fake scheduler, a settable clock and a recording port."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.bank import Bank, load_bank
from bot.cards import ChartCard, QuestionCard, RevealCard
from bot.exam import ExamReport
from bot.models import Target, UserRef
from bot.play_cards import DuelCard, RoundCard, StandingsCard
from bot.ports import JobCall
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository

pytest_plugins = ("tests.pg_server",)  # pg_server, pg_url: a PostgreSQL this run starts

MINI_BANK = Path(__file__).parent / "data" / "mini"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class FakeScheduler:
    """Records jobs; `run_due` runs those whose time has come (no real waiting)."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[datetime, JobCall]] = {}

    def at(self, when: datetime, job_id: str, call: JobCall) -> None:
        self.jobs[job_id] = (when, call)

    def cancel(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)

    async def run_due(self, now: datetime) -> list[str]:
        due = sorted((when, job_id) for job_id, (when, _) in self.jobs.items() if when <= now)
        for _, job_id in due:
            _, call = self.jobs.pop(job_id)
            await call()
        return [job_id for _, job_id in due]


@dataclass
class RecordingPort:
    """A ChatPort that remembers every call."""

    platform: str = "console"
    reveals: list[tuple[Target, list[str], RevealCard]] = field(default_factory=list)
    updates: list[tuple[Target, str, QuestionCard]] = field(default_factory=list)
    exam_reports: list[tuple[Target, str | None, ExamReport]] = field(default_factory=list)

    async def update_question(self, target: Target, message_ref: str, card: QuestionCard) -> None:
        self.updates.append((target, message_ref, card))

    async def reveal(self, target: Target, message_refs: Sequence[str], card: RevealCard) -> None:
        self.reveals.append((target, list(message_refs), card))

    async def show_exam(self, target: Target, message_ref: str | None, report: ExamReport) -> None:
        self.exam_reports.append((target, message_ref, report))

    # Scheduled posts (bot.posting): `fail_with` makes the next posts raise; `sent` keeps what reached the channel.
    posts: list[tuple[Target, QuestionCard, str, str | None]] = field(default_factory=list)
    notices: list[tuple[Target, str]] = field(default_factory=list)
    sent: dict[str, str] = field(default_factory=dict)
    fail_with: Exception | None = None

    async def post_question(self, target: Target, card: QuestionCard, slot: str, mention: str | None = None) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.posts.append((target, card, slot, mention))
        self.sent[slot] = f"msg:{slot}"
        return self.sent[slot]

    async def find_post(self, target: Target, slot: str) -> str | None:
        return self.sent.get(slot)

    async def post_notice(self, target: Target, text: str) -> None:
        self.notices.append((target, text))

    charts: list[tuple[Target, ChartCard]] = field(default_factory=list)

    async def post_chart(self, target: Target, chart: ChartCard) -> None:
        self.charts.append((target, chart))

    # Duels and group rounds (bot.play_cards.PlayPort): board edits and posted results, in order.
    boards: list[tuple[Target, list[str], DuelCard | RoundCard]] = field(default_factory=list)
    results: list[tuple[Target, DuelCard | StandingsCard]] = field(default_factory=list)

    async def show_play(self, target: Target, message_refs: Sequence[str], card: DuelCard | RoundCard) -> None:
        self.boards.append((target, list(message_refs), card))

    async def post_play(self, target: Target, card: DuelCard | StandingsCard) -> None:
        self.results.append((target, card))


@pytest.fixture
def bank() -> Bank:
    return load_bank(MINI_BANK)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def scheduler() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
def port() -> RecordingPort:
    return RecordingPort()


@pytest.fixture
async def repo(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[SqliteRepository]:
    if os.environ.get("QUIZBOT_TEST_BACKEND") == "postgresql":  # .ci/run runs tests/core once more on PostgreSQL
        from tests.pg_server import open_test_postgres

        repository: SqliteRepository = await open_test_postgres(request)
    else:
        repository = await SqliteRepository.open(tmp_path / "quizbot.sqlite3")
    yield repository
    await repository.close()


@pytest.fixture
def service(
    bank: Bank, repo: SqliteRepository, scheduler: FakeScheduler, clock: FixedClock, port: RecordingPort
) -> QuizService:
    svc = QuizService(bank, repo, scheduler, clock)
    svc.add_port(port)
    return svc


@pytest.fixture
def channel() -> Target:
    return Target(platform="console", workspace="console", channel="study")


def member(name: str, admin: bool = False) -> UserRef:
    """A console member."""
    return UserRef(platform="console", user_id=name, name=name, is_admin=admin)
