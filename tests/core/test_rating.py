"""Pure Elo for duels and pure group-round points: examples and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rating import (
    DRAW,
    K_ESTABLISHED,
    K_PROVISIONAL,
    LOSS,
    PROVISIONAL_GAMES,
    START_RATING,
    WIN,
    Standing,
    expected,
    k_factor,
    pair_weight,
    rate,
)
from bot.speed import STREAK_CAP, max_points, round_points, streak_before, streak_bonus

ratings = st.floats(100, 3000, allow_nan=False)
games = st.integers(0, 200)
weights = st.sampled_from([1.0, 0.5, 0.25, 0.125])


def test_equal_newcomers_move_by_half_the_provisional_k() -> None:
    a, b = rate(Standing(), Standing(), WIN)
    assert a.rating == pytest.approx(START_RATING + K_PROVISIONAL / 2)
    assert b.rating == pytest.approx(START_RATING - K_PROVISIONAL / 2)
    assert (a.games, b.games) == (1, 1)


def test_k_is_larger_while_provisional() -> None:
    assert k_factor(0) == k_factor(PROVISIONAL_GAMES - 1) == K_PROVISIONAL
    assert k_factor(PROVISIONAL_GAMES) == K_ESTABLISHED
    assert Standing(games=PROVISIONAL_GAMES - 1).provisional and not Standing(games=PROVISIONAL_GAMES).provisional


def test_a_draw_between_equals_changes_nothing_and_favours_the_underdog_otherwise() -> None:
    a, b = rate(Standing(1500, 20), Standing(1500, 20), DRAW)
    assert a.rating == pytest.approx(1500) and b.rating == pytest.approx(1500)
    strong, weak = rate(Standing(1700, 20), Standing(1300, 20), DRAW)
    assert strong.rating < 1700 < weak.rating + 400


def test_a_pair_counts_fully_three_times_a_day_then_less_and_less() -> None:
    assert [pair_weight(n) for n in range(6)] == [1.0, 1.0, 1.0, 0.5, 0.25, 0.125]
    full, _ = rate(Standing(), Standing(), WIN, pair_weight(0))
    farmed, _ = rate(Standing(), Standing(), WIN, pair_weight(3))
    assert farmed.rating - START_RATING == pytest.approx((full.rating - START_RATING) / 2)


def test_out_of_range_scores_and_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        rate(Standing(), Standing(), 2.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        rate(Standing(), Standing(), WIN, 1.5)


@given(ratings, games, ratings, games, weights)
def test_a_winner_never_loses_rating_and_a_loser_never_gains(ra: float, ga: int, rb: float, gb: int, w: float) -> None:
    winner, loser = rate(Standing(ra, ga), Standing(rb, gb), WIN, w)
    assert winner.rating >= ra and loser.rating <= rb
    loser2, winner2 = rate(Standing(ra, ga), Standing(rb, gb), LOSS, w)
    assert loser2.rating <= ra and winner2.rating >= rb


@given(ratings, ratings, games, st.sampled_from([WIN, DRAW, LOSS]), weights)
def test_equal_k_makes_a_game_zero_sum(ra: float, rb: float, played: int, score: float, w: float) -> None:
    a, b = rate(Standing(ra, played), Standing(rb, played), score, w)
    assert (a.rating - ra) + (b.rating - rb) == pytest.approx(0.0, abs=1e-9)


@given(ratings, ratings)
def test_expected_scores_add_up_to_one(ra: float, rb: float) -> None:
    assert 0.0 < expected(ra, rb) < 1.0
    assert expected(ra, rb) + expected(rb, ra) == pytest.approx(1.0)


# ---- group-round points -------------------------------------------------------------------------------------------


def test_round_points_examples() -> None:
    assert round_points(True, 0, 30, 0) == 10
    assert round_points(True, 30, 30, 0) == 5
    assert round_points(True, 15, 30, 0, speed=False) == 10
    assert round_points(False, 1, 30, 5) == 0
    assert round_points(True, 0, 30, 7) == 10 + STREAK_CAP
    assert streak_before([True, False, True, True]) == 2 and streak_before([]) == 0
    assert [streak_bonus(n) for n in (0, 1, 2, 3, 9)] == [0, 1, 2, 3, 3]


@given(st.booleans(), st.floats(0, 1000), st.floats(1, 300), st.integers(0, 50), st.booleans())
def test_round_points_stay_within_bounds(correct: bool, elapsed: float, limit: float, streak: int, fast: bool) -> None:
    points = round_points(correct, elapsed, limit, streak, speed=fast)
    assert 0 <= points <= max_points()
    if correct:
        assert points >= 5  # never below half of the question's points
    else:
        assert points == 0


@given(st.floats(0, 300), st.floats(0, 300), st.floats(1, 300), st.integers(0, 10))
def test_a_faster_correct_answer_never_scores_less(a: float, b: float, limit: float, streak: int) -> None:
    fast, slow = min(a, b), max(a, b)
    assert round_points(True, fast, limit, streak) >= round_points(True, slow, limit, streak)
