"""Discord rendering of progress: readiness and streak lines, leaderboard extras, and charts as file attachments."""

from __future__ import annotations

import io

import discord

from bot.cards import ChartCard, LeaderboardCard, StatsCard

_STATUS = {"meets": "✅ meets", "needs improvement": "⚠️ needs improvement", "not enough data": "… not enough data"}


def _pct(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else "-"


def progress_fields(card: StatsCard) -> list[tuple[str, str]]:
    """Embed fields: the readiness estimate with each domain's status, then streaks, 4-week trend and weakest tasks."""
    p = card.progress
    if p is None:
        return []
    if p.readiness is None:
        head = f"No answers yet (pass mark {p.pass_mark} on the 100-1000 scale)."
    else:
        verdict = "at or above" if p.readiness >= p.pass_mark else "below"
        head = (
            f"**~{p.readiness}** / 1000, {verdict} the {p.pass_mark} pass mark "
            "(an estimate from weighted domain accuracy, not AWS's scaling)."
        )
    lines = [head]
    lines += [
        f"`{d.id}` {d.weight}% of the exam · {_pct(d.percent)} of {d.answered} · {_STATUS.get(d.status, d.status)}"
        for d in p.domains
    ]
    if not p.confident:
        lines.append(f"_Low confidence: a domain needs {p.min_answers}+ answers before its accuracy means much._")
    habits = [
        f"Streak {p.streak} day(s) · best {p.best_streak}",
        "Last 4 weeks: " + " · ".join(f"{w.start:%d %b} {_pct(w.percent)} ({w.answered})" for w in p.trend),
    ]
    if p.weakest:
        habits.append("Weakest tasks: " + "; ".join(f"`{t.id}` {_pct(t.percent)} of {t.answered}" for t in p.weakest))
    return [("Readiness estimate", "\n".join(lines)), ("Streak and trend", "\n".join(habits))]


def leaderboard_extra(card: LeaderboardCard) -> str:
    """The caller's own line when off the page, the page number and any note."""
    lines = []
    if card.you is not None:
        you = card.you
        pct = _pct(100 * you.correct / you.answered if you.answered else None)
        lines.append(f"…\n**{you.rank}.** {you.name} · {you.points} pts · {pct} · {you.answered} answered (you)")
    if card.pages > 1:
        lines.append(f"Page {card.page} of {card.pages}; use the `page` option for another.")
    if card.note:
        lines.append(card.note)
    return "\n".join(lines)


def chart_file(card: ChartCard) -> discord.File:
    """The chart's PNG as an attachment (a File is sent once, so each message builds its own)."""
    return discord.File(io.BytesIO(card.png), filename=card.filename, description=card.caption[:1024])
