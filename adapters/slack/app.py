"""The Bolt AsyncApp: one workspace (bot token) or many (OAuth install), over HTTP or Socket Mode.

* Single workspace: QUIZBOT_SLACK_BOT_TOKEN, plus QUIZBOT_SLACK_SIGNING_SECRET (HTTP endpoint served by the bot's
  own aiohttp server) or QUIZBOT_SLACK_APP_TOKEN (Socket Mode, no public URL).
* Many workspaces: QUIZBOT_SLACK_CLIENT_ID + QUIZBOT_SLACK_CLIENT_SECRET (+ signing secret): `/slack/install`
  starts the OAuth flow, installations are kept in the bot's own database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.acks import AckFirst
from adapters.slack.chat import EDIT_INTERVAL, SlackChat
from adapters.slack.handlers import SlackHandlers
from adapters.slack.installation_store import RepositoryInstallationStore, SignedStateStore
from adapters.slack.members import Members
from adapters.slack.rate_metrics import CountingRateLimitRetryHandler
from bot.metrics import METRICS
from bot.service import QuizService
from bot.settings import Settings

log = logging.getLogger(__name__)

# Keep in step with deploy/slack-manifest.yaml (a test compares them).
BOT_SCOPES = (
    "chat:write",
    "chat:write.public",
    "commands",
    "im:write",
    "users:read",
    "channels:history",
    "groups:history",
)
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
HEALTH_PATH = "/healthz"
SLACK_API_URL = "https://slack.com/api/"
SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
RATE_LIMIT_RETRIES = 2
# Slack retries an unacknowledged event three times within minutes; an hour of memory covers them all.
EVENT_MEMORY = timedelta(hours=1)


class SlackConfigError(ValueError):
    """Settings that cannot start the Slack front door; the message says which variable to set."""


@dataclass(frozen=True)
class SlackConfig:
    """Everything the Slack front door needs, taken from Settings (tests build it directly)."""

    signing_secret: str = field(default="", repr=False)
    bot_token: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    state_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    host: str = "0.0.0.0"
    port: int = 3000
    api_url: str = SLACK_API_URL
    authorization_url: str = SLACK_AUTHORIZE_URL
    admin_ids: frozenset[str] = frozenset()
    edit_interval: float = EDIT_INTERVAL

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackConfig:
        """The Slack part of the settings."""

        def secret(value: Any) -> str | None:
            return value.get_secret_value() if value is not None else None

        return cls(
            signing_secret=secret(settings.slack_signing_secret) or "",
            bot_token=secret(settings.slack_bot_token),
            app_token=secret(settings.slack_app_token),
            client_id=settings.slack_client_id or None,
            client_secret=secret(settings.slack_client_secret),
            state_secret=secret(settings.slack_state_secret),
            redirect_uri=settings.slack_redirect_uri,
            host=settings.slack_host,
            port=settings.slack_port,
            api_url=settings.slack_api_url,
            admin_ids=frozenset(settings.slack_admin_ids) | frozenset(settings.admin_ids),
        )

    @property
    def oauth(self) -> bool:
        """Many workspaces, installed through the OAuth flow."""
        return bool(self.client_id and self.client_secret)

    @property
    def socket_mode(self) -> bool:
        """Events arrive over Socket Mode's websocket rather than HTTP."""
        return bool(self.app_token)

    @property
    def serves_http(self) -> bool:
        """The bot's own HTTP server runs: for events (no Socket Mode) and for the OAuth pages."""
        return not self.socket_mode or self.oauth

    def check(self) -> None:
        """Refuse settings that cannot work, with the variable to set."""
        if not self.oauth and not self.bot_token:
            raise SlackConfigError(
                "Slack needs QUIZBOT_SLACK_BOT_TOKEN (one workspace) or QUIZBOT_SLACK_CLIENT_ID and "
                "QUIZBOT_SLACK_CLIENT_SECRET (installs in many workspaces)."
            )
        if self.client_id and not self.client_secret:
            raise SlackConfigError("QUIZBOT_SLACK_CLIENT_ID is set but QUIZBOT_SLACK_CLIENT_SECRET is not.")
        if not self.socket_mode and not self.signing_secret:
            raise SlackConfigError(
                "Slack over HTTP needs QUIZBOT_SLACK_SIGNING_SECRET (Basic Information > App Credentials); "
                "or set QUIZBOT_SLACK_APP_TOKEN to use Socket Mode instead."
            )


def retry_handlers() -> list[AsyncRetryHandler]:
    """Retry a dropped connection once, and a 429 after the Retry-After Slack asks for."""
    return [AsyncConnectionErrorRetryHandler(), CountingRateLimitRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]


