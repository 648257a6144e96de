"""The console's study-plan commands: start, show, edit, `as bob plan me`, refusals, stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.adapters.console.test_console_e2e import quizbot


def test_plan_start_show_edit_me_and_stop(tmp_path: Path) -> None:
    exam = (datetime.now(UTC) + timedelta(days=42)).date().isoformat()
    script = "\n".join(
        [
            f"as bob plan start weeks:6 exam-date:{exam}",
            f"plan start weeks:6 exam-date:{exam}",
            "plan edit task:1.2 week:5",
            "plan edit task:1.2 week:6",
            "as bob plan me",
            "plan stop",
            "plan show",
            "",
        ]
    )
    run = quizbot(tmp_path, script, "console", "--user", "ada")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Sorry, only an admin can start, edit or stop the study plan." in out
    assert "Study plan: 6 weeks to the exam on" in out and "(42 days left)" in out
    assert "▶ Week 1 (from" in out and "Week 6 (from" in out and "practice exams and weak-area review" in out
    assert "Task 1.2 moved to week 5." in out
    assert "week must be 1 to 5; week 6 is kept for practice exams" in out
    assert "bob: your readiness against the plan (week 1 of 6, 42 days to the exam)" in out
    assert "The study plan is stopped" in out and "No study plan runs here" in out
