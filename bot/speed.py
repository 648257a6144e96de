"""Pure scoring of timed group rounds: speed points for a correct answer plus a capped answer-streak bonus."""

from __future__ import annotations

from collections.abc import Sequence

from bot.scoring import BASE_POINTS, speed_points

STREAK_CAP = 3  # at most this many bonus points, so a streak helps without deciding a round on its own


def streak_before(results: Sequence[bool]) -> int:
    """How many correct answers in a row end `results` (a member's earlier questions of the round, in order)."""
    count = 0
    for correct in reversed(results):
        if not correct:
            break
        count += 1
    return count


def streak_bonus(streak: int) -> int:
    """Bonus points for a correct answer that follows `streak` correct answers in a row: one each, capped."""
    return min(max(streak, 0), STREAK_CAP)


def round_points(
    correct: bool, elapsed_s: float, limit_s: float, streak: int, speed: bool = True, base: int = BASE_POINTS
) -> int:
    """Points for one group-round answer: 0 when wrong or missing; else `base` (from 100 % instant down to 50 % at
    the deadline with speed points on) plus the streak bonus."""
    if not correct:
        return 0
    earned = speed_points(base, elapsed_s, limit_s) if speed else base
    return earned + streak_bonus(streak)


def max_points(base: int = BASE_POINTS) -> int:
    """The most one answer can earn."""
    return base + STREAK_CAP
