"""Tokens never appear in logs, error messages or printed settings (a sentinel token goes in through Settings)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import MINI_BANK

SENTINELS = {
    "QUIZBOT_SLACK_BOT_TOKEN": "xoxb-SENTINEL-bot-0451",
    "QUIZBOT_SLACK_CLIENT_SECRET": "SENTINEL-client-secret-0451",
    "QUIZBOT_SLACK_STATE_SECRET": "SENTINEL-state-secret-0451",
}


def test_settings_never_print_their_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**SENTINELS, "QUIZBOT_DISCORD_TOKEN": "SENTINEL-discord-0451"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    shown = f"{settings!r} {settings} {settings.model_dump()} {settings.model_dump_json()}"
    assert "SENTINEL" not in shown


def quizbot_run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZBOT_", "SLACK_"))}
    full = {**clean, "QUIZBOT_DATA_DIR": str(tmp_path), "QUIZBOT_BANK_DIR": str(MINI_BANK), **env}
    return subprocess.run(
        [sys.executable, "-m", "adapters.main", "run"],
        input="",
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "QUIZBOT_SLACK_SIGNING_SECRET"),  # a Slack token but no way to receive requests
        ({"QUIZBOT_SLACK_PORT": "99999"}, "slack_port"),  # a setting pydantic refuses
        ({"QUIZBOT_DISCORD_GUILD_IDS": "not-a-number"}, "discord_guild_ids"),
    ],
)
def test_quizbot_run_errors_name_the_problem_not_the_token(
    tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    run = quizbot_run(tmp_path, **SENTINELS, **extra)
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert expected in output
    assert "SENTINEL" not in output
