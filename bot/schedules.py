"""Scheduling maths (pure): when a schedule falls due in its timezone, DST rules, catch-up and question choice.

The calendar part of a rule (which days, which times) is APScheduler 3's own CronTrigger. It is evaluated on the
wall clock (a trigger in UTC fed local wall times), and each wall time is then placed in the real timezone by
`resolve_local`, so the DST rules are ours and explicit: a wall time a jump skips posts at the first valid minute
after it, and a wall time that occurs twice posts once (at its first occurrence).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.models import Frozen, RoundKind, Target

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
_DAY_WORDS = {"daily": ALL_DAYS, "weekdays": frozenset(range(5)), "weekends": frozenset({5, 6}), "*": ALL_DAYS}
_DURATION = re.compile(r"^(?:(\d{1,3})h)?(?:(\d{1,4})m(?:in)?)?$")
# A DST change moves the wall clock by at most two hours (most by one); candidates start this far back.
_DST_MARGIN = timedelta(hours=3)
# Catch-up looks back at most this far for missed slots (only to count them for the log).
_LOOKBACK = timedelta(days=8)
_MAX_CANDIDATES = 20_000


class RuleError(ValueError):
    """A schedule rule that cannot be used; the message says what to type instead."""


@dataclass(frozen=True)
class Rule:
    """When a schedule posts: a time of day on some weekdays, or a crontab line, in an IANA timezone."""

    tz: str
    at: time | None = None
    days: frozenset[int] = ALL_DAYS
    cron: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The rule's timezone."""
        return ZoneInfo(self.tz)

    def describe(self) -> str:
        """`09:00 mon-fri Europe/Berlin` or `cron 0 19 * * mon,wed,fri Europe/Berlin`."""
        if self.cron:
            return f"cron `{self.cron}` {self.tz}"
        at = self.at.strftime("%H:%M") if self.at else "?"
        return f"{at} {format_days(self.days)} {self.tz}"


class ScheduleSpec(Frozen):
    """What an admin sets on a schedule (everything `schedule edit` may change)."""

    kind: RoundKind
    timezone: str
    at: time | None = None
    days: str = "daily"
    cron: str | None = None
    count: int = 1
    reveal_after_minutes: int | None = None
    reveal_at: time | None = None
    domain: str | None = None
    task: str | None = None
    focus: str | None = None
    mention: str | None = None

    @property
    def rule(self) -> Rule:
        """The rule this spec posts on."""
        return Rule(tz=self.timezone, at=self.at, days=parse_days(self.days), cron=self.cron)


class Schedule(ScheduleSpec):
    """A stored schedule: a spec, where it posts, and its state."""

    id: int
    target: Target
    paused: bool = False
    pause_reason: str | None = None
    low_warned: bool = False
    active_since: datetime
    created_by: str | None = None


class SlotState(Frozen):
    """A schedule slot as stored: claimed → sending → posted (or skipped / failed)."""

    schedule_id: int
    due_at: datetime
    state: str
    claimed_at: datetime
    claimed_by: str
    round_id: int | None = None
    message_ref: str | None = None


CLAIMED, SENDING, POSTED, SKIPPED, FAILED = "claimed", "sending", "posted", "skipped", "failed"
UNFINISHED = frozenset({CLAIMED, SENDING})


# ---- parsing ---------------------------------------------------------------------------------------------------


def check_timezone(name: str) -> str:
    """An IANA timezone name, checked."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError(f"Unknown timezone `{name}`; use an IANA name such as Europe/Berlin or UTC.") from None
    return name


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri`, `daily`, `weekdays` or `weekends` as weekday numbers (Monday is 0)."""
    wanted = text.strip().lower()
    if wanted in _DAY_WORDS:
        return _DAY_WORDS[wanted]
    days: set[int] = set()
    for part in re.split(r"[,/\s]+", wanted):
        if not part:
            continue
        first, _, last = part.partition("-")
        start, end = _day(first), _day(last) if last else _day(first)
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
        days.update(span)
    if not days:
        raise RuleError("Name at least one day, e.g. `days:mon-fri` or `days:mon,wed,fri`.")
    return frozenset(days)


def _day(text: str) -> int:
    key = text[:3]
    if len(text) < 3 or key not in DAY_NAMES:
        raise RuleError(f"`{text}` is not a day; use mon, tue, wed, thu, fri, sat or sun.")
    return DAY_NAMES.index(key)


def format_days(days: frozenset[int]) -> str:
    """Weekday numbers as the shortest text `parse_days` reads back (`daily`, `mon-fri`, `mon,wed,fri`)."""
    if days == ALL_DAYS:
        return "daily"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" if len(r) > 2 else ",".join(DAY_NAMES[d] for d in r) for r in runs]
    return ",".join(parts)


