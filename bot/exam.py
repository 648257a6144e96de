"""Practice exams, the pure parts: drawing by domain weight, scaled score, verdicts, time, control ids and cards."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol, runtime_checkable

from bot.bank import Bank
from bot.cards import OptionReveal, OptionView
from bot.models import Frozen, Question, Tally, Target

MEETS_SHARE = 0.72  # a domain "meets" at 72 % correct in the exam, the share the pass mark stands for
SCALE_MIN, SCALE_SPAN = 100, 900
MEETS, NEEDS_IMPROVEMENT = "meets", "needs improvement"
HISTORY_SIZE = 10

# Control ids: `exam:{round}:{action}:{number}{letters}`; untrusted input, re-checked by the core.
EXAM_PREFIX = "exam"
ANSWER, PREV, NEXT, FLAG, GOTO, REVIEW, SUBMIT, CONFIRM, PAGE = "a", "p", "n", "f", "g", "r", "s", "c", "rp"
ACTIONS = frozenset({ANSWER, PREV, NEXT, FLAG, GOTO, REVIEW, SUBMIT, CONFIRM, PAGE})
_CONTROL = re.compile(r"^exam:(\d{1,12}):([a-z]{1,2}):(\d{0,3})([a-f]{0,6})$")
CONTROL_MAX = 100


class ExamControl(NamedTuple):
    """A decoded exam control: which exam, which action, the question (or page) it names and any letters."""

    round_id: int
    action: str
    number: int | None
    letters: str


def encode_control(round_id: int, action: str, number: int | None = None, letters: str = "") -> str:
    """The id of an exam button or menu."""
    return f"{EXAM_PREFIX}:{round_id}:{action}:{'' if number is None else number}{letters}"


def decode_control(text: str) -> ExamControl | None:
    """Decode an exam control id, or None when it is not one of ours."""
    match = _CONTROL.match(text) if len(text) <= CONTROL_MAX else None
    if match is None or match.group(2) not in ACTIONS:
        return None
    number = int(match.group(3)) if match.group(3) else None
    return ExamControl(int(match.group(1)), match.group(2), number, match.group(4))


# ---- drawing ------------------------------------------------------------------------------------------------------


def allocate(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split `total` by weight (largest remainder): each share is the floor or the ceiling of its exact quota."""
    if not weights:
        return {}
    wsum = sum(weights.values())
    shares = {k: (w if wsum else 1) for k, w in weights.items()}
    span = sum(shares.values())
    quotas = {k: total * w / span for k, w in shares.items()}
    result = {k: math.floor(q) for k, q in quotas.items()}
    left = total - sum(result.values())
    # Ties go to the heavier domain, then to the lower id, so the same manifest always splits the same way.
    order = sorted(quotas, key=lambda k: (-(quotas[k] - result[k]), -shares[k], k))
    for key in order[:left]:
        result[key] += 1
    return result


def domain_counts(total: int, weights: Mapping[str, int], available: Mapping[str, int]) -> dict[str, int]:
    """Questions per domain: by weight, with a domain's shortfall (a small bank) spread over the others by weight."""
    want = allocate(total, weights)
    while True:
        excess = sum(max(0, want[d] - available.get(d, 0)) for d in want)
        if excess == 0:
            return want
        want = {d: min(n, available.get(d, 0)) for d, n in want.items()}
        spare = {d: weights[d] for d in want if want[d] < available.get(d, 0)}
        if not spare:
            return want
        for d, extra in allocate(excess, spare).items():
            want[d] += extra


def _fresh_first(pool: Sequence[Question], count: int, rng: random.Random, avoid: set[str]) -> list[Question]:
    fresh = [q for q in pool if q.id not in avoid]
    seen = [q for q in pool if q.id in avoid]
    rng.shuffle(fresh)
    rng.shuffle(seen)
    return (fresh + seen)[:count]


