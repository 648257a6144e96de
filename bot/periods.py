"""Calendar maths in a channel's timezone: the local day, leaderboard periods and the next reveal instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ALL_TIME = "all"


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar date at `at` (aware) in `tz`."""
    return at.astimezone(tz).date()


def period_keys(at: datetime, tz: ZoneInfo) -> list[str]:
    """The leaderboard periods an answer at `at` counts toward: all time, its ISO week, its month, its season."""
    local = at.astimezone(tz)
    year, week, _ = local.isocalendar()
    season = f"s:{local.year}-Q{(local.month - 1) // 3 + 1}"  # a season is a calendar quarter
    return [ALL_TIME, f"w:{year}-W{week:02d}", f"m:{local.year}-{local.month:02d}", season]


def next_local_time(after: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first instant strictly after `after` whose local wall-clock time in `tz` is `at`, in UTC.

    A wall time that a DST jump skips is moved to the first valid instant after it; one that occurs twice counts once.
    """
    local = after.astimezone(tz)
    for day_offset in range(3):
        day = local.date() + timedelta(days=day_offset)
        candidate = _resolve(datetime.combine(day, at), tz)
        if candidate > after:
            return candidate.astimezone(UTC)
    raise AssertionError("a wall-clock time recurs within three days")  # pragma: no cover


def _resolve(naive: datetime, tz: ZoneInfo) -> datetime:
    probe = naive
    # A skipped wall time does not survive a round trip through UTC; the first minute that does is the answer.
    for _ in range(24 * 60):
        aware = probe.replace(tzinfo=tz, fold=0)
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == probe:
            return aware
        probe += timedelta(minutes=1)
    raise AssertionError("no valid wall time within a day")  # pragma: no cover
