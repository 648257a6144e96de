"""Pure progress maths: readiness estimate, domain status, daily streaks, weekly trend and weakest tasks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SCALE_MIN, SCALE_MAX, PASS_MARK = 100, 1000, 720
MEETS_ACCURACY = 0.72
MIN_ANSWERS = 30  # answers in a domain before its accuracy is trusted
WEAK_MIN_ANSWERS = 5  # answers in a task before its accuracy ranks it among the weakest
TREND_WEEKS = 4

MEETS, NEEDS_IMPROVEMENT, NOT_ENOUGH_DATA = "meets", "needs improvement", "not enough data"


@dataclass(frozen=True)
class DomainScore:
    """A domain's weight (percent of the exam) and a member's counts in it."""

    id: str
    weight: int
    answered: int
    correct: int


@dataclass(frozen=True)
class Readiness:
    """A projected exam score and how far to trust it."""

    score: int | None  # None before any answer
    weighted_accuracy: float
    passing: bool
    low_data: tuple[str, ...]  # domains with fewer than MIN_ANSWERS answers

    @property
    def confident(self) -> bool:
        """True when every domain has enough answers for its accuracy to mean something."""
        return not self.low_data


@dataclass(frozen=True)
class WeekPoint:
    """Answers in one week (Monday first) of the trend."""

    start: date
    answered: int
    correct: int


def domain_status(answered: int, correct: int) -> str:
    """'meets' at 72 % or better with at least 30 answers; else 'needs improvement' or 'not enough data'."""
    if answered < MIN_ANSWERS:
        return NOT_ENOUGH_DATA
    return MEETS if correct >= MEETS_ACCURACY * answered else NEEDS_IMPROVEMENT


def readiness(domains: Sequence[DomainScore]) -> Readiness:
    """Projected score = 100 + 900 * domain-weighted accuracy; an unpractised domain counts as 0 %."""
    total_weight = sum(d.weight for d in domains)
    low = tuple(d.id for d in domains if d.answered < MIN_ANSWERS)
    if total_weight <= 0 or not any(d.answered for d in domains):
        return Readiness(score=None, weighted_accuracy=0.0, passing=False, low_data=low)
    weighted = sum(d.weight * (d.correct / d.answered if d.answered else 0.0) for d in domains) / total_weight
    score = round(SCALE_MIN + (SCALE_MAX - SCALE_MIN) * weighted)
    return Readiness(score=score, weighted_accuracy=weighted, passing=score >= PASS_MARK, low_data=low)


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, best) runs of consecutive active days; today's streak survives until today ends unanswered."""
    active = sorted(set(days))
    best = run = 0
    previous: date | None = None
    for day in active:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    current = run if previous is not None and (today - previous).days in (0, 1) else 0
    return current, best


def week_start(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


def weekly_trend(daily: Mapping[date, tuple[int, int]], today: date, weeks: int = TREND_WEEKS) -> list[WeekPoint]:
    """(answered, correct) per week for the last `weeks` weeks, oldest first, the current week last."""
    first = week_start(today) - timedelta(weeks=weeks - 1)
    buckets = {first + timedelta(weeks=i): [0, 0] for i in range(weeks)}
    for day, (answered, correct) in daily.items():
        bucket = buckets.get(week_start(day))
        if bucket is not None:
            bucket[0] += answered
            bucket[1] += correct
    return [WeekPoint(start=start, answered=a, correct=c) for start, (a, c) in buckets.items()]


def trend_since(today: date, weeks: int = TREND_WEEKS) -> date:
    """The first day the trend covers."""
    return week_start(today) - timedelta(weeks=weeks - 1)


def weakest_tasks(
    stats: Mapping[str, tuple[int, int]], task_ids: Sequence[str], count: int, min_answers: int = WEAK_MIN_ANSWERS
) -> list[str]:
    """The `count` weakest tasks: lowest accuracy among those with enough answers, then the least practised."""
    known = [t for t in task_ids if stats.get(t, (0, 0))[0] >= min_answers]
    known.sort(key=lambda t: (stats[t][1] / stats[t][0], stats[t][0], t))
    rest = [t for t in task_ids if t not in set(known)]
    rest.sort(key=lambda t: (stats.get(t, (0, 0))[0], t))
    return (known + rest)[:count]


def accuracy(answered: int, correct: int) -> float | None:
    """Share correct, None before any answer."""
    return correct / answered if answered else None
