"""The same answer delivered twice through the console: one row and one score change.

Discord double clicks: tests/adapters/discord/test_qotd.py; Slack double clicks and retried events:
tests/adapters/slack/test_http.py; a Slack answer retried with X-Slack-Retry-Num: tests/reliability/slack.
"""

from __future__ import annotations

import asyncio
import io

from adapters.console.app import Console
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository


async def test_two_terminals_answering_the_same_question_count_once(
    service: QuizService, repo: SqliteRepository
) -> None:
    outs = [io.StringIO(), io.StringIO()]
    terminals = [Console(service, "ada", "study", out) for out in outs]  # ada in two terminals at once
    for terminal in terminals:
        await terminal.handle("qotd")
    card = terminals[0]._waiting["console:ada"]
    letters = ",".join(o.letter for o in card.options[: card.choose])
    await asyncio.gather(*(t.handle(letters) for t in terminals))  # both send her answer at the same moment
    said = sorted(out.getvalue().splitlines()[-1] for out in outs)
    assert said[0].startswith("Recorded your answer ")
    assert said[1].startswith("You already answered this question")
    assert len(await repo.answers(1)) == 1
    await terminals[0].handle("reveal")
    board = await repo.leaderboard("ch:console:console:study", "all", 10)
    assert [(key, answered) for key, _, answered, _ in board] == [("console:ada", 1)]


async def test_a_repeated_quiz_answer_line_is_not_counted_twice(service: QuizService, repo: SqliteRepository) -> None:
    out = io.StringIO()
    console = Console(service, "ada", "study", out)
    await console.handle("quiz 2 seed:3")
    card = console._waiting["console:ada"]
    letters = ",".join(o.letter for o in card.options[: card.choose])
    # the same answer twice for question 1 (a stuttering pipe), straight through the service as the console calls it
    results = await asyncio.gather(
        service.answer(console.user, console.target, card.round_id, 1, letters),
        service.answer(console.user, console.target, card.round_id, 1, letters),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert len(await repo.answers(card.round_id)) == 1
    assert sum(n for n, _ in (await repo.task_stats("console:ada")).values()) == 1
