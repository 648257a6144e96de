"""QuizService end to end on a real SQLite file, with a fake scheduler, a fixed clock and a recording port."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.bank import Bank
from bot.cards import HelpCard, LeaderboardCard, Outcome, QuestionCard, RevealCard, SettingsCard, StatsCard
from bot.commands import QuizRequest, SettingsChange
from bot.models import RoundKind, Target
from bot.service import AlreadyAnswered, QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FakeScheduler, FixedClock, RecordingPort, member

ALICE, BOB, ADMIN = member("alice"), member("bob"), member("root", admin=True)


def key_of(service: QuizService, card: QuestionCard) -> str:
    question = service.bank.get(card.question_id)
    assert question is not None
    return "".join(sorted(question.keys))


def wrong_of(service: QuizService, card: QuestionCard) -> str:
    question = service.bank.get(card.question_id)
    assert question is not None
    wrong = [letter for letter in question.letters if letter not in question.keys]
    return "".join(sorted(wrong[: question.choose]))


async def test_qotd_is_one_question_per_channel_and_day(service: QuizService, channel: Target) -> None:
    first = await service.qotd(ALICE, channel)
    again = await service.qotd(BOB, channel)
    assert isinstance(first, QuestionCard) and isinstance(again, QuestionCard)
    assert (first.round_id, first.question_id) == (again.round_id, again.question_id)
    other = await service.qotd(ALICE, channel.model_copy(update={"channel": "other"}))
    assert isinstance(other, QuestionCard) and other.round_id != first.round_id


async def test_qotd_reveals_at_the_next_local_reveal_time(
    service: QuizService, channel: Target, scheduler: FakeScheduler
) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    assert card.closes_at == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    assert scheduler.jobs[f"close:{card.round_id}"][0] == card.closes_at


async def test_qotd_answer_is_recorded_once_and_refused_politely_the_second_time(
    service: QuizService, channel: Target, repo: SqliteRepository
) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    result = await service.answer(ALICE, channel, card.round_id, 1, key_of(service, card))
    assert result.outcome is Outcome.RECORDED
    assert "revealed at 18:00 UTC" in result.message
    with pytest.raises(AlreadyAnswered, match="first answer stands"):
        await service.answer(ALICE, channel, card.round_id, 1, wrong_of(service, card))
    # Nothing reaches stats or the leaderboard before the reveal: it would tell members whether they were right.
    assert await repo.leaderboard(channel.channel_key, "all", 10) == []
    assert (await service.stats(ALICE)).answered == 0
    await service.reveal_now(ADMIN, channel)
    assert await repo.leaderboard(channel.channel_key, "all", 10) == [("console:alice", 10, 1, 1)]
    assert (await service.stats(ALICE)).correct == 1


async def test_reveal_at_time_posts_key_shares_and_every_explanation(
    service: QuizService, channel: Target, scheduler: FakeScheduler, clock: FixedClock, port: RecordingPort
) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    await service.attach_message(card.round_id, "msg-1")
    await service.answer(ALICE, channel, card.round_id, 1, key_of(service, card))
    await service.answer(BOB, channel, card.round_id, 1, wrong_of(service, card))
    clock.advance(hours=9)
    assert await scheduler.run_due(clock.now()) == [f"close:{card.round_id}"]
    [(target, refs, reveal)] = port.reveals
    assert target == channel and refs == ["msg-1"]
    assert reveal.answers == 2 and reveal.key == key_of(service, card)
    assert all(o.explanation for o in reveal.options)
    assert sum(o.count for o in reveal.options if o.correct) >= 1
    with pytest.raises(QuizError, match="closed"):
        await service.answer(member("carol"), channel, card.round_id, 1, key_of(service, card))


async def test_answer_counts_update_posted_cards(service: QuizService, channel: Target, port: RecordingPort) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    await service.attach_message(card.round_id, "msg-1")
    await service.answer(BOB, channel, card.round_id, 1, key_of(service, card))
    assert [(ref, c.answered_count) for _, ref, c in port.updates] == [("msg-1", 1)]


async def test_after_the_reveal_qotd_shows_the_reveal(service: QuizService, channel: Target) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    await service.reveal_now(ADMIN, channel)
    assert isinstance(await service.qotd(ALICE, channel), RevealCard)


async def test_non_admin_cannot_reveal_or_change_settings(service: QuizService, channel: Target) -> None:
    await service.qotd(ALICE, channel)
    with pytest.raises(QuizError, match="only an admin"):
        await service.reveal_now(ALICE, channel)
    with pytest.raises(QuizError, match="only an admin"):
        await service.run(ALICE, channel, "settings timezone:Europe/Berlin")
    shown = await service.run(ALICE, channel, "settings")
    assert isinstance(shown, SettingsCard) and shown.timezone == "UTC"


async def test_settings_change_the_reveal_time_in_the_channel_timezone(service: QuizService, channel: Target) -> None:
    changed = await service.run(ADMIN, channel, "settings timezone:Europe/Berlin reveal:19:30")
    assert isinstance(changed, SettingsCard) and changed.changed
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    assert card.closes_at == datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 19:30 CET


@pytest.mark.parametrize(
    ("round_id", "question_no", "choice", "message"),
    [
        (999, 1, "a", "not available here"),
        (1, 7, "a", "not part of this round"),
        (1, 1, "z", "no option Z"),
        (1, 1, "", "option letters"),
    ],
)
async def test_forged_or_invalid_answers_are_refused_and_write_nothing(
    service: QuizService,
    channel: Target,
    repo: SqliteRepository,
    round_id: int,
    question_no: int,
    choice: str,
    message: str,
) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard) and card.round_id == 1
    with pytest.raises(QuizError, match=message):
        await service.answer(BOB, channel, round_id, question_no, choice)
    assert await repo.answers(1) == []


async def test_an_answer_from_another_channel_is_refused(service: QuizService, channel: Target) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    elsewhere = Target(platform="console", workspace="console", channel="elsewhere")
    with pytest.raises(QuizError, match="another channel"):
        await service.answer(ALICE, elsewhere, card.round_id, 1, "a")


async def test_solo_quiz_gives_feedback_then_a_summary_and_no_points(
    service: QuizService, channel: Target, repo: SqliteRepository
) -> None:
    card = await service.start_quiz(ALICE, channel, QuizRequest(count=3, seed=7))
    assert card.total == 3 and card.kind is RoundKind.QUIZ
    correct = 0
    for number in (1, 2, 3):
        assert card.question_no == number
        choice = key_of(service, card) if number != 2 else wrong_of(service, card)
        result = await service.answer(ALICE, channel, card.round_id, number, choice)
        assert result.outcome is Outcome.FEEDBACK and result.feedback is not None
        assert all(o.explanation for o in result.feedback.options)
        correct += bool(result.correct)
        if number < 3:
            assert result.next_card is not None
            card = result.next_card
        else:
            assert result.summary is not None and result.next_card is None
            assert (result.summary.correct, result.summary.answered) == (2, 3)
            assert sum(d.answered for d in result.summary.by_domain) == 3
    assert correct == 2
    assert await repo.leaderboard(channel.channel_key, "all", 10) == [("console:alice", 0, 3, 2)]
    assert (await service.stats(ALICE)).answered == 3


async def test_quiz_questions_must_be_answered_in_order_and_only_by_their_owner(
    service: QuizService, channel: Target
) -> None:
    card = await service.start_quiz(ALICE, channel, QuizRequest(count=2, seed=1))
    with pytest.raises(QuizError, match="Answer question 1"):
        await service.answer(ALICE, channel, card.round_id, 2, "a")
    with pytest.raises(QuizError, match="another member"):
        await service.answer(BOB, channel, card.round_id, 1, "a")


async def test_quiz_seed_fixes_the_order(service: QuizService, channel: Target) -> None:
    one = await service.start_quiz(ALICE, channel, QuizRequest(count=5, seed=42))
    two = await service.start_quiz(BOB, channel, QuizRequest(count=5, seed=42))
    assert one.question_id == two.question_id


async def test_quiz_filters_by_domain_and_task(service: QuizService, channel: Target) -> None:
    card = await service.run(ALICE, channel, "quiz 5 domain:security")
    assert isinstance(card, QuestionCard) and card.domain == "2" and card.total == 2
    card = await service.run(ALICE, channel, "quiz task:1.1-app-code")
    assert isinstance(card, QuestionCard) and card.task == "1.1"
    with pytest.raises(QuizError, match="No questions match"):
        await service.run(ALICE, channel, "quiz task:4.3")


async def test_stop_ends_the_quiz_with_a_summary(service: QuizService, channel: Target) -> None:
    card = await service.start_quiz(ALICE, channel, QuizRequest(count=3, seed=1))
    await service.answer(ALICE, channel, card.round_id, 1, key_of(service, card))
    summary = await service.stop_quiz(ALICE)
    assert summary.ended_early and summary.answered == 1
    with pytest.raises(QuizError, match="no quiz running"):
        await service.stop_quiz(ALICE)


async def test_stats_by_domain_and_task(service: QuizService, channel: Target) -> None:
    card = await service.run(ALICE, channel, "quiz 3 task:1.1 seed:3")
    assert isinstance(card, QuestionCard)
    for number in (1, 2, 3):
        result = await service.answer(ALICE, channel, card.round_id, number, key_of(service, card))
        card = result.next_card or card
    stats = await service.stats(ALICE)
    assert isinstance(stats, StatsCard)
    by_task = {t.id: (t.answered, t.correct) for t in stats.tasks}
    assert by_task["1.1"] == (3, 3) and by_task["2.1"] == (0, 0)
    assert {d.id: d.answered for d in stats.domains} == {"1": 3, "2": 0, "3": 0, "4": 0}


async def test_leaderboard_ranks_by_points(service: QuizService, channel: Target) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    await service.answer(ALICE, channel, card.round_id, 1, wrong_of(service, card))
    await service.answer(BOB, channel, card.round_id, 1, key_of(service, card))
    await service.reveal_now(ADMIN, channel)
    board = await service.run(ALICE, channel, "leaderboard")
    assert isinstance(board, LeaderboardCard)
    assert [(line.rank, line.name, line.points) for line in board.lines] == [(1, "bob", 10), (2, "alice", 0)]


async def test_restart_closes_overdue_rounds_and_rearms_future_ones(
    bank: Bank, repo: SqliteRepository, clock: FixedClock, channel: Target, port: RecordingPort
) -> None:
    first = QuizService(bank, repo, FakeScheduler(), clock)
    first.add_port(port)
    card = await first.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    await first.answer(ALICE, channel, card.round_id, 1, key_of(first, card))
    # Down until after the reveal time: the new process reveals at start, once.
    clock.advance(hours=10)
    scheduler = FakeScheduler()
    second = QuizService(bank, repo, scheduler, clock)
    second.add_port(port)
    await second.start()
    await second.start()
    assert len(port.reveals) == 1 and port.reveals[0][2].answers == 1
    assert isinstance(await second.qotd(BOB, channel), RevealCard)
    clock.advance(hours=14)
    tomorrow = await second.qotd(BOB, channel)
    assert isinstance(tomorrow, QuestionCard) and tomorrow.question_id != card.question_id
    third_scheduler = FakeScheduler()
    third = QuizService(bank, repo, third_scheduler, clock)
    third.add_port(port)
    await third.start()
    assert list(third_scheduler.jobs) == [f"close:{tomorrow.round_id}"]


async def test_unknown_commands_and_arguments_get_a_clear_sentence(service: QuizService, channel: Target) -> None:
    with pytest.raises(QuizError, match="Did you mean `quiz`"):
        await service.run(ALICE, channel, "quzi 3")
    with pytest.raises(QuizError, match="no option `colour`"):
        await service.run(ALICE, channel, "quiz colour:red")
    with pytest.raises(QuizError, match="1 to 65"):
        await service.run(ALICE, channel, "quiz 0")
    assert isinstance(await service.run(ALICE, channel, "HELP"), HelpCard)


async def test_a_port_missing_a_method_is_refused_at_start(service: QuizService) -> None:
    class Half:
        platform = "half"

        async def reveal(self, *args: object) -> None: ...

    with pytest.raises(TypeError, match="ChatPort"):
        service.add_port(Half())  # type: ignore[arg-type]


async def test_leaderboard_periods_and_server_scope_in_the_channel_timezone(
    service: QuizService, channel: Target, clock: FixedClock
) -> None:
    await service.run(ADMIN, channel, "settings timezone:Europe/Berlin")
    clock.current = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Sunday in Berlin: week 48
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    await service.answer(ALICE, channel, card.round_id, 1, key_of(service, card))
    await service.reveal_now(ADMIN, channel)
    clock.current = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already Monday in Berlin: week 49
    weekly = await service.run(BOB, channel, "leaderboard period:week")
    monthly = await service.run(BOB, channel, "leaderboard period:month scope:server")
    assert isinstance(weekly, LeaderboardCard) and isinstance(monthly, LeaderboardCard)
    assert weekly.lines == [] and weekly.title == "Leaderboard: this channel, this week"
    assert [(line.name, line.points) for line in monthly.lines] == [("alice", 10)]
    with pytest.raises(QuizError, match="Unknown period"):
        await service.run(BOB, channel, "leaderboard period:year")


async def test_a_round_closed_by_another_process_takes_no_answer_though_this_one_still_has_it_open(
    service: QuizService, channel: Target, repo: SqliteRepository, clock: FixedClock
) -> None:
    card = await service.qotd(ALICE, channel)
    assert isinstance(card, QuestionCard)
    await service.answer(ALICE, channel, card.round_id, 1, key_of(service, card))  # the service now keeps the round
    assert await repo.close_round(card.round_id, clock.now(), covers_all=False)  # as another process would
    with pytest.raises(QuizError, match="This round is closed"):
        await service.answer(BOB, channel, card.round_id, 1, key_of(service, card))
    assert [a.user_key for a in await repo.answers(card.round_id)] == ["console:alice"]
    with pytest.raises(QuizError, match="This round is closed"):  # and it knows from now on without trying again
        await service.answer(BOB, channel, card.round_id, 1, key_of(service, card))


async def test_a_settings_change_is_seen_at_once_here(service: QuizService, channel: Target) -> None:
    before = await service.channel_config(channel)  # read, and kept for a few seconds
    assert before.tz.key == "UTC"
    await service.settings(ADMIN, channel, SettingsChange(timezone="Europe/Berlin"))
    assert (await service.channel_config(channel)).tz.key == "Europe/Berlin"
