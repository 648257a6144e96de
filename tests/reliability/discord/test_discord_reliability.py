"""Discord: a non-admin is refused every admin action, a double click counts once, the token never reaches a log."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.door import DiscordDoor
from bot.bank import Bank
from bot.settings import Settings
from tests.adapters.discord.conftest import BOB, ephemeral, running_bot
from tests.adapters.discord.fake_discord import FakeDiscord, offline_connector
from tests.conftest import FakeScheduler, FixedClock
from tests.reliability.conftest import row_counts

CHANNEL = 3333333333333333333


def sub(name: str, **values: Any) -> dict[str, Any]:
    """A /quizadmin subcommand with string/integer options."""
    options = [{"type": 4 if isinstance(v, int) else 3, "name": k, "value": v} for k, v in values.items()]
    return {"type": 1, "name": name, "options": options}


def schedule(action: str, **values: Any) -> dict[str, Any]:
    """A /quizadmin schedule … subcommand."""
    return {"type": 2, "name": "schedule", "options": [sub(action, **values)]}


ADMIN_ACTIONS = [
    sub("reveal"),
    sub("settings", timezone="Europe/Berlin"),
    sub("settings", reveal="19:30"),
    schedule("add", kind="qotd", at="09:00"),
    schedule("edit", id=1, at="10:00"),
    schedule("pause", id=1),
    schedule("resume", id=1),
    schedule("delete", id=1),
]


async def test_every_quizadmin_action_is_refused_for_a_member_without_manage_server(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        await bot.command("qotd")
        await asyncio.sleep(0.05)  # the card's message reference is stored just after Discord answered
        before = row_counts(tmp_path / "quizbot.sqlite3")
        for action in ADMIN_ACTIONS:
            _, reply = await bot.command("quizadmin", [action], user_id=BOB, username="bob")
            assert reply["data"]["content"].startswith("Sorry, only an admin can "), (action, reply)
            assert reply == ephemeral(reply["data"]["content"])
        assert row_counts(tmp_path / "quizbot.sqlite3") == before


async def test_the_bot_token_never_reaches_a_log_record(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        await bot.command("qotd")
        await bot.command("quizadmin", [sub("reveal")], user_id=BOB, username="bob")
    # a refused token: the failure and its logs name the problem, never the token
    sentinel = "SENTINEL-discord-token-0451"
    door = DiscordDoor(
        Settings(_env_file=None, discord_token=sentinel, data_dir=tmp_path), bot.service, connector=offline_connector()
    )
    with pytest.raises(discord.LoginFailure) as failure:
        await door.serve(asyncio.Event())
    assert sentinel not in str(failure.value) and sentinel not in repr(door.__dict__)
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)  # messages and tracebacks
    assert caplog.records and fake.token not in logged and sentinel not in logged
