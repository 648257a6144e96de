"""Bank loading and `quizbot validate`: every error class, reported all at once as file:line: id: message."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from adapters.main import main, schema_text
from bot.bank import BankError, default_bank_dir, load_bank, validate_paths
from bot.report import build_report
from tests.conftest import MINI_BANK

GOOD = """\
- id: 1.1-app-code-0001
  task: "1.1"
  difficulty: 1
  services: [sqs]
  stem: "Which queue keeps order?"
  options:
    - {text: "Standard", explanation: "Best-effort order only."}
    - {text: "FIFO", explanation: "Keeps order in a group."}
  answer: b
  source: [000_18bed1bc727e7bb0.txt]
"""


def bank_with(tmp_path: Path, text: str, name: str = "1.1-app-code.yaml") -> Path:
    root = tmp_path / "bank"
    root.mkdir(parents=True)
    shutil.copy(MINI_BANK / "exam.yaml", root / "exam.yaml")
    (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in validate_paths([root])]


def test_a_good_file_has_no_problems(tmp_path: Path) -> None:
    assert problems_of(bank_with(tmp_path, GOOD)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('task: "1.1"', 'task: "9.9"'), ":1: 1.1-app-code-0001: unknown task"),
        (("answer: b", "answer: e"), ":9: 1.1-app-code-0001: answer: letter(s) e outside the options a-b"),
        (("answer: b", "answer: [a, b]"), ":9: 1.1-app-code-0001: answer: 2 letters but the stem does not say"),
        (("keeps order?", "keeps order? (Choose two.)"), ":9: 1.1-app-code-0001: answer: the stem says choose 2 but"),
        ((', explanation: "Keeps order in a group."', ""), ":8: 1.1-app-code-0001: missing required field options[1]"),
        (('"Standard"', "1945"), ":7: 1.1-app-code-0001: options[0].text was read as int 1945; quote the text"),
        (('"Standard"', "yes"), ":7: 1.1-app-code-0001: options[0].text is the bare word 'yes'"),
        (("difficulty: 1", "difficulty: 5"), ":3: 1.1-app-code-0001: difficulty: Input should be less than"),
        (("services: [sqs]", "services: [sqs, teleport]"), "unknown service tag(s) teleport"),
        (("source: [000_18bed1bc727e7bb0.txt]", "source: []"), ":10: 1.1-app-code-0001: source"),
        (("  stem:", "  colour: red\n  stem:"), "unknown field colour"),
    ],
)
def test_each_error_class_names_file_line_id_and_field(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    root = bank_with(tmp_path, GOOD.replace(*change, 1))
    problems = problems_of(root)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(root / "1.1-app-code.yaml")) for p in problems)


def test_duplicate_ids_and_wrong_file_are_reported(tmp_path: Path) -> None:
    root = bank_with(tmp_path, GOOD + GOOD)
    assert any(":11: 1.1-app-code-0001: duplicate id" in p for p in problems_of(root))
    moved = bank_with(tmp_path / "x", GOOD, name="1.2-lambda.yaml")
    assert any("belong in 1.1-app-code.yaml" in p for p in problems_of(moved))


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    root = bank_with(tmp_path, GOOD.replace("  difficulty: 1", "  difficulty: [1"))
    [problem] = problems_of(root)
    assert "YAML syntax" in problem and problem.split(":")[1].isdigit()


def test_every_problem_is_reported_at_once_and_load_refuses(tmp_path: Path) -> None:
    broken = GOOD.replace("answer: b", "answer: e") + GOOD.replace("0001", "0002").replace('task: "1.1"', 'task: "7.7"')
    root = bank_with(tmp_path, broken)
    assert len(problems_of(root)) == 2
    with pytest.raises(BankError) as caught:
        load_bank(root)
    assert len(caught.value.problems) == 2


def test_near_duplicates_are_flagged(tmp_path: Path) -> None:
    twin = GOOD.replace("0001", "0002").replace("Which queue keeps order?", "So which queue keeps order?")
    problems = problems_of(bank_with(tmp_path, GOOD + twin))
    assert any("reads almost the same as 1.1-app-code-0001" in p for p in problems)


def test_validate_cli_exits_1_and_prints_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = bank_with(tmp_path, GOOD.replace("answer: b", "answer: e").replace("difficulty: 1", "difficulty: 0"))
    assert main(["validate", str(root)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and all("1.1-app-code-0001" in line for line in out)


def test_the_shipped_bank_validates() -> None:
    assert validate_paths([default_bank_dir()]) == []
    bank = load_bank(default_bank_dir())
    assert len(bank.questions) >= 40
    assert all(len(bank.select(task=t.id)) >= 2 for t in bank.exam.tasks)


def test_the_shipped_bank_meets_every_rule_and_target(capsys: pytest.CaptureFixture[str]) -> None:
    report = build_report(load_bank(default_bank_dir()))
    assert report.violations == [] and report.missed_targets == []
    assert [d.count for d in report.domains] == [160, 130, 120, 90]
    assert main(["bank", "report", "--json", "--strict"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["total"] == report.total and len(figures["tasks"]) == 13


def test_report_flags_key_letter_and_choose_n_rules(tmp_path: Path) -> None:
    items = [GOOD.replace("0001", f"{n:04d}").replace("keeps order?", f"keeps order, case {n}?") for n in range(1, 12)]
    report = build_report(load_bank(bank_with(tmp_path, "".join(items))))
    assert any("key letter B answers 11 of 11" in v for v in report.violations)
    assert any("0% choose-N" in v for v in report.violations)
    assert report.exit_code(strict=False) == 1


def test_committed_schema_is_current() -> None:
    committed = (Path(__file__).parents[2] / "questions" / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run: quizbot bank schema --out questions/schema.json"
