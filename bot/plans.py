"""Pure study-plan maths: lay the exam's task statements over the weeks, find the current week, split a draw between
this week and review, rank the most improved members and name each final-week day's activity."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.models import Target

PLAN_WEEKS = (6, 8)
REVIEW_SHARE = 0.25  # share of a plan's scheduled questions drawn from earlier weeks' tasks
IMPROVED_MIN_ANSWERS = 10
IMPROVED_SHOWN = 3
BELOW_ACCURACY = 0.70
DEFAULT_READY, DEFAULT_COMFORTABLE = 75, 80
FINAL_WEEK_DAYS = 7
# Final-week days by days left to the exam: two full practice exams, drills on weak areas, a light finish.
_COUNTDOWN = {
    7: "full practice exam (`exam`), then read every explanation you missed",
    6: "weak-area drill (`drill weak`) on the tasks the practice exam exposed",
    5: "weak-area drill (`drill weak`) and your due review cards (`review`)",
    4: "full practice exam (`exam`): aim for the practice target",
    3: "weak-area drill (`drill weak`) on what is still below 70%",
    2: "light review (`review`) of your due cards, nothing new",
    1: "light review: a quick quiz (`quiz quick`) and an early night",
    0: "exam day: a calm start, read each question twice; good luck!",
}


@dataclass(frozen=True)
class TaskLoad:
    """A task statement as the planner sees it: its domain's weight share and the group's counts so far."""

    id: str
    share: float  # the domain's weight divided among its tasks (percent of the exam)
    answered: int = 0
    correct: int = 0

    @property
    def weakness(self) -> float:
        """1 minus the smoothed group accuracy (a task nobody answered counts as 50 %)."""
        return 1 - (self.correct + 1) / (self.answered + 2)

    @property
    def load(self) -> float:
        """Study time a task deserves: its exam share, up to doubled for a weak task."""
        return self.share * (1 + self.weakness)


def task_loads(
    tasks: Sequence[tuple[str, str]], weights: Mapping[str, int], stats: Mapping[str, tuple[int, int]]
) -> list[TaskLoad]:
    """TaskLoads from (task id, domain id) pairs, the domains' weights and the group's (answered, correct)."""
    per_domain: dict[str, int] = {}
    for _, domain in tasks:
        per_domain[domain] = per_domain.get(domain, 0) + 1
    return [
        TaskLoad(task, weights.get(domain, 0) / per_domain[domain], *stats.get(task, (0, 0))) for task, domain in tasks
    ]


def lay_out(tasks: Sequence[TaskLoad], weeks: int) -> list[list[str]]:
    """Task ids per week: the weakest (then the heaviest) tasks first, split into study weeks of about equal load;
    the last week is empty, kept for practice exams and weak-area review."""
    if weeks < 2:
        raise ValueError("a plan needs at least one study week and the final week")
    study = weeks - 1
    order = sorted(enumerate(tasks), key=lambda it: (-round(it[1].weakness, 9), -it[1].share, it[0]))
    total = sum(t.load for _, t in order) or 1.0
    layout: list[list[str]] = [[] for _ in range(weeks)]
    done, previous, count = 0.0, 0, len(order)
    for position, (_, task) in enumerate(order):
        wanted = min(study - 1, math.floor((done + task.load / 2) / total * study))
        week = min(previous + 1, max(previous, wanted)) if position else 0
        week = min(study - 1, max(week, study - (count - position)))  # leave a task for every later week
        layout[week].append(task.id)
        done += task.load
        previous = week
    return layout


def plan_start(exam_date: date, weeks: int) -> date:
    """The first day of week 1: the plan ends the day before the exam."""
    return exam_date - timedelta(weeks=weeks)


def week_of(exam_date: date, weeks: int, today: date) -> int:
    """The plan week `today` is in (1-based): before the plan it is 1 (get ready), from the exam on the last."""
    number = (today - plan_start(exam_date, weeks)).days // 7 + 1
    return max(1, min(weeks, number))


def days_left(exam_date: date, today: date) -> int:
    """Whole days until the exam (0 on exam day, negative after it)."""
    return (exam_date - today).days


def countdown_activity(exam_date: date, today: date) -> str | None:
    """The suggested activity of a final-week day (and exam day), None on any other day."""
    return _COUNTDOWN.get(days_left(exam_date, today))


def review_count(count: int, earlier: int, rng: random.Random) -> int:
    """How many of `count` questions come from earlier weeks: REVIEW_SHARE of them, the fraction decided by `rng`."""
    if earlier == 0:
        return 0
    exact = count * REVIEW_SHARE
    whole = math.floor(exact)
    return min(count, whole + (1 if rng.random() < exact - whole else 0))


def focus_tasks(layout: Sequence[Sequence[str]], week: int, weakest: Sequence[str]) -> tuple[list[str], list[str]]:
    """(this week's tasks, earlier weeks' tasks) for draws; the final week focuses on the group's weakest tasks."""
    if week >= len(layout) or not layout[week - 1]:
        current = list(weakest)
        earlier = [t for w in layout[: week - 1] for t in w if t not in current]
        return current, earlier
    return list(layout[week - 1]), [t for w in layout[: week - 1] for t in w]


