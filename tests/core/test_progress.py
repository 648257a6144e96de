"""Pure progress maths: readiness edge cases, domain status, streaks, the weekly trend and the weakest tasks."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.progress import (
    MEETS,
    NEEDS_IMPROVEMENT,
    NOT_ENOUGH_DATA,
    DomainScore,
    domain_status,
    readiness,
    streaks,
    weakest_tasks,
    weekly_trend,
)

WEIGHTS = (("1", 32), ("2", 26), ("3", 24), ("4", 18))


def exam(*counts: tuple[int, int]) -> list[DomainScore]:
    return [DomainScore(i, w, a, c) for (i, w), (a, c) in zip(WEIGHTS, counts, strict=True)]


def test_no_answers_gives_no_score() -> None:
    result = readiness(exam((0, 0), (0, 0), (0, 0), (0, 0)))
    assert result.score is None and not result.passing and result.low_data == ("1", "2", "3", "4")


def test_all_right_is_1000_and_all_wrong_is_100() -> None:
    assert readiness(exam((40, 40), (30, 30), (30, 30), (30, 30))).score == 1000
    assert readiness(exam((40, 0), (30, 0), (30, 0), (30, 0))).score == 100


def test_the_pass_mark_is_720_on_the_projected_scale() -> None:
    # 100 + 900 * 0.6889 = 720.0: the lowest weighted accuracy that passes.
    just = readiness(exam((10_000, 6889), (10_000, 6889), (10_000, 6889), (10_000, 6889)))
    below = readiness(exam((10_000, 6880), (10_000, 6880), (10_000, 6880), (10_000, 6880)))
    assert (just.score, just.passing) == (720, True)
    assert (below.score, below.passing) == (719, False)


def test_domains_weigh_by_their_exam_share_and_an_unpractised_one_counts_as_zero() -> None:
    only_development = readiness(exam((50, 50), (0, 0), (0, 0), (0, 0)))
    assert only_development.score == round(100 + 900 * 0.32)
    assert only_development.low_data == ("2", "3", "4") and not only_development.confident


def test_confidence_needs_30_answers_in_every_domain() -> None:
    assert readiness(exam((30, 25), (30, 25), (30, 25), (30, 25))).confident
    assert readiness(exam((30, 25), (30, 25), (30, 25), (29, 25))).low_data == ("4",)


def test_domain_status_boundaries() -> None:
    assert domain_status(29, 29) == NOT_ENOUGH_DATA
    assert domain_status(50, 36) == MEETS  # exactly 72 %
    assert domain_status(50, 35) == NEEDS_IMPROVEMENT
    assert domain_status(30, 22) == MEETS
    assert domain_status(30, 21) == NEEDS_IMPROVEMENT


counts = st.tuples(st.integers(0, 200), st.integers(0, 200)).map(lambda t: (max(t), min(t)))


@given(st.tuples(counts, counts, counts, counts), st.integers(0, 3))
def test_readiness_stays_on_the_scale_and_a_right_answer_never_lowers_it(
    domains: tuple[tuple[int, int], ...], which: int
) -> None:
    before = readiness(exam(*domains))
    answered, correct = domains[which]
    better = list(domains)
    better[which] = (answered + 1, correct + 1)
    after = readiness(exam(*better))
    assert after.score is not None and 100 <= after.score <= 1000
    assert before.score is None or after.score >= before.score


def test_streak_counts_today_or_yesterday_and_remembers_the_best() -> None:
    today = date(2026, 11, 23)
    days = [today - timedelta(days=n) for n in (0, 1, 2, 5, 6, 7, 8)]
    assert streaks(days, today) == (3, 4)
    assert streaks(days[1:], today) == (2, 4)  # yesterday still counts until today ends
    assert streaks(days[2:], today) == (0, 4)
    assert streaks([], today) == (0, 0)


@given(st.sets(st.integers(0, 60)), st.integers(0, 60))
def test_streaks_match_a_day_by_day_count(offsets: set[int], today_offset: int) -> None:
    start = date(2026, 1, 1)
    days = {start + timedelta(days=o) for o in offsets}
    today = start + timedelta(days=max([today_offset, *offsets]))
    current, best = streaks(days, today)
    runs, run = [], 0
    for n in range((today - start).days + 1):
        run = run + 1 if start + timedelta(days=n) in days else 0
        runs.append(run)
    assert best == max(runs, default=0)
    assert current == (runs[-1] if runs[-1] else runs[-2] if len(runs) > 1 else 0)
    assert current <= best


def test_trend_has_four_monday_weeks_ending_with_this_one() -> None:
    today = date(2026, 11, 25)  # a Wednesday
    daily = {date(2026, 11, 23): (4, 3), date(2026, 11, 22): (2, 1), date(2026, 10, 1): (9, 9)}
    trend = weekly_trend(daily, today)
    assert [w.start for w in trend] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    assert [(w.answered, w.correct) for w in trend] == [(0, 0), (0, 0), (2, 1), (4, 3)]


def test_weakest_tasks_rank_accuracy_with_enough_answers_then_the_least_practised() -> None:
    stats = {"1.1": (10, 9), "1.2": (10, 4), "2.1": (3, 0), "2.2": (6, 3)}
    tasks = ["1.1", "1.2", "2.1", "2.2", "3.1"]
    assert weakest_tasks(stats, tasks, 3) == ["1.2", "2.2", "1.1"]
    assert weakest_tasks(stats, tasks, 5) == ["1.2", "2.2", "1.1", "3.1", "2.1"]
    assert weakest_tasks({}, tasks, 2) == ["1.1", "1.2"]