def _pick_domain(pool: Sequence[Question], count: int, rng: random.Random, avoid: set[str]) -> list[Question]:
    """`count` questions of one domain with single and choose-N in the pool's proportion (at least one of each)."""
    singles = [q for q in pool if q.choose == 1]
    multis = [q for q in pool if q.choose > 1]
    multi = round(count * len(multis) / len(pool)) if pool else 0
    if count >= 2 and singles and multis:
        multi = min(max(multi, 1), count - 1)
    multi = min(multi, len(multis))
    single = min(count - multi, len(singles))
    multi = min(count - single, len(multis))
    return _fresh_first(singles, single, rng, avoid) + _fresh_first(multis, multi, rng, avoid)


def draw(bank: Bank, count: int, rng: random.Random, avoid: Iterable[str] = ()) -> list[Question]:
    """An exam's questions: each domain's share by its weight, single and choose-N mixed, `avoid` used last."""
    domains = bank.exam.domains
    pools = {d.id: bank.select(domain=d.id) for d in domains}
    counts = domain_counts(count, {d.id: d.weight for d in domains}, {k: len(v) for k, v in pools.items()})
    avoided = set(avoid)
    picked = [q for d in domains for q in _pick_domain(pools[d.id], counts[d.id], rng, avoided)]
    rng.shuffle(picked)
    return picked


# ---- scoring ------------------------------------------------------------------------------------------------------


def verdict(correct: int, total: int) -> str:
    """A domain's result: "meets" at 72 % or more of its questions right, else "needs improvement"."""
    return MEETS if total and correct / total >= MEETS_SHARE else NEEDS_IMPROVEMENT


def scaled_score(results: Iterable[tuple[int, int, int]]) -> int:
    """100 + 900 x domain-weighted accuracy over (weight, correct, total) rows; an estimate, not AWS's scaling."""
    rows = [(w, c, t) for w, c, t in results if t]
    if not rows:
        return SCALE_MIN
    wsum = sum(w for w, _, _ in rows)
    if wsum:
        accuracy = sum(w * c / t for w, c, t in rows) / wsum
    else:
        accuracy = sum(c for _, c, _ in rows) / sum(t for _, _, t in rows)
    return round(SCALE_MIN + SCALE_SPAN * accuracy)


def remaining_seconds(deadline: datetime, now: datetime) -> int:
    """Whole seconds left until the deadline (rounded up), never below 0."""
    return max(0, math.ceil((deadline - now).total_seconds()))


def format_duration(seconds: int) -> str:
    """`2 h 09 min`, `39 min 05 s` or `12 s`."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def format_numbers(numbers: Sequence[int]) -> str:
    """`1-3, 7, 9-10` for a sorted list of question numbers, `none` when empty."""
    if not numbers:
        return "none"
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


# ---- state and cards ----------------------------------------------------------------------------------------------


class ExamAttempt(Frozen):
    """A stored exam: its order (from the round), drafts and flags, the deadline and, once submitted, the result."""

    round_id: int
    user_key: str
    target: Target
    short: bool
    question_ids: list[str]
    opened_at: datetime
    deadline: datetime
    position: int
    version: int
    choices: dict[int, str]
    flags: frozenset[int]
    submitted_at: datetime | None = None
    timed_out: bool = False
    correct: int | None = None
    score: int | None = None

    @property
    def total(self) -> int:
        """How many questions the exam has."""
        return len(self.question_ids)

    @property
    def unanswered(self) -> list[int]:
        """Question numbers without a draft answer."""
        return [n for n in range(1, self.total + 1) if not self.choices.get(n)]


class ExamSlot(Frozen):
    """One question number as the jump menu shows it."""

    number: int
    answered: bool
    flagged: bool


class ExamQuestionCard(Frozen):
    """One exam question with the member's draft, the flag, progress and the time left; no feedback."""

    round_id: int
    question_no: int
    total: int
    question_id: str
    task: str
    task_name: str
    stem: str
    options: list[OptionView]
    choose: int
    choice: str | None
    flagged: bool
    answered: int
    flagged_count: int
    remaining_seconds: int
    deadline: datetime
    short: bool
    slots: list[ExamSlot]
    notice: str | None = None


