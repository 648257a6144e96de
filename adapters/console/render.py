"""Plain-text rendering of the core's cards for a terminal (pure functions)."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.console import bank_render
from adapters.console.progress_render import leaderboard_extra, progress_lines
from bot.cards import (
    AnswerResult,
    HelpCard,
    LeaderboardCard,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScheduleCard,
    SettingsCard,
    StatsCard,
)
from bot.models import RoundKind

WIDTH = 100
_KIND = {
    RoundKind.QOTD: "Question of the day",
    RoundKind.QUIZ: "Quiz",
    RoundKind.DRILL: "Drill",
    RoundKind.GROUP: "Round",
}
_NUMBER = {2: "two", 3: "three", 4: "four"}


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first if first is not None else indent, subsequent_indent=indent)


def _pct(correct: int, answered: int) -> str:
    return f"{100 * correct / answered:.0f}%" if answered else "-"


def question(card: QuestionCard) -> str:
    """A question with lettered options and how to answer."""
    kind = _KIND.get(card.kind, card.kind.value.title())
    head = f"{kind} {card.question_no}/{card.total}" if card.total > 1 else kind
    lines = [card.note] if card.note else []
    lines.append(f"{head} · task {card.task} {card.task_name}")
    lines.append(_wrap(card.stem))
    lines += [_wrap(o.text, "      ", f"  {o.letter.upper()})  ") for o in card.options]
    if card.your_choice:
        lines.append(f"You answered {', '.join(card.your_choice.upper())}; {card.answered_count} answered so far.")
    elif card.choose > 1:
        lines.append(f"Choose {_NUMBER.get(card.choose, card.choose)}: type the letters, e.g. a,c")
    else:
        lines.append("Type a letter to answer.")
    return "\n".join(lines)


def reveal(card: RevealCard, mine: str | None = None) -> str:
    """Key, share per option and the explanation of every option."""
    lines = [] if mine is not None else [_wrap(card.stem), f"Answer: {', '.join(card.key.upper())}"]
    for o in card.options:
        mark = "✓" if o.correct else "✗"
        pick = " ← your answer" if mine and o.letter in mine else ""
        share = f" [{100 * o.share(card.answers):.0f}%]" if mine is None and card.answers else ""
        lines.append(_wrap(o.text, "      ", f"  {mark} {o.letter.upper()}) ") + share + pick)
        lines.append(_wrap(o.explanation, "      "))
    if mine is None:
        lines.append(f"{card.answers} answer(s).")
    if mine is None and card.streaks:
        lines.append("Streaks: " + ", ".join(f"{name} {days} days in a row" for name, days in card.streaks))
    lines.append(bank_render.report_hint(card.question_id))
    return "\n".join(lines)


def answer(result: AnswerResult) -> str:
    """An acknowledgement, or feedback with every option's explanation."""
    if result.feedback is None:
        return result.message
    mark = "✓" if result.correct else "✗"
    return f"{mark} {result.message}\n{reveal(result.feedback, mine=result.choice)}"


def summary(card: QuizSummary) -> str:
    """Score, time and accuracy by domain of a finished quiz."""
    minutes, seconds = divmod(card.seconds, 60)
    state = "Quiz ended early" if card.ended_early else "Quiz finished"
    lines = [
        f"{state}: {card.correct}/{card.answered} correct ({card.total} questions) in {minutes} min {seconds:02d} s."
    ]
    if card.by_domain:
        lines.append("Accuracy by domain:")
        lines += [
            f"  {d.id} {d.name:<36} {d.correct}/{d.answered}  {_pct(d.correct, d.answered)}" for d in card.by_domain
        ]
    return "\n".join(lines)


def stats(card: StatsCard) -> str:
    """Accuracy per domain and per task with answered counts."""
    lines = [
        f"Stats for {card.user_name}: {card.answered} answered, {card.correct} correct "
        f"({_pct(card.correct, card.answered)})",
        "By domain:",
    ]
    lines += [
        f"  {d.id:<4} {d.name:<58} {d.answered:>5} answered  {_pct(d.correct, d.answered):>4}" for d in card.domains
    ]
    lines.append("By task statement:")
    lines += [
        f"  {t.id:<4} {t.name:<58} {t.answered:>5} answered  {_pct(t.correct, t.answered):>4}" for t in card.tasks
    ]
    if card.rating:
        lines.append(f"Duel rating: {card.rating}")
    return "\n".join(lines + progress_lines(card))


def leaderboard(card: LeaderboardCard) -> str:
    """A ranked table."""
    if not card.lines:
        empty = "No points yet: answer the question of the day (`qotd`) to get on the board."
        return "\n".join([card.title, empty, *leaderboard_extra(card)])
    lines = [card.title, f"  {'#':>2}  {'Member':<20} {'Points':>6} {'Accuracy':>8} {'Answered':>8}"]
    lines += [
        f"  {s.rank:>2}  {s.name[:20]:<20} {s.points:>6} {_pct(s.correct, s.answered):>8} {s.answered:>8}"
        for s in card.lines
    ]
    return "\n".join(lines + leaderboard_extra(card))


HELP_COLUMN = 46


def help_text(card: HelpCard) -> str:
    """Every command with its arguments."""
    lines = ["Commands:"]
    for h in card.lines:
        summary = f"{h.summary}{' (admin)' if h.admin else ''}"
        if len(h.usage) <= HELP_COLUMN:
            lines.append(f"  {h.usage:<{HELP_COLUMN}} {summary}")
        else:  # a long usage gets its own line, the summary indented under it
            lines += [f"  {h.usage}", _wrap(summary, " " * (HELP_COLUMN + 3))]
    lines += [
        "While a question waits, type its letters (b, or a,c for choose two).",
        "`as NAME <command>` runs one command as another member; Ctrl-D or Ctrl-C quits.",
    ]
    return "\n".join(lines)


def settings(card: SettingsCard) -> str:
    """The settings in force."""
    state = "Saved. " if card.changed else ""
    return f"{state}Timezone {card.timezone}; question of the day revealed at {card.reveal} local time."


def kind_name(kind: RoundKind) -> str:
    """`Question of the day`, `Drill`, …"""
    return _KIND.get(kind, kind.value.title())


def posted(channel: str, card: QuestionCard, slot: str, mention: str | None = None) -> str:
    """A scheduled card as the channel sees it, with how to answer it from the console."""
    how = "type `qotd` to answer it" if card.kind is RoundKind.QOTD else "type `answer` to answer it"
    ping = f"{mention} " if mention else ""
    head = f"\n— {ping}{kind_name(card.kind)} in #{channel} (scheduled post {slot}; {how}) —"
    return f"{head}\n{question(card)}"


def schedules(card: ScheduleCard) -> str:
    """Schedules with their rules and next posts, or the next run times, in the channel's timezone."""
    zone = ZoneInfo(card.timezone)
    lines = [card.message]
    for s in card.schedules:
        state = f"paused ({s.note})" if s.paused else f"next {_local(s.next_run, zone)}" if s.next_run else ""
        lines.append(f"  #{s.id} {kind_name(s.kind)} · {s.rule} · {s.details} · {state}")
    lines += [f"  {_local(run, zone)}" for run in card.runs]
    return "\n".join(lines)


def _local(at: datetime | None, zone: ZoneInfo) -> str:
    if at is None:
        return "-"
    local = at.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"
