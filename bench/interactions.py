"""Interaction handling: from a Discord interaction / Slack request to its ack, under a burst of 500 answers.

Both front doors run for real against the test suite's fakes on 127.0.0.1: the Discord door (discord.py client)
against tests/adapters/discord/fake_discord.py, the Slack door (Bolt on its aiohttp server) against
tests/adapters/slack/fake_slack.py with signed requests. 500 members answer one question of the day at once.

Two figures per front door:
- the issue's measure, from the decoded interaction to its ack call: Discord, from the moment discord.py hands the
  decoded click to our component (its `interaction_check`) to our first response call (the reply, or a defer);
  Slack, from Bolt's verified, parsed request entering our first middleware to the listener's ack;
- end to end over the fake transports, which also counts the fakes' own work on the same event loop: Discord, from
  the fake gateway's dispatch to the interaction callback reaching the fake REST server; Slack, from sending the
  signed request to its HTTP response.
Baseline: the same measurements for answers sent one at a time.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import discord
import pytest
from aiohttp import web

from adapters.discord import components, replies
from bench.common import Report, bank, percentile
from bot.cards import QuestionCard
from bot.clock import SystemClock
from bot.metrics import METRICS
from bot.models import Target, UserRef
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.adapters.discord.conftest import running_bot
from tests.adapters.discord.fake_discord import FakeDiscord, point_discord_py_at
from tests.adapters.slack.conftest import TEAM, SlackSender, single_workspace_config
from tests.adapters.slack.fake_slack import FakeSlack
from tests.conftest import FakeScheduler, FixedClock

BURST = 500
ALONE = 40


@dataclass
class Timings:
    """Milliseconds per answer: decoded → ack call, and end to end; alone and in the burst."""

    alone: list[float] = field(default_factory=list)
    burst: list[float] = field(default_factory=list)
    alone_e2e: list[float] = field(default_factory=list)
    burst_e2e: list[float] = field(default_factory=list)


@contextmanager
def discord_decode_to_ack(samples: list[float]) -> Iterator[None]:
    """Record, per interaction, the time from our component receiving it decoded to our first response call."""
    decoded: dict[int, float] = {}
    check = components.AnswerControl.interaction_check
    observe = replies.observe_ack

    async def stamped(self: components.AnswerControl, interaction: discord.Interaction) -> bool:
        decoded[interaction.id] = time.perf_counter()
        return await check(self, interaction)

    def acked(interaction: discord.Interaction) -> None:
        samples.append((time.perf_counter() - decoded.pop(interaction.id)) * 1000)
        observe(interaction)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(components.AnswerControl, "interaction_check", stamped)
        patch.setattr(replies, "observe_ack", acked)
        yield


@contextmanager
def slack_request_to_ack(samples: list[float]) -> Iterator[None]:
    """Record what the Slack door's ack timer observes (seconds from a verified request to its ack), in ms."""
    observe = METRICS.ack_latency.observe

    def recorded(value: float) -> None:
        samples.append(value * 1000)
        observe(value)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(METRICS.ack_latency, "observe", recorded)
        yield


async def discord_latencies(tmp: Path) -> Timings:
    """Decoded → ack call and dispatch → callback at the fake, for answers alone and in the burst."""
    fake = FakeDiscord()
    arrived: dict[str, float] = {}
    signals: dict[str, asyncio.Event] = {}
    original: Callable[[web.Request], Awaitable[web.StreamResponse]] = fake._interaction_callback

    async def timed(request: web.Request) -> web.StreamResponse:
        arrived[request.match_info["iid"]] = time.perf_counter()
        signals.setdefault(request.match_info["iid"], asyncio.Event()).set()
        return await original(request)

    fake._interaction_callback = timed  # type: ignore[method-assign]
    with pytest.MonkeyPatch.context() as patch:
        async with fake:
            point_discord_py_at(fake, patch)
            clock = FixedClock()
            async with running_bot(fake, bank(), clock, FakeScheduler(), tmp) as bot:
                interaction, _ = await bot.command("qotd")
                card = fake.original_response(interaction)
                ids = [c["custom_id"] for row in card["components"] for c in row["components"] if "custom_id" in c]

                async def click(n: int) -> float:
                    if ids[0].count(":") == 3 and ids[0].endswith(":"):  # a choose-N menu
                        payload = fake.component_click(
                            card, ids[0], component_type=3, values=["a", "b"], user_id=10**17 + n, username=f"m{n}"
                        )
                    else:
                        payload = fake.component_click(card, ids[0], user_id=10**17 + n, username=f"m{n}")
                    sent = time.perf_counter()
                    await fake.send_interaction(payload)
                    await signals.setdefault(str(payload["id"]), asyncio.Event()).wait()
                    return (arrived[str(payload["id"])] - sent) * 1000

                timings = Timings()
                with discord_decode_to_ack(timings.alone):
                    timings.alone_e2e = [await click(n) for n in range(ALONE)]
                with discord_decode_to_ack(timings.burst):
                    timings.burst_e2e = list(await asyncio.gather(*(click(ALONE + n) for n in range(BURST))))
    return timings


