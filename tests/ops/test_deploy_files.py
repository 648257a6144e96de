"""deploy/: the compose file parses and names only real settings; .env.example lists every setting."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

from bot.settings import Settings

DEPLOY = Path(__file__).parents[2] / "deploy"
SETTING_NAMES = {f"QUIZBOT_{name.upper()}" for name in Settings.model_fields}


def _compose() -> dict:  # type: ignore[type-arg]
    return YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_the_bot_on_postgresql_with_a_volume_and_an_env_file() -> None:
    compose = _compose()
    assert set(compose["services"]) == {"bot", "db"}
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    assert db["image"].startswith("postgres:")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert set(compose["volumes"]) >= {v.split(":")[0] for v in db["volumes"]}
    assert bot["env_file"] == ".env"
    assert bot["environment"]["QUIZBOT_DATABASE_URL"].startswith("postgresql://")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert (DEPLOY / bot["build"]["dockerfile"].removeprefix("deploy/")).is_file()


def test_compose_sets_only_settings_the_bot_reads() -> None:
    names = set(_compose()["services"]["bot"]["environment"])
    assert names <= SETTING_NAMES, names - SETTING_NAMES


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*(QUIZBOT_[A-Z0-9_]+)=", text, re.MULTILINE))
    assert listed == SETTING_NAMES, (SETTING_NAMES - listed, listed - SETTING_NAMES)


def test_dockerfile_is_slim_non_root_with_a_health_check() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.MULTILINE)
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    assert "HEALTHCHECK" in text and "/healthz" in text


def test_systemd_unit_runs_the_embedded_install() -> None:
    text = (DEPLOY / "quizbot.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=\S*quizbot run$", text, re.MULTILINE)
    assert re.search(r"^User=(?!root)\w+", text, re.MULTILINE)
    assert "QUIZBOT_DATABASE_URL" not in text  # embedded: SQLite in the state directory
