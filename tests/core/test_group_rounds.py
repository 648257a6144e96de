"""Group rounds through the core: join window, timed questions posted one at a time, reveals, standings, stop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bank import Bank
from bot.cards import QuestionCard
from bot.group_rounds import JOIN_WINDOW, PAUSE, standings
from bot.models import Answer, Target
from bot.play_cards import PlayReply, RoundCard, StandingsCard
from bot.play_store import ASKING, ENDED, JOINING
from bot.service import QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import START, FakeScheduler, FixedClock, RecordingPort, member

ALICE, BOB, CAROL = member("alice"), member("bob"), member("carol")
ADMIN = member("root", admin=True)


def key_of(service: QuizService, card: QuestionCard) -> str:
    question = service.bank.get(card.question_id)
    assert question is not None
    return "".join(sorted(question.keys))


async def next_phase(scheduler: FakeScheduler, clock: FixedClock) -> None:
    """Move the clock to the earliest job and run it."""
    when = min(at for at, _ in scheduler.jobs.values())
    clock.current = max(clock.current, when)
    await scheduler.run_due(clock.now())


async def test_a_full_round_with_speed_points_streaks_early_reveals_and_standings(
    service: QuizService, channel: Target, port: RecordingPort, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    card = await service.run(ALICE, channel, "round 3 seconds:30 seed:4")
    assert isinstance(card, RoundCard) and card.phase == JOINING and card.players == ["alice"]
    assert card.starts_at == START + JOIN_WINDOW and card.total == 3 and card.speed
    await service.attach_board(card.round_id, "board")
    with pytest.raises(QuizError, match="already running"):
        await service.run(BOB, channel, "round")
    joined = await service.run(BOB, channel, "join")
    assert isinstance(joined, PlayReply) and joined.message.startswith("You joined")
    assert port.boards[-1][2].players == ["alice", "bob"]  # type: ignore[union-attr]

    await next_phase(scheduler, clock)  # the join window closes: question 1 goes to the channel
    ((target, first, slot, _),) = port.posts
    assert target == channel and slot == f"group:{card.round_id}:1"
    assert first.closes_at == clock.now() + timedelta(seconds=30)
    assert port.boards[-1][2].phase == ASKING
    for number in (1, 2, 3):
        question = port.posts[-1][1]
        assert question.question_no == number
        clock.advance(seconds=3)
        await service.answer(ALICE, channel, card.round_id, number, key_of(service, question))
        clock.advance(seconds=12)
        done = await service.answer(BOB, channel, card.round_id, number, key_of(service, question))
        assert done.message.endswith("everyone has answered, so here is the reveal.")  # no waiting for the timer
        assert port.reveals[-1][1] == [f"msg:group:{card.round_id}:{number}"]
        assert port.reveals[-1][2].answers == 2
        if number < 3:
            clock.advance(seconds=PAUSE.total_seconds())
            await scheduler.run_due(clock.now())
    with pytest.raises(QuizError, match="ended"):
        await service.answer(CAROL, channel, card.round_id, 3, "a")

    ((_, final),) = port.results
    assert isinstance(final, StandingsCard) and final.asked == 3 and final.why == "Every question has been asked."
    # Alice: 3 s of 30 s is 9.5 → 10 points, then +1 and +2 for her streak; Bob: 15 s → 7.5 → 8 points each, too.
    assert [(s.name, s.points, s.correct, s.average_seconds) for s in final.lines] == [
        ("alice", 10 + 11 + 12, 3, 3.0),
        ("bob", 8 + 9 + 10, 3, 15.0),
    ]
    assert port.boards[-1][2].phase == ENDED and not scheduler.jobs


async def test_three_questions_without_answers_end_the_round(
    service: QuizService, channel: Target, port: RecordingPort, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    card = await service.run(ALICE, channel, "round count:5 speed:off")
    assert isinstance(card, RoundCard) and not card.speed
    while not port.results:
        await next_phase(scheduler, clock)
    assert len(port.posts) == 3 and len(port.reveals) == 3
    ((_, final),) = port.results
    assert isinstance(final, StandingsCard)
    assert final.why == "The round ended after 3 questions in a row without answers."
    with pytest.raises(QuizError, match="ended"):
        await service.answer(ALICE, channel, card.round_id, 3, "a")


async def test_stop_is_for_the_starter_or_an_admin_and_late_answers_are_refused(
    service: QuizService, channel: Target, port: RecordingPort, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    card = await service.run(ALICE, channel, "round count:3")
    assert isinstance(card, RoundCard)
    with pytest.raises(QuizError, match="not been asked yet"):
        await service.answer(BOB, channel, card.round_id, 1, "a")
    await next_phase(scheduler, clock)
    clock.advance(seconds=31)
    with pytest.raises(QuizError, match="Time is up"):
        await service.answer(BOB, channel, card.round_id, 1, "a")
    with pytest.raises(QuizError, match="Only the member who started"):
        await service.run(BOB, channel, "stop")
    stopped = await service.run(ADMIN, channel, "stop")
    assert isinstance(stopped, PlayReply) and stopped.message.startswith("Round stopped")
    assert len(port.reveals) == 1  # the question on screen is revealed before the standings
    ((_, final),) = port.results
    assert isinstance(final, StandingsCard) and final.why == "Stopped by root." and final.asked == 1
    with pytest.raises(QuizError, match="no quiz running"):
        await service.run(ALICE, channel, "stop")  # nothing left to stop


async def test_a_restart_mid_round_reposts_an_unposted_question_and_resumes(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    port = RecordingPort()
    first = QuizService(bank, repo, FakeScheduler(), clock)
    first.add_port(port)
    card = await first.run(ALICE, channel, "round count:2")
    assert isinstance(card, RoundCard)
    # The process dies just after the round moved to question 1 but before the card reached the channel.
    g = await repo.group_round(card.round_id)
    assert g is not None
    clock.advance(seconds=31)
    deadline = clock.now() + timedelta(seconds=30)
    await repo.advance_group(g.round_id, JOINING, 0, ASKING, 1, deadline, asked_at=clock.now())
    scheduler = FakeScheduler()
    second = QuizService(bank, repo, scheduler, clock)
    second.add_port(port)
    await second.start()
    ((_, posted, slot, _),) = port.posts
    assert slot == f"group:{card.round_id}:1" and posted.question_no == 1
    await second.start()  # a second start finds the card stored: nothing is posted twice
    assert len(port.posts) == 1 and f"group:{card.round_id}" in scheduler.jobs
    await second.answer(BOB, channel, card.round_id, 1, key_of(second, posted))

    clock.advance(hours=1)  # away too long: the round ends with its standings instead of resuming
    third = QuizService(bank, repo, FakeScheduler(), clock)
    third.add_port(port)
    await third.start()
    ((_, final),) = port.results
    assert isinstance(final, StandingsCard) and final.why == "The round ended because the bot was away."
    assert [(s.name, s.correct) for s in final.lines] == [("bob", 1), ("alice", 0)]


def test_standings_rank_points_then_correct_then_speed() -> None:
    def a(user: str, no: int, points: int, ms: int) -> Answer:
        return Answer(
            round_id=1,
            question_no=no,
            user_key=user,
            question_id="q",
            choice="a",
            correct=points > 0,
            points=points,
            answered_at=START,
            elapsed_ms=ms,
        )

    lines = standings([a("x", 1, 10, 4000), a("y", 1, 10, 2000), a("z", 1, 0, 100)], ["x", "y", "z", "w"], {"x": "X"})
    assert [(s.rank, s.name, s.average_seconds) for s in lines] == [
        (1, "y", 2.0),
        (2, "X", 4.0),
        (3, "z", 0.1),
        (4, "w", None),
    ]
