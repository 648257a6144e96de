"""Per-server banks, reports, hiding and question health through QuizService on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bank_cards import BankListCard, ExportCard, ImportCard, NoticeCard, ReportsCard
from bot.models import Target
from bot.service import QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import FakeScheduler, FixedClock, member

ADMIN, ALICE = member("root", admin=True), member("alice")
HERE = Target(platform="discord", workspace="111", channel="study")
THERE = Target(platform="discord", workspace="222", channel="study")
GIFT = b"""$CATEGORY: lambda
::Timeout:: Which setting limits how long one invocation may run? {
  ~Memory #Memory sets CPU share, not duration.
  =Timeout #Up to 15 minutes.
}

::Layers:: What do Lambda layers share between functions? {
  =Libraries and other code #Layers are zip archives of shared code.
  ~Environment variables #Each function keeps its own.
}
"""


async def upload(service: QuizService, where: Target = HERE, data: bytes = GIFT) -> ImportCard:
    return await service.import_bank(ADMIN, where, data, "lambda.gift")


async def test_an_upload_joins_only_that_servers_bank(service: QuizService) -> None:
    card = await upload(service)
    assert card.ok and card.imported == 2 and card.import_id is not None
    assert card.lines and all(line.startswith("lambda.gift:") for line in card.lines)  # warnings, e.g. titles
    here = await service.bank_for(HERE)
    there = await service.bank_for(THERE)
    own = {qid for qid in here.questions if qid not in service.bank.questions}
    assert own == {"1.2-lambda-5001", "1.2-lambda-5002"}
    assert not own & set(there.questions)
    assert len(there.questions) == len(service.bank.questions)


async def test_quizzes_use_own_shipped_or_both_and_never_another_servers(service: QuizService) -> None:
    await upload(service)
    await upload(service, THERE, GIFT.replace(b"Timeout::", b"Timeout two::"))
    use = await service.run(ADMIN, HERE, "bank use own")
    assert isinstance(use, NoticeCard) and "own questions only" in use.text
    card = await service.run(ALICE, HERE, "quiz 5 seed:1")
    assert card.total == 2  # type: ignore[union-attr]
    seen = set()
    for _ in range(2):
        seen.add(card.question_id)  # type: ignore[union-attr]
        result = await service.answer(ALICE, HERE, card.round_id, card.question_no, "a")  # type: ignore[union-attr]
        if result.next_card is None:
            break
        card = result.next_card
    assert seen == {"1.2-lambda-5001", "1.2-lambda-5002"}
    await service.run(ADMIN, HERE, "bank use shipped")
    shipped = await service.bank_for(HERE)
    assert set(shipped.questions) == set(service.bank.questions)
    with pytest.raises(QuizError, match="no questions of its own"):
        await service.run(ADMIN, Target(platform="discord", workspace="333", channel="x"), "bank use own")


async def test_a_server_cannot_answer_or_report_another_servers_question(service: QuizService) -> None:
    await upload(service)
    with pytest.raises(QuizError, match=r"no question `1\.2-lambda-5001`"):
        await service.report_question(ALICE, THERE, "1.2-lambda-5001", "typo")
    with pytest.raises(QuizError, match="no question"):
        await service.run(ADMIN, THERE, "hide 1.2-lambda-5001")


async def test_the_same_file_twice_is_one_import(service: QuizService) -> None:
    first = await upload(service)
    again = await upload(service)
    assert again.repeated and again.imported == 0 and again.import_id == first.import_id
    listing = await service.run(ADMIN, HERE, "bank list")
    assert isinstance(listing, BankListCard) and len(listing.imports) == 1 and listing.own == 2


async def test_a_bad_upload_stores_nothing_and_reports_like_validate(service: QuizService) -> None:
    card = await upload(service, data=GIFT.replace(b"=Timeout", b"~Timeout"))
    assert not card.ok and card.imported == 0
    assert "lambda.gift:2: Timeout: no correct option" in card.lines
    listing = await service.run(ADMIN, HERE, "bank list")
    assert isinstance(listing, BankListCard) and listing.imports == [] and listing.own == 0


async def test_members_cannot_change_banks(service: QuizService) -> None:
    with pytest.raises(QuizError, match="only an admin"):
        await service.import_bank(ALICE, HERE, GIFT, "lambda.gift")
    with pytest.raises(QuizError, match="only an admin"):
        await service.run(ALICE, HERE, "bank use shipped")
    with pytest.raises(QuizError, match="only an admin"):
        await service.run(ALICE, HERE, "reports")
    with pytest.raises(QuizError, match="only an admin"):
        await service.run(ALICE, HERE, "hide 1.1-app-code-0001")


async def test_disable_and_export(service: QuizService) -> None:
    card = await upload(service)
    exported = await service.run(ADMIN, HERE, "bank export format:csv")
    assert isinstance(exported, ExportCard) and exported.count == 2 and exported.filename == "111-bank.csv"
    assert "1.2-lambda-5001" in exported.text
    await service.run(ADMIN, HERE, f"bank disable {card.import_id}")
    here = await service.bank_for(HERE)
    assert "1.2-lambda-5001" not in here.questions
    with pytest.raises(QuizError, match="no import number 99"):
        await service.run(ADMIN, HERE, "bank disable 99")


async def test_own_questions_survive_a_restart(
    tmp_path: Path, service: QuizService, scheduler: FakeScheduler, clock: FixedClock
) -> None:
    await upload(service)
    await service.run(ADMIN, HERE, "bank use own")
    card = await service.run(ALICE, HERE, "quiz 1 seed:3")
    repo = await SqliteRepository.open(tmp_path / "quizbot.sqlite3")
    try:
        fresh = QuizService(service.bank, repo, scheduler, clock)  # a new process: empty cache
        result = await fresh.answer(ALICE, HERE, card.round_id, 1, "b")  # type: ignore[union-attr]
        assert result.feedback is not None and result.feedback.question_id.startswith("1.2-lambda-50")
    finally:
        await repo.close()


async def test_reports_are_grouped_and_hidden_questions_leave_the_pool(service: QuizService) -> None:
    qid = "1.1-app-code-0001"
    note = await service.run(ALICE, HERE, f'report {qid} reason:wrong-key comment:"B is not right"')
    assert isinstance(note, NoticeCard) and "wrong key" in note.text
    again = await service.report_question(ALICE, HERE, qid, "typo", "a typo instead")
    assert "updated report" in again.text
    await service.report_question(member("bob"), HERE, qid, "wrong key")
    await service.report_question(member("carol"), THERE, qid, "unclear")
    with pytest.raises(QuizError, match="Unknown reason"):
        await service.report_question(ALICE, HERE, qid, "boring")
    queue = await service.run(ADMIN, HERE, "reports")
    assert isinstance(queue, ReportsCard)
    [group] = queue.groups
    assert (group.question_id, group.count, group.reasons) == (qid, 2, {"typo": 1, "wrong-key": 1})
    assert group.comments == ["a typo instead"]
    hidden = await service.run(ADMIN, HERE, f"hide {qid}")
    assert isinstance(hidden, NoticeCard) and "hidden" in hidden.text
    assert qid not in (await service.bank_for(HERE)).questions
    assert qid in (await service.bank_for(THERE)).questions
    await service.run(ADMIN, HERE, f"unhide {qid}")
    assert qid in (await service.bank_for(HERE)).questions


async def test_health_flags_a_question_strong_members_get_wrong(service: QuizService, channel: Target) -> None:
    suspect = "1.1-app-code-0001"  # key b
    ids = list(service.bank.questions)
    for i in range(12):
        who = member(f"m{i}")
        strong = i < 6
        card = await service.run(who, channel, "quiz 5 seed:7")
        for _ in range(5):
            question = service.bank.get(card.question_id)  # type: ignore[union-attr]
            assert question is not None
            key = "".join(sorted(question.keys))
            wrong = "".join(sorted(set(question.letters) - question.keys))[: question.choose]
            # On the suspect the strong members all pick A: maybe A is the real key.
            choice = ("a" if strong else "b") if question.id == suspect else (key if strong else wrong)
            result = await service.answer(who, channel, card.round_id, card.question_no, choice)  # type: ignore[union-attr]
            if result.next_card is None:
                break
            card = result.next_card
    lines = await service.question_health()
    flagged = {line.question_id: line for line in lines if line.flags}
    assert set(flagged) == {suspect}, lines
    line = flagged[suspect]
    assert line.answered == 12 and line.p_value == 0.5 and line.discrimination is not None
    assert line.discrimination < 0 and line.shares["a"] == 0.5
    assert any("strongest quarter mostly chose A" in f for f in line.flags)
    queue = await service.run(member("root", admin=True), channel, "reports")
    assert isinstance(queue, ReportsCard) and [h.question_id for h in queue.flagged] == [suspect]
    assert len(ids) == 5


async def test_hidden_questions_stay_out_of_reviews_drills_and_exams(service: QuizService) -> None:
    hidden = "1.1-app-code-0002"
    await service.run(ADMIN, HERE, f"hide {hidden}")
    for _ in range(5):  # picks are random: every draw must leave the hidden question out
        drill = await service.learning.weak_questions(ALICE, 10, HERE)
        review, _ = await service.learning.review_plan(ALICE, HERE, 10)
        assert hidden not in {q.id for q in drill} | {q.id for q in review}
    elsewhere = await service.learning.weak_questions(ALICE, 10, THERE)
    assert hidden in {q.id for q in elsewhere}  # another server still sees it
    with pytest.raises(QuizError, match="4 questions, too few"):
        await service.run(ALICE, HERE, "exam short")  # the mini bank minus the hidden question
