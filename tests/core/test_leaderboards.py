"""Leaderboards: periods cut at the server's local week and month, pages, the caller's own rank, opt-in global board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.cards import LeaderboardCard, QuestionCard
from bot.models import Answer, RoundKind, Tally, Target
from bot.periods import period_keys
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FixedClock, member

NEW_YORK = ZoneInfo("America/New_York")
ALICE, ADMIN = member("alice"), member("root", admin=True)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK).astimezone(UTC)


async def board(service: QuizService, channel: Target, line: str) -> LeaderboardCard:
    card = await service.run(ALICE, channel, line)
    assert isinstance(card, LeaderboardCard)
    return card


async def test_week_and_month_follow_the_servers_timezone(
    service: QuizService, channel: Target, repo: SqliteRepository, clock: FixedClock
) -> None:
    await repo.set_settings(channel.workspace_key, {"timezone": "America/New_York"})
    # Sunday night (week 48), Monday night (week 49, still November locally but 1 December in UTC), Tuesday morning.
    for at in (local(2026, 11, 29, 22), local(2026, 11, 30, 22), local(2026, 12, 1, 9)):
        clock.current = at
        card = await service.qotd(ALICE, channel)
        assert isinstance(card, QuestionCard)
        question = service.bank.get(card.question_id)
        assert question is not None
        await service.answer(ALICE, channel, card.round_id, 1, "".join(sorted(question.keys)))
        await service.reveal_now(ADMIN, channel)
    clock.current = local(2026, 12, 1, 10)
    points = {}
    for period in ("all", "week", "month", "season"):
        card = await board(service, channel, f"leaderboard period:{period}")
        points[period] = card.lines[0].points
    assert points == {"all": 30, "week": 20, "month": 10, "season": 30}
    server = await board(service, channel, "leaderboard scope:server period:week")
    assert server.title == "Leaderboard: this workspace, this week" and server.lines[0].points == 20


async def record(repo: SqliteRepository, channel: Target, user: str, points: int, at: datetime, n: int) -> None:
    answer = Answer(
        round_id=n,
        question_no=1,
        user_key=f"console:{user}",
        question_id="1.1-app-code-0001",
        choice="a",
        correct=points > 0,
        points=points,
        answered_at=at,
        elapsed_ms=0,
    )
    tally = Tally(
        answer=answer,
        task="1.1",
        scopes=[channel.channel_key, channel.workspace_key, "global"],
        periods=period_keys(at, ZoneInfo("UTC")),
    )
    await repo.remember_member(answer.user_key, user)
    assert await repo.record_answer(tally)


async def test_pages_show_ten_each_and_the_caller_sees_their_own_rank(
    service: QuizService, channel: Target, repo: SqliteRepository, clock: FixedClock
) -> None:
    for i in range(13):
        rnd = await repo.create_round(RoundKind.GROUP, channel, None, ["1.1-app-code-0001"], clock.now(), None)
        await record(repo, channel, f"m{i:02d}", 10 * (13 - i), clock.now(), rnd.id)
    rnd = await repo.create_round(RoundKind.GROUP, channel, None, ["1.1-app-code-0001"], clock.now(), None)
    await record(repo, channel, "alice", 5, clock.now() + timedelta(seconds=1), rnd.id)

    first = await board(service, channel, "leaderboard")
    assert [line.rank for line in first.lines] == list(range(1, 11))
    assert (first.page, first.pages) == (1, 2)
    assert first.you is not None and (first.you.rank, first.you.name, first.you.points) == (14, "alice", 5)
    second = await board(service, channel, "leaderboard page:2")
    assert [(line.rank, line.name) for line in second.lines] == [(11, "m10"), (12, "m11"), (13, "m12"), (14, "alice")]
    assert second.you is None  # alice is on this page
    past_the_end = await board(service, channel, "leaderboard page:9")
    assert past_the_end.page == 2


async def test_the_global_board_lists_only_members_who_opted_in(
    service: QuizService, channel: Target, repo: SqliteRepository, clock: FixedClock
) -> None:
    elsewhere = Target(platform="console", workspace="other", channel="x")
    for n, (user, where) in enumerate((("bob", channel), ("cat", elsewhere), ("alice", channel)), start=1):
        rnd = await repo.create_round(RoundKind.GROUP, where, None, ["1.1-app-code-0001"], clock.now(), None)
        await record(repo, where, user, 10 * n, clock.now(), rnd.id)
    for user in ("bob", "cat"):
        await service.run(member(user), channel, "optin global")
    shown = await board(service, channel, "leaderboard scope:global")
    assert [line.name for line in shown.lines] == ["cat", "bob"]
    assert shown.you is None and shown.note is not None and "optin global" in shown.note
    joined = await service.run(ALICE, channel, "optin global")
    assert isinstance(joined, LeaderboardCard) and [line.name for line in joined.lines] == ["alice", "cat", "bob"]
    await service.run(member("cat"), channel, "optout global")
    assert [line.name for line in (await board(service, channel, "leaderboard scope:global")).lines] == ["alice", "bob"]
