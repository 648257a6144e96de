"""The console end to end: the real `quizbot` command in a subprocess, driven through piped standard input."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bank import load_bank

MINI = Path(__file__).parents[2] / "data" / "mini"


def quizbot(tmp_path: Path, script: str, *args: str, bank: Path | None = MINI) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUIZBOT_DATA_DIR": str(tmp_path / "data"), "QUIZBOT_LOG_LEVEL": "WARNING"}
    for name in ("QUIZBOT_DISCORD_TOKEN", "QUIZBOT_SLACK_BOT_TOKEN", "QUIZBOT_SLACK_APP_TOKEN"):
        env.pop(name, None)
    if bank is not None:
        env["QUIZBOT_BANK_DIR"] = str(bank)
    return subprocess.run(
        [sys.executable, "-m", "adapters.main", *args], input=script, capture_output=True, text=True, env=env,
        timeout=60, cwd=tmp_path,
    )


def test_piped_quiz_prints_feedback_with_explanations_and_stats(tmp_path: Path) -> None:
    questions = load_bank(MINI).pick(3, random.Random(4))  # what `seed:4` asks, in order
    keys = [",".join(sorted(q.keys)) for q in questions]
    wrong = [",".join(sorted(set(q.letters) - q.keys)[: q.choose]) for q in questions]
    script = f"quiz 3 seed:4\n{keys[0]}\na,b,c\n{wrong[1]}\n{keys[2]}\nstats\n"
    run = quizbot(tmp_path, script, "console", "--user", "ada")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Quiz 1/3" in out and "✓ Correct!" in out
    assert "you gave three." in out  # a malformed answer re-prompts without using the question up
    assert f"Not quite: the answer is {keys[1].upper().replace(',', ', ')}." in out
    for option in questions[1].options:  # every option explained
        assert option.explanation[:40] in out.replace("\n      ", " ")
    assert "Quiz finished: 2/3 correct" in out
    assert "Stats for ada: 3 answered, 2 correct (67%)" in out
    assert run.stderr == ""


def test_qotd_answered_once_revealed_by_admin_and_ranked(tmp_path: Path) -> None:
    script = "qotd\nb\nqotd\nas bob qotd\na\nas bob b\nas bob reveal\nreveal\nleaderboard\n"
    out = quizbot(tmp_path, script, "run", "--user", "ada").stdout
    assert out.count("Recorded your answer") == 2
    assert "You answered B; 1 answered so far." in out
    assert "No question is waiting for you" in out  # bob's second answer
    assert "Sorry, only an admin can reveal" in out
    assert "Question of the day revealed" in out and "Answer:" in out
    assert "ada" in out.split("Leaderboard")[1]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    quizbot(tmp_path, "qotd\nb\n", "console", "--user", "ada")
    out = quizbot(tmp_path, "qotd\n", "console", "--user", "ada").stdout
    assert "You answered B" in out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("frobnicate", "Unknown command `frobnicate`"),
        ("quiz 500", "A quiz has 1 to 65 questions"),
        ("quiz domain:nope", "Unknown domain `nope`"),
        ("b", "No question is waiting for you"),
        ("as bob settings timezone:UTC", "only an admin can change settings"),
    ],
)
def test_bad_input_gets_one_sentence_and_the_bot_keeps_running(tmp_path: Path, line: str, message: str) -> None:
    run = quizbot(tmp_path, f"{line}\nhelp\n", "console")
    assert message in run.stdout and "Commands:" in run.stdout
    assert run.returncode == 0 and "Traceback" not in run.stderr


def test_a_broken_bank_stops_start_up_with_the_validate_report(tmp_path: Path) -> None:
    broken = tmp_path / "bank"
    broken.mkdir()
    (broken / "exam.yaml").write_text((MINI / "exam.yaml").read_text())
    wrong_key = (MINI / "1.1-app-code.yaml").read_text().replace("answer: b", "answer: q")
    (broken / "1.1-app-code.yaml").write_text(wrong_key)
    run = quizbot(tmp_path, "", "run", bank=broken)
    assert run.returncode == 2
    assert "1.1-app-code.yaml:" in run.stderr and "1.1-app-code-0001: answer" in run.stderr
    assert "Traceback" not in run.stderr
