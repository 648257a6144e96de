"""The schedule service over a real SQLite file, a settable clock and the fake scheduler (no real waiting)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bank import Bank
from bot.cards import ScheduleCard
from bot.models import RoundKind, Target
from bot.ports import PostError
from bot.schedules import POSTED, SENDING, SKIPPED, slot_key
from bot.service import Defaults, QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FakeScheduler, FixedClock, RecordingPort, member

ADMIN = member("ada", admin=True)
HOUR = timedelta(hours=1)


async def run_until(service_clock: FixedClock, schedulers: list[FakeScheduler], until: datetime) -> None:
    """Jump the clock from job to job (the fake scheduler's earliest first) until `until`."""
    while True:
        pending = [when for s in schedulers for when, _ in s.jobs.values() if when <= until]
        if not pending:
            break
        service_clock.current = max(service_clock.current, min(pending))
        for s in schedulers:
            await s.run_due(service_clock.current)
    service_clock.current = until


def build(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, grace: timedelta = HOUR
) -> tuple[QuizService, FakeScheduler, RecordingPort]:
    scheduler, port = FakeScheduler(), RecordingPort()
    service = QuizService(bank, repo, scheduler, clock, Defaults(schedule_grace=grace))
    service.add_port(port)
    return service, scheduler, port


async def add(service: QuizService, channel: Target, line: str) -> ScheduleCard:
    card = await service.run(ADMIN, channel, line)
    assert isinstance(card, ScheduleCard)
    return card


@pytest.fixture
async def second_repo(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    other = await SqliteRepository.open(tmp_path / "quizbot.sqlite3")  # the same file as `repo`
    yield other
    await other.close()


async def test_daily_question_over_simulated_days(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    card = await add(service, channel, "schedule add qotd at:09:30 tz:Europe/Berlin days:mon-fri reveal:18:00")
    assert card.schedules[0].rule == "09:30 mon-fri Europe/Berlin"
    await run_until(clock, [scheduler], clock.now() + timedelta(days=7))
    zone = ZoneInfo("Europe/Berlin")
    posted = [p[1] for p in port.posts]
    days = [(await repo.get_round(c.round_id)).opened_at.astimezone(zone) for c in posted]  # type: ignore[union-attr]
    # Created Monday 10:00 Berlin: the first post is Tuesday's; the weekend has none.
    assert [f"{d:%a %H:%M}" for d in days] == ["Tue 09:30", "Wed 09:30", "Thu 09:30", "Fri 09:30", "Mon 09:30"]
    assert len({c.question_id for c in posted}) == 5  # the five-question bank, no repeat
    assert [r[2].round_id for r in port.reveals] == [c.round_id for c in posted][:4]  # Monday's reveals at 18:00
    # A member asking for today's question gets the scheduled one.
    today = await service.qotd(member("bo"), channel)
    assert today.question_id == posted[-1].question_id


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
async def test_dst_changes_keep_the_local_time(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target, zone: str
) -> None:
    clock.current = datetime(2027, 3, 10, tzinfo=UTC)
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, f"schedule add qotd at:09:00 tz:{zone} reveal:2h")
    await run_until(clock, [scheduler], datetime(2027, 4, 1, tzinfo=UTC))
    opened = [(await repo.get_round(p[1].round_id)).opened_at for p in port.posts]  # type: ignore[union-attr]
    assert len(opened) == 22
    assert {f"{o.astimezone(ZoneInfo(zone)):%H:%M}" for o in opened} == {"09:00"}
    assert len({o.astimezone(ZoneInfo(zone)).utcoffset() for o in opened}) == 2


async def test_restart_inside_the_grace_posts_the_missed_slot_once(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, _, port = build(bank, repo, clock)  # 09:00 UTC
    await service.start()
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    # The bot is down from 09:10 to 10:20: APScheduler's memory is gone, the database remembers.
    clock.current = datetime(2026, 11, 23, 10, 20, tzinfo=UTC)
    again, scheduler2, port2 = build(bank, repo, clock)
    await again.start()
    await scheduler2.run_due(clock.now())
    assert len(port2.posts) == 1 and not port.posts
    slot = await repo.get_slot(1, datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert slot is not None and slot.state == POSTED
    # A third start (or a replayed job) finds the slot posted and posts nothing.
    third, scheduler3, port3 = build(bank, repo, clock)
    await third.start()
    await scheduler3.run_due(clock.now())
    await again.schedules.fire(1, datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert not port3.posts and len(port2.posts) == 1
    assert scheduler3.jobs["sched:1"][0] == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def test_restart_outside_the_grace_skips_with_a_log_line(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target, caplog: pytest.LogCaptureFixture
) -> None:
    service, _, _ = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    clock.current = datetime(2026, 11, 23, 10, 31, tzinfo=UTC)
    again, scheduler, port = build(bank, repo, clock)
    with caplog.at_level(logging.INFO, logger="bot.posting"):
        await again.start()
    await scheduler.run_due(clock.now())
    assert not port.posts
    assert "schedule 1: skipped 1 slot(s)" in caplog.text
    assert scheduler.jobs["sched:1"][0] == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def test_two_instances_sharing_one_database_post_once(
    bank: Bank, repo: SqliteRepository, second_repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    one, scheduler1, port1 = build(bank, repo, clock)
    two, scheduler2, port2 = build(bank, second_repo, clock)
    await one.start()
    await add(one, channel, "schedule add drill at:09:30 tz:UTC count:3")
    await two.start()  # the second process sees the schedule at its start
    clock.current = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    await asyncio.gather(scheduler1.run_due(clock.now()), scheduler2.run_due(clock.now()))
    assert len(port1.posts) + len(port2.posts) == 3
    assert {len(port1.posts), len(port2.posts)} == {0, 3}
    # The loser looks again once the holder's lease ran out, finds the slot posted and does nothing.
    clock.current += timedelta(minutes=2)
    await asyncio.gather(scheduler1.run_due(clock.now()), scheduler2.run_due(clock.now()))
    assert len(port1.posts) + len(port2.posts) == 3


async def test_a_crash_between_sending_and_recording_is_checked_not_reposted(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, _, _ = build(bank, repo, clock)
    await add(service, channel, "schedule add drill at:09:30 tz:UTC count:2")
    due = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    clock.current = due
    # A dead process claimed the slot, created the round and sent card 1, then died before recording it.
    won, _ = await repo.claim_slot(1, due, "dead-process", due, timedelta(seconds=60))
    assert won
    await repo.set_slot_state(1, due, SENDING, due)
    clock.current = due + timedelta(seconds=20)
    again, scheduler, port = build(bank, repo, clock)
    port.sent[f"{slot_key(1, due)}:1"] = "already-there"  # what the platform shows for the nonce / metadata
    await again.start()
    await scheduler.run_due(clock.now())
    assert not port.posts  # the dead holder's claim is still fresh: wait for its lease
    clock.current = due + timedelta(seconds=90)
    await scheduler.run_due(clock.now())
    assert [p[2] for p in port.posts] == [f"{slot_key(1, due)}:2"]  # card 1 went out already; only card 2 now
    slot = await repo.get_slot(1, due)
    assert slot is not None and slot.state == POSTED and slot.message_ref == "already-there"


async def test_overdue_drill_reveals_are_closed_at_start(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add drill at:09:30 tz:UTC count:3 reveal:1h")
    await run_until(clock, [scheduler], datetime(2026, 11, 23, 9, 45, tzinfo=UTC))
    rnd = await repo.get_round(port.posts[0][1].round_id)
    assert rnd is not None and rnd.kind is RoundKind.DRILL and rnd.is_open
    await service.answer(member("bo"), channel, rnd.id, 2, port.posts[1][1].options[0].letter)
    clock.current = datetime(2026, 11, 23, 12, tzinfo=UTC)  # down through the close at 10:30
    again, _, port2 = build(bank, repo, clock)
    await again.start()
    closed = await repo.get_round(rnd.id)
    assert closed is not None and not closed.is_open
    assert [(refs, card.question_no, card.answers) for _, refs, card in port2.reveals] == [
        ([port.sent[f"{slot_key(1, rnd.opened_at)}:{n}"]], n, 1 if n == 2 else 0) for n in (1, 2, 3)
    ]


async def test_bank_running_low_warns_admins_once(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    await run_until(clock, [scheduler], clock.now() + timedelta(days=3))
    assert len(port.posts) == 3
    assert len(port.notices) == 1 and "only 4 question(s) of the bank" in port.notices[0][1]


async def test_a_failed_post_pauses_the_schedule_and_tells_the_admins(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    port.fail_with = PostError("the channel is gone", permanent=True)
    await run_until(clock, [scheduler], clock.now() + timedelta(days=2))
    sched = await repo.get_schedule(1)
    assert sched is not None and sched.paused and sched.pause_reason == "the channel is gone"
    assert "schedule 1 is paused" in port.notices[0][1] and not scheduler.jobs
    listing = await add(service, channel, "schedule list")
    assert listing.schedules[0].paused and listing.schedules[0].note == "the channel is gone"
    port.fail_with = None
    await add(service, channel, "schedule resume 1")
    await run_until(clock, [scheduler], clock.now() + timedelta(days=1))
    assert len(port.posts) == 1


async def test_a_job_exception_is_logged_once_and_the_next_slot_still_armed(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target, caplog: pytest.LogCaptureFixture
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    port.fail_with = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="bot.posting"):
        await run_until(clock, [scheduler], datetime(2026, 11, 23, 9, 31, tzinfo=UTC))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "schedule 1" in errors[0].getMessage()
    assert scheduler.jobs["sched:1"][0] == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def test_transient_failure_retries_within_the_grace(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    port.fail_with = PostError("rate limited")
    await run_until(clock, [scheduler], datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert not port.posts
    port.fail_with = None
    await run_until(clock, [scheduler], datetime(2026, 11, 23, 9, 32, tzinfo=UTC))
    assert len(port.posts) == 1


async def test_admin_commands(bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target) -> None:
    service, scheduler, _ = build(bank, repo, clock)
    with pytest.raises(QuizError, match="only an admin"):
        await service.run(member("bo"), channel, "schedule add qotd at:09:00")
    card = await add(service, channel, "schedule add drill at:19:00 tz:Europe/Berlin days:mon,wed,fri count:5 domain:1")
    assert card.message == "Schedule 1 is set." and "5 questions" in card.schedules[0].details
    assert "domain 1" in card.schedules[0].details
    nxt = await add(service, channel, "schedule next")
    zone = ZoneInfo("Europe/Berlin")
    assert [f"{r.astimezone(zone):%a %H:%M}" for r in nxt.runs] == [
        "Mon 19:00",
        "Wed 19:00",
        "Fri 19:00",
        "Mon 19:00",
        "Wed 19:00",
    ]
    edited = await add(service, channel, "schedule edit 1 at:07:15 days:daily")
    assert edited.schedules[0].rule == "07:15 daily Europe/Berlin"
    paused = await add(service, channel, "schedule pause 1")
    assert paused.schedules[0].paused and "sched:1" not in scheduler.jobs
    await add(service, channel, "schedule resume 1")
    assert "sched:1" in scheduler.jobs
    members_view = await service.run(member("bo"), channel, "schedule list")
    assert isinstance(members_view, ScheduleCard) and len(members_view.schedules) == 1
    other = Target(platform="console", workspace="console", channel="elsewhere")
    with pytest.raises(QuizError, match="no schedule 1 in this channel"):
        await service.run(ADMIN, other, "schedule delete 1")
    gone = await add(service, channel, "schedule delete 1")
    assert gone.message.startswith("No schedules") and "sched:1" not in scheduler.jobs
    for bad, sentence in [
        ("schedule add qotd", "time to post"),
        ("schedule add qotd at:25:00", "not a time of day"),
        ("schedule add qotd at:09:00 tz:Mars/Base", "Unknown timezone"),
        ("schedule add qotd at:09:00 count:3", "one question"),
        ("schedule add drill at:09:00 count:40", "1 to 10"),
        ("schedule add drill at:09:00 domain:9", "Unknown domain"),
        ("schedule add poll at:09:00", "Say what to schedule"),
        ("schedule frobnicate", "Unknown schedule action"),
    ]:
        with pytest.raises(QuizError, match=sentence):
            await service.run(ADMIN, channel, bad)
    assert await repo.list_schedules(channel) == []


async def test_members_answer_a_posted_drill_with_answer(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add drill at:09:30 tz:UTC count:2")
    await run_until(clock, [scheduler], datetime(2026, 11, 23, 9, 35, tzinfo=UTC))
    bo = member("bo")
    first = await service.run(bo, channel, "answer")
    assert first.question_no == 1  # type: ignore[union-attr]
    await service.answer(bo, channel, first.round_id, 1, first.options[0].letter)  # type: ignore[union-attr]
    second = await service.run(bo, channel, "answer")
    assert second.question_no == 2  # type: ignore[union-attr]
    assert port.updates and all(ref.endswith(":1") for _, ref, _ in port.updates)  # only card 1 was refreshed


async def test_skipped_slot_is_recorded(bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target) -> None:
    service, _, _ = build(bank, repo, clock)
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    clock.current = datetime(2026, 11, 23, 11, tzinfo=UTC)
    await service.schedules.fire(1, datetime(2026, 11, 23, 9, 30, tzinfo=UTC))  # a job that ran far too late
    slot = await repo.get_slot(1, datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert slot is not None and slot.state == SKIPPED


async def test_reveal_shows_the_days_streaks(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC reveal:2h")
    for day in range(3):
        await run_until(clock, [scheduler], datetime(2026, 11, 23 + day, 10, tzinfo=UTC))
        card = port.posts[-1][1]
        letters = "".join(o.letter for o in card.options[: card.choose])
        await service.answer(member("bo"), channel, card.round_id, 1, letters)
        if day == 2:
            await service.answer(member("cy"), channel, card.round_id, 1, letters)
        await run_until(clock, [scheduler], datetime(2026, 11, 23 + day, 12, tzinfo=UTC))
    assert [r[2].streaks for r in port.reveals] == [[], [("bo", 2)], [("bo", 3)]]  # cy's one day is no streak


async def test_a_hidden_question_is_never_posted_by_a_schedule(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    hidden = ["1.1-app-code-0001", "2.1-authn-authz-0002"]
    for qid in hidden:
        await service.run(ADMIN, channel, f"hide {qid}")
    await add(service, channel, "schedule add qotd at:09:30 tz:UTC")
    await run_until(clock, [scheduler], clock.now() + timedelta(days=6))
    posted = {p[1].question_id for p in port.posts}
    assert len(port.posts) == 6 and posted == set(bank.questions) - set(hidden)
