"""Progress in the console, end to end: stats with readiness, charts saved as PNG files, review and boards."""

from __future__ import annotations

import re
from pathlib import Path

from tests.adapters.console.test_console_e2e import quizbot


def test_stats_chart_review_and_leaderboard_in_the_console(tmp_path: Path) -> None:
    script = "quiz 1 seed:1\na\nstats\nstats chart:domains\nreview 2\nstop\noptin global\nleaderboard period:season\n"
    run = quizbot(tmp_path, script, "console", "--user", "ada")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Readiness estimate: ~" in out and "not AWS's scaling" in out
    assert "Streak: 1 day(s) now, best 1." in out
    saved = re.search(r"Chart saved to (\S+\.png)", out)
    assert saved is not None, out
    path = Path(saved.group(1))
    assert path.parent == tmp_path / "data" / "charts"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Review: " in out and "card(s) due today" in out
    assert "You are on the global leaderboard now" in out
    assert "Leaderboard: this channel, this season" in out
