"""`stats`: readiness, domain status, streaks and trend for a member, another member, and the group's weakest tasks."""

from __future__ import annotations

import pytest

from bot.cards import QuestionCard, StatsCard
from bot.models import Target, UserRef
from bot.service import QuizError, QuizService
from tests.conftest import FixedClock, member

ALICE, BOB = member("alice"), member("bob")


async def answer_quiz(service: QuizService, who: UserRef, channel: Target, line: str, right: bool) -> None:
    card = await service.run(who, channel, line)
    while isinstance(card, QuestionCard):
        question = service.bank.get(card.question_id)
        assert question is not None
        keys = sorted(question.keys) if right else sorted(set(question.letters) - question.keys)[: question.choose]
        result = await service.answer(who, channel, card.round_id, card.question_no, "".join(keys))
        card = result.next_card  # type: ignore[assignment]


async def test_member_stats_carry_a_readiness_estimate_streaks_and_trend(
    service: QuizService, channel: Target, clock: FixedClock
) -> None:
    empty = await service.stats(ALICE, channel)
    assert empty.progress is not None and empty.progress.readiness is None
    await answer_quiz(service, ALICE, channel, "quiz 3 task:1.1", right=True)
    clock.advance(days=1)
    await answer_quiz(service, ALICE, channel, "quiz 2 task:2.1", right=False)
    card = await service.run(ALICE, channel, "stats")
    assert isinstance(card, StatsCard) and card.progress is not None
    p = card.progress
    assert p.readiness == round(100 + 900 * (32 * 1.0 + 26 * 0.0) / 100)
    assert [d.status for d in p.domains] == ["not enough data"] * 4 and not p.confident
    assert (p.streak, p.best_streak) == (2, 2)
    assert sum(w.answered for w in p.trend) == 5 and len(p.trend) == 4
    assert p.weakest[0].id == "2.1"


async def test_stats_of_another_member_and_of_the_group(service: QuizService, channel: Target) -> None:
    await answer_quiz(service, ALICE, channel, "quiz 3 task:1.1", right=True)
    await answer_quiz(service, BOB, channel, "quiz 2 task:2.1", right=False)
    other = await service.run(BOB, channel, "stats alice")
    assert isinstance(other, StatsCard) and other.user_name == "alice" and other.answered == 3
    group = await service.run(BOB, channel, "stats group")
    assert isinstance(group, StatsCard) and group.group and group.answered == 5
    assert group.progress is not None and [t.id for t in group.progress.weakest] == ["2.1", "1.1"]
    server = await service.run(BOB, channel, "stats group scope:server")
    assert isinstance(server, StatsCard) and server.user_name == "this workspace" and server.answered == 5


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("stats chart:pie", "Unknown chart `pie`"),
        ("stats group scope:galaxy", "Unknown scope `galaxy`"),
        ("leaderboard period:decade", "use all, week, month or season"),
        ("leaderboard page:0", "Pages start at 1."),
        ("drill hard", "Type `drill weak`"),
        ("optin local", "Type `optin global`."),
        ("review 99", "A session has 1 to 65 questions"),
    ],
)
async def test_bad_progress_input_is_one_polite_sentence(
    service: QuizService, channel: Target, line: str, sentence: str
) -> None:
    with pytest.raises(QuizError, match=sentence.replace("(", r"\(").replace("`", "`")):
        await service.run(ALICE, channel, line)
