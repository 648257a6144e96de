"""SQLite side of scheduled posts: schedules (the source of truth) and slot claims (one per schedule and due time)."""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, time, timedelta
from typing import Any

import aiosqlite

from bot.models import RoundKind, Target
from bot.schedules import CLAIMED, UNFINISHED, Schedule, ScheduleSpec, SlotState

_SPEC_COLUMNS = (
    "timezone",
    "at_time",
    "days",
    "cron",
    "question_count",
    "reveal_after_minutes",
    "reveal_at",
    "domain",
    "task",
    "focus",
    "mention",
)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _hm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _spec_values(spec: ScheduleSpec) -> tuple[Any, ...]:
    return (
        spec.timezone,
        _hm(spec.at),
        spec.days,
        spec.cron,
        spec.count,
        spec.reveal_after_minutes,
        _hm(spec.reveal_at),
        spec.domain,
        spec.task,
        spec.focus,
        spec.mention,
    )


def _schedule(row: Any) -> Schedule:
    return Schedule(
        id=row["id"],
        kind=RoundKind(row["kind"]),
        target=Target(platform=row["platform"], workspace=row["workspace"], channel=row["channel"]),
        timezone=row["timezone"],
        at=time.fromisoformat(row["at_time"]) if row["at_time"] else None,
        days=row["days"],
        cron=row["cron"],
        count=row["question_count"],
        reveal_after_minutes=row["reveal_after_minutes"],
        reveal_at=time.fromisoformat(row["reveal_at"]) if row["reveal_at"] else None,
        domain=row["domain"],
        task=row["task"],
        focus=row["focus"],
        mention=row["mention"],
        paused=bool(row["paused"]),
        pause_reason=row["pause_reason"],
        low_warned=bool(row["low_warned"]),
        active_since=datetime.fromisoformat(row["active_since"]),
        created_by=row["created_by"],
    )


def _slot(row: Any) -> SlotState:
    return SlotState(
        schedule_id=row["schedule_id"],
        due_at=datetime.fromisoformat(row["due_at"]),
        state=row["state"],
        claimed_at=datetime.fromisoformat(row["claimed_at"]),
        claimed_by=row["claimed_by"],
        round_id=row["round_id"],
        message_ref=row["message_ref"],
    )