async def slack_latencies(tmp: Path) -> Timings:
    """Verified request → ack, and signed request sent → HTTP response, for answers alone and in the burst."""
    from adapters.slack.door import SlackDoor
    from bot.settings import Settings

    repo = await SqliteRepository.open(tmp / "slack.sqlite3")
    service = QuizService(bank(), repo, FakeScheduler(), SystemClock())
    async with FakeSlack(signing_secret="bench-signing-secret") as fake:
        fake.add_workspace(TEAM, "Bench")
        users = [f"U{n:08d}" for n in range(ALONE + BURST)]
        for uid in users:
            fake.add_user(TEAM, uid, uid.lower())
        channel, card = await _single_answer_qotd(service)
        door = SlackDoor(
            Settings.model_construct(), service, single_workspace_config(fake, signing_secret="bench-signing-secret")
        )
        service.add_port(door.port)
        stop = asyncio.Event()
        task = asyncio.create_task(door.serve(stop))
        await asyncio.wait_for(door.ready.wait(), 10)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
                sender = SlackSender(session, fake)
                sender.url = f"http://127.0.0.1:{door.http_port}/slack/events"
                sender.secret = "bench-signing-secret"
                value = f"quiz:{card.round_id}:1:a"

                async def click(uid: str) -> float:
                    status, _, seconds = await sender.click(value, value, user=uid, channel=channel)
                    assert status == 200
                    return seconds * 1000

                timings = Timings()
                with slack_request_to_ack(timings.alone):
                    timings.alone_e2e = [await click(uid) for uid in users[:ALONE]]
                with slack_request_to_ack(timings.burst):
                    timings.burst_e2e = list(await asyncio.gather(*(click(uid) for uid in users[ALONE:])))
                for _ in range(500):  # let the work after the acks finish before stopping
                    if len(await repo.answers(card.round_id)) >= len(users):
                        break
                    await asyncio.sleep(0.01)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await repo.close()
    return timings


async def _single_answer_qotd(service: QuizService) -> tuple[str, QuestionCard]:
    """A Slack channel whose question of the day takes one letter (so a button answers it)."""
    for n in range(50):
        channel = f"C{n:08d}"
        card = await service.qotd(
            UserRef(platform="slack", user_id="U0SETUP", name="setup"),
            Target(platform="slack", workspace=TEAM, channel=channel),
        )
        if isinstance(card, QuestionCard) and card.choose <= 1:
            return channel, card
    raise RuntimeError("no single-answer question of the day in 50 channels")


def _report(report: Report, door: str, t: Timings) -> None:
    p99 = percentile(t.burst, 99)
    report.add(
        f"{door}: decoded interaction to ack call, p99 in a burst of {BURST}",
        p99,
        "ms",
        f"same, {ALONE} answers one at a time, p99",
        percentile(t.alone, 99),
        "≤ 250 ms",
        p99 <= 250,
    )
    report.add(f"  {door}: p50 in the burst", percentile(t.burst, 50), "ms")
    report.add(
        f"  {door}: end to end over the fake transports, p99 in the burst",
        percentile(t.burst_e2e, 99),
        "ms",
        "one at a time, p99",
        percentile(t.alone_e2e, 99),
    )
    report.add(f"  {door}: end to end, p50 in the burst", percentile(t.burst_e2e, 50), "ms")


def run(report: Report) -> None:
    """Both front doors, each in its own event loop."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "d").mkdir()
        (Path(tmp) / "s").mkdir()
        _report(report, "Discord", asyncio.run(discord_latencies(Path(tmp) / "d")))
        _report(report, "Slack", asyncio.run(slack_latencies(Path(tmp) / "s")))
