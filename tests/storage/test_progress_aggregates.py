"""The progress aggregates equal a brute-force recomputation from the answers table, for generated histories."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bank import load_bank
from bot.cards import QuestionCard
from bot.models import Target
from bot.periods import local_date, period_keys
from bot.scoring import COUNTED_AT_CLOSE
from bot.service import QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import MINI_BANK, START, FakeScheduler, FixedClock, RecordingPort, member

CHANNELS = [
    Target(platform="console", workspace="w1", channel="kiwi"),  # Pacific/Auckland: days differ from UTC a lot
    Target(platform="console", workspace="w1", channel="utc"),
    Target(platform="console", workspace="w2", channel="ny"),  # America/New_York, set on the workspace
]
USERS = [member("ann"), member("ben"), member("cat")]
ADMIN = member("root", admin=True)

quiz = st.tuples(
    st.just("quiz"),
    st.integers(0, 2),
    st.integers(0, 2),
    st.lists(st.booleans(), min_size=1, max_size=3),
    st.integers(0, 120),
)
qotd = st.tuples(st.just("qotd"), st.integers(0, 2), st.integers(0, 2), st.booleans(), st.booleans())
wait = st.tuples(st.just("wait"), st.integers(1, 40))
histories = st.lists(st.one_of(quiz, qotd, wait), min_size=1, max_size=12)


def letters(service: QuizService, card: QuestionCard, right: bool) -> str:
    question = service.bank.get(card.question_id)
    assert question is not None
    keys = sorted(question.keys) if right else sorted(set(question.letters) - question.keys)[: question.choose]
    return "".join(keys)


async def play(service: QuizService, clock: FixedClock, scheduler: FakeScheduler, history: list[Any]) -> None:
    for step in history:
        if step[0] == "wait":
            clock.advance(hours=step[1])
            await scheduler.run_due(clock.now())
        elif step[0] == "quiz":
            _, who, where, rights, seconds = step
            card = await service.run(USERS[who], CHANNELS[where], f"quiz {len(rights)}")
            for right in rights:
                assert isinstance(card, QuestionCard)
                clock.advance(seconds=seconds)
                result = await service.answer(
                    USERS[who], CHANNELS[where], card.round_id, card.question_no, letters(service, card, right)
                )
                if result.next_card is None:
                    break
                card = result.next_card
        else:
            _, who, where, right, reveal = step
            card = await service.qotd(USERS[who], CHANNELS[where])
            if isinstance(card, QuestionCard) and card.is_open:
                with contextlib.suppress(QuizError):  # answered already today: the first answer stands
                    await service.answer(USERS[who], CHANNELS[where], card.round_id, 1, letters(service, card, right))
            if reveal:
                with contextlib.suppress(QuizError):
                    await service.reveal_now(ADMIN, CHANNELS[where])


async def table(repo: SqliteRepository, sql: str) -> dict[tuple[Any, ...], tuple[int, ...]]:
    async with repo._db.execute(sql) as cur:
        return {tuple(r[:-2]): tuple(r[-2:]) for r in await cur.fetchall()}


async def check(service: QuizService, repo: SqliteRepository) -> None:
    scores: dict[tuple[str, str, str], list[int]] = {}
    tasks: dict[tuple[str, str], list[int]] = {}
    daily: dict[tuple[str, str, str], list[int]] = {}
    group: dict[tuple[str, str], list[int]] = {}
    reviews: Counter[tuple[str, str]] = Counter()
    async with repo._db.execute(
        "SELECT a.*, r.kind, r.platform, r.workspace, r.channel, r.closed_at FROM answers a "
        "JOIN rounds r ON r.id = a.round_id"
    ) as cur:
        answers = await cur.fetchall()
    for a in answers:
        if a["kind"] in {k.value for k in COUNTED_AT_CLOSE} and a["closed_at"] is None:
            continue  # secret until the reveal
        target = Target(platform=a["platform"], workspace=a["workspace"], channel=a["channel"])
        tz = (await service.channel_config(target)).tz
        at = datetime.fromisoformat(a["answered_at"])
        question = service.bank.get(a["question_id"])
        assert question is not None
        scopes = [target.channel_key, target.workspace_key, "global"]
        for scope in scopes:
            for period in period_keys(at, tz):
                total = scores.setdefault((scope, period, a["user_key"]), [0, 0, 0])
                total[0] += a["points"]
                total[1] += 1
                total[2] += a["correct"]
            count = group.setdefault((scope, question.task), [0, 0])
            count[0] += 1
            count[1] += a["correct"]
        count = tasks.setdefault((a["user_key"], question.task), [0, 0])
        count[0] += 1
        count[1] += a["correct"]
        day = local_date(at, tz).isoformat()
        for subject in (a["user_key"], *scopes):
            count = daily.setdefault((subject, day, question.domain_id), [0, 0])
            count[0] += 1
            count[1] += a["correct"]
        reviews[(a["user_key"], a["question_id"])] += 1

    async with repo._db.execute("SELECT scope, period, user_key, points, answered, correct FROM scores") as cur:
        assert {(r[0], r[1], r[2]): [r[3], r[4], r[5]] for r in await cur.fetchall()} == scores
    assert await table(repo, "SELECT user_key, task, answered, correct FROM task_stats") == {
        k: tuple(v) for k, v in tasks.items()
    }
    assert await table(repo, "SELECT subject, day, domain, answered, correct FROM daily_stats") == {
        k: tuple(v) for k, v in daily.items()
    }
    assert await table(repo, "SELECT scope, task, answered, correct FROM group_task_stats") == {
        k: tuple(v) for k, v in group.items()
    }
    async with repo._db.execute("SELECT user_key, question_id, reviews FROM review_cards") as cur:
        assert Counter({(r[0], r[1]): r[2] for r in await cur.fetchall()}) == reviews


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_aggregates_match_a_recount_of_the_answers(history: list[Any]) -> None:
    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as folder:
            repo = await SqliteRepository.open(Path(folder) / "quizbot.sqlite3")
            try:
                clock, scheduler = FixedClock(START), FakeScheduler()
                service = QuizService(load_bank(MINI_BANK), repo, scheduler, clock)
                service.add_port(RecordingPort())
                await repo.set_settings(CHANNELS[0].channel_key, {"timezone": "Pacific/Auckland"})
                await repo.set_settings(CHANNELS[2].workspace_key, {"timezone": "America/New_York"})
                await play(service, clock, scheduler, history)
                await check(service, repo)
            finally:
                await repo.close()

    asyncio.run(scenario())
