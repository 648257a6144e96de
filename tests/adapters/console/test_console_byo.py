"""The console's bring-your-own-questions commands: `bank import PATH`, `bank list/use/export`, reports, hiding."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.console.test_console_e2e import quizbot

FILES = Path(__file__).parents[2] / "data" / "formats"


def test_upload_list_use_report_hide_and_export(tmp_path: Path) -> None:
    script = "\n".join(
        [
            f"bank import {FILES / 'data-stores.csv'}",
            "bank list",
            "bank use own",
            "quiz 1 seed:1",
            "a,c",
            'as bob report 1.3-data-stores-5001 reason:wrong-key comment:"DAX is right, though"',
            "as bob reports",
            "reports",
            "hide 1.3-data-stores-5001",
            "bank export format:gift",
            f"bank import {FILES / 'missing.gift'}",
            "",
        ]
    )
    run = quizbot(tmp_path, script, "console", "--user", "ada")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Imported 2 question(s) from data-stores.csv as import 1" in out
    assert "data-stores.csv:2: 1.3-data-stores-5001: warning: not in the file, filled in: source" in out
    assert "Quizzes use: both (shipped 5 questions, own 2)." in out
    assert "Quizzes in this server now use its own questions only." in out
    assert "Something wrong? report 1.3-data-stores-500" in out  # the feedback offers the report action
    assert "Thanks, your report on 1.3-data-stores-5001 (wrong key) is with the admins." in out
    assert "Sorry, only an admin can see the reports." in out
    assert "1.3-data-stores-5001: 1 report(s): wrong-key x1" in out and "“DAX is right, though”" in out
    assert "1.3-data-stores-5001 is now hidden on this server." in out
    assert "::1.3-data-stores-5002::" in out and "$CATEGORY: 1.3" in out
    assert "Cannot read" in out and "missing.gift" in out


def test_a_bad_upload_prints_the_report_and_imports_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("stem,a,b,answer\nWhich?,x,y,\n", encoding="utf-8")
    run = quizbot(tmp_path, f"bank import {bad} task:1.1\nbank list\n", "console", "--user", "ada")
    assert "bad.csv:2: row 1: no correct option" in run.stdout
    assert "Nothing imported from bad.csv" in run.stdout and "No uploads yet" in run.stdout
