"""Settings from the environment (prefix QUIZBOT_) and an optional `.env`; built only in the composition root."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting quizbot reads; tokens are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="QUIZBOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("quizbot", appauthor=False)))
    bank_dir: Path | None = None
    timezone: str = "UTC"
    reveal_time: time = time(18, 0)
    sqlite_synchronous: str = Field(default="NORMAL", pattern="^(NORMAL|FULL|normal|full)$")
    log_level: str = "INFO"
    admin_ids: list[str] = []
    discord_token: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None

    @property
    def database_path(self) -> Path:
        """The embedded SQLite file."""
        return self.data_dir / "quizbot.sqlite3"
