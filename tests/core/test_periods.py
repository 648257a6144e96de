"""Calendar maths: reveal instants across DST changes, local days and leaderboard periods."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.periods import local_date, next_local_time, period_keys

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def test_next_local_time_is_later_today_or_tomorrow() -> None:
    morning = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert next_local_time(morning, time(18), ZoneInfo("UTC")) == datetime(2026, 11, 23, 18, tzinfo=UTC)
    evening = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    assert next_local_time(evening, time(18), ZoneInfo("UTC")) == datetime(2026, 11, 24, 18, tzinfo=UTC)


def test_same_local_time_on_both_sides_of_a_dst_change() -> None:
    before = next_local_time(datetime(2026, 3, 27, 12, tzinfo=UTC), time(9), BERLIN)  # Saturday, CET
    after = next_local_time(before, time(9), BERLIN)  # Sunday, CEST
    assert before.astimezone(BERLIN).hour == after.astimezone(BERLIN).hour == 9
    assert after - before == timedelta(hours=23)


def test_a_skipped_time_moves_to_the_first_valid_minute_after_it() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29 (clocks jump from 02:00 to 03:00).
    at = next_local_time(datetime(2026, 3, 28, 23, tzinfo=UTC), time(2, 30), BERLIN)
    assert at == datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN)


def test_a_repeated_time_happens_once() -> None:
    # 01:30 happens twice in New York on 2026-11-01; the first one counts and the next is a day later.
    first = next_local_time(datetime(2026, 11, 1, 4, tzinfo=UTC), time(1, 30), NEW_YORK)
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    second = next_local_time(first, time(1, 30), NEW_YORK)
    assert second.astimezone(NEW_YORK).date().day == 2


@given(
    st.integers(0, 15 * 365 * 86_400),
    st.times(),
    st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("Asia/Kolkata"), ZoneInfo("UTC")]),
)
def test_next_local_time_is_after_and_within_two_days(offset: int, at: time, tz: ZoneInfo) -> None:
    after = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=offset)
    result = next_local_time(after, at.replace(second=0, microsecond=0, tzinfo=None), tz)
    assert after < result <= after + timedelta(days=2)


def test_local_day_and_periods_follow_the_timezone() -> None:
    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Sunday night in UTC, Monday in Berlin
    assert local_date(late, BERLIN).isoformat() == "2026-11-30"
    assert period_keys(late, ZoneInfo("UTC")) == ["all", "w:2026-W48", "m:2026-11", "s:2026-Q4"]
    assert period_keys(late, BERLIN) == ["all", "w:2026-W49", "m:2026-11", "s:2026-Q4"]
