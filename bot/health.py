"""Question health (item analysis) from the answers the bot records: pure functions.

For each question: how many answered, the share correct (p-value), the point-biserial correlation between being
right on it and the member's accuracy on their *other* answers (leaving the item out keeps it from correlating
with itself), and the share choosing each option. A question whose discrimination is negative, or whose most
popular option among the strongest quarter of members is a distractor, is flagged: "key may be wrong".
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from bot.bank_cards import HealthLine
from bot.bank_store import AnswerRow
from bot.models import Question

MIN_ANSWERS = 10  # fewer answers than this say too little to flag a question
KEY_MAY_BE_WRONG = "key may be wrong"


def point_biserial(right: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Correlation of a 0/1 variable with a score; None when either does not vary."""
    n = len(right)
    if n != len(scores) or n < 2:
        return None
    ones = [s for r, s in zip(right, scores, strict=True) if r]
    zeros = [s for r, s in zip(right, scores, strict=True) if not r]
    if not ones or not zeros:
        return None
    mean = sum(scores) / n
    spread = math.sqrt(sum((s - mean) ** 2 for s in scores) / n)
    if spread < 1e-12:
        return None
    p = len(ones) / n
    value = (sum(ones) / len(ones) - sum(zeros) / len(zeros)) / spread * math.sqrt(p * (1 - p))
    return max(-1.0, min(1.0, value))


def analyse(
    rows: Iterable[AnswerRow], questions: Mapping[str, Question], min_answers: int = MIN_ANSWERS
) -> list[HealthLine]:
    """Item analysis of every question that has answers and is known, most suspicious first."""
    rows = list(rows)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_question: dict[str, list[AnswerRow]] = defaultdict(list)
    for row in rows:
        totals[row.user_key][0] += 1
        totals[row.user_key][1] += int(row.correct)
        by_question[row.question_id].append(row)
    lines = []
    for qid, answers in by_question.items():
        question = questions.get(qid)
        if question is not None:
            lines.append(_line(question, answers, totals, min_answers))
    return sorted(
        lines, key=lambda h: (not h.flags, h.discrimination if h.discrimination is not None else 2, h.question_id)
    )


def _rest_accuracy(row: AnswerRow, totals: Mapping[str, list[int]]) -> float | None:
    answered, correct = totals[row.user_key]
    others = answered - 1
    return (correct - int(row.correct)) / others if others > 0 else None


def _line(
    question: Question, answers: list[AnswerRow], totals: Mapping[str, list[int]], min_answers: int
) -> HealthLine:
    n = len(answers)
    picked = Counter(letter for a in answers for letter in a.choice)
    shares = {letter: picked[letter] / n for letter in question.letters}
    scored = [(a, s) for a in answers if (s := _rest_accuracy(a, totals)) is not None]
    r = point_biserial([a.correct for a, _ in scored], [s for _, s in scored]) if len(scored) >= min_answers else None
    flags = []
    if r is not None and r < 0:
        flags.append(f"{KEY_MAY_BE_WRONG}: negative discrimination ({r:+.2f})")
    if len(scored) >= min_answers:
        favourite = _strongest_quarter_favourite(scored, question)
        if favourite is not None and favourite not in question.keys:
            flags.append(f"{KEY_MAY_BE_WRONG}: the strongest quarter mostly chose {favourite.upper()}, a distractor")
    return HealthLine(
        question_id=question.id,
        stem=question.stem,
        answered=n,
        p_value=sum(a.correct for a in answers) / n,
        discrimination=r,
        shares=shares,
        keys="".join(sorted(question.keys)),
        flags=flags,
    )


def _strongest_quarter_favourite(scored: list[tuple[AnswerRow, float]], question: Question) -> str | None:
    ranked = sorted(scored, key=lambda pair: -pair[1])
    top = ranked[: max(1, math.ceil(len(ranked) / 4))]
    picked = Counter(letter for a, _ in top for letter in a.choice)
    if not picked:
        return None
    best = max(picked.values())
    leaders = sorted(letter for letter, count in picked.items() if count == best)
    # A tie between a key and a distractor is not evidence against the key.
    return None if any(letter in question.keys for letter in leaders) else leaders[0]


def flagged(lines: Iterable[HealthLine]) -> list[HealthLine]:
    """Only the questions flagged into the review queue."""
    return [line for line in lines if line.flags]
