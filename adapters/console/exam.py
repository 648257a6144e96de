"""Plain-text rendering of practice exams for a terminal (pure functions), and the words typed during an exam."""

from __future__ import annotations

import textwrap

from bot.exam import (
    ExamHistoryCard,
    ExamQuestionCard,
    ExamReport,
    ExamReviewCard,
    format_duration,
    format_numbers,
)

WIDTH = 100
# Typed while an exam is on screen; each becomes `exam <word> …` for the core.
WORDS = frozenset({"next", "n", "prev", "previous", "p", "back", "flag", "unflag", "goto", "go", "review", "submit"})
_NUMBER = {2: "two", 3: "three", 4: "four", 5: "five"}
HELP = "Type letters to answer; `next`, `prev`, `flag`, `goto N`, `review`, `submit`."


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first if first is not None else indent, subsequent_indent=indent)


def _name(short: bool) -> str:
    return "Short practice exam" if short else "Practice exam"


def question(card: ExamQuestionCard) -> str:
    """One exam question with the draft answer, the flag, progress and the time left."""
    flag = " · FLAGGED" if card.flagged else ""
    lines = [] if card.notice is None else [card.notice]
    lines.append(
        f"{_name(card.short)} · question {card.question_no}/{card.total}{flag} · "
        f"{format_duration(card.remaining_seconds)} left · {card.answered} answered, {card.flagged_count} flagged"
    )
    lines.append(f"Task {card.task} {card.task_name}")
    lines.append(_wrap(card.stem))
    lines += [_wrap(o.text, "      ", f"  {o.letter.upper()})  ") for o in card.options]
    if card.choice:
        lines.append(f"Your answer: {', '.join(card.choice.upper())} (type other letters to change it).")
    elif card.choose > 1:
        lines.append(f"Choose {_NUMBER.get(card.choose, card.choose)}: type the letters, e.g. a,c")
    lines.append(HELP)
    return "\n".join(lines)


def review(card: ExamReviewCard) -> str:
    """The review screen: unanswered and flagged questions, then how to submit."""
    lines = [] if card.notice is None else [card.notice]
    lines += [
        f"Review · {card.answered} of {card.total} answered · {format_duration(card.remaining_seconds)} left",
        f"  Unanswered: {format_numbers(card.unanswered)}",
        f"  Flagged:    {format_numbers(card.flagged)}",
    ]
    if card.confirming:
        lines.append("Type `submit` again to hand the exam in, or `goto N` to go back to a question.")
    else:
        lines.append("Type `goto N` to open a question, or `submit` to hand the exam in.")
    return "\n".join(lines)


def report(card: ExamReport) -> str:
    """The scored report and a walk through every question with its key and every option's explanation."""
    state = "Time is up: the exam submitted itself." if card.timed_out else "Exam submitted."
    verdict = "PASS" if card.passed else "FAIL"
    lines = [
        f"{state} {_name(card.short)} report",
        f"Estimated score: {card.score} on the {card.score_min}-{card.score_max} scale (pass mark {card.pass_mark}): "
        f"{verdict}. An estimate from this bank, not AWS's scaling.",
        f"{card.correct} of {card.total} correct, {card.answered} answered · time used "
        f"{format_duration(card.seconds_used)} of {card.minutes_allowed} min",
        "By domain:",
    ]
    lines += [
        f"  {d.id} {d.name:<36} {d.correct:>2}/{d.total:<2} {d.percent:>4.0f}%  {d.verdict}" for d in card.domains
    ]
    for item in card.items:
        mark = "✓" if item.correct else "✗"
        given = ", ".join(item.choice.upper()) if item.choice else "no answer"
        flag = " · flagged" if item.flagged else ""
        lines += [
            "",
            f"{mark} Question {item.question_no} · task {item.task} · {item.question_id}{flag}",
            _wrap(item.stem),
            f"Your answer: {given} · key: {', '.join(item.key.upper())}",
        ]
        for o in item.options:
            tick = "✓" if o.correct else "✗"
            mine = " ← your answer" if item.choice and o.letter in item.choice else ""
            lines.append(_wrap(o.text, "      ", f"  {tick} {o.letter.upper()}) ") + mine)
            lines.append(_wrap(o.explanation, "      "))
    return "\n".join(lines)


def history(card: ExamHistoryCard) -> str:
    """Past attempts with scores, newest first."""
    if not card.lines:
        return f"No practice exams yet for {card.user_name}: start one with `exam` or `exam short`."
    lines = [f"Practice exams of {card.user_name} (pass mark {card.pass_mark}):"]
    for h in card.lines:
        when = f"{h.opened_at:%Y-%m-%d %H:%M} UTC"
        kind = "short" if h.short else "full "
        if h.score is None:
            lines.append(f"  {when}  {kind}  in progress")
            continue
        result = "pass" if h.passed else "fail"
        used = format_duration(h.seconds_used or 0)
        late = " (timed out)" if h.timed_out else ""
        lines.append(f"  {when}  {kind}  {h.score:>4}  {result}  {h.correct}/{h.total} correct  {used}{late}")
    return "\n".join(lines)
