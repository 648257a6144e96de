"""Pure study-plan maths: layouts for 6 and 8 weeks, the current week, draws, most improved, countdown days."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import plans
from bot.bank import Bank
from bot.plans import TaskLoad


def exam_loads(bank: Bank, stats: dict[str, tuple[int, int]] | None = None) -> list[TaskLoad]:
    exam = bank.exam
    return plans.task_loads(
        [(t.id, t.domain_id) for t in exam.tasks], {d.id: d.weight for d in exam.domains}, stats or {}
    )


def week_load(layout: list[list[str]], loads: list[TaskLoad]) -> list[float]:
    by_id = {t.id: t.load for t in loads}
    return [sum(by_id[t] for t in week) for week in layout]


@pytest.mark.parametrize("weeks", [6, 8])
def test_every_task_placed_once_and_the_last_week_reserved(bank: Bank, weeks: int) -> None:
    loads = exam_loads(bank)
    layout = plans.lay_out(loads, weeks)
    assert len(layout) == weeks
    assert layout[-1] == []  # practice exams and weak-area review
    placed = [t for week in layout for t in week]
    assert sorted(placed) == sorted(t.id for t in bank.exam.tasks)
    assert all(layout[:-1])  # every study week has work


@pytest.mark.parametrize("weeks", [6, 8])
def test_weights_respected(bank: Bank, weeks: int) -> None:
    loads = exam_loads(bank)
    layout = plans.lay_out(loads, weeks)
    per_week = week_load(layout, loads)[:-1]
    average, biggest = sum(per_week) / len(per_week), max(t.load for t in loads)
    # Study weeks carry about the same exam weight: none strays from the average by more than one task.
    assert all(abs(w - average) <= biggest for w in per_week)
    # Domain 1 (32 %, three tasks) tasks weigh more than domain 4's (18 %, three tasks) and come earlier.
    share = {t.id: t.share for t in loads}
    assert share["1.1"] == pytest.approx(32 / 3) and share["4.1"] == pytest.approx(6)
    week_of = {t: n for n, week in enumerate(layout) for t in week}
    assert week_of["1.1"] <= week_of["4.1"]


def test_the_groups_weakest_tasks_come_first_and_weigh_more(bank: Bank) -> None:
    stats = {"4.3": (20, 4), "1.1": (20, 18)}  # the group is weak in 4.3, strong in 1.1
    loads = exam_loads(bank, stats)
    layout = plans.lay_out(loads, 6)
    assert layout[0][0] == "4.3"
    by_id = {t.id: t for t in loads}
    assert by_id["4.3"].load > by_id["4.2"].load > by_id["1.1"].load / 32 * 18


@given(
    weeks=st.integers(min_value=2, max_value=10),
    extra=st.integers(min_value=0, max_value=20),
    data=st.data(),
)
def test_layout_properties(weeks: int, extra: int, data: st.DataObject) -> None:
    count = weeks - 1 + extra
    loads = [
        TaskLoad(
            f"{i}.1",
            data.draw(st.floats(min_value=0.5, max_value=40)),
            answered := data.draw(st.integers(min_value=0, max_value=50)),
            data.draw(st.integers(min_value=0, max_value=answered)),
        )
        for i in range(count)
    ]
    layout = plans.lay_out(loads, weeks)
    assert len(layout) == weeks and layout[-1] == []
    assert sorted(t for w in layout for t in w) == sorted(t.id for t in loads)
    assert all(layout[:-1])
    weakness = {t.id: round(t.weakness, 9) for t in loads}
    flat = [t for w in layout for t in w]
    assert [weakness[t] for t in flat] == sorted((weakness[t] for t in flat), reverse=True)


def test_plan_weeks_and_countdown_days() -> None:
    exam = date(2027, 1, 4)
    assert plans.plan_start(exam, 6) == date(2026, 11, 23)
    assert plans.week_of(exam, 6, date(2026, 11, 1)) == 1  # before the plan: get ready with week 1
    assert plans.week_of(exam, 6, date(2026, 11, 29)) == 1
    assert plans.week_of(exam, 6, date(2026, 11, 30)) == 2
    assert plans.week_of(exam, 6, date(2027, 1, 3)) == 6
    assert plans.week_of(exam, 6, date(2027, 2, 1)) == 6
    days = [plans.countdown_activity(exam, exam - timedelta(days=n)) for n in range(9)]
    assert days[8] is None and all(days[:8])
    assert "full practice exam" in str(days[7]) and "full practice exam" in str(days[4])
    assert "weak-area drill" in str(days[6]) and "light review" in str(days[2])


def test_focus_moves_and_review_share() -> None:
    layout = [["1.1", "1.2"], ["2.1"], ["3.1"], []]
    assert plans.focus_tasks(layout, 1, ["3.1"]) == (["1.1", "1.2"], [])
    assert plans.focus_tasks(layout, 3, ["3.1"]) == (["3.1"], ["1.1", "1.2", "2.1"])
    assert plans.focus_tasks(layout, 4, ["2.1", "3.1"]) == (["2.1", "3.1"], ["1.1", "1.2"])  # final week: weakest
    assert plans.move_task(layout, "1.2", 3) == [["1.1"], ["2.1"], ["3.1", "1.2"], []]
    with pytest.raises(ValueError, match="kept for practice exams"):
        plans.move_task(layout, "1.2", 4)
    rng = random.Random(1)
    assert plans.review_count(4, 0, rng) == 0
    assert plans.review_count(4, 3, rng) == 1
    shares = [plans.review_count(1, 3, random.Random(seed)) for seed in range(400)]
    assert 0.15 < sum(shares) / len(shares) < 0.35


def test_most_improved_needs_ten_answers_each_week() -> None:
    before = {"ada": (10, 4), "bo": (10, 5), "dee": (10, 7), "eve": (9, 0)}
    after = {"ada": (10, 8), "bo": (12, 9), "cy": (5, 5), "dee": (10, 6), "eve": (10, 10)}
    assert plans.most_improved(before, after) == [("ada", 0.4, 0.8), ("bo", 0.5, 0.75)]


def test_readiness_labels() -> None:
    assert plans.readiness_label(None, 75, 80).startswith("not yet")
    assert plans.readiness_label(74.9, 75, 80) == "not yet"
    assert plans.readiness_label(75, 75, 80) == "ready"
    assert plans.readiness_label(80, 75, 80) == "comfortable"