class ScheduleStore:
    """Schedule and slot operations, mixed into SqliteRepository (which provides the connection and transactions)."""

    _db: aiosqlite.Connection

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:  # pragma: no cover - overridden
        raise NotImplementedError

    async def create_schedule(
        self, target: Target, spec: ScheduleSpec, created_by: str | None, at: datetime
    ) -> Schedule:
        """Store a new schedule, active from `at`."""
        async with self._transaction() as db:
            cur = await db.execute(
                f"INSERT INTO schedules (kind, platform, workspace, channel, {', '.join(_SPEC_COLUMNS)}, "
                "active_since, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.kind.value,
                    target.platform,
                    target.workspace,
                    target.channel,
                    *_spec_values(spec),
                    _ts(at),
                    created_by,
                    _ts(at),
                ),
            )
            new_id = cur.lastrowid
        found = await self.get_schedule(int(new_id or 0))
        if found is None:  # pragma: no cover - the row was just written
            raise RuntimeError("schedule vanished after insert")
        return found

    async def get_schedule(self, schedule_id: int) -> Schedule | None:
        """A schedule by id."""
        async with self._db.execute("SELECT * FROM schedules WHERE id = ?", (schedule_id,)) as cur:
            row = await cur.fetchone()
        return _schedule(row) if row else None

    async def list_schedules(self, target: Target | None = None) -> list[Schedule]:
        """A channel's schedules (every schedule with `target` None), oldest first."""
        sql, params = "SELECT * FROM schedules", ()
        if target is not None:
            sql += " WHERE platform = ? AND workspace = ? AND channel = ?"
            params = (target.platform, target.workspace, target.channel)  # type: ignore[assignment]
        async with self._db.execute(sql + " ORDER BY id", params) as cur:
            return [_schedule(r) for r in await cur.fetchall()]

    async def update_schedule(self, schedule_id: int, spec: ScheduleSpec, at: datetime) -> bool:
        """Replace a schedule's spec; it counts as new from `at` (no catch-up for times before the edit)."""
        sets = ", ".join(f"{c} = ?" for c in _SPEC_COLUMNS)
        async with self._transaction() as db:
            cur = await db.execute(
                f"UPDATE schedules SET {sets}, active_since = ?, low_warned = 0 WHERE id = ?",
                (*_spec_values(spec), _ts(at), schedule_id),
            )
            return cur.rowcount == 1

    async def set_schedule_paused(self, schedule_id: int, paused: bool, reason: str | None, at: datetime) -> bool:
        """Pause (with a reason) or resume a schedule; a resumed schedule does not catch up the paused time."""
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE schedules SET paused = ?, pause_reason = ?, active_since = ? WHERE id = ?",
                (int(paused), reason, _ts(at), schedule_id),
            )
            return cur.rowcount == 1

    async def set_schedule_warned(self, schedule_id: int, warned: bool) -> None:
        """Remember whether admins were told that the schedule's unseen questions are running out."""
        async with self._transaction() as db:
            await db.execute("UPDATE schedules SET low_warned = ? WHERE id = ?", (int(warned), schedule_id))

    async def delete_schedule(self, schedule_id: int) -> bool:
        """Forget a schedule and its slots."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM schedule_slots WHERE schedule_id = ?", (schedule_id,))
            cur = await db.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))
            return cur.rowcount == 1

    async def claim_slot(
        self, schedule_id: int, due: datetime, owner: str, at: datetime, lease: timedelta
    ) -> tuple[bool, SlotState]:
        """Claim a slot: (True, row) when this call now holds it (new, its own, or an unfinished claim older than
        `lease` taken over); (False, row) when it is done or another holder's claim is still fresh."""
        async with self._transaction() as db:
            cur = await db.execute(
                "INSERT INTO schedule_slots (schedule_id, due_at, state, claimed_at, claimed_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (schedule_id, _ts(due), CLAIMED, _ts(at), owner),
            )
            won = cur.rowcount == 1
            if not won:
                states = ", ".join(f"'{s}'" for s in sorted(UNFINISHED))
                cur = await db.execute(
                    f"UPDATE schedule_slots SET claimed_at = ?, claimed_by = ? WHERE schedule_id = ? AND due_at = ? "
                    f"AND state IN ({states}) AND (claimed_by = ? OR claimed_at <= ?)",
                    (_ts(at), owner, schedule_id, _ts(due), owner, _ts(at - lease)),
                )
                won = cur.rowcount == 1
            async with db.execute(
                "SELECT * FROM schedule_slots WHERE schedule_id = ? AND due_at = ?", (schedule_id, _ts(due))
            ) as rows:
                row = await rows.fetchone()
        return won, _slot(row)

    async def set_slot_state(
        self,
        schedule_id: int,
        due: datetime,
        state: str,
        at: datetime,
        round_id: int | None = None,
        message_ref: str | None = None,
    ) -> None:
        """Move a slot on (inserting it when it was never claimed, e.g. a skipped one)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO schedule_slots (schedule_id, due_at, state, claimed_at, claimed_by, round_id, "
                "message_ref, finished_at) VALUES (?, ?, ?, ?, '', ?, ?, ?) ON CONFLICT (schedule_id, due_at) DO "
                "UPDATE SET state = excluded.state, round_id = COALESCE(excluded.round_id, schedule_slots.round_id), "
                "message_ref = COALESCE(excluded.message_ref, schedule_slots.message_ref), "
                "finished_at = excluded.finished_at",
                (schedule_id, _ts(due), state, _ts(at), round_id, message_ref, _ts(at)),
            )

    async def get_slot(self, schedule_id: int, due: datetime) -> SlotState | None:
        """One slot of a schedule."""
        async with self._db.execute(
            "SELECT * FROM schedule_slots WHERE schedule_id = ? AND due_at = ?", (schedule_id, _ts(due))
        ) as cur:
            row = await cur.fetchone()
        return _slot(row) if row else None

    async def latest_slot(self, schedule_id: int) -> SlotState | None:
        """The newest slot row of a schedule."""
        async with self._db.execute(
            "SELECT * FROM schedule_slots WHERE schedule_id = ? ORDER BY due_at DESC LIMIT 1", (schedule_id,)
        ) as cur:
            row = await cur.fetchone()
        return _slot(row) if row else None

    async def asked_in_channel(self, target: Target, kinds: tuple[RoundKind, ...]) -> list[str]:
        """Question ids asked in a channel's rounds of these kinds, newest round first (each round in its order)."""
        marks = ", ".join("?" * len(kinds))
        async with self._db.execute(
            "SELECT question_ids FROM rounds WHERE platform = ? AND workspace = ? AND channel = ? "
            f"AND kind IN ({marks}) ORDER BY id DESC",
            (target.platform, target.workspace, target.channel, *(k.value for k in kinds)),
        ) as cur:
            return [qid for row in await cur.fetchall() for qid in reversed(json.loads(row[0]))]
