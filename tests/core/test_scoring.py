"""Pure scoring rules: choice parsing, all-or-nothing correctness, speed points."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.bank import Bank
from bot.models import RoundKind
from bot.scoring import (
    BASE_POINTS,
    InvalidChoice,
    is_correct,
    kind_points,
    parse_choice,
    points_for,
    score_answer,
    speed_points,
)


def test_parse_choice_normalises_case_order_and_separators(bank: Bank) -> None:
    two = bank.get("1.1-app-code-0002")
    assert two is not None
    for raw in ("A, c", "c a", "ca", "a;C", " a / c "):
        assert parse_choice(raw, two) == "ac"


@pytest.mark.parametrize(
    ("qid", "raw", "message"),
    [
        ("1.1-app-code-0001", "e", "no option E"),
        ("1.1-app-code-0001", "a,b", "takes one answer; you gave two"),
        ("1.1-app-code-0002", "a", "takes two answers; you gave one"),
        ("1.1-app-code-0002", "a,a", "only once"),
        ("1.1-app-code-0001", "  ", "option letters"),
        ("1.1-app-code-0001", "7", "no option 7"),
    ],
)
def test_parse_choice_refuses_with_a_clear_sentence(bank: Bank, qid: str, raw: str, message: str) -> None:
    question = bank.get(qid)
    assert question is not None
    with pytest.raises(InvalidChoice, match=message):
        parse_choice(raw, question)


def test_choose_n_is_all_or_nothing(bank: Bank) -> None:
    two = bank.get("1.1-app-code-0002")
    assert two is not None
    assert is_correct(two, "ac")
    assert not is_correct(two, "ab")
    assert not is_correct(two, "a")


def test_points_only_for_public_kinds() -> None:
    assert points_for(RoundKind.QOTD, True) == BASE_POINTS
    assert points_for(RoundKind.QOTD, False) == 0
    assert points_for(RoundKind.QUIZ, True) == 0
    assert points_for(RoundKind.EXAM, True) == 0


@given(st.floats(0, 1000), st.floats(0.1, 600))
def test_speed_points_stay_between_half_and_full(elapsed: float, limit: float) -> None:
    assert BASE_POINTS // 2 <= speed_points(BASE_POINTS, elapsed, limit) <= BASE_POINTS


@given(st.floats(0, 600), st.floats(0, 600), st.floats(1, 600))
def test_a_faster_answer_never_scores_less(a: float, b: float, limit: float) -> None:
    fast, slow = sorted((a, b))
    assert speed_points(BASE_POINTS, fast, limit) >= speed_points(BASE_POINTS, slow, limit)


def test_speed_points_ends() -> None:
    assert speed_points(10, 0, 30) == 10
    assert speed_points(10, 30, 30) == 5
    assert points_for(RoundKind.GROUP, False, 1, 30) == 0


def test_score_answer_judges_all_or_nothing_and_applies_the_rounds_points_rule(bank: Bank) -> None:
    two = bank.get("1.1-app-code-0002")
    assert two is not None
    at = datetime(2026, 11, 23, 9, tzinfo=UTC)
    common = {"round_id": 7, "question_no": 2, "user_key": "console:ada", "answered_at": at}
    right = score_answer(two, "ac", elapsed_ms=1500, points=kind_points(RoundKind.QOTD), **common)
    assert (right.correct, right.points, right.question_id, right.elapsed_ms) == (True, 10, two.id, 1500)
    half = score_answer(two, "ab", elapsed_ms=-5, points=kind_points(RoundKind.QOTD), **common)
    assert (half.correct, half.points, half.elapsed_ms) == (False, 0, 0)  # a clock step back never goes negative
    solo = score_answer(two, "ac", elapsed_ms=0, points=kind_points(RoundKind.QUIZ), **common)
    assert (solo.correct, solo.points) == (True, 0)
    timed = score_answer(two, "ac", elapsed_ms=0, points=lambda ok: speed_points(10, 30, 30) if ok else 0, **common)
    assert timed.points == 5
