"""Practice exams in the console: the real `quizbot` in a subprocess on the shipped bank, and the Console class."""

from __future__ import annotations

import io
import random
from pathlib import Path

from adapters.console.app import Console
from bot.bank import default_bank_dir, load_bank
from bot.exam import draw
from bot.models import Question
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.adapters.console.test_console_e2e import quizbot
from tests.conftest import FakeScheduler, FixedClock

FULL_BANK = load_bank(default_bank_dir())


def letters(choice: str) -> str:
    return ", ".join(choice.upper())


def key(q: Question) -> str:
    return ",".join(sorted(q.keys))


def wrong(q: Question) -> str:
    return ",".join(sorted(set(q.letters) - q.keys)[: q.choose])


def test_a_short_exam_with_a_changed_answer_a_flag_review_and_the_report(tmp_path: Path) -> None:
    qs = draw(FULL_BANK, 20, random.Random(3))  # what `exam short seed:3` draws for a member's first exam
    script = "\n".join(
        [
            *("exam short seed:3", key(qs[0]), wrong(qs[1]), "prev", key(qs[1]), "flag", "goto 20", key(qs[19])),
            *("review", "stats", "submit", "submit", "exam history", "b"),
        ]
    )
    run = quizbot(tmp_path, script + "\n", "console", "--user", "ada", bank=None)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Short practice exam · question 1/20 · 40 min 00 s left · 0 answered, 0 flagged" in out
    assert f"Saved {letters(key(qs[0]).replace(',', ''))} for question 1." in out
    assert f"Your answer: {letters(wrong(qs[1]).replace(',', ''))} (type other letters to change it)." in out
    assert "Flagged question 3 for review." in out and "question 3/20 · FLAGGED" in out
    assert "Correct!" not in out and "Not quite" not in out  # no feedback before submission
    assert "Review · 3 of 20 answered" in out
    assert "Unanswered: 3-19" in out and "Flagged:    3" in out
    assert "Stats for ada: 0 answered" in out  # a running exam touches no stats
    assert "Type `submit` again to hand the exam in" in out
    report = out.split("Exam submitted.", 1)[1]
    assert "Estimated score:" in report and "(pass mark 720): FAIL. An estimate from this bank" in report
    assert "3 of 20 correct, 3 answered" in report
    for option in qs[1].options:  # every option of every question explained
        assert option.explanation[:40] in report.replace("\n      ", " ")
    assert "no answer" in report and "needs improvement" in report
    assert "short" in out.split("Practice exams of ada (pass mark 720):", 1)[1]
    assert out.rstrip().endswith("No question is waiting for you; type `qotd` or `quiz` to get one.")
    assert run.stderr == ""


def test_an_exam_survives_a_restart_and_resumes_where_it_was(tmp_path: Path) -> None:
    qs = draw(FULL_BANK, 20, random.Random(4))
    quizbot(tmp_path, f"exam short seed:4\n{key(qs[0])}\n", "console", "--user", "ada", bank=None)
    out = quizbot(
        tmp_path, f"exam resume\n{key(qs[1])}\nsubmit\nsubmit\n", "console", "--user", "ada", bank=None
    ).stdout
    assert "Short practice exam · question 2/20" in out and "1 answered" in out
    assert "2 of 20 correct, 2 answered" in out


async def test_the_console_prints_the_report_when_time_runs_out(tmp_path: Path) -> None:
    repo = await SqliteRepository.open(tmp_path / "quizbot.sqlite3")
    clock, scheduler, out = FixedClock(), FakeScheduler(), io.StringIO()
    service = QuizService(FULL_BANK, repo, scheduler, clock)
    console = Console(service, "ada", "console", out=out)
    service.add_port(console.port)
    await console.handle("exam short")
    await console.handle("a")
    clock.advance(minutes=40)
    assert await scheduler.run_due(clock.now()) == ["exam:1"]
    await console.handle("b")  # the exam is over: letters are no longer exam answers
    text = out.getvalue()
    assert "Time is up: the exam submitted itself. Short practice exam report" in text
    assert "time used 40 min 00 s of 40 min" in text
    assert text.rstrip().endswith("No question is waiting for you; type `qotd` or `quiz` to get one.")
    await repo.close()
