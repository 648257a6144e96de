"""Fixtures for the Discord front door: a local fake Discord and the real door (discord.py client) serving it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.door import DiscordDoor
from bot.bank import Bank
from bot.models import Question
from bot.service import QuizService
from bot.settings import Settings
from bot.storage.sqlite import SqliteRepository
from tests.adapters.discord.fake_discord import (
    FakeDiscord,
    Json,
    offline_connector,
    point_discord_py_at,
)
from tests.conftest import FakeScheduler, FixedClock

# discord.py logs these once per process when the voice extras are missing; harmless.
_IGNORED_LOG_MESSAGES = ("PyNaCl is not installed", "davey is not installed")
ALICE, BOB, CAROL = 5555555555555555555, 6666666666666666666, 7777777777777777777


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A fake Discord on 127.0.0.1 with discord.py pointed at it (two class attributes, undone afterwards)."""
    async with FakeDiscord() as server:
        point_discord_py_at(server, monkeypatch)
        yield server
    assert server.errors == [], f"the fake server itself failed: {server.errors}"


@pytest.fixture
def discord_problems(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """WARNING+ records from discord.py (exceptions in callbacks, unknown commands...); tests expect none."""
    caplog.set_level(logging.INFO)

    def problems() -> list[str]:
        return [
            f"{r.name} {r.levelname}: {r.getMessage()}"
            for r in caplog.records
            if r.name.startswith("discord")
            and r.levelno >= logging.WARNING
            and not any(m in r.getMessage() for m in _IGNORED_LOG_MESSAGES)
        ]

    return problems


@dataclass
class Bot:
    """A running Discord door over a real service and SQLite file, plus ways to act as a member."""

    fake: FakeDiscord
    door: DiscordDoor
    service: QuizService
    repo: SqliteRepository
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def command(self, name: str, options: list[Json] | None = None, **kwargs: Any) -> tuple[Json, Json]:
        """Run a slash command; returns (interaction, callback body)."""
        interaction = self.fake.slash_command(name, options=options, **kwargs)
        await self.fake.send_interaction(interaction)
        callback = await self.fake.wait_for_callback(interaction)
        return interaction, callback.json

    async def click(self, message: Json, custom_id: str, **kwargs: Any) -> tuple[Json, Json]:
        """Click a control of a message as a member sees it; returns (interaction, callback body)."""
        assert custom_id in custom_ids(message), f"{custom_id} is not on the message: {custom_ids(message)}"
        interaction = self.fake.component_click(message, custom_id, **kwargs)
        await self.fake.send_interaction(interaction)
        callback = await self.fake.wait_for_callback(interaction)
        return interaction, callback.json

    async def choose(self, message: Json, custom_id: str, values: list[str], **kwargs: Any) -> tuple[Json, Json]:
        """Pick letters in a choose-N menu."""
        return await self.click(message, custom_id, component_type=3, values=values, **kwargs)

    async def followups(self, interaction: Json, count: int) -> list[Json]:
        """The first `count` follow-up messages the bot sent for an interaction, as stored by the fake."""
        path = rf"/webhooks/\d+/{interaction['token']}"
        await self.fake.wait_for_request(
            "POST", path, predicate=lambda r: len(self.fake.find_requests("POST", path)) >= count
        )
        return self.fake.followup_messages(interaction)[:count]

    async def answer(self, message: Json, letters: str, **kwargs: Any) -> tuple[Json, Json]:
        """Answer the question a message shows: its letter button, or its menu for choose-N questions."""
        menus = [c for c in components(message) if c["type"] == 3]
        if menus:
            return await self.choose(message, menus[0]["custom_id"], sorted(letters), **kwargs)
        prefix = custom_ids(message)[0].rsplit(":", 1)[0]
        return await self.click(message, f"{prefix}:{letters}", **kwargs)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    data_dir: Path,
    *,
    edit_interval: float = 0.02,
    prepare: Callable[[DiscordDoor], None] | None = None,
    **settings: Any,
) -> AsyncIterator[Bot]:
    """Start the Discord door like `quizbot run` does (port registered, service started), stop it through `stop`."""
    repo = await SqliteRepository.open(data_dir / "quizbot.sqlite3")
    service = QuizService(bank, repo, scheduler, clock)
    values: dict[str, Any] = {
        "discord_token": fake.token,
        "data_dir": data_dir,
        "discord_guild_ids": [],
        "admin_ids": [],
    }
    values.update(settings)
    door = DiscordDoor(
        Settings(_env_file=None, **values),
        service,
        guild_ready_timeout=0.05,  # the default 2 s would dominate every test
        connector=offline_connector(),  # only 127.0.0.1 is reachable
        edit_interval=edit_interval,
    )
    if prepare is not None:
        prepare(door)
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        service.add_port(door.port)
        await service.start()
        task = asyncio.create_task(door.serve(stop), name="discord-door")
        await _until_ready(door, task)
        yield Bot(fake, door, service, repo, stop, task)
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, 10)  # the door's own shutdown; re-raises what ended it
        await repo.close()


async def _until_ready(door: DiscordDoor, task: asyncio.Task[None], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not door.client.is_ready():
        if task.done():
            task.result()  # re-raise why the door ended
            raise AssertionError("the door ended before the client was ready")
        if loop.time() > deadline:
            raise AssertionError("the Discord client did not become ready")
        await asyncio.sleep(0.005)


async def assert_nothing_left_running() -> None:
    """No asyncio task and no heartbeat thread may survive the door's shutdown."""
    await asyncio.sleep(0)
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not leftovers, f"tasks still running after close: {leftovers}"
    for thread in threading.enumerate():
        if thread.name.startswith("keep-alive-handler"):
            thread.join(timeout=2)
            assert not thread.is_alive(), f"heartbeat thread still alive: {thread}"


def components(message: Json) -> list[Json]:
    """Every component of a message (rows flattened)."""
    return [c for row in message.get("components", []) for c in row.get("components", [])]


def custom_ids(message: Json) -> list[str]:
    """The custom_ids of a message's controls."""
    return [c["custom_id"] for c in components(message) if "custom_id" in c]


def embed_of(message: Json) -> Json:
    """The single embed of a message (or callback data)."""
    embeds = message.get("embeds") or []
    assert len(embeds) == 1, f"expected one embed, got {embeds!r}"
    result: Json = embeds[0]
    return result


def question_of(message: Json, bank: Bank) -> Question:
    """The bank question a card shows (its id ends the embed footer)."""
    question_id = embed_of(message)["footer"]["text"].rsplit(" · ", 1)[-1]
    question = bank.get(question_id)
    assert question is not None, f"no question {question_id} in the bank"
    return question


def ephemeral(text: str) -> Json:
    """The exact callback of a private one-sentence reply."""
    return {"type": 4, "data": {"tts": False, "embeds": [], "content": text, "flags": 64}}


async def refs_of(bot: Bot, round_id: int, count: int, within: float = 5.0) -> list[str]:
    """A round's stored card references, once there are `count` (the bot attaches just after Discord answers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while len(refs := await bot.repo.message_refs(round_id)) < count:
        assert loop.time() < deadline, f"round {round_id} has refs {refs}, expected {count}"
        await asyncio.sleep(0.005)
    return refs


async def until(condition: Callable[[], bool], what: str, within: float = 5.0) -> None:
    """Wait (bounded, really suspending) until a condition holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.005)
