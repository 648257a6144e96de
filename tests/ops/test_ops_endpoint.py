"""/healthz reports the database and the front doors; /metrics exposes the counters; logs can be JSON lines."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import ClientSession

from adapters.ops import JsonFormatter, start_ops
from bot.metrics import Metrics
from bot.models import Answer, RoundKind, Tally, Target
from bot.storage.sqlite import SqliteRepository

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


class FakeClient:
    def __init__(self) -> None:
        self.ready = False

    def is_ready(self) -> bool:
        return self.ready

    def is_closed(self) -> bool:
        return False


class DiscordDoor:  # named like the real door: /healthz reports it as "discord"
    def __init__(self) -> None:
        self.client = FakeClient()


class SlackDoor:
    def __init__(self) -> None:
        self.ready = asyncio.Event()


async def _get(port: int, path: str) -> tuple[int, str]:
    async with ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def test_healthz_follows_the_database_and_the_gateways(tmp_path: Path) -> None:
    repo = await SqliteRepository.open(tmp_path / "q.sqlite3")
    discord, slack = DiscordDoor(), SlackDoor()
    runner = await start_ops(repo, lambda: [discord, slack], "127.0.0.1", 0)
    port = runner.addresses[0][1]
    try:
        status, body = await _get(port, "/healthz")
        assert status == 503
        assert json.loads(body) == {
            "status": "unhealthy",
            "database": "ok",
            "doors": {"discord": "connecting", "slack": "connecting"},
        }
        discord.client.ready = True
        slack.ready.set()
        status, body = await _get(port, "/healthz")
        assert (status, json.loads(body)["status"]) == (200, "ok")
        await repo.close()  # the database stops answering
        status, body = await _get(port, "/healthz")
        assert (status, json.loads(body)["database"]) == (503, "unreachable")
    finally:
        await runner.cleanup()


async def test_metrics_count_recorded_answers_lateness_and_429s(tmp_path: Path) -> None:
    metrics = Metrics()
    repo = await SqliteRepository.open(tmp_path / "q.sqlite3")
    runner = await start_ops(repo, list, "127.0.0.1", 0, metrics)
    port = runner.addresses[0][1]
    try:
        from bot import metrics as module

        before = module.METRICS.answers_recorded.value()
        rnd = await repo.create_round(
            RoundKind.QOTD, Target(platform="c", workspace="w", channel="x"), None, ["q"], T0, None
        )
        answer = Answer(
            round_id=rnd.id,
            question_no=1,
            question_id="q",
            user_key="u",
            choice="a",
            correct=True,
            points=1,
            answered_at=T0,
            elapsed_ms=5,
        )
        for _ in range(2):  # a repeat delivery is not counted twice
            await repo.record_answer(Tally(answer=answer, task="1.1", scopes=["x"], periods=["all"]))
        assert module.METRICS.answers_recorded.value() == before + 1

        metrics.answers_recorded.inc()
        metrics.ack_latency.observe(0.2)
        metrics.ack_latency.observe(4)
        metrics.scheduler_lateness.observe(2)
        metrics.rate_limited.inc(1, "discord:channel")
        status, text = await _get(port, "/metrics")
        assert status == 200
        lines = set(text.splitlines())
        assert "quizbot_answers_recorded_total 1" in lines
        assert 'quizbot_interaction_ack_seconds_bucket{le="0.1"} 0' in lines
        assert 'quizbot_interaction_ack_seconds_bucket{le="0.25"} 1' in lines
        assert 'quizbot_interaction_ack_seconds_bucket{le="+Inf"} 2' in lines
        assert "quizbot_interaction_ack_seconds_count 2" in lines
        assert 'quizbot_scheduler_lateness_seconds_bucket{le="5"} 1' in lines
        assert 'quizbot_rate_limited_total{scope="discord:channel"} 1' in lines
        assert "# TYPE quizbot_scheduler_lateness_seconds histogram" in lines
    finally:
        await runner.cleanup()
        await repo.close()


def test_json_log_lines_are_one_object_each() -> None:
    record = logging.LogRecord("quizbot", logging.WARNING, __file__, 1, "slot %s late", ("s1",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "WARNING" and entry["logger"] == "quizbot" and entry["message"] == "slot s1 late"
    assert entry["time"].endswith("+00:00")
