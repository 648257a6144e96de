"""OAuth records for many workspaces: installations kept in the bot's own Repository, and a signed `state`.

The installations follow whichever database the core uses (SQLite now, PostgreSQL later), so one deployment serves
every workspace that installed the app. The OAuth `state` needs no table: it is an HMAC-signed expiry time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from adapters.slack.members import PLATFORM
from bot.ports import Repository

log = logging.getLogger(__name__)

WORKSPACE_RECORD = ""  # the workspace's latest installation (with the bot token); members' own ones use their id
BOT_FIELDS = ("bot_token", "bot_id", "bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at")


def workspace_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False) -> str:
    """A workspace's storage key: its team id (globally unique), or the org for org-wide installs."""
    if is_enterprise_install or not team_id:
        return f"org:{enterprise_id or ''}"
    return team_id


class RepositoryInstallationStore(AsyncInstallationStore):
    """slack_sdk's AsyncInstallationStore on the core's Repository (table `installations`)."""

    def __init__(self, repo: Repository, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._repo = repo
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        """The logger slack_sdk expects a store to have."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Store an installation as the workspace's latest and as its installer's own."""
        key = workspace_key(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        data = json.dumps(vars(installation))
        now = self._clock()
        await self._repo.save_installation(PLATFORM, key, WORKSPACE_RECORD, data, now)
        if installation.user_id:
            await self._repo.save_installation(PLATFORM, key, installation.user_id, data, now)

    async def async_save_bot(self, bot: Bot) -> None:
        """Store a refreshed bot token (token rotation) into the workspace's latest installation."""
        key = workspace_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        record = await self._load(key, WORKSPACE_RECORD) or {"user_id": "", "installed_at": bot.installed_at}
        fresh = vars(bot)
        record.update({name: fresh.get(name) for name in ("enterprise_id", "team_id", "app_id", *BOT_FIELDS)})
        await self._repo.save_installation(PLATFORM, key, WORKSPACE_RECORD, json.dumps(record), self._clock())

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot token of a workspace, or None when the app is not installed there."""
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        if installation is None or not installation.bot_token:
            return None
        return installation.to_bot()

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """A member's installation, or (user_id None) the workspace's latest."""
        key = workspace_key(enterprise_id, team_id, is_enterprise_install)
        record = await self._load(key, user_id or WORKSPACE_RECORD)
        return Installation(**record) if record is not None else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot token (tokens_revoked)."""
        await self._repo.delete_installations(PLATFORM, workspace_key(enterprise_id, team_id), WORKSPACE_RECORD)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget a member's installation (tokens_revoked), or the workspace's latest."""
        key = workspace_key(enterprise_id, team_id)
        await self._repo.delete_installations(PLATFORM, key, user_id or WORKSPACE_RECORD)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget every record of a workspace (app_uninstalled)."""
        await self._repo.delete_installations(PLATFORM, workspace_key(enterprise_id, team_id))

    async def _load(self, key: str, user_id: str) -> dict[str, Any] | None:
        data = await self._repo.find_installation(PLATFORM, key, user_id)
        if data is None:
            return None
        record: dict[str, Any] = json.loads(data)
        return record


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth `state` values that carry their own expiry and an HMAC, so no table and no shared memory is needed.

    Bolt also ties the state to the installing browser with a cookie, and Slack's codes are single-use.
    """

    def __init__(self, secret: str, expiration_seconds: int = 600, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the OAuth state secret must not be empty")
        self._key = hashlib.sha256(b"quizbot-slack-oauth-state:" + secret.encode()).digest()
        self.expiration_seconds = expiration_seconds
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        """The logger slack_sdk expects a store to have."""
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state: expiry time, a random nonce and their signature."""
        body = f"{int(self._clock()) + self.expiration_seconds}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._sign(body)}"

    async def async_consume(self, state: str) -> bool:
        """True when the state was issued here and has not expired."""
        body, _, signature = state.rpartition(".")
        expires, _, _ = body.partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)) or not expires.isdigit():
            return False
        return int(expires) >= self._clock()

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
