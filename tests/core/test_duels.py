"""Duels through the core: challenge, accept / decline / expiry, private timed questions, results, ratings, restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bank import Bank
from bot.cards import QuestionCard
from bot.duels import ACCEPT_WINDOW, START_GRACE, duel_score, left_duel, position
from bot.models import Target, UserRef
from bot.play_cards import DuelCard, DuelSide, PlayReply, RatingsCard
from bot.play_store import DECLINED, EXPIRED, FINISHED, PLAYING
from bot.rating import DRAW, LOSS, WIN
from bot.service import QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import START, FakeScheduler, FixedClock, RecordingPort, member

ALICE, BOB, CAROL = member("alice"), member("bob"), member("carol")
ADMIN = member("root", admin=True)


def key_of(service: QuizService, card: QuestionCard) -> str:
    question = service.bank.get(card.question_id)
    assert question is not None
    return "".join(sorted(question.keys))


def wrong_of(service: QuizService, card: QuestionCard) -> str:
    question = service.bank.get(card.question_id)
    assert question is not None
    return "".join(sorted(set(question.letters) - question.keys))[: question.choose]


async def challenge(service: QuizService, channel: Target, line: str = "duel bob count:3 seed:1") -> DuelCard:
    card = await service.run(ALICE, channel, line)
    assert isinstance(card, DuelCard)
    return card


async def play_all(service: QuizService, channel: Target, who: UserRef, card: QuestionCard, right: bool) -> None:
    """Answer every question a player is shown, right or wrong."""
    current: QuestionCard | None = card
    while current is not None:
        letters = key_of(service, current) if right else wrong_of(service, current)
        result = await service.answer(who, channel, current.round_id, current.question_no, letters)
        current = result.next_card


# ---- pure rules ---------------------------------------------------------------------------------------------------


def test_each_question_starts_when_the_previous_was_answered_or_timed_out() -> None:
    limit = timedelta(seconds=60)
    assert position(START, limit, {}, 3, START) == (1, START, START + limit)
    answered = {1: START + timedelta(seconds=10)}
    assert position(START, limit, answered, 3, START + timedelta(seconds=20)) == (
        2,
        START + timedelta(seconds=10),
        START + timedelta(seconds=70),
    )
    # Question 2 timed out at 70 s, so question 3 runs from 70 s to 130 s; after that the player is done.
    assert position(START, limit, answered, 3, START + timedelta(seconds=100)).question_no == 3
    done = position(START, limit, answered, 3, START + timedelta(seconds=131))
    assert done.question_no is None and done.started == START + timedelta(seconds=130)


def test_leaving_is_timing_out_at_the_end_and_decides_before_points() -> None:
    assert left_duel([], 3) and left_duel([1], 3) and not left_duel([1, 2], 3) and not left_duel([1, 3], 3)
    assert left_duel([], 1) and not left_duel([1], 1)
    fast = DuelSide(user_key="a", name="a", points=20, seconds=30)
    slow = DuelSide(user_key="b", name="b", points=20, seconds=40)
    assert duel_score(fast, slow) == WIN and duel_score(slow, fast) == LOSS
    assert duel_score(fast, fast.model_copy(update={"user_key": "b"})) == DRAW
    gone = DuelSide(user_key="c", name="c", points=30, left=True)
    assert duel_score(gone, slow) == LOSS and duel_score(gone, gone) is None


# ---- the flow -----------------------------------------------------------------------------------------------------


async def test_a_full_duel_posts_the_result_and_moves_both_ratings(
    service: QuizService, channel: Target, port: RecordingPort, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    card = await challenge(service, channel)
    assert card.state == "challenged" and [s.name for s in card.sides] == ["alice", "bob"] and card.count == 3
    assert scheduler.jobs[f"duel:{card.round_id}"][0] == START + ACCEPT_WINDOW
    await service.attach_board(card.round_id, "board-1")
    with pytest.raises(QuizError, match="Only the challenged member"):
        await service.run(ALICE, channel, "accept")
    accepted = await service.run(BOB, channel, "accept")
    assert isinstance(accepted, PlayReply) and accepted.message.startswith("Duel on!")
    bob_first = accepted.question
    assert bob_first is not None and bob_first.question_no == 1 and bob_first.note == "Duel with alice"
    assert bob_first.closes_at == START + timedelta(seconds=60)
    assert port.boards[-1][1] == ["board-1"] and port.boards[-1][2].state == PLAYING

    clock.advance(seconds=5)
    alice_start = await service.run(ALICE, channel, "duel play")
    assert isinstance(alice_start, PlayReply) and alice_start.question is not None
    assert alice_start.question.question_id == bob_first.question_id  # same questions, same order
    with pytest.raises(QuizError, match="Answer question 1 first"):
        await service.answer(ALICE, channel, card.round_id, 2, "a")
    with pytest.raises(QuizError, match="between two other members"):
        await service.answer(CAROL, channel, card.round_id, 1, "a")

    await play_all(service, channel, ALICE, alice_start.question, right=True)
    assert port.results == []  # Bob has not finished: nothing is shown yet
    clock.advance(seconds=5)
    await play_all(service, channel, BOB, bob_first, right=False)

    ((_, result),) = port.results
    assert isinstance(result, DuelCard) and result.state == FINISHED
    assert result.winner == "alice" and result.rated and result.weight == 1.0
    alice, bob = result.sides
    assert (alice.points, alice.correct, bob.points, bob.correct) == (30, 3, 0, 0)
    assert (alice.rating, alice.change, bob.rating, bob.change) == (1220, 20, 1180, -20)
    assert [len(item.choices) for item in result.items] == [2, 2, 2] and result.items[0].options
    assert port.boards[-1][2].state == FINISHED
    assert f"duel:{card.round_id}" not in scheduler.jobs

    ratings = await service.run(BOB, channel, "ratings")
    assert isinstance(ratings, RatingsCard)
    assert [(r.name, r.rating, r.wins, r.losses, r.provisional) for r in ratings.lines] == [
        ("alice", 1220, 1, 0, True),
        ("bob", 1180, 0, 1, True),
    ]
    stats = await service.stats(BOB, channel)
    assert stats.rating == "1180 (provisional) · 0 W 1 L 0 D"  # shown on each member's stats
    assert (await service.stats(CAROL, channel)).rating is None
    board = await service.run(ALICE, channel, "leaderboard")
    assert [(line.name, line.points) for line in board.lines] == [("alice", 30), ("bob", 0)]  # type: ignore[union-attr]


async def test_refusals_self_bots_and_one_open_duel_at_a_time(service: QuizService, channel: Target) -> None:
    with pytest.raises(QuizError, match="duel yourself"):
        await service.run(ALICE, channel, "duel alice")
    robot = UserRef(platform="console", user_id="helper", name="helper", is_bot=True)
    with pytest.raises(QuizError, match="Bots don't duel"):
        await service.challenge(ALICE, channel, robot, _request())
    with pytest.raises(QuizError, match="1 to 10 questions"):
        await service.run(ALICE, channel, "duel bob count:11")
    with pytest.raises(QuizError, match="Name the member"):
        await service.run(ALICE, channel, "duel")
    await challenge(service, channel)
    with pytest.raises(QuizError, match="You have an open duel"):
        await service.run(ALICE, channel, "duel carol")
    with pytest.raises(QuizError, match="bob has an open duel"):
        await service.run(CAROL, channel, "duel bob")
    with pytest.raises(QuizError, match="no open duel"):
        await service.run(CAROL, channel, "accept")


async def test_decline_and_expiry_close_the_challenge(
    service: QuizService, channel: Target, port: RecordingPort, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    first = await challenge(service, channel)
    declined = await service.run(BOB, channel, "decline")
    assert isinstance(declined, PlayReply) and declined.message == "Challenge declined."
    assert port.boards[-1][2].state == DECLINED and f"duel:{first.round_id}" not in scheduler.jobs
    second = await challenge(service, channel)
    clock.advance(minutes=10)
    await scheduler.run_due(clock.now())
    assert port.boards[-1][2].state == EXPIRED
    with pytest.raises(QuizError, match="no open duel"):
        await service.run(BOB, channel, "accept")
    with pytest.raises(QuizError, match="is over"):
        await service.play_action(BOB, channel, second.round_id, "accept")


async def test_timeouts_move_a_player_on_and_an_absent_player_loses(
    service: QuizService, channel: Target, port: RecordingPort, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    card = await challenge(service, channel)
    accepted = await service.run(BOB, channel, "accept")
    assert isinstance(accepted, PlayReply) and accepted.question is not None
    clock.advance(seconds=61)  # Bob let question 1 time out: clicking it shows question 2
    late = await service.answer(BOB, channel, card.round_id, 1, key_of(service, accepted.question))
    assert late.message == "Time ran out for question 1; here is question 2." and late.next_card is not None
    await play_all(service, channel, BOB, late.next_card, right=True)
    # Alice never opens her questions: her clock starts by itself after the grace and every question times out.
    clock.current = START + START_GRACE + timedelta(seconds=3 * 60)
    await scheduler.run_due(clock.now())
    ((_, result),) = port.results
    assert isinstance(result, DuelCard) and result.winner == "bob"
    assert result.sides[0].left and not result.sides[1].left and result.sides[1].points == 20


async def test_leaving_a_duel_is_a_loss_and_a_pair_farming_counts_less(
    service: QuizService, channel: Target, port: RecordingPort
) -> None:
    weights = []
    for _ in range(4):
        card = await challenge(service, channel)
        await service.run(BOB, channel, "accept")
        left = await service.play_action(BOB, channel, card.round_id, "leave")
        assert left.message.startswith("You left the duel")
        result = port.results[-1][1]
        assert isinstance(result, DuelCard) and result.winner == "alice"
        weights.append(result.weight)
    assert weights == [1.0, 1.0, 1.0, 0.5]


async def test_a_restart_mid_duel_resumes_it_and_one_after_the_deadlines_finishes_it(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target, port: RecordingPort
) -> None:
    first = QuizService(bank, repo, FakeScheduler(), clock)
    first.add_port(port)
    card = await challenge(first, channel)
    accepted = await first.run(BOB, channel, "accept")
    assert isinstance(accepted, PlayReply) and accepted.question is not None
    await first.answer(BOB, channel, card.round_id, 1, key_of(first, accepted.question))

    clock.advance(seconds=30)
    scheduler = FakeScheduler()
    second = QuizService(bank, repo, scheduler, clock)
    second.add_port(port)
    await second.start()
    assert f"duel:{card.round_id}" in scheduler.jobs  # re-armed from the database
    resumed = await second.run(BOB, channel, "duel play")
    assert isinstance(resumed, PlayReply) and resumed.question is not None and resumed.question.question_no == 2
    await second.answer(BOB, channel, card.round_id, 2, wrong_of(second, resumed.question))

    clock.advance(hours=1)  # down past every deadline: Bob missed only his last question, Alice never played
    third = QuizService(bank, repo, FakeScheduler(), clock)
    third.add_port(port)
    await third.start()
    ((_, result),) = port.results
    assert isinstance(result, DuelCard) and result.state == FINISHED and result.winner == "bob"


def _request():  # type: ignore[no-untyped-def]
    from bot.duels import DuelRequest

    return DuelRequest(count=2)
