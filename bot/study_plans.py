"""Study plans behind QuizService: `plan start|show|edit|stop|me|recap`, the question choice of a running plan,
and the text of its scheduled posts (weekly recap, final-week countdown); the maths lives in bot.plans."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from bot import charts, plans, progress
from bot import schedules as rules
from bot.bank_cards import NoticeCard
from bot.cards import ChartCard
from bot.commands import Command, CommandError
from bot.models import RoundKind, Target, UserRef
from bot.periods import local_date
from bot.plans import StoredPlan
from bot.ports import Clock, Repository
from bot.schedules import Schedule, ScheduleSpec

if TYPE_CHECKING:
    from bot.service import QuizService

ACTIONS = ("start", "show", "edit", "stop", "me", "recap")
ADMIN_ACTIONS = frozenset({"start", "edit", "stop"})
RECAP_AT, COUNTDOWN_AT = time(9, 0), time(8, 0)
WEAKEST_SHOWN = 3
FINAL_FOCUS = 4  # weakest tasks the final week's questions come from
MAX_EXAM_DAYS = 366
EXAMS_READ = 100
_NAME = 40
_BAR = 10


class StudyPlans:
    """One per QuizService: plans in the database, their posts as schedules run by bot.posting."""

    def __init__(self, quiz: QuizService, repo: Repository, clock: Clock) -> None:
        self._quiz = quiz
        self._repo = repo
        self._clock = clock

    # ---- commands ---------------------------------------------------------------------------------------------

    async def command(self, user: UserRef, target: Target, command: Command) -> NoticeCard | ChartCard:
        """`plan start|show|edit|stop|me|recap` in a channel."""
        action = command.args[0].lower() if command.args else "show"
        if action not in ACTIONS:
            raise CommandError(f"Unknown plan action `{action}`; use {', '.join(ACTIONS)}.")
        if action in ADMIN_ACTIONS and not user.is_admin:
            raise CommandError("Sorry, only an admin can start, edit or stop the study plan.")
        if action == "start":
            return await self._start(user, target, command.options)
        plan = await self._repo.get_plan(target)
        if plan is None:
            raise CommandError("No study plan runs here; an admin starts one with `plan start weeks:6 exam-date:…`.")
        match action:
            case "edit":
                return await self._edit(plan, command.options)
            case "stop":
                await self._stop(plan)
                return NoticeCard(text="The study plan is stopped; its recap and countdown posts are removed.")
            case "me":
                return NoticeCard(text=await self._me(user, plan))
            case "recap":
                return await self._recap_chart(plan)
        return NoticeCard(text=await self._show(plan))

    async def _start(self, user: UserRef, target: Target, options: Mapping[str, str]) -> NoticeCard:
        weeks_raw = options.get("weeks", "")
        if weeks_raw not in {str(w) for w in plans.PLAN_WEEKS}:
            raise CommandError("A plan runs `weeks:6` or `weeks:8`, e.g. `plan start weeks:6 exam-date:2027-01-15`.")
        weeks = int(weeks_raw)
        try:
            exam_date = date.fromisoformat(options.get("exam-date", ""))
        except ValueError:
            raise CommandError("Give the exam date as `exam-date:YYYY-MM-DD`.") from None
        zone = (await self._quiz.channel_config(target)).tz
        today = local_date(self._clock.now(), zone)
        if not plans.FINAL_WEEK_DAYS <= (exam_date - today).days <= MAX_EXAM_DAYS:
            raise CommandError("The exam date must be between one week and one year from today.")
        ready = _percent(options.get("ready"), plans.DEFAULT_READY, "ready")
        comfortable = _percent(options.get("comfortable"), plans.DEFAULT_COMFORTABLE, "comfortable")
        if ready > comfortable:
            raise CommandError("The `ready:` target cannot be above the `comfortable:` one.")
        old = await self._repo.get_plan(target)
        if old is not None:
            await self._drop_schedules(old)
        exam = self._quiz.bank.exam
        loads = plans.task_loads(
            [(t.id, t.domain_id) for t in exam.tasks],
            {d.id: d.weight for d in exam.domains},
            await self._repo.group_task_stats(target.channel_key),
        )
        layout = plans.lay_out(loads, weeks)
        now = self._clock.now()
        start_day = rules.DAY_NAMES[plans.plan_start(exam_date, weeks).weekday()]
        recap = await self._repo.create_schedule(
            target, ScheduleSpec(kind=RoundKind.RECAP, timezone=zone.key, at=RECAP_AT, days=start_day), user.key, now
        )
        countdown = await self._repo.create_schedule(
            target, ScheduleSpec(kind=RoundKind.COUNTDOWN, timezone=zone.key, at=COUNTDOWN_AT), user.key, now
        )
        plan = StoredPlan(target, weeks, exam_date, layout, ready, comfortable, recap.id, countdown.id)
        await self._repo.save_plan(plan, user.key, now)
        for sched in (recap, countdown):
            await self._quiz.schedules.arm(sched.id)
        return NoticeCard(text="Study plan started.\n" + await self._show(plan))

    async def _edit(self, plan: StoredPlan, options: Mapping[str, str]) -> NoticeCard:
        task = self._quiz.bank.resolve_task(options.get("task", ""))
        if task is None:
            raise CommandError("Name the task to move, e.g. `plan edit task:1.2 week:3`.")
        raw = options.get("week", "")
        if not raw.isdigit():
            raise CommandError(f"Name the week to move it to (1 to {plan.weeks - 1}), e.g. `week:3`.")
        try:
            layout = plans.move_task(plan.layout, task.id, int(raw))
        except ValueError as exc:
            raise CommandError(f"Task {task.id} cannot go there: {exc}.") from None
        moved = StoredPlan(**{**plan.__dict__, "layout": layout})
        await self._repo.save_plan(moved, None, self._clock.now())
        return NoticeCard(text=f"Task {task.id} moved to week {raw}.\n" + await self._show(moved))

    async def _stop(self, plan: StoredPlan) -> None:
        await self._drop_schedules(plan)
        await self._repo.delete_plan(plan.target)

    async def _drop_schedules(self, plan: StoredPlan) -> None:
        for schedule_id in (plan.recap_schedule, plan.countdown_schedule):
            if schedule_id is not None:
                await self._quiz.schedules.remove(schedule_id)

    # ---- texts ------------------------------------------------------------------------------------------------

    async def _today(self, target: Target) -> date:
        return local_date(self._clock.now(), (await self._quiz.channel_config(target)).tz)

    async def _show(self, plan: StoredPlan) -> str:
        today = await self._today(plan.target)
        current = plans.week_of(plan.exam_date, plan.weeks, today)
        start = plans.plan_start(plan.exam_date, plan.weeks)
        left = plans.days_left(plan.exam_date, today)
        lines = [f"Study plan: {plan.weeks} weeks to the exam on {plan.exam_date:%a %d %b %Y} ({left} days left)"]
        for number, tasks in enumerate(plan.layout, start=1):
            first = start + timedelta(weeks=number - 1)
            what = ", ".join(self._task_label(t) for t in tasks) or "practice exams and weak-area review"
            mark = "▶" if number == current else " "
            here = "  ← this week" if number == current else ""
            lines.append(f"{mark} Week {number} (from {first:%a %d %b}): {what}{here}")
        lines.append(
            f"Practice target on a full practice exam: {plan.ready_pct}% ready, {plan.comfortable_pct}% comfortable."
        )
        return "\n".join(lines)

    def _task_label(self, task_id: str) -> str:
        task = self._quiz.bank.exam.task(task_id)
        return f"{task_id} {_short(task.name)}" if task else task_id

    async def _me(self, user: UserRef, plan: StoredPlan) -> str:
        today = await self._today(plan.target)
        week = plans.week_of(plan.exam_date, plan.weeks, today)
        stats = await self._repo.task_stats(user.key)
        below = [
            (t, c / a, a)
            for t in (t.id for t in self._quiz.bank.exam.tasks)
            for a, c in [stats.get(t, (0, 0))]
            if a and c / a < plans.BELOW_ACCURACY
        ]
        due = [t for w in plan.layout[:week] for t in w if not stats.get(t, (0, 0))[0]]
        exams = [
            e
            for e in await self._repo.exam_history(user.key, EXAMS_READ)
            if e.submitted_at is not None and e.correct is not None and e.submitted_at.date() < plan.exam_date
        ]
        full = [100 * (e.correct or 0) / e.total for e in exams if not e.short and e.total]
        best = max(full) if full else None
        lines = [
            f"{user.name}: your readiness against the plan (week {week} of {plan.weeks}, "
            f"{plans.days_left(plan.exam_date, today)} days to the exam)"
        ]
        if below:
            shown = ", ".join(f"{t} ({100 * acc:.0f}% of {a})" for t, acc, a in below)
            lines.append(f"Tasks below {100 * plans.BELOW_ACCURACY:.0f}%: {shown}")
        else:
            lines.append(f"Tasks below {100 * plans.BELOW_ACCURACY:.0f}%: none")
        if due:
            lines.append(f"Planned so far but not practised yet: {', '.join(due)}")
        best_text = f"; best full exam {best:.0f}%" if best is not None else ""
        lines.append(f"Practice exams taken: {len(exams)} ({len(full)} full){best_text}")
        label = plans.readiness_label(best, plan.ready_pct, plan.comfortable_pct)
        lines.append(f"Practice target ({plan.ready_pct}% ready, {plan.comfortable_pct}% comfortable): {label}")
        return "\n".join(lines)

    # ---- scheduled posts --------------------------------------------------------------------------------------

    async def slot_text(self, sched: Schedule, due: datetime) -> str | None:
        """The text of a plan's recap or countdown post due at `due`, or None when that slot has nothing to say."""
        plan = await self._repo.get_plan(sched.target)
        if plan is None or sched.id not in (plan.recap_schedule, plan.countdown_schedule):
            return None
        day = local_date(due, rules.Rule(tz=sched.timezone).zone)
        if sched.kind is RoundKind.COUNTDOWN:
            activity = plans.countdown_activity(plan.exam_date, day)
            if activity is None:
                return None
            left = plans.days_left(plan.exam_date, day)
            head = "Exam day" if left == 0 else f"Countdown: {left} day{'s' if left > 1 else ''} to the exam"
            return f"{head} ({plan.exam_date:%a %d %b}). Today's suggestion: {activity}."
        return await self.recap_text(plan, day)

    async def recap_text(self, plan: StoredPlan, day: date) -> str | None:
        """The recap posted on `day`, covering the seven days before it (None before the first plan week ends)."""
        start = plans.plan_start(plan.exam_date, plan.weeks)
        first, last = day - timedelta(days=7), day - timedelta(days=1)
        if first < start or first >= plan.exam_date:
            return None
        scope = plan.target.channel_key
        this, before = await self._week(scope, first), await self._week(scope, first - timedelta(days=7))
        week = plans.week_of(plan.exam_date, plan.weeks, first)
        group, old_group = this.get("", {}), before.get("", {})
        members = {k: v for k, v in this.items() if k}
        lines = [
            f"Weekly recap: plan week {week} of {plan.weeks} ({first:%d %b} to {last:%d %b}) · "
            f"{plans.days_left(plan.exam_date, day)} days to the exam"
        ]
        answers = sum(a for a, _ in group.values())
        old_answers = sum(a for a, _ in old_group.values())
        lines.append(
            f"Participation: {len(members)} member(s), {answers} answer(s) "
            f"(week before: {len([k for k in before if k])} member(s), {old_answers} answer(s))"
        )
        tasks = plan.layout[week - 1] or sorted(group)
        lines.append("Group accuracy on this week's tasks (week before):")
        for task in tasks:
            now_text, old_text = _acc_text(group.get(task)), _acc_text(old_group.get(task))
            lines.append(f"  {task} {_bar(group.get(task))} {now_text} ({old_text})")
        improved = plans.most_improved(_totals(before), _totals(members))
        if improved:
            names = await self._repo.member_names([k for k, _, _ in improved])
            shown = ", ".join(f"{names.get(k, k)} {100 * o:.0f}% → {100 * n:.0f}%" for k, o, n in improved)
            lines.append(f"Most improved: {shown}")
        stats = await self._repo.group_task_stats(scope)
        weakest = progress.weakest_tasks(stats, [t for t in stats if stats[t][0]], WEAKEST_SHOWN)
        if weakest:
            lines.append("Weakest tasks: " + ", ".join(f"{t} {_acc_text(stats[t])}" for t in weakest))
        upcoming = plans.week_of(plan.exam_date, plan.weeks, day)
        focus = ", ".join(plan.layout[upcoming - 1]) or "practice exams and weak-area review"
        lines.append(f"Next week's focus (week {upcoming}): {focus}")
        return "\n".join(lines)

    async def _week(self, scope: str, first: date) -> dict[str, dict[str, tuple[int, int]]]:
        return await self._repo.task_days(scope, first, first + timedelta(days=6))

    async def recap_chart(self, target: Target) -> ChartCard | None:
        """The chart that goes with this channel's weekly recap (None without a running plan)."""
        plan = await self._repo.get_plan(target)
        return await self._recap_chart(plan) if plan is not None else None

    async def _recap_chart(self, plan: StoredPlan) -> ChartCard:
        today = await self._today(plan.target)
        week = plans.week_of(plan.exam_date, plan.weeks, today)
        stats = await self._repo.group_task_stats(plan.target.channel_key)
        tasks = plan.layout[week - 1] or [t.id for t in self._quiz.bank.exam.tasks]
        bars = [charts.Bar(t, _pct(stats.get(t)), stats.get(t, (0, 0))[0]) for t in tasks]
        png = await charts.render_domains(f"Week {week} tasks: group accuracy", bars, 100 * plans.BELOW_ACCURACY)
        caption = f"Group accuracy on the tasks of plan week {week}; the dashed line is 70%."
        stamp = self._clock.now().strftime("%Y%m%d-%H%M%S")
        return ChartCard(title=caption, filename=f"plan-week-{week}-{stamp}.png", png=png, caption=caption)

    # ---- question choice --------------------------------------------------------------------------------------

    async def pick(
        self, target: Target, pool: Sequence[tuple[str, str]], asked: Sequence[str], count: int, slot: str
    ) -> list[str] | None:
        """Questions for a scheduled post while a plan runs: this week's tasks plus a share of earlier weeks';
        None (the schedule's own choice) without a plan or when the bank has nothing for this week."""
        plan = await self._repo.get_plan(target)
        if plan is None:
            return None
        week = plans.week_of(plan.exam_date, plan.weeks, await self._today(target))
        stats = await self._repo.group_task_stats(target.channel_key)
        weakest = progress.weakest_tasks(stats, [t.id for t in self._quiz.bank.exam.tasks], FINAL_FOCUS)
        current, earlier = plans.focus_tasks(plan.layout, week, weakest)
        now_pool = [p for p in pool if p[1] in set(current)]
        old_pool = [p for p in pool if p[1] in set(earlier)]
        if not now_pool:
            return None
        rng = random.Random(slot)
        review = plans.review_count(count, len(old_pool), rng)
        picked = rules.choose_questions(now_pool, asked, count - review, rng).ids
        if review:
            picked += rules.choose_questions(old_pool, asked, review, rng).ids
        return picked


def _percent(raw: str | None, default: int, name: str) -> int:
    if raw is None:
        return default
    value = raw.rstrip("%")
    if not value.isdigit() or not 50 <= int(value) <= 100:
        raise CommandError(f"`{name}:` is a percentage from 50 to 100, e.g. `{name}:{default}`.")
    return int(value)


def _pct(counts: tuple[int, int] | None) -> float | None:
    return 100 * counts[1] / counts[0] if counts and counts[0] else None


def _acc_text(counts: tuple[int, int] | None) -> str:
    percent = _pct(counts)
    return f"{percent:.0f}% of {counts[0]}" if percent is not None and counts else "no answers"


def _bar(counts: tuple[int, int] | None) -> str:
    percent = _pct(counts) or 0.0
    filled = round(percent / 100 * _BAR)
    return "█" * filled + "░" * (_BAR - filled)


def _totals(by_member: Mapping[str, Mapping[str, tuple[int, int]]]) -> dict[str, tuple[int, int]]:
    return {
        key: (sum(a for a, _ in tasks.values()), sum(c for _, c in tasks.values()))
        for key, tasks in by_member.items()
        if key
    }


def _short(name: str) -> str:
    return name if len(name) <= _NAME else name[: _NAME - 1] + "…"