def parse_duration(text: str) -> timedelta:
    """`8h`, `90m`, `1h30m` as a duration (at least a minute, at most a week)."""
    match = _DURATION.match(text.strip().lower())
    if not match or not any(match.groups()):
        raise RuleError(f"`{text}` is not a duration; use hours and minutes such as 8h, 90m or 1h30m.")
    delta = timedelta(hours=int(match.group(1) or 0), minutes=int(match.group(2) or 0))
    if not timedelta(minutes=1) <= delta <= timedelta(days=7):
        raise RuleError("A reveal comes between one minute and one week after the post.")
    return delta


def check_cron(expr: str) -> str:
    """A five-field crontab line (minute hour day month weekday), checked; weekdays must be names."""
    fields = expr.split()
    if len(fields) != 5:
        raise RuleError("A cron rule has five fields: minute hour day month weekday, e.g. `0 19 * * mon,wed,fri`.")
    if re.search(r"\d", fields[4]):
        # APScheduler numbers weekdays from Monday = 0, crontab from Sunday = 0: names mean the same in both.
        raise RuleError("Write the weekday field of a cron rule with names (mon-fri, sat,sun), not numbers.")
    try:
        CronTrigger.from_crontab(expr, timezone=UTC)
    except ValueError as exc:
        raise RuleError(f"`{expr}` is not a valid cron rule ({exc}).") from None
    return " ".join(fields)


# ---- run times -------------------------------------------------------------------------------------------------


