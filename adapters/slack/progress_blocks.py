"""Slack mrkdwn for progress (readiness, streaks, trend, weakest tasks) and leaderboard extras; blocks.py wraps it."""

from __future__ import annotations

from bot.cards import LeaderboardCard, StatsCard

_STATUS = {
    "meets": ":white_check_mark: meets",
    "needs improvement": ":warning: needs improvement",
    "not enough data": ":hourglass: not enough data",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pct(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else "-"


def readiness_mrkdwn(card: StatsCard) -> str:
    """The readiness estimate and each domain's status against the pass line ('' without progress)."""
    p = card.progress
    if p is None:
        return ""
    if p.readiness is None:
        head = f"*Readiness estimate:* no answers yet (pass mark {p.pass_mark} on the 100-1000 scale)."
    else:
        verdict = "at or above" if p.readiness >= p.pass_mark else "below"
        head = (
            f"*Readiness estimate: ~{p.readiness}* / 1000, {verdict} the {p.pass_mark} pass mark "
            "_(an estimate from weighted domain accuracy, not AWS's scaling)_"
        )
    lines = [head]
    lines += [
        f"`{d.id}` {_escape(d.name)} ({d.weight}%) · {_pct(d.percent)} of {d.answered} · {_STATUS[d.status]}"
        for d in p.domains
    ]
    if not p.confident:
        lines.append(f"_Low confidence: a domain needs {p.min_answers}+ answers before its accuracy means much._")
    return "\n".join(lines)


def habits_mrkdwn(card: StatsCard) -> str:
    """Streaks, the 4-week trend and the weakest tasks ('' without progress)."""
    p = card.progress
    if p is None:
        return ""
    lines = [
        f"*Streak:* {p.streak} day(s) · best {p.best_streak}",
        "*Last 4 weeks:* " + " · ".join(f"{w.start:%d %b} {_pct(w.percent)} ({w.answered})" for w in p.trend),
    ]
    if p.weakest:
        weakest = "; ".join(f"`{t.id}` {_escape(t.name)} {_pct(t.percent)} of {t.answered}" for t in p.weakest)
        lines.append(f"*Weakest tasks:* {weakest}")
    return "\n".join(lines)


def leaderboard_extra_mrkdwn(card: LeaderboardCard) -> str:
    """The caller's own line when off the page, the page number and any note ('' when none)."""
    lines = []
    if card.you is not None:
        you = card.you
        pct = _pct(100 * you.correct / you.answered if you.answered else None)
        lines.append(f"…\n*{you.rank}.* {_escape(you.name)} · *{you.points}* points · {pct} of {you.answered} (you)")
    if card.pages > 1:
        lines.append(f"Page {card.page} of {card.pages}; add `page:N` for another.")
    if card.note:
        lines.append(_escape(card.note))
    return "\n".join(lines)
