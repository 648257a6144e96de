"""Spaced repetition with FSRS: every question a member answered is a card, rated from correctness and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import fsrs

# A correct answer this fast was recalled with ease; this slow, with effort (only for answers that are timed).
EASY_MS = 15_000
HARD_MS = 60_000
# No fuzz: due dates must be reproducible (tests, and two processes computing the same card).
_SCHEDULER = fsrs.Scheduler(enable_fuzzing=False)

AGAIN, HARD, GOOD, EASY = (int(r) for r in (fsrs.Rating.Again, fsrs.Rating.Hard, fsrs.Rating.Good, fsrs.Rating.Easy))


@dataclass(frozen=True)
class CardState:
    """What is stored for one member and question."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reviews: int = 0
    lapses: int = 0


def rating_for(correct: bool, elapsed_ms: int | None) -> int:
    """Again when wrong; Easy, Good or Hard when right, by answer time (Good when the time means nothing)."""
    if not correct:
        return AGAIN
    if elapsed_ms is None:
        return GOOD
    if elapsed_ms <= EASY_MS:
        return EASY
    return HARD if elapsed_ms >= HARD_MS else GOOD


def review(card: CardState | None, rating: int, at: datetime) -> CardState:
    """The card after a review rated `rating` at `at` (a new card when `card` is None)."""
    when = at.astimezone(UTC)
    if card is None:
        current = fsrs.Card(card_id=0, due=when)
        reviews = lapses = 0
    else:
        # Answers counted at a round's close may be older than the card's last review; time never runs backwards.
        if card.last_review is not None and when < card.last_review:
            when = card.last_review.astimezone(UTC)
        current = fsrs.Card(
            card_id=0,
            state=fsrs.State(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due.astimezone(UTC),
            last_review=card.last_review.astimezone(UTC) if card.last_review else None,
        )
        reviews, lapses = card.reviews, card.lapses
    updated, _ = _SCHEDULER.review_card(current, fsrs.Rating(rating), review_datetime=when)
    return CardState(
        state=int(updated.state),
        step=updated.step,
        stability=updated.stability,
        difficulty=updated.difficulty,
        due=updated.due,
        last_review=updated.last_review,
        reviews=reviews + 1,
        lapses=lapses + (rating == AGAIN and card is not None),
    )