def move_task(layout: Sequence[Sequence[str]], task: str, week: int) -> list[list[str]]:
    """The layout with `task` moved to `week` (1-based, a study week)."""
    if not 1 <= week < len(layout):
        raise ValueError(f"week must be 1 to {len(layout) - 1}; week {len(layout)} is kept for practice exams")
    moved = [[t for t in w if t != task] for w in layout]
    moved[week - 1].append(task)
    return moved


def most_improved(
    before: Mapping[str, tuple[int, int]],
    after: Mapping[str, tuple[int, int]],
    count: int = IMPROVED_SHOWN,
    min_answers: int = IMPROVED_MIN_ANSWERS,
) -> list[tuple[str, float, float]]:
    """(member, accuracy before, accuracy after) of the members who improved most, with `min_answers` each week."""
    gains = []
    for key, (answered, correct) in after.items():
        old_answered, old_correct = before.get(key, (0, 0))
        if answered < min_answers or old_answered < min_answers:
            continue
        old, new = old_correct / old_answered, correct / answered
        if new > old:
            gains.append((key, old, new))
    gains.sort(key=lambda g: (-(g[2] - g[1]), g[0]))
    return gains[:count]


def readiness_label(best_percent: float | None, ready: int, comfortable: int) -> str:
    """'comfortable', 'ready' or 'not yet' for the best full practice exam score in percent."""
    if best_percent is None:
        return "not yet (no full practice exam taken)"
    if best_percent >= comfortable:
        return "comfortable"
    return "ready" if best_percent >= ready else "not yet"


@dataclass(frozen=True)
class StoredPlan:
    """A channel's study plan as stored."""

    target: Target
    weeks: int
    exam_date: date
    layout: list[list[str]]
    ready_pct: int = DEFAULT_READY
    comfortable_pct: int = DEFAULT_COMFORTABLE
    recap_schedule: int | None = None
    countdown_schedule: int | None = None


class PlanRepository(Protocol):
    """Storage of study plans and the per-day task aggregate (part of the Repository)."""

    async def save_plan(self, plan: StoredPlan, created_by: str | None, at: datetime) -> None:
        """Store (or replace) a channel's plan."""

    async def get_plan(self, target: Target) -> StoredPlan | None:
        """A channel's plan, if one runs."""

    async def delete_plan(self, target: Target) -> bool:
        """Forget a channel's plan."""

    async def task_days(self, scope: str, first: date, last: date) -> dict[str, dict[str, tuple[int, int]]]:
        """{member ('' = the group): {task: (answered, correct)}} of a channel over days first..last."""
