"""Pure Elo ratings for duels: provisional K for a member's first games, anti-farming weights, draws."""

from __future__ import annotations

from dataclasses import dataclass

START_RATING = 1200.0
PROVISIONAL_GAMES = 10  # a member's first games move their rating faster, so a newcomer finds their level soon
K_PROVISIONAL = 40.0
K_ESTABLISHED = 20.0
FULL_GAMES_PER_DAY = 3  # a pair's games against each other count fully only this many times a day
SCALE = 400.0

WIN, DRAW, LOSS = 1.0, 0.5, 0.0


@dataclass(frozen=True)
class Standing:
    """A member's rating and how many rated games they have played."""

    rating: float = START_RATING
    games: int = 0

    @property
    def provisional(self) -> bool:
        """True until the member has played PROVISIONAL_GAMES rated games."""
        return self.games < PROVISIONAL_GAMES


def expected(rating: float, other: float) -> float:
    """The score (0..1) Elo expects from a player rated `rating` against one rated `other`."""
    return 1.0 / (1.0 + float(10.0 ** ((other - rating) / SCALE)))


def k_factor(games: int) -> float:
    """How far one game moves a rating: more while provisional."""
    return K_PROVISIONAL if games < PROVISIONAL_GAMES else K_ESTABLISHED


def pair_weight(earlier_today: int) -> float:
    """How much a game counts given the pair's rated games earlier the same day: fully for the first three,
    then half as much with each further game (farming one opponent soon earns nothing)."""
    if earlier_today < FULL_GAMES_PER_DAY:
        return 1.0
    return 0.5 ** (earlier_today - FULL_GAMES_PER_DAY + 1)


def rate(a: Standing, b: Standing, score_a: float, weight: float = 1.0) -> tuple[Standing, Standing]:
    """Both standings after a game in which `a` scored `score_a` (1 win, 0.5 draw, 0 loss), scaled by `weight`."""
    if not 0.0 <= score_a <= 1.0:
        raise ValueError(f"a game score lies between 0 and 1, not {score_a}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"a game's weight lies between 0 and 1, not {weight}")
    expect_a = expected(a.rating, b.rating)
    change_a = k_factor(a.games) * weight * (score_a - expect_a)
    # B's expected score is 1 - expect_a exactly in the arithmetic; using it keeps an equal-K game zero-sum.
    change_b = k_factor(b.games) * weight * ((1.0 - score_a) - (1.0 - expect_a))
    return Standing(a.rating + change_a, a.games + 1), Standing(b.rating + change_b, b.games + 1)
