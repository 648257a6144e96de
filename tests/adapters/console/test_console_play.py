"""Duels and group rounds in the console: one terminal plays both sides with `as NAME`; a restart mid-round."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.app import Console
from bot.bank import Bank
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.adapters.console.test_console_e2e import quizbot
from tests.conftest import FakeScheduler, FixedClock


@pytest.fixture
async def setup(tmp_path: Path, bank: Bank) -> AsyncIterator[tuple[Console, io.StringIO, FixedClock, FakeScheduler]]:
    repo = await SqliteRepository.open(tmp_path / "quizbot.sqlite3")
    clock, scheduler, out = FixedClock(), FakeScheduler(), io.StringIO()
    service = QuizService(bank, repo, scheduler, clock)
    console = Console(service, "ada", "study", out=out)
    service.add_port(console.port)
    yield console, out, clock, scheduler
    await repo.close()


def key_shown(bank: Bank, text: str) -> str:
    """The key of the last question printed (found by its stem)."""
    last = max(bank.questions.values(), key=lambda q: text.rfind(q.stem[:60]))
    return ",".join(sorted(last.keys))


async def test_one_terminal_plays_a_whole_duel_with_as_name(
    setup: tuple[Console, io.StringIO, FixedClock, FakeScheduler], bank: Bank
) -> None:
    console, out, clock, _ = setup
    await console.handle("duel bob count:2 seed:3")
    assert "Duel · ada vs bob · 2 questions, 60 s each" in out.getvalue()
    assert "bob: type `accept` or `decline` (as bob)" in out.getvalue()
    await console.handle("as bob accept")
    assert "Accepted. Both players: type `duel play`" in out.getvalue()
    assert "bob: Duel on!" in out.getvalue() and "Duel with ada" in out.getvalue()
    for _ in range(2):
        clock.advance(seconds=4)
        await console.handle(f"as bob {key_shown(bank, out.getvalue())}")
    assert "the result is posted in the channel when your opponent is done" in out.getvalue()
    await console.handle("duel play")
    for _ in range(2):
        clock.advance(seconds=9)
        await console.handle("a" if "a" not in key_shown(bank, out.getvalue()) else "b")
    text = out.getvalue()
    result = text.split("Duel result · ", 1)[1]
    assert result.startswith("bob wins.")
    assert "bob: 20 pts, 2/2 correct, 8 s · rating 1220 (+20) provisional" in result
    assert "ada: 0 pts, 0/2 correct" in result and "rating 1180 (-20)" in result
    assert "✓ bob:" in result and "✗ ada:" in result
    await console.handle("ratings")
    assert "1. bob" in out.getvalue().split("Duel ratings:", 1)[1]
    await console.handle("stats")
    assert "Duel rating: 1180 (provisional) · 0 W 1 L 0 D" in out.getvalue()


async def test_decline_and_expire_in_the_console(
    setup: tuple[Console, io.StringIO, FixedClock, FakeScheduler],
) -> None:
    console, out, clock, scheduler = setup
    await console.handle("duel ada")
    assert "You can't duel yourself" in out.getvalue()
    await console.handle("duel bob")
    await console.handle("as bob decline")
    assert "Challenge declined." in out.getvalue() and "The challenge was declined." in out.getvalue()
    await console.handle("duel carol")
    clock.advance(minutes=10)
    await scheduler.run_due(clock.now())
    assert "Nobody accepted within 10 minutes, so the challenge expired." in out.getvalue()
    await console.handle("as carol accept")
    assert "You have no open duel" in out.getvalue()


async def test_a_group_round_in_the_console_with_join_answers_reveals_and_standings(
    setup: tuple[Console, io.StringIO, FixedClock, FakeScheduler], bank: Bank
) -> None:
    console, out, clock, scheduler = setup
    await console.handle("round 2 seconds:20 seed:2")
    assert "Round by ada · 2 questions, 20 s each, speed points on" in out.getvalue()
    await console.handle("as bob join")
    assert "Players: ada, bob" in out.getvalue()
    clock.advance(seconds=30)
    await scheduler.run_due(clock.now())
    assert "round question until 09:00:50 UTC" in out.getvalue()
    clock.advance(seconds=2)
    await console.handle(key_shown(bank, out.getvalue()))
    await console.handle("as bob a" if "a" not in key_shown(bank, out.getvalue()) else "as bob b")
    assert "everyone has answered, so here is the reveal" in out.getvalue()
    assert "Round revealed in #study" in out.getvalue() and "[50%]" in out.getvalue()  # shares per option
    clock.advance(seconds=5)
    await scheduler.run_due(clock.now())
    await console.handle("as bob stop")
    assert "Only the member who started this round, or an admin, can stop it." in out.getvalue()
    await console.handle("stop")
    text = out.getvalue()
    assert "Round stopped; the standings are in the channel." in text
    standings = text.split("Round over · 2 of 2 questions asked. Stopped by ada.", 1)[1]
    assert "1. ada" in standings and "10 pts  1/1 correct" in standings and "2. bob" in standings


def test_a_round_survives_a_restart_of_the_real_console(tmp_path: Path) -> None:
    first = quizbot(tmp_path, "round 2\nas bob join\n", "console", "--user", "ada")
    assert "Type `join` to play" in first.stdout, first.stderr
    again = quizbot(tmp_path, "round\n", "console", "--user", "ada")
    assert "A round is already running in this channel" in again.stdout  # resumed from the database
