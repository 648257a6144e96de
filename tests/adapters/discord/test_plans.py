"""Study plans on Discord: `/quizadmin plan start|edit|stop`, `/plan show|me`, and the weekly recap post."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.bank import Bank
from tests.adapters.discord.conftest import BOB, running_bot
from tests.adapters.discord.fake_discord import ADMIN_PERMISSIONS, FakeDiscord, Json
from tests.conftest import FakeScheduler, FixedClock

CHANNEL = 3333333333333333333


def sub(action: str, *options: tuple[str, str | int, int]) -> list[Json]:
    """`/plan <action>` options as Discord sends them: a subcommand."""
    return [{"type": 1, "name": action, "options": [{"name": n, "type": t, "value": v} for n, v, t in options]}]


def admin_plan(action: str, *options: tuple[str, str | int, int]) -> list[Json]:
    """`/quizadmin plan <action> …`: a subcommand inside a subcommand group."""
    return [{"type": 2, "name": "plan", "options": sub(action, *options)}]


async def test_plan_commands_and_the_weekly_recap(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        start = admin_plan("start", ("weeks", 6, 4), ("exam_date", "2027-01-04", 3))
        _, refused = await bot.command("quizadmin", start, user_id=BOB, username="bob")
        assert refused["data"]["content"] == "Sorry, only an admin can start, edit or stop the study plan."
        _, started = await bot.command("quizadmin", start, permissions=ADMIN_PERMISSIONS)
        text = started["data"]["content"]
        assert text.startswith("Study plan started.\nStudy plan: 6 weeks to the exam on Mon 04 Jan 2027")
        assert "▶ Week 1 (from Mon 23 Nov):" in text
        assert not started["data"].get("flags")  # the channel sees the plan

        edit = admin_plan("edit", ("task", "1.2", 3), ("week", 3, 4))
        _, edited = await bot.command("quizadmin", edit, permissions=ADMIN_PERMISSIONS)
        assert edited["data"]["content"].startswith("Task 1.2 moved to week 3.")

        _, shown = await bot.command("plan", sub("show"), user_id=BOB, username="bob")
        assert "← this week" in shown["data"]["content"]
        _, mine = await bot.command("plan", sub("me"), user_id=BOB, username="bob")
        assert mine["data"]["content"].startswith("Bob: your readiness against the plan (week 1 of 6, 42 days")
        assert mine["data"]["flags"] == 64  # private

        clock.current = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        await scheduler.run_due(clock.now())
        sent = [
            r.json["content"]
            for r in fake.find_requests("POST", rf"/channels/{CHANNEL}/messages")
            if r.json and r.json.get("content", "").startswith("Weekly recap")
        ]
        assert len(sent) == 1 and "plan week 1 of 6" in sent[0]
        charts = [r for r in fake.find_requests("POST", rf"/channels/{CHANNEL}/messages") if r.files]
        assert len(charts) == 1 and next(iter(charts[0].files.values())).startswith(b"\x89PNG")

        _, stopped = await bot.command("quizadmin", admin_plan("stop"), permissions=ADMIN_PERMISSIONS)
        assert "stopped" in stopped["data"]["content"]
