"""Starting, syncing, restarting and stopping the Discord front door, against a local fake Discord."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from adapters import main as quizbot_main
from adapters.discord import door as door_module
from adapters.discord.client import QuizClient
from adapters.discord.door import DiscordDoor
from bot.bank import Bank
from bot.settings import Settings
from tests.adapters.discord.conftest import (
    ALICE,
    BOB,
    CAROL,
    assert_nothing_left_running,
    embed_of,
    ephemeral,
    question_of,
    refs_of,
    running_bot,
    until,
)
from tests.adapters.discord.fake_discord import FakeDiscord, offline_connector, point_discord_py_at
from tests.conftest import MINI_BANK, FakeScheduler, FixedClock

COMMAND_NAMES = [
    "help", "qotd", "quiz", "stop", "stats", "leaderboard", "review", "drill", "optin", "optout", "plan", "quizadmin",
    "exam", "duel", "round", "ratings",
]
GUILDS = [8888888888888888881, 8888888888888888882]


def syncs(fake: FakeDiscord) -> list[tuple[str, list[str]]]:
    """Every command sync so far: (path, command names)."""
    return [(r.path, [c["name"] for c in r.json]) for r in fake.find_requests("PUT")]


async def test_commands_sync_only_when_their_definitions_change(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    discord_problems: Callable[[], list[str]],
) -> None:
    caplog.set_level(logging.INFO)
    app = fake.application_id
    async with running_bot(fake, bank, clock, scheduler, tmp_path):
        identify = fake.connection.identify
        assert identify is not None
        assert identify["intents"] == discord.Intents(guilds=True).value  # nothing privileged
    assert syncs(fake) == [(f"/applications/{app}/commands", COMMAND_NAMES)]
    payload = {c["name"]: c for c in fake.find_requests("PUT")[0].json}
    assert int(payload["quizadmin"]["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert payload["quizadmin"]["dm_permission"] is False
    count, domain, task = payload["quiz"]["options"]
    assert (count["name"], count["min_value"], count["max_value"]) == ("count", 1, 65)
    assert [c["value"] for c in domain["choices"]] == ["1", "2", "3", "4"]
    assert task["autocomplete"] is True
    invite = f"https://discord.com/oauth2/authorize?client_id={app}&scope=bot+applications.commands&permissions=19456"
    assert any(r.getMessage() == f"invite quizbot to a server: {invite}" for r in caplog.records)
    assert discord.Permissions(19456) == discord.Permissions(view_channel=True, send_messages=True, embed_links=True)

    async with running_bot(fake, bank, clock, scheduler, tmp_path):  # same definitions: no sync
        pass
    assert len(syncs(fake)) == 1

    async with running_bot(fake, bank, clock, scheduler, tmp_path, discord_guild_ids=GUILDS) as bot:
        # Commands synced per server answer at once; the interaction names its server in data.guild_id.
        interaction = fake.slash_command("help")
        interaction["data"]["guild_id"] = str(GUILDS[0])
        await fake.send_interaction(interaction)
        assert (await fake.wait_for_callback(interaction)).json["data"]["flags"] == 64
        assert bot.door.client.tree.get_commands(guild=discord.Object(GUILDS[0])) == []
    assert syncs(fake)[1:] == [
        (f"/applications/{app}/guilds/{GUILDS[0]}/commands", COMMAND_NAMES),
        (f"/applications/{app}/guilds/{GUILDS[1]}/commands", COMMAND_NAMES),
        (f"/applications/{app}/commands", []),  # the global copy would show every command twice
    ]

    async with running_bot(fake, bank, clock, scheduler, tmp_path, discord_guild_ids=GUILDS):
        pass
    assert len(syncs(fake)) == 4

    def add_command(door: DiscordDoor) -> None:
        door.client.tree.add_command(app_commands.Command(name="ping", description="New", callback=_ping))

    async with running_bot(fake, bank, clock, scheduler, tmp_path, discord_guild_ids=GUILDS, prepare=add_command):
        pass
    assert [names[-1] for _, names in syncs(fake)[4:]] == ["ping", "ping"]
    stored = json.loads((tmp_path / door_module.SYNC_STATE_FILE).read_text())
    assert sorted(stored[str(app)]) == [f"guild:{g}" for g in GUILDS]
    assert discord_problems() == []
    await assert_nothing_left_running()


async def _ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong", ephemeral=True)


async def test_buttons_keep_working_after_a_restart(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    discord_problems: Callable[[], list[str]],
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as first:
        interaction, _ = await first.command("qotd")
        card = fake.original_response(interaction)
        await refs_of(first, 1, 1)
        await first.click(card, "quiz:1:1:a", user_id=ALICE)
        interaction, _ = await first.command("quiz", [{"name": "count", "type": 4, "value": 2}], user_id=CAROL)
        quiz_question = copy.deepcopy(fake.original_response(interaction))
        first_client = first.door.client
    assert first_client.is_closed()
    identifies = [c.identify for c in fake.connections]

    # A new process: new client, new service, the same SQLite file; the old messages keep their buttons.
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as second:
        assert second.door.client is not first_client
        _, ack = await second.click(card, "quiz:1:1:b", user_id=BOB, username="bob")
        assert ack == ephemeral("Recorded your answer B. The answer is revealed at 18:00 UTC.")
        await fake.wait_for_request(
            "PATCH",
            rf"/channels/\d+/messages/{card['id']}",
            predicate=lambda r: embed_of(r.json)["footer"]["text"].startswith("2 answered · "),
        )

        key = "".join(sorted(question_of(quiz_question, bank).keys))
        click, feedback = await second.answer(quiz_question, key, user_id=CAROL)
        assert feedback["type"] == 7
        assert embed_of(feedback["data"])["title"] == "✅ Correct!"
        (following,) = await second.followups(click, 1)
        assert embed_of(following)["title"] == "Quiz · question 2 of 2"
    assert len(fake.connections) == len(identifies) + 1
    assert discord_problems() == []
    await assert_nothing_left_running()


async def test_a_round_that_closed_while_down_is_revealed_once_connected(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        interaction, _ = await bot.command("qotd")
        card = fake.original_response(interaction)
        await refs_of(bot, 1, 1)
        await bot.click(card, "quiz:1:1:a", user_id=BOB, username="bob")
        await fake.wait_for_request("PATCH", rf"/channels/\d+/messages/{card['id']}")
    clock.advance(hours=12)  # past 18:00 while the bot was down
    scheduler.jobs.clear()
    async with running_bot(fake, bank, clock, scheduler, tmp_path):
        # QuizService.start() closed the round before the gateway was up; the port kept the reveal until login.
        reveal = await fake.wait_for_request(
            "PATCH",
            rf"/channels/\d+/messages/{card['id']}",
            predicate=lambda r: embed_of(r.json)["title"] == "Question of the day · revealed",
        )
        # Only the Report button stays under a reveal.
        assert [c["custom_id"][:8] for row in reveal.json["components"] for c in row["components"]] == ["qreport:"]
        assert "1 answer" in embed_of(reveal.json)["description"]
    await assert_nothing_left_running()


async def test_shutdown_finishes_work_in_flight_then_refuses_and_closes(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        entered, release = asyncio.Event(), asyncio.Event()
        leaderboard = bot.service.leaderboard

        async def slow_leaderboard(*args: Any, **kwargs: Any) -> Any:
            entered.set()
            await release.wait()
            return await leaderboard(*args, **kwargs)

        bot.service.leaderboard = slow_leaderboard  # type: ignore[method-assign]
        bot.door.client.handlers.ack_budget = 5.0
        in_flight = fake.slash_command("leaderboard")
        await fake.send_interaction(in_flight)
        await asyncio.wait_for(entered.wait(), 5)

        bot.stop.set()  # what SIGTERM does in `quizbot run`
        await until(lambda: not bot.door.client.handlers.accepting, "the door stops taking interactions")
        late = fake.slash_command("help")
        await fake.send_interaction(late)
        assert (await fake.wait_for_callback(late)).json == {
            "type": 4,
            "data": {"tts": False, "content": "quizbot is restarting; please try again in a minute.", "flags": 64},
        }
        assert not bot.task.done()  # still waiting for the leaderboard in flight
        release.set()
        assert (await fake.wait_for_callback(in_flight)).json["type"] == 4
        await asyncio.wait_for(bot.task, 5)
        assert bot.door.client.is_closed()
        assert fake.connections[-1].closed.is_set()
    await assert_nothing_left_running()


async def test_a_refused_token_ends_the_door_with_the_error(fake: FakeDiscord, bank: Bank, tmp_path: Path) -> None:
    service = _unused_service(bank)
    settings = Settings(_env_file=None, discord_token="not-the-token", data_dir=tmp_path)
    door = DiscordDoor(settings, service, connector=offline_connector())
    with pytest.raises(discord.LoginFailure):
        await door.serve(asyncio.Event())
    with pytest.raises(ValueError, match="QUIZBOT_DISCORD_TOKEN"):
        DiscordDoor(Settings(_env_file=None, data_dir=tmp_path), service)
    await assert_nothing_left_running()


def _unused_service(bank: Bank) -> Any:
    """A service that is never called (the door fails before any interaction)."""

    class Unused:
        def __init__(self) -> None:
            self.bank = bank

    return Unused()


class _FastClient(QuizClient):
    """The real client with test timings (no 2-second wait for guilds) and no way off 127.0.0.1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, guild_ready_timeout=0.05, connector=offline_connector(), **kwargs)


