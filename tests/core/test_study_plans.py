"""Study plans over a real SQLite file, the fake scheduler and a settable clock: commands, questions drawn from the
plan's current week, a weekly recap over a simulated week with exact figures, restart safety, the countdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.bank import Bank
from bot.bank_cards import NoticeCard
from bot.cards import ChartCard
from bot.models import Answer, RoundKind, Tally, Target, UserRef
from bot.periods import period_keys
from bot.schedules import POSTED, SENDING, SKIPPED
from bot.service import QuizError, QuizService
from bot.storage.progress_store import GLOBAL_SCOPE
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FixedClock, member
from tests.core.test_posting import build, run_until

ADMIN = member("ada", admin=True)
START_LINE = "plan start weeks:6 exam-date:2027-01-04"  # the clock starts Monday 2026-11-23 09:00 UTC: week 1


async def notice(service: QuizService, user: UserRef, channel: Target, line: str) -> str:
    card = await service.run(user, channel, line)
    assert isinstance(card, NoticeCard)
    return card.text


async def answer_many(
    repo: SqliteRepository, channel: Target, user: str, at: datetime, task: str, answered: int, correct: int
) -> None:
    """Record `answered` answers (the first `correct` right) through the real aggregate writer."""
    qid = f"{task}-q"
    rnd = await repo.create_round(RoundKind.DRILL, channel, None, [qid] * answered, at, None)
    for number in range(1, answered + 1):
        ok = number <= correct
        answer = Answer(
            round_id=rnd.id,
            question_no=number,
            user_key=f"console:{user}",
            question_id=qid,
            choice="A" if ok else "B",
            correct=ok,
            points=10 if ok else 0,
            answered_at=at,
            elapsed_ms=1000,
        )
        scopes = [channel.channel_key, channel.workspace_key, GLOBAL_SCOPE]
        tally = Tally(answer=answer, task=task, scopes=scopes, periods=period_keys(at, UTC), day=at.date())
        assert await repo.record_answer(tally)
    await repo.remember_member(f"console:{user}", user)


async def test_plan_commands(bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target) -> None:
    service, _, _ = build(bank, repo, clock)
    with pytest.raises(QuizError, match="only an admin"):
        await service.run(member("bo"), channel, START_LINE)
    with pytest.raises(QuizError, match="No study plan"):
        await service.run(member("bo"), channel, "plan show")
    with pytest.raises(QuizError, match="weeks:6"):
        await service.run(ADMIN, channel, "plan start weeks:7 exam-date:2027-01-04")
    with pytest.raises(QuizError, match="YYYY-MM-DD"):
        await service.run(ADMIN, channel, "plan start weeks:6 exam-date:next-friday")
    with pytest.raises(QuizError, match="between one week and one year"):
        await service.run(ADMIN, channel, "plan start weeks:6 exam-date:2026-11-25")
    text = await notice(service, ADMIN, channel, START_LINE)
    assert "Study plan: 6 weeks to the exam on Mon 04 Jan 2027 (42 days left)" in text
    assert "▶ Week 1 (from Mon 23 Nov):" in text and "← this week" in text
    assert "  Week 6 (from Mon 28 Dec): practice exams and weak-area review" in text
    kinds = [s.kind for s in await repo.list_schedules(channel)]
    assert kinds == [RoundKind.RECAP, RoundKind.COUNTDOWN]
    moved = await notice(service, ADMIN, channel, "plan edit task:1.2 week:3")
    week3 = next(line for line in moved.splitlines() if "Week 3" in line)
    assert "1.2 Develop code for AWS Lambda" in week3
    with pytest.raises(QuizError, match="kept for practice exams"):
        await service.run(ADMIN, channel, "plan edit task:1.2 week:6")
    with pytest.raises(QuizError, match="only an admin"):
        await service.run(member("bo"), channel, "plan edit task:1.2 week:2")
    mine = await notice(service, member("bo"), channel, "plan me")
    assert "Practice exams taken: 0 (0 full)" in mine
    assert "Practice target (75% ready, 80% comfortable): not yet (no full practice exam taken)" in mine
    chart = await service.run(member("bo"), channel, "plan recap")
    assert isinstance(chart, ChartCard) and chart.png.startswith(b"\x89PNG")
    stopped = await notice(service, ADMIN, channel, "plan stop")
    assert "stopped" in stopped
    assert await repo.list_schedules(channel) == []
    assert await repo.get_plan(channel) is None


async def test_questions_come_from_the_current_week(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await notice(service, ADMIN, channel, START_LINE)
    for line in ("plan edit task:2.1 week:1", "plan edit task:1.1 week:2"):
        await notice(service, ADMIN, channel, line)
    await service.run(ADMIN, channel, "schedule add qotd at:10:00 reveal:2h")
    await service.run(ADMIN, channel, "schedule add drill at:19:00 count:4 reveal:1h")
    await run_until(clock, [scheduler], datetime(2026, 11, 29, 23, 0, tzinfo=UTC))
    week1 = [bank.get(p[1].question_id).task for p in port.posts]  # type: ignore[union-attr]
    assert len(week1) == 7 + 7 * 2  # a drill of four from a two-question pool asks each once
    assert set(week1) == {"2.1"}  # week 1: only its tasks (no earlier weeks to review yet)
    port.posts.clear()
    await run_until(clock, [scheduler], datetime(2026, 12, 6, 23, 0, tzinfo=UTC))
    week2 = [bank.get(p[1].question_id).task for p in port.posts]  # type: ignore[union-attr]
    assert set(week2) == {"1.1", "2.1"}  # week 2's task and some review of week 1
    assert week2.count("1.1") > week2.count("2.1")


async def test_weekly_recap_over_a_simulated_week(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await notice(service, ADMIN, channel, START_LINE)
    await notice(service, ADMIN, channel, "plan edit task:1.1 week:1")
    before, during = datetime(2026, 11, 18, 12, tzinfo=UTC), datetime(2026, 11, 25, 12, tzinfo=UTC)
    for name, old, new in (("ada", (10, 4), (10, 8)), ("bo", (10, 5), (12, 9)), ("dee", (10, 7), (10, 6))):
        await answer_many(repo, channel, name, before, "1.1", *old)
        await answer_many(repo, channel, name, during, "1.1", *new)
    await answer_many(repo, channel, "cy", during, "1.1", 5, 5)  # too few answers to rank as improved
    await run_until(clock, [scheduler], datetime(2026, 11, 30, 9, 30, tzinfo=UTC))
    recaps = [text for _, text in port.notices if text.startswith("Weekly recap")]
    assert len(recaps) == 1
    [(where, chart)] = port.charts  # the recap's chart follows its text
    assert where == channel and chart.png.startswith(b"\x89PNG\r\n\x1a\n") and "plan week" in chart.caption
    lines = recaps[0].splitlines()
    assert lines[0] == "Weekly recap: plan week 1 of 6 (23 Nov to 29 Nov) · 35 days to the exam"
    assert lines[1] == "Participation: 4 member(s), 37 answer(s) (week before: 3 member(s), 30 answer(s))"
    assert "  1.1 ████████░░ 76% of 37 (53% of 30)" in lines  # 28/37 this week, 16/30 the week before
    assert "Most improved: ada 40% → 80%, bo 50% → 75%" in lines
    assert "Weakest tasks: 1.1 66% of 67" in lines  # 44/67 so far
    plan = await repo.get_plan(channel)
    assert plan is not None
    assert lines[-1] == f"Next week's focus (week 2): {', '.join(plan.layout[1])}"
    mine = await notice(service, member("bo"), channel, "plan me")
    assert "Tasks below 70%: 1.1 (64% of 22)" in mine  # bo: 5 of 10, then 9 of 12


async def test_weekly_recap_survives_restarts(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await notice(service, ADMIN, channel, START_LINE)
    plan = await repo.get_plan(channel)
    assert plan is not None and plan.recap_schedule is not None
    recap_id = plan.recap_schedule
    await run_until(clock, [scheduler], datetime(2026, 11, 30, 9, 20, tzinfo=UTC))
    first_due = datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert [t for _, t in port.notices if t.startswith("Weekly recap")] != []
    assert (await repo.get_slot(recap_id, first_due)).state == POSTED  # type: ignore[union-attr]

    # A restart within the grace: the posted slot is not posted again.
    again, scheduler2, port2 = build(bank, repo, clock)
    await again.start()
    await run_until(clock, [scheduler2], datetime(2026, 11, 30, 9, 50, tzinfo=UTC))
    assert [t for _, t in port2.notices if t.startswith("Weekly recap")] == []

    # Down over the next Monday's post: caught up once at start, within the grace.
    clock.current = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    third, scheduler3, port3 = build(bank, repo, clock)
    await third.start()
    await run_until(clock, [scheduler3], datetime(2026, 12, 7, 9, 40, tzinfo=UTC))
    assert len([t for _, t in port3.notices if t.startswith("Weekly recap: plan week 2")]) == 1

    # A crash while the next recap was being sent: the retry cannot tell whether it went out, so it gives it up.
    due = datetime(2026, 12, 14, 9, tzinfo=UTC)
    clock.current = due + timedelta(minutes=2)
    await repo.claim_slot(recap_id, due, "dead-process", due, timedelta(seconds=60))
    await repo.set_slot_state(recap_id, due, SENDING, due)
    fourth, scheduler4, port4 = build(bank, repo, clock)
    await fourth.start()
    await run_until(clock, [scheduler4], due + timedelta(minutes=30))
    assert [t for _, t in port4.notices if t.startswith("Weekly recap")] == []
    assert (await repo.get_slot(recap_id, due)).state == SKIPPED  # type: ignore[union-attr]


async def test_final_week_countdown(bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target) -> None:
    service, scheduler, port = build(bank, repo, clock)
    await service.start()
    await notice(service, ADMIN, channel, START_LINE)
    await run_until(clock, [scheduler], datetime(2027, 1, 5, 12, tzinfo=UTC))
    countdown = [t for _, t in port.notices if t.startswith(("Countdown", "Exam day"))]
    assert len(countdown) == 8  # seven final-week days and exam day, nothing before
    assert countdown[0].startswith("Countdown: 7 days to the exam (Mon 04 Jan). Today's suggestion: full practice")
    assert "weak-area drill" in countdown[1] and "light review" in countdown[5]
    assert countdown[-1].startswith("Exam day (Mon 04 Jan)")


async def test_a_members_qotd_follows_the_plan_without_a_schedule(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target
) -> None:
    service, _, _ = build(bank, repo, clock)
    await service.start()
    await notice(service, ADMIN, channel, START_LINE)
    for line in ("plan edit task:2.1 week:1", "plan edit task:1.1 week:2"):
        await notice(service, ADMIN, channel, line)
    tasks = set()
    for _ in range(4):  # four days of week 1, each asked for by a member (no schedule in this channel)
        card = await service.qotd(member("bo"), channel)
        tasks.add(card.task)
        clock.advance(days=1)
    assert tasks == {"2.1"}