class ExamReviewCard(Frozen):
    """The review screen: what is unanswered and flagged, before submitting (`confirming` asks to confirm)."""

    round_id: int
    total: int
    answered: int
    unanswered: list[int]
    flagged: list[int]
    position: int
    remaining_seconds: int
    deadline: datetime
    short: bool
    confirming: bool = False
    notice: str | None = None


class DomainResult(Frozen):
    """One domain's questions in the exam and how many were right."""

    id: str
    name: str
    weight: int
    correct: int
    total: int

    @property
    def verdict(self) -> str:
        """"meets" or "needs improvement"."""
        return verdict(self.correct, self.total)

    @property
    def percent(self) -> float:
        """Share right, in percent."""
        return 100 * self.correct / self.total if self.total else 0.0


class ExamReportItem(Frozen):
    """One question of a submitted exam: the member's answer, the key and every option's explanation."""

    question_no: int
    question_id: str
    task: str
    stem: str
    choice: str | None
    key: str
    correct: bool
    flagged: bool
    options: list[OptionReveal]


class ExamReport(Frozen):
    """A submitted exam: the scaled estimate against the pass mark, per-domain results, time used, the walk-through."""

    round_id: int
    short: bool
    total: int
    answered: int
    correct: int
    score: int
    pass_mark: int
    score_min: int
    score_max: int
    domains: list[DomainResult]
    seconds_used: int
    minutes_allowed: int
    timed_out: bool
    items: list[ExamReportItem]

    @property
    def passed(self) -> bool:
        """Whether the estimate reaches the pass mark."""
        return self.score >= self.pass_mark


class ExamHistoryLine(Frozen):
    """One past (or running) attempt."""

    round_id: int
    opened_at: datetime
    short: bool
    total: int
    correct: int | None
    score: int | None
    passed: bool | None
    seconds_used: int | None
    timed_out: bool


class ExamHistoryCard(Frozen):
    """A member's exam attempts, newest first."""

    user_name: str
    pass_mark: int
    lines: list[ExamHistoryLine]


ExamReply = ExamQuestionCard | ExamReviewCard | ExamReport | ExamHistoryCard


@runtime_checkable
class ExamPort(Protocol):
    """What a front door does when an exam submits itself at its deadline (no member request in flight)."""

    platform: str

    async def show_exam(self, target: Target, message_ref: str | None, report: ExamReport) -> None:
        """Show the report: edit the exam's posted message, or post it where the exam runs when there is none."""


def seconds_used(opened_at: datetime, submitted_at: datetime, minutes: int) -> int:
    """Time used on an exam, capped at the time allowed (a time-out used all of it)."""
    used = int((submitted_at - opened_at).total_seconds())
    return max(0, min(used, int(timedelta(minutes=minutes).total_seconds())))


class ExamRepository(Protocol):
    """Storage of practice exams (part of the Repository port): drafts are kept apart from answers."""

    async def create_exam(
        self,
        target: Target,
        owner: str,
        question_ids: Sequence[str],
        short: bool,
        opened_at: datetime,
        deadline: datetime,
    ) -> int:
        """Create an exam round and its attempt; returns the round id."""

    async def exam_attempt(self, round_id: int) -> ExamAttempt | None:
        """An exam with its drafts and flags."""

    async def open_exam_of(self, owner: str) -> ExamAttempt | None:
        """A member's exam that is not submitted yet."""

    async def open_exam_ids(self) -> list[int]:
        """Every exam not submitted yet."""

    async def update_exam(
        self,
        round_id: int,
        at: datetime,
        position: int,
        question_no: int | None = None,
        choice: str | None = None,
        toggle_flag: bool = False,
    ) -> bool:
        """Move an open exam to `position`, save a draft and/or flip a flag; False once submitted."""

    async def submit_exam(
        self,
        round_id: int,
        version: int,
        at: datetime,
        tallies: Sequence[Tally],
        correct: int,
        score: int,
        timed_out: bool,
    ) -> bool | None:
        """Submit at draft `version` in one transaction: True if this call did, False if done before, None if stale."""

    async def exam_history(self, owner: str, limit: int) -> list[ExamAttempt]:
        """A member's exams, newest first."""
