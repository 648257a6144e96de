"""QUIZBOT_DISCORD_SHARDS / QUIZBOT_DISCORD_SHARD_IDS pick AutoShardedClient with this process's shard range."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from adapters.discord.client import QuizClient
from adapters.discord.door import DiscordDoor
from adapters.discord.sharding import ShardedQuizClient, parse_shard_ids, shard_options
from bot.service import QuizService
from bot.settings import Settings


def test_shard_ids_take_ids_and_ranges() -> None:
    assert parse_shard_ids("0-3, 8") == [0, 1, 2, 3, 8]
    assert parse_shard_ids("") == []
    for bad in ("a", "3-1", "1-"):
        with pytest.raises(ValueError, match="QUIZBOT_DISCORD_SHARD_IDS"):
            parse_shard_ids(bad)


def test_options_for_each_setting() -> None:
    assert shard_options("", "") == {}
    assert shard_options("auto", "") == {"shard_count": None}
    assert shard_options("4", "") == {"shard_count": 4, "shard_ids": None}
    assert shard_options("4", "2-3") == {"shard_count": 4, "shard_ids": [2, 3]}
    for shards, ids in (("4", "4"), ("auto", "1"), ("", "1"), ("0", ""), ("many", "")):
        with pytest.raises(ValueError, match="QUIZBOT_DISCORD_SHARD"):
            shard_options(shards, ids)


async def test_the_door_builds_a_sharded_client_only_when_asked(tmp_path: Path, service: QuizService) -> None:
    plain = DiscordDoor(Settings(discord_token="t", data_dir=tmp_path), service)
    assert type(plain.client) is QuizClient
    sharded = DiscordDoor(
        Settings(discord_token="t", data_dir=tmp_path, discord_shards="4", discord_shard_ids="2-3"), service
    )
    assert isinstance(sharded.client, ShardedQuizClient)
    assert isinstance(sharded.client, discord.AutoShardedClient)
    assert (sharded.client.shard_count, sharded.client.shard_ids) == (4, [2, 3])
    await plain.client.close()
    # never started: AutoShardedClient.close() needs the queue its login creates, so there is nothing to close
