"""Spaced repetition: FSRS due dates from correctness and answer time, and review sessions that put due cards first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cards import QuestionCard
from bot.models import Target
from bot.review import AGAIN, EASY, GOOD, HARD, rating_for, review
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FixedClock, member

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ALICE = member("alice")


def test_rating_follows_correctness_and_answer_time() -> None:
    assert rating_for(False, 1_000) == AGAIN
    assert rating_for(True, 5_000) == EASY
    assert rating_for(True, 30_000) == GOOD
    assert rating_for(True, 120_000) == HARD
    assert rating_for(True, None) == GOOD  # untimed (question of the day): right is simply good


@pytest.mark.parametrize(
    ("rating", "due_in"),
    [(AGAIN, timedelta(minutes=1)), (GOOD, timedelta(minutes=10)), (EASY, timedelta(days=8))],
)
def test_a_new_card_is_due_after_its_first_step(rating: int, due_in: timedelta) -> None:
    card = review(None, rating, AT)
    assert card.due - AT == due_in
    assert card.last_review == AT and card.reviews == 1


def test_good_reviews_on_time_space_out_and_a_lapse_brings_the_card_back_soon() -> None:
    card = review(None, GOOD, AT)
    gaps = []
    for _ in range(4):
        at = card.due
        card = review(card, GOOD, at)
        gaps.append(card.due - at)
    assert gaps == sorted(gaps) and gaps[0] >= timedelta(days=1) and gaps[-1] > timedelta(days=30)
    forgotten = review(card, AGAIN, card.due)
    assert forgotten.due - card.due <= timedelta(minutes=10) and forgotten.lapses == 1


def test_an_answer_older_than_the_last_review_does_not_move_time_backwards() -> None:
    card = review(None, GOOD, AT)
    late = review(card, GOOD, AT - timedelta(hours=1))  # counted at a round's close, after a newer answer
    assert late.last_review == AT


async def _answer_quiz(service: QuizService, channel: Target, card: QuestionCard, right: bool) -> None:
    question = service.bank.get(card.question_id)
    assert question is not None
    letters = sorted(question.keys) if right else sorted(set(question.letters) - question.keys)[: question.choose]
    await service.answer(ALICE, channel, card.round_id, card.question_no, "".join(letters))


async def test_review_puts_due_cards_first_and_says_how_many_are_due_today(
    service: QuizService, channel: Target, repo: SqliteRepository, clock: FixedClock
) -> None:
    card = await service.run(ALICE, channel, "quiz 2 seed:3")
    assert isinstance(card, QuestionCard)
    missed = card.question_id
    await _answer_quiz(service, channel, card, right=False)
    card = (await service.current_question(ALICE)) or card
    clock.advance(seconds=30)  # right after 30 s: rated Good, so due again in 10 minutes
    await _answer_quiz(service, channel, card, right=True)
    state = await repo.review_card(ALICE.key, missed)
    assert state is not None and state.due == AT_START + timedelta(minutes=1)
    good = await repo.review_card(ALICE.key, card.question_id)
    assert good is not None and good.due == AT_START + timedelta(seconds=30, minutes=10)

    clock.advance(minutes=1)  # the missed card is due now; the right one (10 minutes) later today
    session = await service.run(ALICE, channel, "review 3")
    assert isinstance(session, QuestionCard)
    assert session.question_id == missed
    assert session.note is not None and "2 card(s) due today, 1 due now" in session.note
    assert session.total == 3  # the rest are new questions from the weakest tasks


async def test_drill_weak_asks_the_weakest_task_first(service: QuizService, channel: Target) -> None:
    card = await service.run(ALICE, channel, "quiz 1 task:2.1")
    assert isinstance(card, QuestionCard)
    await _answer_quiz(service, channel, card, right=False)
    drill = await service.run(ALICE, channel, "drill weak 2")
    assert isinstance(drill, QuestionCard) and drill.total == 2
    assert drill.note is not None and drill.note.startswith("Drill on your weakest tasks")


AT_START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
