"""Cards of duels, group rounds and ratings, their control ids, and what a front door shows unprompted (PlayPort)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

from pydantic import Field

from bot.cards import OptionReveal, QuestionCard
from bot.models import Frozen, Target

# Control ids: `play:{round}:{action}`; untrusted input, re-checked by the core like answer ids.
PLAY_PREFIX = "play"
ACCEPT, DECLINE, PLAY, LEAVE, JOIN, STOP = "accept", "decline", "play", "leave", "join", "stop"
ACTIONS = frozenset({ACCEPT, DECLINE, PLAY, LEAVE, JOIN, STOP})
_CONTROL = re.compile(r"^play:(\d{1,12}):([a-z]{1,10})$")


class PlayControl(NamedTuple):
    """A decoded duel or round control."""

    round_id: int
    action: str


def encode_control(round_id: int, action: str) -> str:
    """The id of a duel or round button."""
    return f"{PLAY_PREFIX}:{round_id}:{action}"


def decode_control(text: str) -> PlayControl | None:
    """Decode a duel or round control id, or None when it is not one of ours."""
    match = _CONTROL.match(text) if len(text) <= 40 else None
    if match is None or match.group(2) not in ACTIONS:
        return None
    return PlayControl(int(match.group(1)), match.group(2))


class DuelSide(Frozen):
    """One player of a duel: their result once it is over, and their rating change."""

    user_key: str
    name: str
    points: int = 0
    correct: int = 0
    answered: int = 0
    seconds: float = 0.0
    left: bool = False
    rating: int | None = None  # after the duel
    change: int | None = None
    provisional: bool = True


class DuelItem(Frozen):
    """One question of a finished duel: the key, both players' answers (in the order of the sides), explanations."""

    question_no: int
    question_id: str
    task: str
    stem: str
    key: str
    choices: list[str | None]
    options: list[OptionReveal]


class DuelCard(Frozen):
    """A duel as the channel sees it: the challenge, the game under way, or the result."""

    round_id: int
    state: str  # bot.play_store: challenged, playing, finished, declined, expired
    sides: list[DuelSide]  # challenger first
    count: int
    seconds: int
    expires_at: datetime
    winner: str | None = None  # the winner's name; None for a draw or no contest
    draw: bool = False
    rated: bool = False
    weight: float | None = None
    items: list[DuelItem] = Field(default_factory=list)
    note: str | None = None


class RoundCard(Frozen):
    """A group round as the channel sees it: the join window, then its progress."""

    round_id: int
    phase: str  # bot.play_store: joining, asking, paused, finished
    starter: str
    total: int
    seconds: int
    speed: bool
    players: list[str]
    starts_at: datetime | None = None
    current: int = 0
    note: str | None = None


class StandingLine(Frozen):
    """One member's line in a round's standings."""

    rank: int
    name: str
    points: int
    correct: int
    answered: int
    average_seconds: float | None


class StandingsCard(Frozen):
    """The final standings of a group round."""

    round_id: int
    total: int
    asked: int
    lines: list[StandingLine]
    why: str


class RatingLine(Frozen):
    """A member's duel rating in a server."""

    rank: int
    name: str
    rating: int
    games: int
    wins: int
    losses: int
    draws: int
    provisional: bool


class RatingsCard(Frozen):
    """Duel ratings of a server, best first, with the caller's own line."""

    title: str
    lines: list[RatingLine]
    you: RatingLine | None = None


class PlayReply(Frozen):
    """What a duel or round action tells the member who acted, and their next private question if there is one."""

    message: str
    question: QuestionCard | None = None


@runtime_checkable
class PlayPort(Protocol):
    """What a front door does for duels and rounds when no member request is in flight (timers, the other player)."""

    platform: str

    async def show_play(self, target: Target, message_refs: Sequence[str], card: DuelCard | RoundCard) -> None:
        """Edit the posted duel or round card into its new state (posting it when there is none)."""

    async def post_play(self, target: Target, card: DuelCard | StandingsCard) -> None:
        """Post a duel's result or a round's final standings in the channel."""
