"""Plain-text rendering of duels, group rounds and ratings for a terminal (pure functions)."""

from __future__ import annotations

import textwrap

from adapters.console.render import question
from bot.cards import QuestionCard
from bot.play_cards import DuelCard, RatingLine, RatingsCard, RoundCard, StandingsCard
from bot.play_store import ENDED, JOINING

WIDTH = 100


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first if first is not None else indent, subsequent_indent=indent)


def duel_card(card: DuelCard) -> str:
    """The channel's duel card: the challenge and how to answer it, the game under way, or how it ended."""
    a, b = (s.name for s in card.sides)
    head = f"Duel · {a} vs {b} · {card.count} question{'s' if card.count != 1 else ''}, {card.seconds} s each"
    match card.state:
        case "challenged":
            return f"{head}\n{b}: type `accept` or `decline` (as {b}) before {card.expires_at:%H:%M} UTC."
        case "playing":
            return f"{head}\nAccepted. Both players: type `duel play` for your questions (answers stay private)."
        case "declined":
            return f"{head}\nThe challenge was declined."
        case "expired":
            return f"{head}\nNobody accepted within 10 minutes, so the challenge expired."
    return f"{head}\nFinished: {_verdict(card)}"


def _verdict(card: DuelCard) -> str:
    if card.winner:
        return f"{card.winner} wins."
    return "a draw." if card.draw else "no contest (neither played)."


def duel_result(card: DuelCard) -> str:
    """The result: both scores and times, ratings, then every question with both answers and its explanations."""
    lines = [f"Duel result · {_verdict(card)}"]
    for s in card.sides:
        left = " (left the duel)" if s.left else ""
        rating = ""
        if s.rating is not None and s.change is not None:
            rating = f" · rating {s.rating} ({s.change:+d}){' provisional' if s.provisional else ''}"
        lines.append(f"  {s.name}: {s.points} pts, {s.correct}/{card.count} correct, {s.seconds:.0f} s{left}{rating}")
    if card.rated and card.weight is not None and card.weight < 1:
        lines.append(f"  Counted at {card.weight:.0%}: you have played each other often today.")
    if not card.rated:
        lines.append("  Not rated.")
    for item in card.items:
        lines += ["", f"Question {item.question_no} · task {item.task} · key {', '.join(item.key.upper())}"]
        lines.append(_wrap(item.stem, "  ", "  "))
        for side, choice in zip(card.sides, item.choices, strict=True):
            mark = "✓" if choice == item.key else "✗"
            lines.append(f"  {mark} {side.name}: {', '.join(choice.upper()) if choice else 'no answer'}")
        for o in item.options:
            tick = "✓" if o.correct else "✗"
            lines.append(_wrap(o.text, "        ", f"    {tick} {o.letter.upper()}) "))
            lines.append(_wrap(o.explanation, "        "))
    return "\n".join(lines)


def round_card(card: RoundCard) -> str:
    """The channel's round card: the join window, the round under way, or its end."""
    speed = "speed points on" if card.speed else "speed points off"
    head = f"Round by {card.starter} · {card.total} questions, {card.seconds} s each, {speed}"
    players = f"Players: {', '.join(card.players)}" if card.players else "No players yet."
    if card.phase == JOINING:
        when = f" at {card.starts_at:%H:%M:%S} UTC" if card.starts_at else ""
        return f"{head}\nType `join` to play; the first question comes{when}.\n{players}"
    if card.phase == ENDED:
        return f"{head}\nFinished. {card.note or ''}".rstrip()
    return f"{head}\nUnder way: question {card.current} of {card.total}.\n{players}"


def round_question(channel: str, card: QuestionCard) -> str:
    """A round's question as the channel sees it, with its deadline and how to answer from the console."""
    when = f" until {card.closes_at:%H:%M:%S} UTC" if card.closes_at else ""
    return f"\n— #{channel}: round question{when} (type letters to answer, `as NAME b` for another member) —\n" + (
        question(card)
    )


def standings(card: StandingsCard) -> str:
    """Final standings: points, correct answers and average time."""
    lines = [f"Round over · {card.asked} of {card.total} questions asked. {card.why}"]
    if not card.lines:
        lines.append("Nobody played.")
    for s in card.lines:
        average = f"{s.average_seconds:.1f} s" if s.average_seconds is not None else "-"
        lines.append(f"  {s.rank}. {s.name:<16} {s.points:>4} pts  {s.correct}/{s.answered} correct  avg {average}")
    return "\n".join(lines)


def rating_line(r: RatingLine) -> str:
    """One member's rating with their record."""
    mark = " (provisional)" if r.provisional else ""
    return f"{r.name:<16} {r.rating:>5}{mark}  {r.games} games: {r.wins} W, {r.losses} L, {r.draws} D"


def ratings(card: RatingsCard) -> str:
    """The server's duel ratings, best first, with the caller's own line."""
    if not card.lines:
        return f"{card.title}: no rated duels yet; challenge someone with `duel NAME`."
    lines = [f"{card.title}:"] + [f"  {r.rank}. {rating_line(r)}" for r in card.lines]
    if card.you is not None:
        lines.append(f"  …\n  {card.you.rank}. {rating_line(card.you)}")
    return "\n".join(lines)

