"""429s are counted by scope (Discord from discord.py's retry warnings, Slack in the retry handler); acks timed."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import discord
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

import adapters.ops  # noqa: F401  (installs the discord.http counter)
from adapters.discord.ack_metrics import observe_ack
from adapters.slack.rate_metrics import CountingRateLimitRetryHandler
from bot.metrics import METRICS


def test_discord_rate_limit_warnings_are_counted_by_scope() -> None:
    before = (METRICS.rate_limited.value("discord:PATCH"), METRICS.rate_limited.value("discord:global"))
    http_log = logging.getLogger("discord.http")
    http_log.warning(
        "We are being rate limited. %s %s responded with 429. Retrying in %.2f seconds.", "PATCH", "/x", 0.5
    )
    http_log.warning("Global rate limit has been hit. Retrying in %.2f seconds.", 1.0)
    http_log.warning("something else")
    after = (METRICS.rate_limited.value("discord:PATCH"), METRICS.rate_limited.value("discord:global"))
    assert after == (before[0] + 1, before[1] + 1)


async def test_slack_429s_are_counted_per_method_and_still_retried() -> None:
    handler = CountingRateLimitRetryHandler(max_retry_count=1)
    request = HttpRequest(method="POST", url="https://slack.com/api/chat.update", headers={})
    before = METRICS.rate_limited.value("slack:chat.update")
    limited = HttpResponse(status_code=429, headers={"retry-after": ["1"]})
    assert await handler.can_retry_async(state=RetryState(), request=request, response=limited)
    ok = HttpResponse(status_code=200, headers={})
    assert not await handler.can_retry_async(state=RetryState(), request=request, response=ok)
    assert METRICS.rate_limited.value("slack:chat.update") == before + 1


def test_an_ack_is_timed_from_the_interaction_time() -> None:
    before = METRICS.ack_latency.count
    interaction: Any = SimpleNamespace(created_at=discord.utils.utcnow() - timedelta(milliseconds=300))
    observe_ack(interaction)
    assert METRICS.ack_latency.count == before + 1
