"""Scheduling maths: rules, DST in two timezones, catch-up and question choice (pure functions)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import schedules as rules
from bot.models import RoundKind
from bot.schedules import Rule, RuleError, ScheduleSpec

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("mon,wed,fri", {0, 2, 4}),
        ("Mon/Wed/Fri", {0, 2, 4}),
        ("sat-mon", {5, 6, 0}),
        ("daily", set(range(7))),
        ("weekends", {5, 6}),
        ("monday,tuesday", {0, 1}),
    ],
)
def test_days_parse(text: str, days: set[int]) -> None:
    assert rules.parse_days(text) == days


@pytest.mark.parametrize("text", ["", "funday", "mo", "mon-xyz"])
def test_bad_days_are_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(RuleError, match="day"):
        rules.parse_days(text)


@given(st.frozensets(st.integers(0, 6), min_size=1))
def test_days_round_trip(days: frozenset[int]) -> None:
    assert rules.parse_days(rules.format_days(days)) == days


def test_weekday_rule_skips_the_weekend() -> None:
    rule = Rule(tz=BERLIN, at=time(9, 0), days=rules.parse_days("mon-fri"))
    runs = rules.next_runs(rule, utc(2026, 11, 27, 12), 3)  # a Friday afternoon
    assert [local(r, BERLIN) for r in runs] == [
        "Mon 2026-11-30 09:00 CET",
        "Tue 2026-12-01 09:00 CET",
        "Wed 2026-12-02 09:00 CET",
    ]


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        (BERLIN, utc(2027, 3, 25)),
        (BERLIN, utc(2026, 10, 22)),
        (NEW_YORK, utc(2027, 3, 12)),
        (NEW_YORK, utc(2026, 10, 30)),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_dst(zone: str, start: datetime) -> None:
    runs = rules.next_runs(Rule(tz=zone, at=time(9, 0)), start, 6)
    assert all(r.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "09:00" for r in runs)
    offsets = {r.astimezone(ZoneInfo(zone)).utcoffset() for r in runs}
    assert len(offsets) == 2  # the change happened inside the window and the wall time held


def test_a_skipped_time_posts_at_the_first_valid_minute() -> None:
    # 2027-03-28 02:30 does not exist in Berlin (02:00 → 03:00); APScheduler alone would post at 03:30.
    runs = rules.next_runs(Rule(tz=BERLIN, at=time(2, 30)), utc(2027, 3, 27, 12), 2)
    assert [local(r, BERLIN) for r in runs] == ["Sun 2027-03-28 03:00 CEST", "Mon 2027-03-29 02:30 CEST"]
    runs = rules.next_runs(Rule(tz=NEW_YORK, at=time(2, 15)), utc(2027, 3, 13, 12), 2)
    assert [local(r, NEW_YORK) for r in runs] == ["Sun 2027-03-14 03:00 EDT", "Mon 2027-03-15 02:15 EDT"]


def test_a_repeated_time_posts_once() -> None:
    # 2026-10-25 02:30 happens twice in Berlin; 2026-11-01 01:30 twice in New York: one post each, the first.
    runs = rules.next_runs(Rule(tz=BERLIN, at=time(2, 30)), utc(2026, 10, 24, 12), 2)
    assert runs == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    runs = rules.next_runs(Rule(tz=NEW_YORK, at=time(1, 30)), utc(2026, 10, 31, 12), 2)
    assert runs == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    # Asked from inside the second 01:30 hour, the next post is the next day's, not a repeat.
    assert rules.next_run(Rule(tz=NEW_YORK, at=time(1, 30)), utc(2026, 11, 1, 6, 0)) == utc(2026, 11, 2, 6, 30)


@settings(max_examples=150, deadline=None)
@given(
    # hypothesis takes naive bounds and attaches the timezone itself
    after=st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001
        max_value=datetime(2028, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    at=st.times(),
    zone=st.sampled_from([BERLIN, NEW_YORK, "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]),
    days=st.frozensets(st.integers(0, 6), min_size=1),
)
def test_runs_are_strictly_later_on_chosen_days_and_never_twice_a_day(
    after: datetime, at: time, zone: str, days: frozenset[int]
) -> None:
    at = at.replace(second=0, microsecond=0)
    rule = Rule(tz=zone, at=at, days=days)
    runs = rules.next_runs(rule, after, 4)
    assert runs[0] > after and runs == sorted(set(runs))
    tz = ZoneInfo(zone)
    for run in runs:
        wall = run.astimezone(tz)
        assert wall.weekday() in days
        # The wall time is the rule's, or (skipped by a DST jump) shortly after it on the same day.
        shift = datetime.combine(wall.date(), wall.time()) - datetime.combine(wall.date(), at)
        assert timedelta(0) <= shift <= timedelta(hours=2)
    assert len({r.astimezone(tz).date() for r in runs}) == len(runs)


def test_cron_rule_uses_day_names_and_apscheduler_fields() -> None:
    rule = Rule(tz=BERLIN, cron=rules.check_cron("0 19 * * mon,wed,fri"))
    runs = rules.next_runs(rule, utc(2026, 11, 23, 12), 3)
    assert [local(r, BERLIN) for r in runs] == [
        "Mon 2026-11-23 19:00 CET",
        "Wed 2026-11-25 19:00 CET",
        "Fri 2026-11-27 19:00 CET",
    ]
    with pytest.raises(RuleError, match="names"):
        rules.check_cron("0 19 * * 1,3,5")
    with pytest.raises(RuleError, match="five fields"):
        rules.check_cron("0 19 *")


def test_catch_up_posts_the_last_slot_within_the_grace_and_skips_older_ones() -> None:
    rule = Rule(tz="UTC", at=time(9, 0))
    since = utc(2026, 11, 20, 0)
    inside = rules.catch_up(rule, utc(2026, 11, 23, 9, 40), timedelta(hours=1), since)
    assert inside.post == utc(2026, 11, 23, 9) and inside.skipped == [utc(2026, 11, d, 9) for d in (20, 21, 22)]
    outside = rules.catch_up(rule, utc(2026, 11, 23, 10, 1), timedelta(hours=1), since)
    assert outside.post is None and len(outside.skipped) == 4
    nothing = rules.catch_up(rule, utc(2026, 11, 23, 8), timedelta(hours=1), utc(2026, 11, 22, 9))
    assert nothing == rules.CatchUp(None, [])


def test_reveal_times() -> None:
    due = utc(2026, 11, 23, 8)  # 09:00 Berlin
    qotd = ScheduleSpec(kind=RoundKind.QOTD, timezone=BERLIN, at=time(9, 0))
    assert local(rules.reveal_time(qotd, due, time(18, 0)), BERLIN).endswith("2026-11-23 18:00 CET")
    evening = qotd.model_copy(update={"reveal_at": time(8, 0)})
    assert local(rules.reveal_time(evening, due, time(18, 0)), BERLIN).endswith("2026-11-24 08:00 CET")
    drill = ScheduleSpec(kind=RoundKind.DRILL, timezone=BERLIN, at=time(9, 0))
    assert rules.reveal_time(drill, due, time(18, 0)) == due + timedelta(hours=1)
    assert rules.reveal_time(
        drill.model_copy(update={"reveal_after_minutes": 90}), due, time(18, 0)
    ) == due + timedelta(minutes=90)


def test_durations() -> None:
    assert rules.parse_duration("8h") == timedelta(hours=8)
    assert rules.parse_duration("1h30m") == timedelta(minutes=90)
    for bad in ("", "h", "0m", "9d", "200h"):
        with pytest.raises(RuleError):
            rules.parse_duration(bad)


def test_slot_keys_fit_a_discord_nonce() -> None:
    assert len(rules.slot_key(999_999, utc(2099, 12, 31, 23, 59)) + ":10") <= 25


# ---- question choice -------------------------------------------------------------------------------------------


def test_unseen_restarts_once_the_pool_is_used_up() -> None:
    pool = ["a", "b", "c"]
    assert rules.cycle_unseen(pool, []) == pool
    assert rules.cycle_unseen(pool, ["b", "a"]) == ["c"]
    assert rules.cycle_unseen(pool, ["c", "b", "a"]) == pool  # all asked: a new cycle
    assert rules.cycle_unseen(pool, ["a", "c", "b", "a"]) == ["b", "c"]


@given(size=st.integers(1, 30), count=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_no_repeat_until_the_pool_is_used_up(size: int, count: int, seed: int) -> None:
    pool = [(f"q{i}", f"1.{i % 3 + 1}") for i in range(size)]
    asked: list[str] = []
    rng = random.Random(seed)
    for _ in range(2 * size):
        choice = rules.choose_questions(pool, asked, count, rng)
        assert len(choice.ids) == min(count, size) and len(set(choice.ids)) == len(choice.ids)
        asked = list(reversed(choice.ids)) + asked
    # Walking the asks in order, nothing repeats before every question of the pool was asked once.
    seen: set[str] = set()
    for qid in reversed(asked):
        assert qid not in seen
        seen.add(qid)
        if len(seen) == size:
            seen = set()


def test_weak_focus_prefers_the_groups_weakest_task() -> None:
    pool = [("a1", "1.1"), ("a2", "1.1"), ("b1", "2.1"), ("b2", "2.1")]
    accuracy = {"1.1": (20, 18), "2.1": (20, 5)}
    choice = rules.choose_questions(pool, [], 2, random.Random(1), accuracy)
    assert set(choice.ids) == {"b1", "b2"} and choice.unseen_left == 2


def test_exhausted_pool_repeats_the_oldest_first() -> None:
    pool = [("a", "1.1"), ("b", "1.1"), ("c", "1.1")]
    choice = rules.choose_questions(pool, ["c", "b", "a"], 1, random.Random(0))
    assert choice.ids == ["a"] and choice.unseen_left == 2
