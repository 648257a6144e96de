"""What duels, ratings and group rounds need from storage (migration 0006), and the records it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.models import Tally, Target

# Duel states: a challenge waits for an answer, then both play; it ends declined, expired or finished.
CHALLENGED, PLAYING, FINISHED, DECLINED, EXPIRED = "challenged", "playing", "finished", "declined", "expired"
OPEN_DUEL = (CHALLENGED, PLAYING)
# Group-round phases: the join window, a question being asked, the pause after a reveal, the end.
JOINING, ASKING, PAUSED, ENDED = "joining", "asking", "paused", "finished"


@dataclass(frozen=True)
class Duel:
    """A stored duel: who plays, the round holding its questions, its state and each player's clock start."""

    round_id: int
    target: Target
    question_ids: list[str]
    challenger: str
    opponent: str
    state: str
    seconds: int
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    challenger_start: datetime | None = None
    opponent_start: datetime | None = None
    forfeit: str | None = None
    finished_at: datetime | None = None
    winner: str | None = None
    rated_weight: float | None = None

    @property
    def players(self) -> tuple[str, str]:
        """(challenger, opponent) user keys."""
        return self.challenger, self.opponent

    def started(self, user_key: str) -> datetime | None:
        """When a player opened their first question."""
        return self.challenger_start if user_key == self.challenger else self.opponent_start


@dataclass(frozen=True)
class GroupRound:
    """A stored group round: its questions (from the round), who started it, its phase and the phase's deadline."""

    round_id: int
    target: Target
    question_ids: list[str]
    starter: str
    seconds: int
    speed: bool
    phase: str
    current: int
    deadline: datetime
    opened_at: datetime
    asked_at: datetime | None = None
    quiet: int = 0
    ended_why: str | None = None

    @property
    def total(self) -> int:
        """How many questions the round has."""
        return len(self.question_ids)


@dataclass(frozen=True)
class RatingRow:
    """A member's rating in one server with their record."""

    user_key: str
    rating: float
    games: int
    wins: int
    losses: int
    draws: int


@dataclass(frozen=True)
class RatingChange:
    """What one finished duel writes for one player."""

    user_key: str
    rating: float
    result: str  # "win", "loss" or "draw"


class PlayRepository(Protocol):
    """Storage of duels, ratings and group rounds (part of the Repository port)."""

    async def create_duel(
        self,
        target: Target,
        challenger: str,
        opponent: str,
        question_ids: Sequence[str],
        seconds: int,
        at: datetime,
        expires_at: datetime,
    ) -> int | None:
        """Create a duel and its round; None when either member already has an open duel (checked atomically)."""

    async def duel(self, round_id: int) -> Duel | None:
        """A duel by its round id."""

    async def open_duel_of(self, user_key: str) -> Duel | None:
        """A member's duel that is challenged or being played."""

    async def open_duel_ids(self) -> list[int]:
        """Every duel still challenged or being played."""

    async def move_duel(self, round_id: int, from_state: str, to_state: str, at: datetime) -> bool:
        """Change a duel's state if it is still in `from_state` (declined or expired also close its round)."""

    async def start_duel_player(self, round_id: int, user_key: str, at: datetime) -> bool:
        """Start a player's clock (once); False when it had started."""

    async def forfeit_duel(self, round_id: int, user_key: str) -> bool:
        """Record that a player left a duel being played; False when someone already had."""

    async def finish_duel(
        self,
        round_id: int,
        at: datetime,
        tallies: Sequence[Tally],
        scope: str,
        winner: str | None,
        weight: float | None,
        changes: Sequence[RatingChange],
    ) -> bool:
        """Finish a duel being played: close its round, count its answers, write both ratings; once only."""

    async def rating_rows(self, scope: str, user_keys: Sequence[str] | None = None, limit: int = 10) -> list[RatingRow]:
        """Ratings in a server, best first (or of the given members)."""

    async def pair_games_since(self, scope: str, a: str, b: str, since: datetime) -> int:
        """How many rated duels two members finished against each other in a server since a time."""

    async def create_group_round(
        self,
        target: Target,
        starter: str,
        question_ids: Sequence[str],
        seconds: int,
        speed: bool,
        at: datetime,
        join_until: datetime,
    ) -> int | None:
        """Create a group round in its join window; None when the channel already has one running."""

    async def group_round(self, round_id: int) -> GroupRound | None:
        """A group round by its round id."""

    async def open_group_round(self, target: Target) -> GroupRound | None:
        """The channel's group round that has not finished."""

    async def open_group_ids(self) -> list[int]:
        """Every group round that has not finished."""

    async def join_round(self, round_id: int, user_key: str, at: datetime) -> bool:
        """Add a player to a round; False when they had joined."""

    async def round_players(self, round_id: int) -> list[str]:
        """A round's players in the order they joined."""

    async def advance_group(
        self,
        round_id: int,
        phase: str,
        current: int,
        to_phase: str,
        to_current: int,
        deadline: datetime,
        asked_at: datetime | None = None,
        quiet: int | None = None,
    ) -> bool:
        """Move a group round on if it is still at (`phase`, `current`); only one caller wins a move."""

    async def end_group(self, round_id: int, at: datetime, why: str) -> bool:
        """Finish a group round and close its round; once only."""
