"""Every admin action is refused politely for a non-admin, in the core and in the console, and writes nothing.
(Discord and Slack: tests/reliability/discord and tests/reliability/slack.)"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console.app import Console
from bot import commands
from bot.models import Target
from bot.service import QuizError, QuizService
from tests.conftest import member
from tests.reliability.admin_actions import ADMIN_LINES, REFUSED
from tests.reliability.conftest import row_counts


def test_the_list_covers_every_admin_command() -> None:
    admin = {name for name, spec in commands.COMMANDS.items() if spec.admin}
    assert admin <= {line.split()[0] for line in ADMIN_LINES}, "a new admin command needs a line in ADMIN_LINES"


@pytest.mark.parametrize("line", ADMIN_LINES)
async def test_the_core_refuses_a_non_admin(service: QuizService, channel: Target, tmp_path: Path, line: str) -> None:
    await service.qotd(member("ada"), channel)
    before = row_counts(tmp_path / "quizbot.sqlite3")
    with pytest.raises(QuizError, match=f"^{REFUSED}"):
        await service.run(member("bob"), channel, line)
    assert row_counts(tmp_path / "quizbot.sqlite3") == before


async def test_the_console_refuses_every_admin_action_for_a_member_added_with_as(
    service: QuizService, tmp_path: Path
) -> None:
    out = io.StringIO()
    console = Console(service, "ada", "console", out)  # ada is admin of her console; bob is not
    await console.handle("qotd")
    await console.handle("b")
    before = row_counts(tmp_path / "quizbot.sqlite3")
    for line in ADMIN_LINES:
        out.truncate(0)
        out.seek(0)
        await console.handle(f"as bob {line}")
        assert out.getvalue().startswith(REFUSED), f"as bob {line}: {out.getvalue()!r}"
    assert row_counts(tmp_path / "quizbot.sqlite3") == before
