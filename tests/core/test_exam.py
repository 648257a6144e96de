"""The pure rules of practice exams: drawing by weight, the scaled estimate, verdicts, time and control ids."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.bank import Bank, default_bank_dir, load_bank
from bot.exam import (
    MEETS,
    NEEDS_IMPROVEMENT,
    ExamControl,
    allocate,
    decode_control,
    domain_counts,
    draw,
    encode_control,
    format_duration,
    format_numbers,
    remaining_seconds,
    scaled_score,
    verdict,
)
from tests.conftest import START

FULL_BANK = load_bank(default_bank_dir())
weights_st = st.dictionaries(st.sampled_from("123456"), st.integers(0, 100), min_size=1, max_size=6)


@given(st.integers(0, 200), weights_st)
def test_allocation_sums_to_the_total_and_each_share_is_within_one_of_its_quota(
    total: int, weights: dict[str, int]
) -> None:
    shares = allocate(total, weights)
    assert sum(shares.values()) == total
    wsum = sum(weights.values()) or len(weights)
    for key, share in shares.items():
        quota = total * (weights[key] if sum(weights.values()) else 1) / wsum
        assert abs(share - quota) < 1


@given(st.integers(0, 100), weights_st, st.data())
def test_a_small_domain_gives_its_shortfall_to_the_others(
    total: int, weights: dict[str, int], data: st.DataObject
) -> None:
    available = {k: data.draw(st.integers(0, 40)) for k in weights}
    counts = domain_counts(total, weights, available)
    assert all(0 <= counts[k] <= available[k] for k in weights)
    assert sum(counts.values()) == min(total, sum(available.values()))


def test_allocation_of_the_dva_c02_weights() -> None:
    weights = {d.id: d.weight for d in FULL_BANK.exam.domains}
    assert allocate(65, weights) == {"1": 21, "2": 17, "3": 15, "4": 12}
    assert allocate(20, weights) == {"1": 6, "2": 5, "3": 5, "4": 4}


@pytest.mark.parametrize(("size", "seed"), [(65, 1), (65, 2), (20, 3), (20, 4)])
def test_a_drawn_exam_follows_the_weights_within_one_question_and_mixes_question_types(size: int, seed: int) -> None:
    questions = draw(FULL_BANK, size, random.Random(seed))
    assert len({q.id for q in questions}) == size
    by_domain = Counter(q.domain_id for q in questions)
    for d in FULL_BANK.exam.domains:
        assert abs(by_domain[d.id] - size * d.weight / 100) <= 1
        kinds = {q.choose > 1 for q in questions if q.domain_id == d.id}
        assert kinds == {True, False}, f"domain {d.id} has only one kind of question"


def test_the_draw_avoids_the_last_exam_where_the_bank_allows(bank: Bank) -> None:
    first = draw(FULL_BANK, 65, random.Random(5))
    second = draw(FULL_BANK, 65, random.Random(6), avoid=[q.id for q in first])
    assert not {q.id for q in first} & {q.id for q in second}
    # The mini bank has 5 questions: asking for all of them repeats what must be repeated.
    everything = draw(bank, 5, random.Random(1), avoid=list(bank.questions))
    assert sorted(q.id for q in everything) == sorted(bank.questions)


def test_scaled_score_is_100_plus_900_times_weighted_accuracy() -> None:
    assert scaled_score([(32, 0, 21), (26, 0, 17)]) == 100
    assert scaled_score([(32, 21, 21), (26, 17, 17)]) == 1000
    # Half right in a domain of weight 50 and all right in one of weight 50: 100 + 900 * 0.75.
    assert scaled_score([(50, 5, 10), (50, 4, 4)]) == 775
    assert scaled_score([]) == 100


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30), st.integers(1, 30)), max_size=6))
def test_scaled_score_stays_on_the_scale_and_rises_with_a_correct_answer(
    rows: list[tuple[int, int, int]],
) -> None:
    rows = [(w, min(c, t), t) for w, c, t in rows]
    score = scaled_score(rows)
    assert 100 <= score <= 1000
    for i, (w, c, t) in enumerate(rows):
        if c < t:
            better = [*rows[:i], (w, c + 1, t), *rows[i + 1 :]]
            assert scaled_score(better) >= score


def test_a_domain_meets_at_72_percent() -> None:
    assert verdict(18, 25) == MEETS  # exactly 72 %
    assert verdict(17, 25) == NEEDS_IMPROVEMENT
    assert verdict(0, 0) == NEEDS_IMPROVEMENT


def test_time_left_and_lists() -> None:
    assert remaining_seconds(START + timedelta(minutes=130), START) == 7800
    assert remaining_seconds(START, START + timedelta(seconds=5)) == 0
    assert remaining_seconds(START + timedelta(milliseconds=1), START) == 1
    assert format_duration(7800) == "2 h 10 min"
    assert format_duration(65) == "1 min 05 s"
    assert format_duration(9) == "9 s"
    assert format_numbers([1, 2, 3, 7, 9, 10]) == "1-3, 7, 9-10"
    assert format_numbers([]) == "none"


@given(st.integers(1, 10**12 - 1), st.sampled_from(["a", "p", "n", "f", "g", "r", "s", "c", "rp"]), st.data())
def test_control_ids_round_trip(round_id: int, action: str, data: st.DataObject) -> None:
    number = data.draw(st.none() | st.integers(1, 999))
    letters = "".join(sorted(data.draw(st.sets(st.sampled_from("abcdef"), max_size=6))))
    text = encode_control(round_id, action, number, letters)
    assert len(text) <= 100
    assert decode_control(text) == ExamControl(round_id, action, number, letters)


@pytest.mark.parametrize("text", ["exam:1:zz:", "exam:x:a:1b", "quiz:1:1:a", "exam:1:a:1g", "exam:1:a:" + "1" * 200])
def test_forged_control_ids_are_not_ours(text: str) -> None:
    assert decode_control(text) is None
