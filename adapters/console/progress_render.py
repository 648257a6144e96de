"""Plain-text progress (readiness, streaks, trend, weakest tasks), leaderboard extras and chart files for a terminal."""

from __future__ import annotations

from pathlib import Path

from bot.cards import ChartCard, LeaderboardCard, Progress, StatsCard


def _pct(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else "-"


def progress_lines(card: StatsCard) -> list[str]:
    """Readiness estimate, domain status against the pass line, streaks, trend and the weakest tasks."""
    p = card.progress
    if p is None:
        return []
    lines = [readiness_line(p)]
    lines += [
        f"  {d.id:<4} {d.name[:40]:<40} weight {d.weight:>2}%  {_pct(d.percent):>4} of {d.answered:<4} {d.status}"
        for d in p.domains
    ]
    if not p.confident:
        lines.append(
            f"  Confidence is low: a domain needs at least {p.min_answers} answers before its accuracy means much."
        )
    lines.append(f"Streak: {p.streak} day(s) now, best {p.best_streak}.")
    lines.append("Last 4 weeks: " + " · ".join(f"{w.start:%d %b} {_pct(w.percent)} ({w.answered})" for w in p.trend))
    if p.weakest:
        lines.append(
            "Weakest tasks: " + "; ".join(f"{t.id} {t.name} {_pct(t.percent)} of {t.answered}" for t in p.weakest)
        )
    return lines


def readiness_line(p: Progress) -> str:
    """The projected score sentence, always marked as an estimate."""
    if p.readiness is None:
        return f"Readiness estimate: no answers yet (pass mark {p.pass_mark} on the 100-1000 scale)."
    verdict = "at or above" if p.readiness >= p.pass_mark else "below"
    return (
        f"Readiness estimate: ~{p.readiness} on the 100-1000 scale, {verdict} the {p.pass_mark} pass mark "
        "(an estimate from weighted domain accuracy, not AWS's scaling)."
    )


def leaderboard_extra(card: LeaderboardCard) -> list[str]:
    """The caller's own line when off the page, the page number and any note."""
    lines = []
    if card.you is not None:
        you = card.you
        pct = _pct(100 * you.correct / you.answered if you.answered else None)
        lines.append(f"  …\n  {you.rank:>2}  {you.name[:20]:<20} {you.points:>6} {pct:>8} {you.answered:>8}  (you)")
    if card.pages > 1:
        lines.append(f"Page {card.page} of {card.pages}; `page:N` shows another.")
    if card.note:
        lines.append(card.note)
    return lines


def save_chart(card: ChartCard, directory: Path) -> Path:
    """Write the PNG under `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / card.filename
    path.write_bytes(card.png)
    return path