def test_quizbot_run_serves_discord_until_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    loop = asyncio.new_event_loop()
    fake = FakeDiscord()
    thread = threading.Thread(target=loop.run_forever, name="fake-discord", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(fake.start(), loop).result(5)
        point_discord_py_at(fake, monkeypatch)
        monkeypatch.setattr(door_module, "QuizClient", _FastClient)
        monkeypatch.chdir(tmp_path)  # no developer .env
        for name in [n for n in os.environ if n.startswith("QUIZBOT_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("QUIZBOT_DISCORD_TOKEN", fake.token)
        monkeypatch.setenv("QUIZBOT_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("QUIZBOT_BANK_DIR", str(MINI_BANK))
        monkeypatch.setenv("QUIZBOT_DISCORD_GUILD_IDS", f"{GUILDS[0]}, {GUILDS[1]}")

        def terminate_once_ready() -> None:
            asyncio.run_coroutine_threadsafe(fake.wait_for_connection_ready(10), loop).result(15)
            os.kill(os.getpid(), signal.SIGTERM)  # `quizbot run` handles it: stop, drain, close the gateway

        killer = threading.Thread(target=terminate_once_ready, name="sigterm")
        killer.start()
        assert quizbot_main.main(["run"]) == 0
        killer.join(5)
        paths = [r.path for r in fake.find_requests("PUT")]
        assert paths == [f"/applications/{fake.application_id}/guilds/{g}/commands" for g in GUILDS]
        assert fake.connections[-1].closed.is_set()
        assert (tmp_path / "quizbot.sqlite3").exists()
        assert any("closing the Discord gateway" in r.getMessage() for r in caplog.records)
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    assert fake.errors == []


async def test_a_failed_sync_is_logged_and_retried_next_start(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    fake.forbidden_guilds.add(GUILDS[0])  # invited without the applications.commands scope
    async with running_bot(fake, bank, clock, scheduler, tmp_path, discord_guild_ids=GUILDS) as bot:
        _, reply = await bot.command("help")  # the bot serves anyway
        assert reply["data"]["flags"] == 64
    assert [(r.path, r.status) for r in fake.find_requests("PUT")] == [
        (f"/applications/{fake.application_id}/guilds/{GUILDS[0]}/commands", 403),
        (f"/applications/{fake.application_id}/guilds/{GUILDS[1]}/commands", 200),
    ]
    assert any(r.levelno == logging.ERROR and f"guild:{GUILDS[0]} failed" in r.getMessage() for r in caplog.records)
    fake.forbidden_guilds.clear()
    async with running_bot(fake, bank, clock, scheduler, tmp_path, discord_guild_ids=GUILDS):
        pass
    assert [(r.path, r.status) for r in fake.find_requests("PUT")][2:] == [
        (f"/applications/{fake.application_id}/guilds/{GUILDS[0]}/commands", 200)
    ]
    await assert_nothing_left_running()


async def test_stop_before_the_client_is_connected_ends_cleanly(fake: FakeDiscord, bank: Bank, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, discord_token=fake.token, data_dir=tmp_path)
    for delay in (0.0, 0.002, 0.01, 0.03):  # before login, during login, during the gateway handshake
        door = DiscordDoor(settings, _unused_service(bank), guild_ready_timeout=0.05, connector=offline_connector())
        stop = asyncio.Event()
        serving = asyncio.create_task(door.serve(stop))
        await asyncio.sleep(delay)
        stop.set()
        await asyncio.wait_for(serving, 5)
        assert door.client.is_closed()
    await assert_nothing_left_running()
