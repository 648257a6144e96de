"""Slack Web API 429s counted per method (quizbot_rate_limited_total{scope="slack:chat.update"}) while retried."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.metrics import METRICS


class CountingRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """The stock 429 retry (after Retry-After), counting every 429 by Web API method."""

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Count a 429, then decide as the stock handler does."""
        if response is not None and response.status_code == 429:
            METRICS.rate_limited.inc(1, "slack:" + request.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0])
        return await super().can_retry_async(state=state, request=request, response=response, error=error)
