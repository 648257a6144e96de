"""Discord sharding from the settings: QUIZBOT_DISCORD_SHARDS=auto|N and this process's QUIZBOT_DISCORD_SHARD_IDS."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.client import QuizClient
from bot.settings import Settings


class ShardedQuizClient(QuizClient, discord.AutoShardedClient):
    """QuizClient on discord.py's AutoShardedClient: one process runs several gateway shards."""


def parse_shard_ids(text: str) -> list[int]:
    """`0-3,8` → [0, 1, 2, 3, 8]; raises ValueError with a sentence naming the variable."""
    ids: set[int] = set()
    for part in (p.strip() for p in text.replace(" ", ",").split(",")):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"QUIZBOT_DISCORD_SHARD_IDS takes ids and ranges like 0-3,8, not {part!r}")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"QUIZBOT_DISCORD_SHARD_IDS has a backwards range {part!r}")
        ids.update(range(low, high + 1))
    return sorted(ids)


def shard_options(shards: str, shard_ids: str) -> dict[str, Any]:
    """Client options for the settings: {} (one connection) or shard_count / shard_ids for AutoShardedClient."""
    shards = shards.strip().lower()
    ids = parse_shard_ids(shard_ids)
    if not shards:
        if ids:
            raise ValueError("QUIZBOT_DISCORD_SHARD_IDS needs QUIZBOT_DISCORD_SHARDS (the total, a number)")
        return {}
    if shards == "auto":
        if ids:
            raise ValueError("QUIZBOT_DISCORD_SHARD_IDS needs a fixed QUIZBOT_DISCORD_SHARDS total, not auto")
        return {"shard_count": None}  # Discord recommends the count at login
    if not shards.isdigit() or int(shards) < 1:
        raise ValueError(f"QUIZBOT_DISCORD_SHARDS is auto or a positive number, not {shards!r}")
    count = int(shards)
    if any(i >= count for i in ids):
        raise ValueError(f"QUIZBOT_DISCORD_SHARD_IDS must be below QUIZBOT_DISCORD_SHARDS ({count})")
    return {"shard_count": count, "shard_ids": ids or None}


def sharding(settings: Settings) -> dict[str, Any]:
    """The sharding options of these settings ({} = one gateway connection, the plain QuizClient)."""
    return shard_options(settings.discord_shards, settings.discord_shard_ids)
