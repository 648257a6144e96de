"""SQLite side of duels, ratings and group rounds (migration 0006); every state change is a compare-and-set."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.models import RoundKind, Tally, Target
from bot.play_store import (
    DECLINED,
    ENDED,
    EXPIRED,
    FINISHED,
    JOINING,
    OPEN_DUEL,
    PLAYING,
    Duel,
    GroupRound,
    RatingChange,
    RatingRow,
)


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime passed to storage")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _target(row: Any) -> Target:
    return Target(platform=row["platform"], workspace=row["workspace"], channel=row["channel"])


_DUEL = "SELECT d.*, r.platform, r.workspace, r.channel, r.question_ids FROM duels d JOIN rounds r ON r.id = d.round_id"
_GROUP = (
    "SELECT g.*, r.platform, r.workspace, r.channel, r.question_ids, r.opened_at "
    "FROM group_rounds g JOIN rounds r ON r.id = g.round_id"
)
_OPEN = ",".join(f"'{s}'" for s in OPEN_DUEL)


def _duel(row: Any) -> Duel:
    return Duel(
        round_id=row["round_id"],
        target=_target(row),
        question_ids=json.loads(row["question_ids"]),
        challenger=row["challenger"],
        opponent=row["opponent"],
        state=row["state"],
        seconds=row["seconds"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        accepted_at=_dt(row["accepted_at"]),
        challenger_start=_dt(row["challenger_start"]),
        opponent_start=_dt(row["opponent_start"]),
        forfeit=row["forfeit"],
        finished_at=_dt(row["finished_at"]),
        winner=row["winner"],
        rated_weight=row["rated_weight"],
    )


def _group(row: Any) -> GroupRound:
    return GroupRound(
        round_id=row["round_id"],
        target=_target(row),
        question_ids=json.loads(row["question_ids"]),
        starter=row["starter"],
        seconds=row["seconds"],
        speed=bool(row["speed"]),
        phase=row["phase"],
        current=row["current"],
        deadline=datetime.fromisoformat(row["deadline"]),
        opened_at=datetime.fromisoformat(row["opened_at"]),
        asked_at=_dt(row["asked_at"]),
        quiet=row["quiet"],
        ended_why=row["ended_why"],
    )


async def _new_round(db: aiosqlite.Connection, kind: RoundKind, target: Target, ids: Sequence[str], at: str) -> int:
    # No close time: the module's own job ends the round, so QuizService.start never closes it without its rules.
    cur = await db.execute(
        "INSERT INTO rounds (kind, platform, workspace, channel, owner, question_ids, opened_at) "
        "VALUES (?, ?, ?, ?, NULL, ?, ?)",
        (kind.value, target.platform, target.workspace, target.channel, json.dumps(list(ids)), at),
    )
    if cur.lastrowid is None:  # pragma: no cover - an INSERT always has a rowid
        raise RuntimeError("the round was not created")
    return cur.lastrowid


class PlayStore:
    """Mixin for SqliteRepository: duels, ratings and group rounds."""

    _db: aiosqlite.Connection

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    async def _add_to_aggregates(db: aiosqlite.Connection, tallies: Sequence[Tally]) -> None:  # pragma: no cover
        raise NotImplementedError

    # ---- duels ----------------------------------------------------------------------------------------------------

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
        async with self._transaction() as db:
            async with db.execute(
                f"SELECT 1 FROM duels WHERE state IN ({_OPEN}) AND (challenger IN (?, ?) OR opponent IN (?, ?))",
                (challenger, opponent, challenger, opponent),
            ) as cur:
                if await cur.fetchone() is not None:
                    return None
            round_id = await _new_round(db, RoundKind.DUEL, target, question_ids, _ts(at))
            await db.execute(
                "INSERT INTO duels (round_id, challenger, opponent, state, seconds, created_at, expires_at) "
                "VALUES (?, ?, ?, 'challenged', ?, ?, ?)",
                (round_id, challenger, opponent, seconds, _ts(at), _ts(expires_at)),
            )
        return round_id

    async def duel(self, round_id: int) -> Duel | None:
        """A duel by its round id."""
        rows = list(await self._db.execute_fetchall(_DUEL + " WHERE d.round_id = ?", (round_id,)))
        return _duel(rows[0]) if rows else None

    async def open_duel_of(self, user_key: str) -> Duel | None:
        """A member's duel that is challenged or being played."""
        rows = list(
            await self._db.execute_fetchall(
                _DUEL + f" WHERE d.state IN ({_OPEN}) AND (d.challenger = ? OR d.opponent = ?) "
                "ORDER BY d.round_id DESC LIMIT 1",
                (user_key, user_key),
            )
        )
        return _duel(rows[0]) if rows else None

    async def open_duel_ids(self) -> list[int]:
        """Every duel still challenged or being played."""
        rows = await self._db.execute_fetchall(f"SELECT round_id FROM duels WHERE state IN ({_OPEN}) ORDER BY 1")
        return [int(r[0]) for r in rows]

    async def move_duel(self, round_id: int, from_state: str, to_state: str, at: datetime) -> bool:
        """Change a duel's state if it is still in `from_state` (declined or expired also close its round)."""
        async with self._transaction() as db:
            accepted = _ts(at) if to_state == PLAYING else None
            cur = await db.execute(
                "UPDATE duels SET state = ?, accepted_at = COALESCE(?, accepted_at) WHERE round_id = ? AND state = ?",
                (to_state, accepted, round_id, from_state),
            )
            if cur.rowcount != 1:
                return False
            if to_state in (DECLINED, EXPIRED):
                await db.execute("UPDATE duels SET finished_at = ? WHERE round_id = ?", (_ts(at), round_id))
                await db.execute(
                    "UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (_ts(at), round_id)
                )
            return True

    async def start_duel_player(self, round_id: int, user_key: str, at: datetime) -> bool:
        """Start a player's clock (once); False when it had started."""
        async with self._transaction() as db:
            # Positional parameters only: the same SQL runs on PostgreSQL (bot.storage.postgres numbers them).
            cur = await db.execute(
                "UPDATE duels SET challenger_start = CASE WHEN challenger = ? THEN ? ELSE challenger_start END, "
                "opponent_start = CASE WHEN opponent = ? THEN ? ELSE opponent_start END "
                "WHERE round_id = ? AND state = 'playing' AND ("
                "(challenger = ? AND challenger_start IS NULL) OR (opponent = ? AND opponent_start IS NULL))",
                (user_key, _ts(at), user_key, _ts(at), round_id, user_key, user_key),
            )
            return cur.rowcount == 1

    async def forfeit_duel(self, round_id: int, user_key: str) -> bool:
        """Record that a player left a duel being played; False when someone already had."""
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE duels SET forfeit = ? WHERE round_id = ? AND state = 'playing' AND forfeit IS NULL",
                (user_key, round_id),
            )
            return cur.rowcount == 1

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
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE duels SET state = ?, finished_at = ?, winner = ?, rated_weight = ? "
                "WHERE round_id = ? AND state = ?",
                (FINISHED, _ts(at), winner, weight, round_id, PLAYING),
            )
            if cur.rowcount != 1:
                return False
            await db.execute("UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (_ts(at), round_id))
            await self._add_to_aggregates(db, tallies)
            for change in changes:
                won, lost, drew = (int(change.result == r) for r in ("win", "loss", "draw"))
                await db.execute(
                    "INSERT INTO ratings (scope, user_key, rating, games, wins, losses, draws) "
                    "VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (scope, user_key) DO UPDATE SET "
                    "rating = excluded.rating, games = games + 1, wins = wins + excluded.wins, "
                    "losses = losses + excluded.losses, draws = draws + excluded.draws",
                    (scope, change.user_key, change.rating, won, lost, drew),
                )
            return True

    async def rating_rows(self, scope: str, user_keys: Sequence[str] | None = None, limit: int = 10) -> list[RatingRow]:
        """Ratings in a server, best first (or of the given members)."""
        sql = "SELECT user_key, rating, games, wins, losses, draws FROM ratings WHERE scope = ?"
        params: list[Any] = [scope]
        if user_keys is not None:
            if not user_keys:
                return []
            sql += f" AND user_key IN ({','.join('?' * len(user_keys))})"
            params += list(user_keys)
        rows = await self._db.execute_fetchall(sql + " ORDER BY rating DESC, user_key LIMIT ?", [*params, limit])
        return [RatingRow(r[0], float(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    async def pair_games_since(self, scope: str, a: str, b: str, since: datetime) -> int:
        """How many rated duels two members finished against each other in a server since a time."""
        rows = list(
            await self._db.execute_fetchall(
                "SELECT COUNT(*) FROM duels d JOIN rounds r ON r.id = d.round_id "
                "WHERE 'ws:' || r.platform || ':' || r.workspace = ? AND d.state = 'finished' "
                "AND d.rated_weight IS NOT NULL AND d.finished_at >= ? "
                "AND ((d.challenger = ? AND d.opponent = ?) OR (d.challenger = ? AND d.opponent = ?))",
                (scope, _ts(since), a, b, b, a),
            )
        )
        return int(rows[0][0]) if rows else 0

    # ---- group rounds ---------------------------------------------------------------------------------------------

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
        async with self._transaction() as db:
            async with db.execute(
                "SELECT 1 FROM group_rounds g JOIN rounds r ON r.id = g.round_id WHERE g.phase <> ? "
                "AND r.platform = ? AND r.workspace = ? AND r.channel = ?",
                (ENDED, target.platform, target.workspace, target.channel),
            ) as cur:
                if await cur.fetchone() is not None:
                    return None
            round_id = await _new_round(db, RoundKind.GROUP, target, question_ids, _ts(at))
            await db.execute(
                "INSERT INTO group_rounds (round_id, starter, seconds, speed, phase, deadline) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (round_id, starter, seconds, int(speed), JOINING, _ts(join_until)),
            )
            await db.execute(
                "INSERT INTO round_players (round_id, user_key, joined_at) VALUES (?, ?, ?)",
                (round_id, starter, _ts(at)),
            )
        return round_id

    async def group_round(self, round_id: int) -> GroupRound | None:
        """A group round by its round id."""
        rows = list(await self._db.execute_fetchall(_GROUP + " WHERE g.round_id = ?", (round_id,)))
        return _group(rows[0]) if rows else None

    async def open_group_round(self, target: Target) -> GroupRound | None:
        """The channel's group round that has not finished."""
        rows = list(
            await self._db.execute_fetchall(
                _GROUP + " WHERE g.phase <> ? AND r.platform = ? AND r.workspace = ? AND r.channel = ? "
                "ORDER BY g.round_id DESC LIMIT 1",
                (ENDED, target.platform, target.workspace, target.channel),
            )
        )
        return _group(rows[0]) if rows else None

    async def open_group_ids(self) -> list[int]:
        """Every group round that has not finished."""
        rows = await self._db.execute_fetchall(
            "SELECT round_id FROM group_rounds WHERE phase <> ? ORDER BY 1", (ENDED,)
        )
        return [int(r[0]) for r in rows]

    async def join_round(self, round_id: int, user_key: str, at: datetime) -> bool:
        """Add a player to a round; False when they had joined."""
        async with self._transaction() as db:
            cur = await db.execute(
                "INSERT INTO round_players (round_id, user_key, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (round_id, user_key, _ts(at)),
            )
            return cur.rowcount == 1

    async def round_players(self, round_id: int) -> list[str]:
        """A round's players in the order they joined."""
        rows = await self._db.execute_fetchall(
            "SELECT user_key FROM round_players WHERE round_id = ? ORDER BY joined_at, user_key", (round_id,)
        )
        return [str(r[0]) for r in rows]

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
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE group_rounds SET phase = ?, current = ?, deadline = ?, asked_at = COALESCE(?, asked_at), "
                "quiet = COALESCE(?, quiet) WHERE round_id = ? AND phase = ? AND current = ?",
                (
                    to_phase,
                    to_current,
                    _ts(deadline),
                    _ts(asked_at) if asked_at else None,
                    quiet,
                    round_id,
                    phase,
                    current,
                ),
            )
            return cur.rowcount == 1

    async def end_group(self, round_id: int, at: datetime, why: str) -> bool:
        """Finish a group round and close its round; once only."""
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE group_rounds SET phase = ?, ended_why = ? WHERE round_id = ? AND phase <> ?",
                (ENDED, why, round_id, ENDED),
            )
            if cur.rowcount != 1:
                return False
            await db.execute("UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (_ts(at), round_id))
            return True
