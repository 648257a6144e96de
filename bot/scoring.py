"""Pure scoring rules: parsing a choice, correctness (all-or-nothing, as in the exam) and points."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import partial

from bot.models import Answer, Question, RoundKind

BASE_POINTS = 10
# Solo quizzes, reviews and practice exams feed accuracy only; points there would reward farming.
POINT_KINDS = frozenset({RoundKind.QOTD, RoundKind.DRILL, RoundKind.GROUP, RoundKind.DUEL})
# Rounds whose answers stay secret until the reveal: they reach stats and leaderboards only when the round closes,
# so `stats` cannot leak whether a question-of-the-day answer was right.
COUNTED_AT_CLOSE = frozenset({RoundKind.QOTD, RoundKind.DRILL})
_SEPARATORS = re.compile(r"[\s,;/+&]+")
_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


class InvalidChoice(ValueError):
    """A choice that does not fit the question; the message is fit to show the member."""


def parse_choice(raw: str, question: Question) -> str:
    """Normalise `'A, d'` to `'ad'` for this question, or raise InvalidChoice with a clear sentence."""
    letters = [c for c in _SEPARATORS.sub("", raw.strip().lower())]
    valid = question.letters
    if not letters:
        raise InvalidChoice(f"Answer with option letters {_span(valid)}.")
    wrong = [c for c in letters if c not in valid]
    if wrong:
        return _raise(f"There is no option {wrong[0].upper()}; this question has options {_span(valid)}.")
    if len(set(letters)) != len(letters):
        return _raise("Each letter may appear only once.")
    if len(letters) != question.choose:
        need = _NUMBER_WORDS.get(question.choose, str(question.choose))
        gave = _NUMBER_WORDS.get(len(letters), str(len(letters)))
        plural = "answer" if question.choose == 1 else "answers"
        return _raise(f"This question takes {need} {plural}; you gave {gave}.")
    return "".join(sorted(letters))


def _raise(message: str) -> str:
    raise InvalidChoice(message)


def _span(letters: str) -> str:
    return f"{letters[0].upper()}-{letters[-1].upper()}"


def is_correct(question: Question, choice: str) -> bool:
    """All-or-nothing: every key picked and nothing else."""
    return frozenset(choice) == question.keys


def speed_points(base: int, elapsed_s: float, limit_s: float) -> int:
    """Points for a correct timed answer: `base` when instant, linearly down to half of `base` at the deadline."""
    if limit_s <= 0:
        return base
    fraction = min(max(elapsed_s / limit_s, 0.0), 1.0)
    return round(base - (base / 2) * fraction)


def points_for(kind: RoundKind, correct: bool, elapsed_s: float = 0.0, limit_s: float | None = None) -> int:
    """Leaderboard points for one answer in a round of this kind."""
    if not correct or kind not in POINT_KINDS:
        return 0
    if limit_s is not None:
        return speed_points(BASE_POINTS, elapsed_s, limit_s)
    return BASE_POINTS


def score_answer(
    question: Question,
    choice: str,
    *,
    round_id: int,
    question_no: int,
    user_key: str,
    answered_at: datetime,
    elapsed_ms: int,
    points: Callable[[bool], int],
) -> Answer:
    """A member's checked choice judged all-or-nothing, with the points the round's own rule gives it."""
    correct = is_correct(question, choice)
    return Answer(
        round_id=round_id,
        question_no=question_no,
        user_key=user_key,
        question_id=question.id,
        choice=choice,
        correct=correct,
        points=points(correct),
        answered_at=answered_at,
        elapsed_ms=max(0, elapsed_ms),
    )


def kind_points(kind: RoundKind) -> Callable[[bool], int]:
    """The flat points rule of a round kind, for score_answer."""
    return partial(points_for, kind)
