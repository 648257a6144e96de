"""Practice exams through the core: full runs on the shipped bank, real SQLite, a fake scheduler and a fixed clock."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bank import Bank, default_bank_dir, load_bank
from bot.exam import (
    ANSWER,
    CONFIRM,
    FLAG,
    GOTO,
    NEXT,
    PAGE,
    PREV,
    SUBMIT,
    ExamHistoryCard,
    ExamQuestionCard,
    ExamReport,
    ExamReviewCard,
)
from bot.models import Question, Target
from bot.service import QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FakeScheduler, FixedClock, RecordingPort, member

FULL_BANK = load_bank(default_bank_dir())
ADA = member("ada")


@pytest.fixture
def bank() -> Bank:
    return FULL_BANK


def key_of(question: Question) -> str:
    return "".join(sorted(question.keys))


def wrong_of(question: Question) -> str:
    return "".join(sorted(set(question.letters) - question.keys))[: question.choose]


def question_of(card: ExamQuestionCard) -> Question:
    found = FULL_BANK.get(card.question_id)
    assert found is not None
    return found


async def start(service: QuizService, channel: Target, line: str = "exam seed:7", who: str = "ada") -> ExamQuestionCard:
    card = await service.run(member(who), channel, line)
    assert isinstance(card, ExamQuestionCard)
    return card


async def test_a_full_exam_with_changed_answers_flags_review_and_a_scored_report(
    service: QuizService, channel: Target, scheduler: FakeScheduler, clock: FixedClock, repo: SqliteRepository
) -> None:
    card = await start(service, channel)
    assert (card.total, card.question_no, card.remaining_seconds) == (65, 1, 130 * 60)
    assert scheduler.jobs[f"exam:{card.round_id}"][0] == clock.now() + timedelta(minutes=130)
    rnd = await repo.get_round(card.round_id)
    assert rnd is not None and rnd.owner == ADA.key
    drawn = [FULL_BANK.questions[q] for q in rnd.question_ids]
    by_domain = Counter(q.domain_id for q in drawn)
    for d in FULL_BANK.exam.domains:
        assert abs(by_domain[d.id] - 65 * d.weight / 100) <= 1
    assert {q.choose > 1 for q in drawn} == {True, False}

    # Answer 1-60: right on even numbers, wrong on odd ones; then go back and fix question 1.
    rid = card.round_id
    for number in range(1, 61):
        assert card.question_no == number and card.choice is None
        q = question_of(card)
        reply = await service.exam_action(
            ADA, channel, rid, ANSWER, number, key_of(q) if number % 2 == 0 else wrong_of(q)
        )
        assert isinstance(reply, ExamQuestionCard)
        card = reply
        clock.advance(seconds=30)
    assert card.notice == f"Saved {', '.join(key_of(drawn[59]).upper())} for question 60." and card.answered == 60
    assert (await service.stats(ADA)).answered == 0  # drafts are not answers

    back = await service.exam_action(ADA, channel, rid, GOTO, 1)
    assert isinstance(back, ExamQuestionCard) and back.choice == wrong_of(drawn[0])
    changed = await service.exam_action(ADA, channel, rid, ANSWER, 1, key_of(drawn[0]))
    assert isinstance(changed, ExamQuestionCard) and changed.question_no == 2
    flagged = await service.exam_action(ADA, channel, rid, FLAG, 2)
    assert (
        isinstance(flagged, ExamQuestionCard) and flagged.flagged and flagged.notice == "Flagged question 2 for review."
    )
    await service.exam_action(ADA, channel, rid, FLAG, 5)
    await service.exam_action(ADA, channel, rid, FLAG, 5)  # unflagged again
    await service.run(ADA, channel, "exam goto 61")
    await service.run(ADA, channel, "exam flag")
    moved = await service.exam_action(ADA, channel, rid, PREV, 61)
    assert isinstance(moved, ExamQuestionCard) and moved.question_no == 60

    review = await service.run(ADA, channel, "exam review")
    assert isinstance(review, ExamReviewCard) and not review.confirming
    assert (review.answered, review.unanswered, review.flagged) == (60, [61, 62, 63, 64, 65], [2, 61])
    confirm = await service.run(ADA, channel, "exam submit")
    assert isinstance(confirm, ExamReviewCard) and confirm.confirming
    assert (await service.stats(ADA)).answered == 0

    report = await service.run(ADA, channel, "exam submit now")
    assert isinstance(report, ExamReport) and not report.timed_out
    right = {1, *range(2, 61, 2)}
    assert (report.total, report.answered, report.correct) == (65, 60, len(right))
    assert [i.question_no for i in report.items if i.correct] == sorted(right)
    expected = {}
    for d in FULL_BANK.exam.domains:
        numbers = [n for n, q in enumerate(drawn, start=1) if q.domain_id == d.id]
        expected[d.id] = (sum(n in right for n in numbers), len(numbers))
    assert {d.id: (d.correct, d.total) for d in report.domains} == expected
    weighted = sum(d.weight * d.correct / d.total for d in report.domains) / sum(d.weight for d in report.domains)
    assert report.score == round(100 + 900 * weighted)
    assert not report.passed and all(d.verdict == "needs improvement" for d in report.domains)
    assert report.seconds_used == 60 * 30
    second = report.items[1]
    assert second.flagged and second.choice == key_of(drawn[1]) and second.key == key_of(drawn[1])
    assert [o.explanation for o in second.options] == [o.explanation for o in drawn[1].options]
    assert report.items[64].choice is None and not report.items[64].correct
    assert f"exam:{rid}" not in scheduler.jobs

    stats = await service.stats(ADA)
    assert (stats.answered, stats.correct) == (60, len(right))
    assert await repo.leaderboard(channel.channel_key, "all", 10) == [(ADA.key, 0, 60, len(right))]  # no points

    with pytest.raises(QuizError, match="no exam running"):
        await service.run(ADA, channel, "exam submit now")
    with pytest.raises(QuizError, match="has been submitted"):
        await service.exam_action(ADA, channel, rid, ANSWER, 62, "a")
    assert await service.exams._submit(await repo.exam_attempt(rid), timed_out=False) is None  # type: ignore[arg-type]
    assert (await service.stats(ADA)).answered == 60  # submitting twice counts once
    paged = await service.exam_report(ADA, channel, rid)
    assert paged.score == report.score

    history = await service.run(ADA, channel, "exam history")
    assert isinstance(history, ExamHistoryCard)
    assert [(h.score, h.passed, h.total, h.correct) for h in history.lines] == [(report.score, False, 65, len(right))]

    again = await start(service, channel, "exam seed:7")  # the same seed, yet no question of the last exam
    rnd2 = await repo.get_round(again.round_id)
    assert rnd2 is not None and not set(rnd2.question_ids) & set(rnd.question_ids)


async def test_time_out_submits_the_drafts_and_shows_the_report(
    service: QuizService, channel: Target, scheduler: FakeScheduler, clock: FixedClock, port: RecordingPort
) -> None:
    card = await start(service, channel, "exam short")
    assert (card.total, card.remaining_seconds, card.short) == (20, 40 * 60, True)
    await service.attach_message(card.round_id, "msg-1")
    for number in (1, 2, 3):
        q = question_of(card)
        reply = await service.exam_action(ADA, channel, card.round_id, ANSWER, number, key_of(q))
        assert isinstance(reply, ExamQuestionCard)
        card = reply
    clock.advance(minutes=39, seconds=59)
    assert await scheduler.run_due(clock.now()) == []
    assert card.remaining_seconds == 40 * 60  # the card showed the time when it was made
    late = await service.exam_action(ADA, channel, card.round_id, NEXT, 4)
    assert isinstance(late, ExamQuestionCard) and late.remaining_seconds == 1

    clock.advance(seconds=5)
    assert await scheduler.run_due(clock.now()) == [f"exam:{card.round_id}"]
    ((where, ref, report),) = port.exam_reports
    assert (where, ref) == (channel, "msg-1")
    assert report.timed_out and (report.answered, report.correct, report.total) == (3, 3, 20)
    assert report.seconds_used == 40 * 60
    assert (await service.stats(ADA)).answered == 3
    with pytest.raises(QuizError, match="has been submitted"):
        await service.exam_action(ADA, channel, card.round_id, ANSWER, 5, "a")
    history = await service.run(ADA, channel, "exam history")
    assert isinstance(history, ExamHistoryCard) and history.lines[0].timed_out


async def test_an_action_after_the_deadline_submits_the_exam_itself(
    service: QuizService, channel: Target, clock: FixedClock
) -> None:
    card = await start(service, channel, "exam short")
    q = question_of(card)
    await service.exam_action(ADA, channel, card.round_id, ANSWER, 1, key_of(q))
    clock.advance(minutes=41)
    report = await service.exam_action(ADA, channel, card.round_id, ANSWER, 2, "a")
    assert isinstance(report, ExamReport) and report.timed_out and report.answered == 1
    page = await service.exam_action(ADA, channel, card.round_id, PAGE, 2)
    assert isinstance(page, ExamReport) and page.score == report.score


async def test_the_exam_survives_a_restart_and_the_deadline_keeps_running(
    bank: Bank, channel: Target, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "quizbot.sqlite3"
    repo = await SqliteRepository.open(path)
    first = QuizService(bank, repo, FakeScheduler(), clock)
    first.add_port(RecordingPort())
    card = await start(first, channel)
    for number in (1, 2):
        reply = await first.exam_action(ADA, channel, card.round_id, ANSWER, number, key_of(question_of(card)))
        assert isinstance(reply, ExamQuestionCard)
        card = reply
    await first.exam_action(ADA, channel, card.round_id, FLAG, 3)
    await repo.close()  # the process goes away

    clock.advance(minutes=30)
    repo = await SqliteRepository.open(path)
    scheduler = FakeScheduler()
    second = QuizService(bank, repo, scheduler, clock)
    second.add_port(RecordingPort())
    await second.start()
    assert scheduler.jobs[f"exam:{card.round_id}"][0] == clock.now() + timedelta(minutes=100)
    resumed = await second.run(ADA, channel, "exam resume")
    assert isinstance(resumed, ExamQuestionCard)
    assert (resumed.question_no, resumed.answered, resumed.flagged, resumed.remaining_seconds) == (3, 2, True, 6000)
    with pytest.raises(QuizError, match="You have an exam running"):
        await second.run(ADA, channel, "exam")
    await repo.close()

    clock.advance(minutes=101)  # down again past the deadline: the start-up submits it and shows the report
    repo = await SqliteRepository.open(path)
    third = QuizService(bank, repo, FakeScheduler(), clock)
    port = RecordingPort()
    third.add_port(port)
    await third.start()
    ((_, _, report),) = port.exam_reports
    assert report.timed_out and report.answered == 2 and report.correct == 2
    with pytest.raises(QuizError, match="no exam running"):
        await third.run(ADA, channel, "exam resume")
    await repo.close()


async def test_refusals_are_polite_and_write_nothing(
    service: QuizService, channel: Target, repo: SqliteRepository
) -> None:
    with pytest.raises(QuizError, match="no exam running"):
        await service.run(ADA, channel, "exam next")
    card = await start(service, channel)
    rid = card.round_id
    q = question_of(card)
    with pytest.raises(QuizError, match="belongs to another member"):
        await service.exam_action(member("bob"), channel, rid, ANSWER, 1, key_of(q))
    elsewhere = channel.model_copy(update={"channel": "other"})
    with pytest.raises(QuizError, match="not available here"):
        await service.exam_action(ADA, elsewhere, rid, ANSWER, 1, key_of(q))
    with pytest.raises(QuizError, match="not available here"):
        await service.exam_action(ADA, channel, 999, ANSWER, 1, "a")
    with pytest.raises(QuizError, match="There is no question 66"):
        await service.run(ADA, channel, "exam goto 66")
    with pytest.raises(QuizError, match="questions 1 to 65"):
        await service.exam_action(ADA, channel, rid, NEXT, 0)
    with pytest.raises(QuizError, match="This question takes"):
        await service.exam_action(ADA, channel, rid, ANSWER, 1, q.letters[: q.choose + 1])
    with pytest.raises(QuizError, match="report is shown once"):
        await service.exam_action(ADA, channel, rid, PAGE, 1)
    with pytest.raises(QuizError, match="not an exam command"):
        await service.run(ADA, channel, "exam dance")
    attempt = await repo.exam_attempt(rid)
    assert attempt is not None and attempt.choices == {} and attempt.position == 1
    first = await service.exam_action(ADA, channel, rid, PREV, 1)
    assert isinstance(first, ExamQuestionCard) and first.notice == "This is the first question."
    last = await service.exam_action(ADA, channel, rid, NEXT, 65)
    assert isinstance(last, ExamReviewCard) and last.unanswered == list(range(1, 66))
    confirm = await service.exam_action(ADA, channel, rid, SUBMIT, 65)
    assert isinstance(confirm, ExamReviewCard) and confirm.confirming
    empty = await service.exam_action(ADA, channel, rid, CONFIRM, 65)
    assert isinstance(empty, ExamReport) and (empty.score, empty.answered) == (100, 0)


async def test_a_bank_too_small_for_an_exam_is_refused(
    repo: SqliteRepository, scheduler: FakeScheduler, clock: FixedClock, channel: Target, tmp_path: Path
) -> None:
    mini = load_bank(Path(__file__).parents[1] / "data" / "mini")
    service = QuizService(mini, repo, scheduler, clock)
    with pytest.raises(QuizError, match="has 5 questions, too few for a 20-question exam"):
        await service.run(ADA, channel, "exam short")
    assert await repo.open_exam_ids() == []
