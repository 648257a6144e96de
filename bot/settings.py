"""Settings from the environment (prefix QUIZBOT_) and an optional `.env`; built only in the composition root."""

from __future__ import annotations

import json
import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting quizbot reads; tokens are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="QUIZBOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("quizbot", appauthor=False)))
    bank_dir: Path | None = None
    timezone: str = "UTC"
    reveal_time: time = time(18, 0)
    # How late a scheduled post missed while the bot was down may still go out (seconds, HH:MM:SS or PT1H).
    schedule_grace: timedelta = Field(default=timedelta(hours=1), ge=timedelta(0))
    sqlite_synchronous: str = Field(default="NORMAL", pattern="^(NORMAL|FULL|normal|full)$")
    # > 0: answers arriving within this many milliseconds share one commit (bot.storage.group_commit); 0 = off.
    sqlite_group_commit_ms: float = Field(default=0, ge=0, le=50)
    log_level: str = "INFO"
    # postgresql://user:password@host/db selects PostgreSQL (several processes); unset = the embedded SQLite file.
    database_url: SecretStr | None = None
    # `json` writes one JSON object per log line (for log collectors); `text` is for people.
    log_format: str = Field(default="text", pattern="^(text|json)$")
    # The operations endpoint (/healthz, /metrics); port 0 = off.
    ops_host: str = "127.0.0.1"
    ops_port: int = Field(default=0, ge=0, le=65535)
    admin_ids: list[str] = []
    discord_token: SecretStr | None = None
    # Servers whose slash commands are synced directly (updates show at once); empty = sync globally.
    discord_guild_ids: Annotated[list[int], NoDecode] = []
    # Sharding (adapters/discord/sharding.py): `auto` or the total shard count; empty = one gateway connection.
    discord_shards: str = ""
    # The shards this process runs, ids and ranges like `0-3,8` (needs a numeric QUIZBOT_DISCORD_SHARDS).
    discord_shard_ids: str = ""
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    # Multi-workspace (OAuth) install: the app's credentials; the state secret signs the OAuth `state` (default: the
    # client secret), the redirect URI is needed only when the app registers more than one.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_state_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None
    # The bot's own HTTP endpoint (events, commands, interactivity, OAuth pages); unused in Socket Mode alone.
    slack_host: str = "0.0.0.0"
    slack_port: int = Field(default=3000, ge=0, le=65535)
    slack_api_url: str = "https://slack.com/api/"
    # Slack user ids (U…) allowed admin commands besides workspace admins and owners.
    slack_admin_ids: Annotated[list[str], NoDecode] = []

    @field_validator("schedule_grace", mode="before")
    @classmethod
    def _grace(cls, value: Any) -> Any:
        # `3600` (seconds), `90m` or `2h` from an env file, besides pydantic's `01:00:00` and `PT1H`.
        if isinstance(value, str):
            text = value.strip().lower()
            if text.isdigit():
                return int(text)
            if text[:-1].isdigit() and text[-1:] in ("m", "h"):
                return int(text[:-1]) * (60 if text.endswith("m") else 3600)
        return value

    @field_validator("discord_guild_ids", "slack_admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        # `123,456` (or spaces) as well as a JSON list, the way people paste ids into an env file.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in re.split(r"[\s,]+", text) if part]
        return value

    @property
    def database_path(self) -> Path:
        """The embedded SQLite file."""
        return self.data_dir / "quizbot.sqlite3"