class SlackApp:
    """The Bolt app with quizbot's listeners, its Web API client and the ChatPort that edits posted cards."""

    def __init__(
        self,
        config: SlackConfig,
        service: QuizService,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        config.check()
        self.config = config
        self.service = service
        self._clock = clock
        # In OAuth mode the client has no token: Bolt copies it per request with the workspace's bot token.
        self.client = AsyncWebClient(
            token=None if config.oauth else config.bot_token,
            base_url=config.api_url,
            retry_handlers=retry_handlers(),
        )
        self.store: RepositoryInstallationStore | None = None
        if config.oauth:
            self.store = RepositoryInstallationStore(service.repository, clock)
            self.app = self._oauth_app(self.store)
        else:
            self.app = AsyncApp(
                name="quizbot", signing_secret=config.signing_secret, client=self.client, process_before_response=True
            )
            # The manifest subscribes to these for OAuth installs; with one fixed token there is nothing to forget.
            self.app.event("app_uninstalled")(_noted)
            self.app.event("tokens_revoked")(_noted)
        self.chat = SlackChat(self.client_for, config.edit_interval)
        self.app.middleware(_time_the_ack)  # first, so it times everything up to the acknowledgement
        self.app.middleware(self._skip_repeated_events)
        self.acks = AckFirst(self.app)  # each listener's HTTP response leaves at its ack; its work goes on
        SlackHandlers(service, Members(config.admin_ids)).register(self.acks)

    def _oauth_app(self, store: RepositoryInstallationStore) -> AsyncApp:
        config = self.config
        assert config.client_id is not None and config.client_secret is not None
        settings = AsyncOAuthSettings(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            redirect_uri=config.redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            authorization_url=config.authorization_url,
            installation_store=store,
            installation_store_bot_only=True,
            state_store=SignedStateStore(config.state_secret or config.client_secret),
        )
        # Our own authorize: with the app's client (Bolt's default one would rotate tokens through slack.com
        # whatever base_url is set) and a cache, so a request costs one database read and no auth.test call.
        authorize = AsyncInstallationStoreAuthorize(
            logger=log,
            client_id=config.client_id,
            client_secret=config.client_secret,
            installation_store=store,
            bot_only=True,
            cache_enabled=True,
            client=self.client,
        )
        authorize.token_rotator = AsyncTokenRotator(
            client_id=config.client_id, client_secret=config.client_secret, client=self.client
        )
        app = AsyncApp(
            name="quizbot",
            signing_secret=config.signing_secret,
            client=self.client,
            oauth_settings=settings,
            authorize=authorize,
            installation_store_bot_only=True,
            process_before_response=True,  # listeners answer at their ack without Bolt's polling (adapters.slack.acks)
        )
        app.enable_token_revocation_listeners()
        return app

    async def client_for(self, workspace: str) -> AsyncWebClient | None:
        """A Web API client with the bot token of a workspace (None when the app is not installed there)."""
        if self.store is None:
            return self.client
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=workspace)
        if bot is None:
            return None
        return AsyncWebClient(
            token=bot.bot_token,
            base_url=self.config.api_url,
            retry_handlers=retry_handlers(),
            session=self.client.session,
        )

    async def open_session(self) -> None:
        """One pooled HTTP session for every Web API call and response_url post (kept-alive connections)."""
        # Without it slack_sdk opens a session, and so a TCP and TLS connection, for every single call.
        if self.client.session is None:
            self.client.session = aiohttp.ClientSession()

    async def close_session(self) -> None:
        """Close the pooled session (after the last edit has gone out)."""
        session, self.client.session = self.client.session, None
        if session is not None:
            await session.close()

    async def _skip_repeated_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Slack redelivers an event it thinks was not acknowledged (X-Slack-Retry-Num); the event_id is the same, so
        # the database remembers which ids were handled and a repeat is answered 200 without running again.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.service.repository.claim_event(f"slack:{event_id}", self._clock(), EVENT_MEMORY):
            log.info("skipped a repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    def web_app(self) -> web.Application:
        """The aiohttp application: Bolt's events endpoint (and OAuth pages), plus a health check."""
        application = self.app.web_app(path=EVENTS_PATH, port=self.config.port)
        application.router.add_get(HEALTH_PATH, _healthy)
        return application


class _TimedAck(AsyncAck):
    """Bolt's ack, timed from the verified request to the listener's ack call (quizbot_interaction_ack_seconds)."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self._started: float | None = started

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        if self._started is not None:
            METRICS.ack_latency.observe(time.monotonic() - self._started)
            self._started = None
        return await super().__call__(*args, **kwargs)


async def _time_the_ack(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
    # The listener runs apart from the middleware chain (Bolt answers HTTP once the ack is set), so the timer rides
    # on the ack itself.
    context["ack"] = _TimedAck(time.monotonic())
    await next()


async def _noted(event: dict[str, Any]) -> None:
    log.info("Slack reported %s; with a fixed bot token, set a new one to serve again", event.get("type"))


async def _healthy(request: web.Request) -> web.Response:
    return web.Response(text="ok")
