"""Item analysis maths: the point-biserial correlation and the flags, on hand-made answers."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from bot.bank import Bank
from bot.bank_store import AnswerRow
from bot.health import KEY_MAY_BE_WRONG, analyse, point_biserial


def pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=2, max_size=60))
def test_point_biserial_is_pearsons_r_with_a_0_1_variable(pairs: list[tuple[bool, float]]) -> None:
    right = [r for r, _ in pairs]
    scores = [s for _, s in pairs]
    value = point_biserial(right, scores)
    varies = len(set(right)) == 2 and max(scores) - min(scores) > 1e-6
    if value is None:
        assert len(set(right)) < 2 or max(scores) - min(scores) < 1e-5  # None only when nothing varies
        return
    assert -1.0 <= value <= 1.0
    if varies:
        assert math.isclose(value, pearson([float(r) for r in right], scores), abs_tol=1e-6)


def test_nothing_to_correlate_gives_none() -> None:
    assert point_biserial([True, True, True], [0.1, 0.5, 0.9]) is None
    assert point_biserial([True, False], [0.5, 0.5]) is None
    assert point_biserial([True], [0.5]) is None


def _rows(bank: Bank, suspect: str, good_key: bool) -> list[AnswerRow]:
    """Ten strong and ten weak members; on `suspect` the strong ones pick A (or the key with good_key)."""
    rows = []
    others = [q for q in bank.questions.values() if q.id != suspect]
    target = bank.questions[suspect]
    key = "".join(sorted(target.keys))
    for i in range(20):
        strong = i < 10
        user = f"console:m{i}"
        for q in others:
            right = "".join(sorted(q.keys))
            wrong = "".join(sorted(set(q.letters) - q.keys))[: q.choose]
            rows.append(AnswerRow(q.id, user, right if strong else wrong, strong))
        choice = (key if good_key else "a") if strong else ("a" if good_key else key)
        rows.append(AnswerRow(suspect, user, choice, choice == key))
    return rows


def test_a_question_strong_members_get_wrong_is_flagged(bank: Bank) -> None:
    suspect = "1.1-app-code-0001"  # key b
    lines = {h.question_id: h for h in analyse(_rows(bank, suspect, good_key=False), bank.questions)}
    line = lines[suspect]
    assert line.answered == 20 and line.p_value == 0.5
    assert line.discrimination is not None and line.discrimination < -0.9
    assert line.shares == {"a": 0.5, "b": 0.5, "c": 0.0, "d": 0.0}
    assert len(line.flags) == 2 and all(f.startswith(KEY_MAY_BE_WRONG) for f in line.flags)
    assert analyse(_rows(bank, suspect, good_key=False), bank.questions)[0].question_id == suspect  # worst first


def test_a_healthy_question_is_not_flagged_and_few_answers_say_nothing(bank: Bank) -> None:
    suspect = "1.1-app-code-0001"
    lines = {h.question_id: h for h in analyse(_rows(bank, suspect, good_key=True), bank.questions)}
    assert lines[suspect].flags == [] and lines[suspect].discrimination is not None
    assert lines[suspect].discrimination > 0.9
    few = analyse(_rows(bank, suspect, good_key=False)[:40], bank.questions, min_answers=50)
    assert all(h.flags == [] and h.discrimination is None for h in few)
