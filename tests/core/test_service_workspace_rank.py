"""Front-door support in the core: a workspace-wide leaderboard whose lines carry member keys (for "your rank")."""

from __future__ import annotations

from bot.models import Target
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FakeScheduler, FixedClock, member

ALICE, BOB, ADMIN = member("alice"), member("bob"), member("root", admin=True)


async def answer_qotd_rightly(service: QuizService, user_name: str, where: Target) -> None:
    card = await service.qotd(member(user_name), where)
    question = service.bank.get(card.question_id)
    assert question is not None
    await service.answer(member(user_name), where, card.round_id, 1, "".join(sorted(question.keys)))


async def test_the_workspace_leaderboard_adds_up_every_channel_and_names_members_by_key(
    service: QuizService, channel: Target, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    other = channel.model_copy(update={"channel": "other"})
    await answer_qotd_rightly(service, "alice", channel)
    await answer_qotd_rightly(service, "alice", other)
    await answer_qotd_rightly(service, "bob", other)
    clock.advance(hours=10)
    await scheduler.run_due(clock.now())  # question-of-the-day answers count at the reveal

    board = await service.leaderboard(channel, workspace=True)
    assert board.title == "Leaderboard: this workspace, all time"
    assert [(s.rank, s.user_key, s.points) for s in board.lines] == [(1, "console:alice", 20), (2, "console:bob", 10)]
    here = await service.leaderboard(channel)
    assert here.title == "Leaderboard: this channel, all time"
    assert [(s.user_key, s.points) for s in here.lines] == [("console:alice", 10)]


def test_front_doors_reach_the_repository_for_their_own_records(service: QuizService, repo: SqliteRepository) -> None:
    assert service.repository is repo