def resolve_local(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time: a skipped time moves to the first valid minute after it; a
    repeated time means its first occurrence."""
    naive = wall.replace(tzinfo=None)
    probe = naive
    for _ in range(24 * 60):
        aware = probe.replace(tzinfo=tz, fold=0)
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == probe:
            return aware.astimezone(UTC)
        probe = (probe + timedelta(minutes=1)).replace(second=0, microsecond=0)
    raise AssertionError("no valid wall time within a day")  # pragma: no cover - DST gaps last hours at most


def _wall_trigger(rule: Rule) -> CronTrigger:
    # Wall times as if they were UTC: the trigger then sees a calendar without DST, and resolve_local adds it.
    if rule.cron:
        return CronTrigger.from_crontab(rule.cron, timezone=UTC)
    if rule.at is None:
        raise RuleError("A schedule needs a time of day (at:HH:MM) or a cron rule.")
    days = ",".join(DAY_NAMES[d] for d in sorted(rule.days))
    return CronTrigger(day_of_week=days, hour=rule.at.hour, minute=rule.at.minute, second=0, timezone=UTC)


def _walls_from(trigger: CronTrigger, start: datetime) -> Iterator[datetime]:
    """Wall times (as UTC-tagged datetimes) the trigger fires at, from `start` on, lazily."""
    current = trigger.get_next_fire_time(None, start)
    while current is not None:
        yield current
        current = trigger.get_next_fire_time(None, current + timedelta(seconds=1))


def next_run(rule: Rule, after: datetime) -> datetime:
    """The first run strictly after `after` (aware), in UTC."""
    zone = rule.zone
    wall = after.astimezone(zone).replace(tzinfo=UTC) - _DST_MARGIN
    for count, candidate in enumerate(_walls_from(_wall_trigger(rule), wall)):
        when = resolve_local(candidate, zone)
        if when > after:
            return when
        if count > _MAX_CANDIDATES:  # pragma: no cover - a crontab line fires at most once a minute
            break
    raise RuleError("This rule never fires; check its days and times.")


def next_runs(rule: Rule, after: datetime, n: int) -> list[datetime]:
    """The next `n` runs after `after`, in UTC."""
    runs: list[datetime] = []
    at = after
    for _ in range(n):
        at = next_run(rule, at)
        runs.append(at)
    return runs


def runs_between(rule: Rule, start: datetime, end: datetime, limit: int = _MAX_CANDIDATES) -> list[datetime]:
    """Runs in (start, end], oldest first (at most `limit`, the newest ones)."""
    runs: list[datetime] = []
    at = start
    while True:
        at = next_run(rule, at)
        if at > end:
            return runs[-limit:]
        runs.append(at)


@dataclass(frozen=True)
class CatchUp:
    """What to do at start for one schedule: post one missed slot (or none) and which older slots are skipped."""

    post: datetime | None
    skipped: list[datetime]


def catch_up(rule: Rule, now: datetime, grace: timedelta, since: datetime) -> CatchUp:
    """The last slot due in (since, now] is posted if it is at most `grace` old; every other missed slot is skipped."""
    missed = runs_between(rule, max(since, now - _LOOKBACK), now)
    if missed and now - missed[-1] <= grace:
        return CatchUp(missed[-1], missed[:-1])
    return CatchUp(None, missed)


def reveal_time(spec: ScheduleSpec, due: datetime, default_reveal: time) -> datetime:
    """When a post made at `due` is revealed: N minutes later, at a local time (the next one after the post), or,
    unset, at the channel's reveal time for a question of the day and one hour later for a drill."""
    if spec.reveal_after_minutes is not None:
        return due + timedelta(minutes=spec.reveal_after_minutes)
    if spec.reveal_at is None and spec.kind is RoundKind.DRILL:
        return due + timedelta(hours=1)
    at = spec.reveal_at or default_reveal
    zone = ZoneInfo(spec.timezone)
    local = due.astimezone(zone)
    for offset in range(3):
        when = resolve_local(datetime.combine(local.date() + timedelta(days=offset), at), zone)
        if when > due:
            return when
    raise AssertionError("a wall time recurs within three days")  # pragma: no cover


def slot_key(schedule_id: int, due: datetime) -> str:
    """The platform-visible id of a slot (≤ 25 characters: Discord's nonce limit), e.g. `s12:1764061200`."""
    return f"s{schedule_id}:{int(due.timestamp())}"


# ---- question choice -------------------------------------------------------------------------------------------


def cycle_unseen(pool: Sequence[str], asked_newest_first: Sequence[str]) -> list[str]:
    """Pool questions not asked since the pool was last used up (a new cycle starts once every one was asked)."""
    wanted = set(pool)
    seen: set[str] = set()
    for qid in reversed(asked_newest_first):
        if qid in wanted:
            seen.add(qid)
            if len(seen) == len(wanted):
                seen = set()
    return [q for q in pool if q not in seen]


@dataclass(frozen=True)
class Choice:
    """Questions picked for a post and how many stay unseen in the current cycle afterwards."""

    ids: list[str]
    unseen_left: int


def choose_questions(
    pool: Sequence[tuple[str, str]],
    asked_newest_first: Sequence[str],
    count: int,
    rng: random.Random,
    task_accuracy: Mapping[str, tuple[int, int]] | None = None,
) -> Choice:
    """Pick `count` of `pool` ((id, task) pairs): unseen ones first (weakest tasks first when `task_accuracy` is
    given, else at random), then, once the pool is used up, the ones asked longest ago."""
    ids = [qid for qid, _ in pool]
    task_of = dict(pool)
    unseen = cycle_unseen(ids, asked_newest_first)
    rng.shuffle(unseen)
    if task_accuracy is not None:
        unseen.sort(key=lambda q: _smoothed(task_accuracy.get(task_of[q], (0, 0))))
    picked = unseen[:count]
    left = len(unseen) - len(picked)
    if len(picked) < count:
        # The cycle is used up: a new one starts with the questions asked longest ago (never-asked ones first).
        last_asked: dict[str, int] = {}
        for position, qid in enumerate(asked_newest_first):
            last_asked.setdefault(qid, position)
        rest = [q for q in ids if q not in picked]
        rng.shuffle(rest)
        rest.sort(key=lambda q: -last_asked.get(q, len(asked_newest_first)))
        extra = rest[: count - len(picked)]
        picked += extra
        left = len(ids) - len(extra)
    return Choice(picked, max(left, 0))


def _smoothed(counts: tuple[int, int]) -> float:
    answered, correct = counts
    return (correct + 1) / (answered + 2)  # Laplace: a task nobody answered counts as 50 %


class ScheduleRepository(Protocol):
    """Storage of schedules and slot claims (part of the Repository)."""

    async def create_schedule(
        self, target: Target, spec: ScheduleSpec, created_by: str | None, at: datetime
    ) -> Schedule:
        """Store a new schedule, active from `at`."""

    async def get_schedule(self, schedule_id: int) -> Schedule | None:
        """A schedule by id."""

    async def list_schedules(self, target: Target | None = None) -> list[Schedule]:
        """A channel's schedules (every schedule with `target` None), oldest first."""

    async def update_schedule(self, schedule_id: int, spec: ScheduleSpec, at: datetime) -> bool:
        """Replace a schedule's spec; it counts as new from `at`."""

    async def set_schedule_paused(self, schedule_id: int, paused: bool, reason: str | None, at: datetime) -> bool:
        """Pause (with a reason) or resume a schedule."""

    async def set_schedule_warned(self, schedule_id: int, warned: bool) -> None:
        """Remember whether admins were told that unseen questions are running out."""

    async def delete_schedule(self, schedule_id: int) -> bool:
        """Forget a schedule and its slots."""

    async def claim_slot(
        self, schedule_id: int, due: datetime, owner: str, at: datetime, lease: timedelta
    ) -> tuple[bool, SlotState]:
        """Claim a slot; (True, row) when this call now holds it, (False, row) otherwise."""

    async def set_slot_state(
        self,
        schedule_id: int,
        due: datetime,
        state: str,
        at: datetime,
        round_id: int | None = None,
        message_ref: str | None = None,
    ) -> None:
        """Move a slot on (inserting it when it was never claimed)."""

    async def get_slot(self, schedule_id: int, due: datetime) -> SlotState | None:
        """One slot of a schedule."""

    async def latest_slot(self, schedule_id: int) -> SlotState | None:
        """The newest slot row of a schedule."""

    async def asked_in_channel(self, target: Target, kinds: tuple[RoundKind, ...]) -> list[str]:
        """Question ids asked in a channel's rounds of these kinds, newest first."""
