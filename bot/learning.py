"""Progress features behind QuizService: stats with readiness, charts, review and weak-task picks, leaderboards."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import charts, progress
from bot.bank import Bank
from bot.cards import (
    Accuracy,
    ChartCard,
    DomainProgress,
    LeaderboardCard,
    Progress,
    ScoreLine,
    StatsCard,
    TrendWeek,
)
from bot.models import Question, Target, UserRef
from bot.periods import local_date, period_keys
from bot.ports import Clock, Repository
from bot.storage.progress_store import GLOBAL_SCOPE

PAGE_SIZE = 10
WEAKEST_SHOWN = 3
CHART_WEEKS = 12
PERIOD_NAMES = {"all": "all time", "week": "this week", "month": "this month", "season": "this season"}
PERIOD_ORDER = ("all", "week", "month", "season")  # the order bot.periods.period_keys returns them
ZoneOf = Callable[[Target], Awaitable[ZoneInfo]]
BankOf = Callable[[Target], Awaitable[Bank]]


class Learning:
    """Reads the progress aggregates and turns them into cards; the maths lives in bot.progress and bot.review."""

    def __init__(
        self, bank: Bank, repo: Repository, clock: Clock, zone_of: ZoneOf, bank_of: BankOf | None = None
    ) -> None:
        self.bank = bank
        self._repo = repo
        self._clock = clock
        self._zone_of = zone_of
        self._bank_of = bank_of

    async def _pool(self, target: Target) -> Bank:
        # Reviews and drills draw from the shipped questions this server still shows (hidden ones left out).
        return self.bank.visible_in(await self._bank_of(target)) if self._bank_of else self.bank

    # ---- stats ------------------------------------------------------------------------------------------------

    async def member_stats(self, user_key: str, name: str, target: Target) -> StatsCard:
        """A member's accuracy per domain and task, trend, streaks and readiness estimate."""
        return await self._card(name, user_key, lambda: self._repo.task_stats(user_key), target, group=False)

    async def group_stats(self, target: Target, workspace: bool) -> StatsCard:
        """The same for a whole channel or workspace, with the group's weakest tasks."""
        scope = target.workspace_key if workspace else target.channel_key
        name = "this workspace" if workspace else "this channel"
        return await self._card(name, scope, lambda: self._repo.group_task_stats(scope), target, group=True)

    async def _card(
        self,
        name: str,
        subject: str,
        counts: Callable[[], Awaitable[Mapping[str, tuple[int, int]]]],
        target: Target,
        group: bool,
    ) -> StatsCard:
        today = local_date(self._clock.now(), await self._zone_of(target))
        # Three independent reads in flight together: one wait for the database instead of three in a row.
        rows, daily, days = await asyncio.gather(
            counts(), self._repo.daily_stats(subject, progress.trend_since(today)), self._repo.active_days(subject)
        )
        tasks = [
            Accuracy(id=t.id, name=t.name, answered=rows.get(t.id, (0, 0))[0], correct=rows.get(t.id, (0, 0))[1])
            for t in self.bank.exam.tasks
        ]
        domains = [self._domain(d.id, tasks) for d in self.bank.exam.domains]
        estimate = progress.readiness(
            [
                progress.DomainScore(d.id, d.weight, a.answered, a.correct)
                for d, a in zip(self.bank.exam.domains, domains, strict=True)
            ]
        )
        trend = progress.weekly_trend(_totals(daily), today)
        current, best = progress.streaks(days, today)
        weakest_ids = progress.weakest_tasks(rows, [t.id for t in tasks if rows.get(t.id)], WEAKEST_SHOWN)
        by_id = {t.id: t for t in tasks}
        return StatsCard(
            user_name=name,
            answered=sum(t.answered for t in tasks),
            correct=sum(t.correct for t in tasks),
            domains=domains,
            tasks=tasks,
            group=group,
            progress=Progress(
                readiness=estimate.score,
                pass_mark=self.bank.exam.pass_mark,
                confident=estimate.confident,
                min_answers=progress.MIN_ANSWERS,
                domains=[
                    DomainProgress(
                        id=d.id,
                        name=a.name,
                        weight=d.weight,
                        answered=a.answered,
                        correct=a.correct,
                        status=progress.domain_status(a.answered, a.correct),
                    )
                    for d, a in zip(self.bank.exam.domains, domains, strict=True)
                ],
                trend=[TrendWeek(start=w.start, answered=w.answered, correct=w.correct) for w in trend],
                streak=current,
                best_streak=best,
                weakest=[by_id[t] for t in weakest_ids],
            ),
        )

    def _domain(self, domain_id: str, tasks: list[Accuracy]) -> Accuracy:
        domain = self.bank.exam.domain(domain_id)
        mine = [t for t in tasks if t.id.split(".")[0] == domain_id]
        return Accuracy(
            id=domain_id,
            name=domain.name if domain else domain_id,
            answered=sum(t.answered for t in mine),
            correct=sum(t.correct for t in mine),
        )

    # ---- charts -----------------------------------------------------------------------------------------------

    async def chart(self, kind: str, card: StatsCard, subject: str, target: Target) -> ChartCard:
        """A PNG of accuracy by domain against the pass line, or of weekly progress over time."""
        pass_percent = 100 * progress.MEETS_ACCURACY
        slug = "".join(c if c.isalnum() else "-" for c in card.user_name.lower()).strip("-") or "member"
        if kind == "domains":
            bars = [charts.Bar(f"{d.id} {_short(d.name)}", d.percent, d.answered) for d in card.domains]
            png = await charts.render_domains(f"Accuracy by domain: {card.user_name}", bars, pass_percent)
            caption = f"Accuracy by domain for {card.user_name}; the dashed line is {pass_percent:.0f}%."
        else:
            today = local_date(self._clock.now(), await self._zone_of(target))
            daily = await self._repo.daily_stats(subject, progress.trend_since(today, CHART_WEEKS))
            weeks = progress.weekly_trend(_totals(daily), today, CHART_WEEKS)
            points = [charts.Point(w.start, _pct(w.answered, w.correct), w.answered) for w in weeks]
            png = await charts.render_progress(f"Weekly progress: {card.user_name}", points, pass_percent)
            caption = f"Answers and accuracy per week for {card.user_name} over the last {CHART_WEEKS} weeks."
        stamp = self._clock.now().strftime("%Y%m%d-%H%M%S")
        return ChartCard(title=caption, filename=f"{kind}-{slug}-{stamp}.png", png=png, caption=caption)

    # ---- review and weak-task drills --------------------------------------------------------------------------

    async def review_plan(self, user: UserRef, target: Target, count: int) -> tuple[list[Question], str]:
        """Due cards first (most overdue first), then new questions from the weakest tasks; and a status line."""
        now = self._clock.now()
        zone = await self._zone_of(target)
        end_of_today = _end_of_day(now, zone)
        due_today = await self._repo.due_count(user.key, end_of_today)
        pool = await self._pool(target)
        picked = [q for q in (pool.get(i) for i in await self._repo.due_cards(user.key, now, count)) if q]
        due_now = len(picked)
        if len(picked) < count:
            carded = await self._repo.carded_questions(user.key)
            exclude = {q.id for q in picked}
            picked += await self._weak_questions(user, count - len(picked), carded, exclude, pool)
        new = len(picked) - due_now
        status = (
            f"Review: {due_today} card(s) due today, {due_now} due now; {new} new question(s) from your weakest tasks."
        )
        return picked, status

    async def weak_questions(self, user: UserRef, count: int, target: Target) -> list[Question]:
        """Questions from a member's weakest tasks (lowest accuracy with enough answers, else least practised)."""
        carded = await self._repo.carded_questions(user.key)
        return await self._weak_questions(user, count, carded, set(), await self._pool(target))

    async def _weak_questions(
        self, user: UserRef, count: int, avoid: set[str], exclude: set[str], pool: Bank
    ) -> list[Question]:
        stats = await self._repo.task_stats(user.key)
        stocked = [t.id for t in pool.exam.tasks if pool.select(task=t.id)]
        tasks = progress.weakest_tasks(stats, stocked, WEAKEST_SHOWN)
        rng = random.Random(f"{user.key}:{self._clock.now().isoformat()}")
        pools = [[q for q in pool.pick(count, rng, task=t, avoid=avoid) if q.id not in exclude] for t in tasks]
        picked: list[Question] = []
        # Round-robin over the weakest tasks, so one task with many questions does not crowd out the others.
        while len(picked) < count and any(pools):
            for queue in pools:
                if queue and len(picked) < count:
                    picked.append(queue.pop(0))
        return picked

    # ---- leaderboards -----------------------------------------------------------------------------------------

    async def leaderboard(
        self, target: Target, scope: str, period: str, page: int, user: UserRef | None, size: int = PAGE_SIZE
    ) -> LeaderboardCard:
        """A page of a board with points, accuracy and answered, plus the caller's own line when off the page."""
        zone = await self._zone_of(target)
        key = dict(zip(PERIOD_ORDER, period_keys(self._clock.now(), zone), strict=True))[period]
        scope_key = {"channel": target.channel_key, "server": target.workspace_key, "global": GLOBAL_SCOPE}[scope]
        rows, total = await self._repo.board(scope_key, key, size, (page - 1) * size)
        pages = max(1, math.ceil(total / size))
        if page > pages:  # past the end: show the last page rather than an empty one
            page = pages
            rows, total = await self._repo.board(scope_key, key, size, (page - 1) * size)
        names = await self._repo.member_names([r[0] for r in rows])
        lines = [_line(rank, row, names) for rank, row in enumerate(rows, start=(page - 1) * size + 1)]
        you = None
        note = None
        if user is not None and all(line.user_key != user.key for line in lines):
            mine = await self._repo.rank_of(scope_key, key, user.key)
            if mine is not None:
                you = _line(mine[0], mine[1], {user.key: user.name})
            elif scope == "global" and not await self._repo.opted_in(user.key):
                note = "You are not on the global board; `optin global` adds you."
        where = {"channel": "this channel", "server": "this workspace", "global": "all servers (opted-in members)"}
        title = f"Leaderboard: {where[scope]}, {PERIOD_NAMES[period]}"
        return LeaderboardCard(title=title, lines=lines, page=page, pages=pages, you=you, note=note)

    async def opt(self, user: UserRef, opted_in: bool) -> str:
        """Opt in to or out of the global leaderboard; returns the sentence to show."""
        await self._repo.remember_member(user.key, user.name)
        await self._repo.set_opt_in(user.key, opted_in, self._clock.now())
        if opted_in:
            return "You are on the global leaderboard now (`leaderboard scope:global`); `optout global` removes you."
        return "You are off the global leaderboard; your channel and server boards are unchanged."


def _line(rank: int, row: tuple[str, int, int, int], names: Mapping[str, str]) -> ScoreLine:
    key, points, answered, correct = row
    name = names.get(key, key.split(":", 1)[-1])
    return ScoreLine(rank=rank, name=name, points=points, answered=answered, correct=correct, user_key=key)


def _totals(daily: Mapping[date, Mapping[str, tuple[int, int]]]) -> dict[date, tuple[int, int]]:
    return {day: (sum(a for a, _ in d.values()), sum(c for _, c in d.values())) for day, d in daily.items()}


def _pct(answered: int, correct: int) -> float | None:
    return 100 * correct / answered if answered else None


def _short(name: str) -> str:
    return name.split(" ")[0] if len(name) > 14 else name


def _end_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    tomorrow = local_date(now, zone) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone) - timedelta(microseconds=1)
