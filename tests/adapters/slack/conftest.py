"""Fixtures for the Slack front door: a fake Slack, the real SlackDoor serving on 127.0.0.1, a signing "Slack".

Guards: no name but loopback resolves (nothing can reach slack.com), the SLACK_* and proxy variables that change
slack_bolt's behaviour are cleared, and any WARNING+ log record fails the test unless it is declared.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from adapters.slack.app import SlackConfig
from adapters.slack.door import SlackDoor
from bot.bank import Bank
from bot.models import Target
from bot.service import QuizService
from bot.settings import Settings
from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.fake_slack import (
    FORM,
    JSON_CT,
    FakeSlack,
    block_actions_payload,
    button_action,
    form_body,
    interaction_body,
    slack_signature_headers,
    slash_command_form,
)
from tests.conftest import FakeScheduler, FixedClock

SIGNING_SECRET = "fake-signing-secret"
TEAM = "T0QUIZ001"
CHANNEL = "C0QUIZ001"
ALICE, BOB, CAROL, ROOT = "U0ALICE01", "U0BOB0002", "U0CAROL03", "U0ROOT004"
LISTED_ADMIN = CAROL  # not a workspace admin, but named in the settings

_SLACK_ENV = [
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SCOPES",
    "SLACK_USER_SCOPES",
    "SLACK_REDIRECT_URI",
    "SLACK_INSTALL_PATH",
    "SLACK_REDIRECT_URI_PATH",
    "SLACK_APP_TOKEN",
    "SLACK_VERIFICATION_TOKEN",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
]
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# slack_sdk 3.47 builds aiohttp.BasicAuth for oauth.v2.access, which aiohttp >= 3.14 deprecates; as a mark (not an
# ini filter) it also holds when pytest runs with -W error.
BASIC_AUTH_DEPRECATION = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_logs(*substrings): WARNING+ records containing these do not fail")
    config.addinivalue_line("markers", "questions(*ids): the Slack tests' bank holds only these questions")


class OfflineTestError(RuntimeError):
    """Raised instead of resolving a hostname (not an OSError, so slack_sdk's connection retry does not retry)."""


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No test may reach the internet; returns the names something tried to resolve."""
    for name in _SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    tried: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOOPBACK:
            tried.append(str(name))
            raise OfflineTestError(f"offline test: refusing to resolve {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return tried


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def log_problems(request: pytest.FixtureRequest) -> Iterator[list[logging.LogRecord]]:
    """Bolt logs listener errors instead of raising them: any WARNING+ record fails the test unless declared."""
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)
    marker = request.node.get_closest_marker("allow_logs")
    allowed = marker.args if marker else ()
    unexpected = [r for r in handler.records if not any(a in r.getMessage() for a in allowed)]
    assert not unexpected, "unexpected log records:\n" + "\n".join(
        f"{r.levelname} {r.name}: {r.getMessage()}" for r in unexpected
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(signing_secret=SIGNING_SECRET) as f:
        f.add_workspace(TEAM, "Quiz Team")
        f.add_user(TEAM, ALICE, "alice", real_name="Alice Example")
        f.add_user(TEAM, BOB, "bob")
        f.add_user(TEAM, CAROL, "carol")
        f.add_user(TEAM, ROOT, "root", is_admin=True)
        yield f


@pytest.fixture
def slack_bank(bank: Bank, request: pytest.FixtureRequest) -> Bank:
    """The mini bank, or (with @pytest.mark.questions(...)) only some of its questions, so a test knows its card."""
    marker = request.node.get_closest_marker("questions")
    if marker is None:
        return bank
    return dataclasses.replace(bank, questions={qid: bank.questions[qid] for qid in marker.args})


@pytest.fixture
def slack_service(slack_bank: Bank, repo: SqliteRepository, scheduler: FakeScheduler, clock: FixedClock) -> QuizService:
    return QuizService(slack_bank, repo, scheduler, clock)


def single_workspace_config(fake: FakeSlack, **changes: Any) -> SlackConfig:
    """HTTP mode, one workspace, every outbound call to the fake; count edits only when a test flushes them."""
    config = SlackConfig(
        signing_secret=SIGNING_SECRET,
        bot_token=fake.workspaces[TEAM].bot_token,
        host="127.0.0.1",
        port=0,
        api_url=fake.api_url,
        admin_ids=frozenset({LISTED_ADMIN}),
        edit_interval=3600.0,
    )
    return dataclasses.replace(config, **changes)


StartDoor = Callable[[SlackConfig], Awaitable[SlackDoor]]


@pytest.fixture
async def start_door(slack_service: QuizService) -> AsyncIterator[StartDoor]:
    """start_door(config) -> a SlackDoor serving (HTTP and/or Socket Mode) until the test ends."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(config: SlackConfig) -> SlackDoor:
        door = SlackDoor(Settings.model_construct(), slack_service, config)
        slack_service.add_port(door.port)
        stop = asyncio.Event()
        task = asyncio.create_task(door.serve(stop))
        running.append((stop, task))
        ready = asyncio.create_task(door.ready.wait())
        await asyncio.wait({ready, task}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
        assert door.ready.is_set(), "the Slack door did not start within 5 s"
        return door

    yield start
    for stop, task in running:
        stop.set()
        await asyncio.wait_for(task, 5)
    # Socket Mode's close cancels its tasks without awaiting them: give them a few ticks to finish.
    for _ in range(50):
        if not [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]:
            break
        await asyncio.sleep(0.01)


@pytest.fixture
async def door(fake: FakeSlack, start_door: StartDoor) -> SlackDoor:
    """The single-workspace HTTP door."""
    return await start_door(single_workspace_config(fake))


class SlackSender:
    """Plays Slack's side of HTTP mode: builds payloads, signs and POSTs them to the bot."""

    def __init__(self, session: aiohttp.ClientSession, fake: FakeSlack) -> None:
        self.session = session
        self.fake = fake
        self.url = ""
        self.secret = SIGNING_SECRET
        # Awaited after each response: the bot answers Slack at its ack and works on, so a test that goes on to its
        # next click first lets that work finish, as a member's next click comes after they have read the reply.
        self.settle: Callable[[], Awaitable[None]] | None = None

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        retry_num: int | None = None,
    ) -> tuple[int, str, float]:
        headers = slack_signature_headers(
            secret or self.secret, body, content_type=content_type, timestamp=timestamp, retry_num=retry_num
        )
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
            result = resp.status, await resp.text(), time.perf_counter() - started
        if self.settle is not None:
            await self.settle()
        return result

    async def command(
        self, text: str, *, user: str = ALICE, channel: str = CHANNEL, team: str = TEAM, **kw: Any
    ) -> tuple[int, str, float]:
        fields = slash_command_form(
            command="/quiz",
            text=text,
            team_id=team,
            user_id=user,
            user_name=self.fake.users.get(user, {}).get("name", "someone"),
            channel_id=channel,
            response_url=self.fake.response_url(team, "commands"),
        )
        return await self.post(form_body(fields), FORM, **kw)

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = ALICE,
        channel: str = CHANNEL,
        team: str = TEAM,
        message_ts: str = "1700000000.000100",
        ephemeral: bool = False,
        block_id: str = "quiz_answer",
        ticked: list[str] | None = None,
    ) -> tuple[int, str, float]:
        """A block_actions interaction: a button on a message (or an ephemeral message) in a channel."""
        payload = block_actions_payload(
            team_id=team,
            user_id=user,
            response_url=self.fake.response_url(team, "actions"),
            channel_id=channel,
            message={"type": "message", "ts": message_ts, "text": "", "blocks": []},
            actions=[button_action(action_id, value, block_id=block_id)],
            state_values=(
                {"quiz_choices": {"quiz_pick": {"type": "checkboxes", "selected_options": _options(ticked)}}}
                if ticked is not None
                else None
            ),
        )
        payload["user"]["name"] = self.fake.users.get(user, {}).get("name", "someone")
        payload["container"]["is_ephemeral"] = ephemeral
        return await self.post(interaction_body(payload), FORM)

    async def home_click(self, action_id: str, value: str, *, user: str = ALICE) -> tuple[int, str, float]:
        """A button on the App Home tab: a view container, no channel and no response_url."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": "alice", "name": "alice", "team_id": TEAM},
            "api_app_id": "A0QUIZBOT1",
            "token": "deprecated-verification-token",
            "container": {"type": "view", "view_id": "V000000001"},
            "trigger_id": "1.2.3",
            "team": {"id": TEAM, "domain": "quiz-team"},
            "enterprise": None,
            "is_enterprise_install": False,
            "view": {"id": "V000000001", "type": "home", "team_id": TEAM, "state": {"values": {}}},
            "actions": [button_action(action_id, value, block_id="home_start")],
        }
        return await self.post(interaction_body(payload), FORM)

    async def event(self, envelope: dict[str, Any], **kw: Any) -> tuple[int, str, float]:
        return await self.post(json.dumps(envelope), JSON_CT, **kw)


async def refs_of(repo: SqliteRepository, round_id: int) -> list[str]:
    """The round's stored card references, once the bot has stored them (it does so after Slack answered)."""
    for _ in range(300):
        refs = await repo.message_refs(round_id)
        if refs:
            return refs
        await asyncio.sleep(0.01)
    return []


def _options(letters: list[str] | None) -> list[dict[str, Any]]:
    return [{"value": x, "text": {"type": "plain_text", "text": x.upper(), "emoji": True}} for x in letters or []]


@pytest.fixture
async def slack(fake: FakeSlack, door: SlackDoor) -> AsyncIterator[SlackSender]:
    async with aiohttp.ClientSession() as session:
        sender = SlackSender(session, fake)
        sender.url = f"http://127.0.0.1:{door.http_port}/slack/events"
        sender.settle = lambda: door.slack.acks.drain(10)
        yield sender


@pytest.fixture
def channel_target() -> Target:
    return Target(platform="slack", workspace=TEAM, channel=CHANNEL)
